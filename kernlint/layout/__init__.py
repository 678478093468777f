"""The layout model: from a linker script and ET_REL objects to the layout GNU ld 2.40
would produce (output sections with VMA, LMA, size and flags, the input sections in
each, program headers, script symbols, discarded sections, orphans), before linking.

``layout(loaded, objects, options)`` (:mod:`.engine`) is the entry point;
``read_objects`` (:mod:`.objects`) reads the objects; ``lay_out_files`` does both from
paths. Imports networkx (``--gc-sections``) and numpy (relocations) only on use.
See README.md in this folder for what is modelled and the known differences.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.layout.model import Layout, Options


def lay_out_files(
    script: str,
    objects: list[str],
    search_dirs: list[str] | tuple[str, ...] = (),
    options: Options | None = None,
) -> Layout:
    """Parse ``script`` (INCLUDEs looked up in ``search_dirs``), read ``objects`` (when
    none are given, the files the script's ``INPUT``/``GROUP`` commands name, found
    next to it, as ``kernlint check`` does) and lay them out. Raises
    ``ScriptSyntaxError``, ``OSError`` or ``InputError``."""
    from kernlint.layout.engine import layout
    from kernlint.layout.objects import collector_paused, read_objects, script_input_names
    from kernlint.ldscript import load_script

    loaded = load_script(script, search_dirs)
    paths, names = list(objects), None
    if not paths:
        found = script_input_names(loaded)
        paths, names = [p for p, _ in found], [n for _, n in found]
    with collector_paused():
        return layout(loaded, read_objects(paths, names), options)


__all__ = ["lay_out_files"]
