"""The ``ASSERT``s of linker scripts, by message, to trace a logged message to its line.

GNU ld prints a failed ``ASSERT(expr, "msg")`` as the bare message after its prefix
(``ld: boot sector code exceeds 446 bytes``), ld.lld as ``ld.lld: error: msg``
(research ``anchors-ldscript.md`` §2 M14, observed with GNU ld 2.40 and LLD 14), so
nothing but the script tells such a line from any other: the scripts given with
``--artifacts`` are read, and a line whose message equals an ``ASSERT``'s is traced
to it. Both forms are found: the statement ``ASSERT(...)`` and the expression
``. = ASSERT(...)``, in the main script and its ``INCLUDE``d files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptAssert:
    """One ``ASSERT``: its ``message``, the file and 1-based span it stands at, and its
    ``text`` as written (whitespace runs collapsed to one space)."""

    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


def collect_asserts(scripts: Iterable[str]) -> dict[str, tuple[ScriptAssert, ...]]:
    """Message -> the ``ASSERT``s that print it, over ``scripts`` (paths). A script
    that cannot be read or parsed contributes nothing (``kernlint check`` reports it:
    KL001, KL002)."""
    from kernlint.ldscript import ScriptSyntaxError, ast, load_script

    found: dict[str, list[ScriptAssert]] = {}
    texts: dict[str, list[str]] = {}
    for path in scripts:
        try:
            loaded = load_script(path)
        except (ScriptSyntaxError, OSError, ValueError):
            continue
        for node in loaded.walk():
            message = None
            if isinstance(node, ast.Assert):
                message = node.message
            elif (
                isinstance(node, ast.Call)
                and node.function == "ASSERT"
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Name)
            ):
                message = node.args[1].value
            if message is None:
                continue
            span = node.span
            text = _source(texts, span.file, span.line, span.column, span.end_line, span.end_column)
            item = ScriptAssert(
                message, span.file, span.line, span.column, span.end_line, span.end_column, text
            )
            if item not in found.setdefault(message, []):
                found[message].append(item)
    return {m: tuple(items) for m, items in found.items()}


def _source(
    cache: dict[str, list[str]], path: str, line: int, column: int, end_line: int, end_column: int
) -> str:
    if path not in cache:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                cache[path] = f.read().splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    if end_line > len(lines):
        return ""
    if line == end_line:
        piece = lines[line - 1][column - 1 : end_column - 1]
    else:
        first, last = lines[line - 1][column - 1 :], lines[end_line - 1][: end_column - 1]
        piece = " ".join([first, *lines[line : end_line - 1], last])
    return " ".join(piece.split())
