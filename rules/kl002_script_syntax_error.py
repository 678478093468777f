"""The linker script does not parse, or one of its INCLUDEs cannot be read.

## What it does
Reports the first token of a GNU ld linker script that GNU ld 2.40 would not accept,
with what was expected there in ld's own vocabulary ("expected `}` to close output
section `.text` opened at 4:3"), and each `INCLUDE` that cannot be followed: the file
is missing or outside the search folders, it includes itself, the chain is deeper
than ld allows, or the included file does not parse.

## Why is this bad?
ld stops at the first syntax error with `ld:link.ld:12: syntax error` — a line and no
column, and line 0 at end of file — and nothing is linked. The grammar has traps that
look right: `a=1;` without spaces is one name, `*(.text, .data)` names a section
`.text,`, `//` is not a comment, `ASSERT(...)` takes no `;` at the top of `SECTIONS`.

## Example
```ld
SECTIONS {
  .text : { *(.text) }
  .data : { *(.data)
}
```
`link.ld:4:2: KL002 script-syntax-error: unexpected end of file: output section `.data`
opened at 3:3 is not closed (expected `}`)`

## Use instead
```ld
SECTIONS {
  .text : { *(.text) }
  .data : { *(.data) }
}
```

## References
- GNU ld manual, chapter "Linker Scripts" (binutils 2.40), and `ld/ldgram.y`,
  `ld/ldlex.l` for the exact grammar and lexer states.
- GNU ld manual, "File Commands" (`INCLUDE`, `-L` search folders).
"""

from collections.abc import Iterator

from kernlint.context import SCRIPT, SCRIPT_INVALID, Context
from kernlint.finding import Finding, Location

ID = "KL002"
NAME = "script-syntax-error"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT, SCRIPT_INVALID})


def check(ctx: Context) -> Iterator[Finding]:
    """The syntax error of the main file, then one finding per INCLUDE problem."""
    err = ctx.syntax_error
    if err is not None:
        yield Finding(
            err.message,
            Location(
                line=err.line,
                column=err.column,
                end_line=err.line,
                end_column=err.column + max(err.width, 1),
            ),
        )
    if ctx.script is None:
        return
    for diag in ctx.script.diagnostics:
        span = diag.span
        message = diag.message
        if diag.error is not None:
            message = f"{message}: {diag.error}"
        here = span.file == ctx.path
        if not here:
            message = f"{span}: {message}"
        yield Finding(
            message,
            Location(
                line=span.line,
                column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
            )
            if here
            else Location(),
        )
