"""A `kernlint: ignore[...]` or `kernlint: ignore-file[...]` comment silences nothing.

## What it does
Reports each suppression comment in a linker script or source file that no finding
needed: for `kernlint: ignore[...]`, no finding on its line or the next one; for
`kernlint: ignore-file[...]`, no finding anywhere in the file (that a line suppression
did not already silence). The rule it names no longer fires there, the id is mistyped,
or the code it excused was moved or fixed.

## Why is this bad?
A stale suppression hides the next real mistake on that line: when someone later adds
a flagless `.section` where an old `# kernlint: ignore[KL601]` stands, nobody is told.
Suppressions should be as few and as precise as the exceptions they record.

## Example
```asm
    .section .text.boot   # kernlint: ignore[KL601]   <- .text.* gets "ax" anyway
```
```ld
/* kernlint: ignore-file[KL212] */   /* <- the vendored script has no #include left */
```

## Use instead
Delete the comment, or correct the rule it names. Where a suppression is still
needed, put it on the offending line or the line just above it; keep
`kernlint: ignore-file[...]` for files that are not yours to change (vendored scripts
and sources), naming the rules it is for. KL003's own findings are not silenced by
comments: leave them out with `--ignore KL003` or `per-path-ignores`.

## References
- ruff's `RUF100` (unused `noqa`), the same idea for Python; ruff's file-level
  `# ruff: noqa: E501`, the model of `kernlint: ignore-file[...]`.
- kernlint DESIGN.md, "Configuration" (inline suppressions).
"""

from collections.abc import Iterator

from kernlint.context import SCRIPT, SOURCE, Context
from kernlint.finding import Finding, Location

ID = "KL003"
NAME = "unused-suppression"
SEVERITY = "info"
APPLIES_TO = frozenset({SCRIPT, SOURCE})
#: Judged after every other rule has run on the file (the engine honours this).
AFTER_OTHERS = True


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per suppression that silenced no finding."""
    for s in ctx.unused_suppressions:
        named = ", ".join(s.selectors) or "every rule"
        where = "in this file" if s.file else "on this line or the next"
        yield Finding(
            f"`{s.text}` suppresses nothing: no finding of {named} {where}",
            Location(
                line=s.line, column=s.column, end_line=s.line, end_column=s.column + len(s.text)
            ),
            fix="delete the suppression comment, or name the rule that fires "
            + ("in this file" if s.file else "here"),
        )
