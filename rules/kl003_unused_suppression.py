"""An inline `kernlint: ignore[...]` comment silences nothing.

## What it does
Reports each suppression comment in a linker script or source file that no finding on
its line or the next one needed: the rule it names no longer fires there, the id is
mistyped, or the code it excused was moved or fixed.

## Why is this bad?
A stale suppression hides the next real mistake on that line: when someone later adds
a flagless `.section` where an old `# kernlint: ignore[KL601]` stands, nobody is told.
Suppressions should be as few and as precise as the exceptions they record.

## Example
```asm
    .section .text.boot   # kernlint: ignore[KL601]   <- .text.* gets "ax" anyway
```

## Use instead
Delete the comment, or correct the rule it names. Where a suppression is still
needed, put it on the offending line or the line just above it.

## References
- ruff's `RUF100` (unused `noqa`), the same idea for Python.
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
        yield Finding(
            f"`{s.text}` suppresses nothing: no finding of {named} on this line or the next",
            Location(
                line=s.line, column=s.column, end_line=s.line, end_column=s.column + len(s.text)
            ),
            fix="delete the suppression comment, or name the rule that fires here",
        )
