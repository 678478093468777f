"""Which input sections, of which objects, an output section of a linked image was
made of: what a fix must name, since `.section` directives name input sections and a
linker script may collect them under another name (``.init_asm : { *(.boot) }``).

The linked image keeps only output sections. The input side comes from what the run
offers: the linker scripts (``--script``, the scripts given in the run, the
repository's tracked scripts through :class:`kernlint.project.Project`, nearest to
the image first) say which input section patterns an output section collects (ld
manual, "Input Section Description"), and the objects (``--objects``, a target's
``objects``) which object defines them without ``SHF_ALLOC``.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.context import Context

#: Scripts read at most per question, and their largest size (bytes).
MAX_SCRIPTS = 40
MAX_SCRIPT_BYTES = 1 << 20
SHF_ALLOC = 0x2


@dataclass(frozen=True)
class InputOrigin:
    """``patterns``: the input section patterns (``.boot``, ``.text.boot*``) an output
    section collects, as written in ``script`` at ``line``; ``objects``: ``(object
    path, input section name)`` of the given objects' non-allocated sections that
    match them."""

    patterns: tuple[str, ...]
    script: str
    line: int
    objects: tuple[tuple[str, str], ...] = ()


def _candidate_scripts(ctx: Context) -> list[str]:
    paths = list(ctx.config.scripts)
    if ctx.project is not None:
        paths += list(ctx.project.run_scripts)
        paths += list(ctx.project.repository_scripts(ctx.path))
    from kernlint.worktree import unique_paths

    return unique_paths(paths)[:MAX_SCRIPTS]


def input_origin(ctx: Context, output: str) -> InputOrigin | None:
    """The input sections output section ``output`` of ``ctx.image`` collects, from the
    first script (given ones first, then the repository's nearest) that describes an
    output section of that name; None when no script does. The script parser is
    imported only once a script that names ``output`` is found."""
    for path in _candidate_scripts(ctx):
        try:
            if os.path.getsize(path) > MAX_SCRIPT_BYTES:
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if output not in text:
            continue
        from kernlint.ldscript import ast, load_script

        try:
            loaded = load_script(path, text=text)
        except Exception:  # a template or a script that does not parse: not this one
            continue
        for node in loaded.walk():
            if isinstance(node, ast.OutputSection) and node.name == output:
                patterns = tuple(
                    dict.fromkeys(
                        p.pattern
                        for n in ast.walk(node)
                        if isinstance(n, ast.InputSectionDescription)
                        for p in n.sections
                    )
                )
                if not patterns:
                    continue
                return InputOrigin(patterns, path, node.span.line, _objects(ctx, patterns))
    return None


def _objects(ctx: Context, patterns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The given objects' non-allocated sections named by ``patterns``."""
    from kernlint.elf.reader import read_image
    from kernlint.errors import InputError

    found = []
    for path in ctx.object_paths:
        try:
            obj = read_image(path)
        except InputError:
            continue
        try:
            for s in obj.sections:
                named = any(fnmatch.fnmatchcase(s.name, p) for p in patterns)
                if s.index and s.sh_size and not s.sh_flags & SHF_ALLOC and named:
                    found.append((path, s.name))
        finally:
            obj.reader.close()
    return tuple(found)


def literal(origin: InputOrigin, output: str) -> str:
    """The input section name to put in a `.section` directive: the output section's
    own name when the script collects it, else the first pattern without wildcards,
    else ``NAME``."""
    plain = [p for p in origin.patterns if not any(c in p for c in "*?[")]
    if output in plain:
        return output
    return plain[0] if plain else "NAME"


def short(path: str) -> str:
    """``path`` relative to the working directory, unless that climbs out of it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel
