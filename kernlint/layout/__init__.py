"""The layout model: from a linker script and ET_REL objects to the layout GNU ld 2.40
would produce (output sections with VMA, LMA, size and flags, the input sections in
each, program headers, script symbols, discarded sections, orphans), before linking.

``lay_out_files`` does it from paths; ``layout(loaded, objects, options)``
(:mod:`.engine`) from a parsed script and objects read by ``read_objects``
(:mod:`.objects`). The result is a :class:`~.model.Layout`; what is not modelled is
in its ``unsupported``, never guessed. Imports networkx (``--gc-sections``) and
numpy (relocations) only on use. README.md in this folder says what is modelled, how
it is checked against ld, and the known differences.

Stages
------
The engine runs ld's steps in ld's order (``ldlang.c`` ``lang_process``), one module
each. A stage reads the results of the earlier ones and hands on a plain dataclass
documented in its module (shapes, units, the ld manual node and ``ldlang.c``
function it follows)::

    LoadedScript, Options ─1─▶ ScriptStatements
    ObjectFiles ─2─▶ ObjectSymbols ─2b─▶ the inputs --gc-sections drops
    ScriptStatements, objects, dropped ─3─▶ InputMapping ─4─▶ InputMapping, Orphans
    InputMapping ─5 ⇄ 6─▶ PassResult, Segments ─7─▶ OutputSections ─▶ Layout

1. **Collect statements** (:mod:`.statements`; "SECTIONS Command", "Overlay
   Description"): the ``SECTIONS`` list, INCLUDEs resolved, as
   ``OutputSectionStatement`` (with ``InputDescription`` children) and
   ``ExpressionStatement`` items, plus ``ENTRY``, ``PHDRS``, ``MEMORY``,
   ``REGION_ALIAS``, ``EXTERN``, the symbols the script reads and ld's
   ``DATA_SEGMENT_*`` state (:mod:`.dataseg`): ``ScriptStatements``.
2. **Object symbols** (:mod:`.symbols`): global definitions and undefined
   references (``ObjectSymbols``), the ``PROVIDE``s ld defines ("PROVIDE").
   2b. **Garbage collection** (:mod:`.gc`, ``--gc-sections``, "Input Section and
   Garbage Collection"), before mapping as in ld: the input sections nothing
   reachable from the roots uses.
3. **Map inputs** (:mod:`.mapping`; "Input Section Basics", "Output Section
   Discarding", "Output Section Constraint"; ``map_input_to_output_sections``,
   ``lang_add_section``): each input to the first description that matches it
   (:mod:`.match`), ``/DISCARD/``, ``ONLY_IF_RO``/``ONLY_IF_RW``, BFD flags merged:
   ``InputMapping``.
4. **Place orphans** (:mod:`.orphans`; "Orphan Sections", ``ldelf_place_orphan``,
   ``lang_insert_orphan``): new output section statements inserted into the mapping's
   list; the ``Orphan`` list.
5. **Size and assign addresses** (:mod:`.sizing`; "The Location Counter", "Output
   Section Address", "Output Section LMA", "MEMORY Command", "Builtin Functions";
   ``lang_size_sections``, ``lang_do_assignments``): one ``PassResult`` per pass
   (VMAs, LMAs, sizes, symbol values, ``ASSERT`` outcomes, region errors, where
   each input lands); the ``Sizer`` runs ld's rounds and removes empty sections.
6. **Program headers** (:mod:`.segments`; "PHDRS Command",
   ``_bfd_elf_map_sections_to_segments``): ``Segment`` records from ``HeaderInputs``.
   Sizing and mapping alternate until ``SIZEOF_HEADERS`` and the addresses are
   stable (``ldelf_map_segments``, in :mod:`.engine`).
7. **Output sections** (:mod:`.output`): the ``OutputSection`` records written, ELF flags
   and types from BFD flags, ld's overlap checks; :mod:`.engine` assembles the
   ``Layout``.

The statement objects are the one thing the stages share and fill in turn (mapping
their flags and inputs, sizing their addresses; each field says which stage sets
it); ``Diagnostics`` collects the unsupported constructs and ld's errors in the
order found. No module keeps state between calls, and no module imports another's
private names.
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
