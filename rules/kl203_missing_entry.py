"""The script has no `ENTRY()` command, so the entry point depends on defaults.

## What it does
Reports a linker script that has a `SECTIONS` command but no `ENTRY(symbol)`
anywhere — neither in the script nor in the files it `INCLUDE`s (at top level or
inside `SECTIONS`). The finding points at `SECTIONS`, or at the `INCLUDE` that
brings it in.

It stays silent when it cannot know: when an `INCLUDE` could not be read (the
`ENTRY` may be there), for fragments without `SECTIONS` (a `memory.x` holding only
`MEMORY`, a `libc.so`-style `GROUP` script), and for `INSERT` scripts, which
augment ld's default script and its `ENTRY(_start)`. The command line is out of
sight: a link that passes `-e SYMBOL` (or `--entry`) sets the entry point, and
`-e` overrides `ENTRY()` anyway; for such builds, ignore the rule for that path or
better, move the entry point into the script.

## Why is this bad?
The entry point becomes `e_entry`, where every ELF loader (GRUB, QEMU `-kernel`,
Limine, the `bootloader` crate, Xen) jumps. Without `ENTRY()` or `-e`, GNU ld tries
the symbol `_start`, then the first byte of the output section `.text`, then 0 —
**silently**: GNU ld 2.40 prints "cannot find entry symbol" only when `ENTRY()` or
`-e` names a missing symbol. So a kernel whose entry symbol is not `_start` boots
whatever function the linker put first in `.text`; one without a `.text` output
section gets `e_entry = 0`. Without `_start`, ld.lld sets the entry to 0 and
only warns:

    ld.lld: warning: cannot find entry symbol _start; not setting start address

With `--gc-sections` it is worse: the entry symbol is the root of garbage
collection, and GNU ld 2.40 roots only an entry named by `ENTRY()` or `-e` — not
the default `_start`. Without them it removes all the code without a word, even
when `_start` is defined (checked; `--print-gc-sections` shows
`removing unused section '.text'`), and leaves `e_entry` 0. ld.lld roots `_start`.

## Example
```ld
SECTIONS {
    . = 1M;
    .text : { *(.text .text.*) }
}
```

## Use instead
```ld
ENTRY(boot_entry)

SECTIONS {
    . = 1M;
    .text : { *(.text .text.*) }
}
```

## References
- GNU ld manual, "Setting the Entry Point" (the order: `-e`, `ENTRY()`, the
  target's default symbol `_start`, the start of `.text`, 0) and "Input Section
  and Garbage Collection".
- GNU ld `ldlang.c` `lang_end`: "No entry has been specified. Look for the default
  entry, but don't warn if we don't find it."
- ld.lld `ELF/Writer.cpp` `getEntryAddr`.
- kernlint research, `anchors-ldscript.md` §2 M15 (`warning: cannot find entry
  symbol %s; defaulting to %V`) and §3 (the seed case's `ENTRY(entry_asm)`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.ldscript import ast

if TYPE_CHECKING:
    from kernlint.ldscript import LoadedScript

ID = "KL203"
NAME = "missing-entry"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: ENTRY names a symbol no object defines).
    LogPattern(
        "ld",
        r"cannot find entry symbol (?P<symbol>[^;\s]+); defaulting to (?P<address>[0-9a-fA-F]+)",
        "No input defines the entry symbol `{symbol}`, so GNU ld set the entry point to"
        " {address}, the start of `.text`: the loader jumps into whatever code is first."
        " Name the real entry with `ENTRY(symbol)` in the script and check that an object"
        " defines it as a global symbol (a typo, a missing object or a local label are the"
        " usual causes).",
        "ld: warning: cannot find entry symbol kmain; defaulting to 0000000000100000",
    ),
    # LLD 14 (observed).
    LogPattern(
        "lld",
        r"cannot find entry symbol (?P<symbol>[^;\s]+); not setting start address",
        "No input defines the entry symbol `{symbol}`, so ld.lld left the entry point at 0,"
        " where no loader should jump. Name the real entry with `ENTRY(symbol)` in the"
        " script and check that an object defines it as a global symbol.",
        "ld.lld: warning: cannot find entry symbol _start; not setting start address",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """One finding at `SECTIONS` when no ENTRY() command exists."""
    from kernlint.ldscript import ast

    loaded = ctx.script
    if loaded is None:
        return
    if any(d.kind != "cycle" for d in loaded.diagnostics):
        return  # an INCLUDE we could not read may hold the ENTRY
    for node in loaded.walk():
        if isinstance(node, ast.Entry | ast.Insert):
            return
    anchor = _sections_anchor(loaded)
    if anchor is None:
        return
    span, width = anchor
    message = (
        "no ENTRY() command: unless the link passes `-e SYMBOL`, GNU ld silently takes"
        " `_start`, else the start of `.text` (0 without one), and with `--gc-sections`"
        " removes all the code even when `_start` exists; ld.lld takes `_start` or warns"
        ' "cannot find entry symbol _start; not setting start address" and uses 0'
    )
    yield Finding(
        message,
        Location(
            line=span.line,
            column=span.column,
            end_line=span.line,
            end_column=span.column + width,
        ),
        fix="name the entry point before SECTIONS: `ENTRY(_start)` (your entry symbol)",
    )


def _sections_anchor(loaded: LoadedScript) -> tuple[ast.Span, int] | None:
    """Where to point in the main file: its `SECTIONS`, or the `INCLUDE` that brings a
    file holding one; None for a script without SECTIONS (a fragment)."""
    from kernlint.ldscript import ast

    for stmt in loaded.script.statements:
        if isinstance(stmt, ast.Sections):
            return stmt.span, len("SECTIONS")
        target = loaded.included.get(stmt) if isinstance(stmt, ast.Include) else None
        if target is None:
            continue
        if any(isinstance(n, ast.Sections) for n in replace(loaded, script=target).walk()):
            span = stmt.span
            width = span.end_column - span.column if span.end_line == span.line else 7
            return span, width
    return None
