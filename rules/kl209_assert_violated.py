"""An `ASSERT` of the linker script fails on the layout of its objects.

## What it does
With the objects a script links (`kernlint check --script S --objects a.o ...`, a
configuration target's `script` and `objects`, or the script's own `INPUT()`), lays
them out as GNU ld 2.40 would (`kernlint layout`) and evaluates every `ASSERT(expr,
"message")` — the statement form and `. = ASSERT(...)` — against the predicted
section addresses and sizes (`ADDR`, `SIZEOF`, `LOADADDR`), the location counter and
the symbols. It reports each one that evaluates to zero, with the message, before
anything is linked.

Values are those of GNU ld's expression sections (ld manual "Expression Section",
`ldexp.c`): outside output sections a number is an absolute address, so
`ASSERT(hdr == 0x1f1, ...)` (Linux's x86 `setup.ld`) or `ASSERT(_text ==
KIMAGE_VADDR, ...)` (arm64) compare the *address* of a symbol defined in a section,
not its offset in it; inside an output section numbers are numbers, and `.` is the
offset from the section's start (`LD_FEATURE("SANE_EXPR")` makes numbers numbers
everywhere). An ASSERT whose value depends on something the layout cannot know is
not reported.

## Why is this bad?
An `ASSERT` is the script's own statement of a limit — a boot sector under 510
bytes, a Multiboot header in the first 8 KiB, `.bss` inside RAM. GNU ld stops with
nothing but the message (`ld: boot sector too big`), without naming the script line
or the values that broke it; kernlint names the line and can be run before the
objects are even linked together.

## Example
```ld
.boot 0x7c00 : { *(.boot) }
ASSERT(SIZEOF(.boot) <= 510, "boot sector too big")
```
with 520 bytes of boot code.

## Use instead
Make the code fit (move it to a second stage), or change the limit if the
assertion is wrong.

## References
- GNU ld manual, "Other Linker Script Commands" (`ASSERT`), "Expression Section".
- binutils `ld/ldexp.c`: `exp_fold_tree_1` (`etree_value`: `new_abs` outside output
  sections), `fold_binary` (operands of two sections are made absolute first).
- kernlint research, `anchors-ldscript.md` §2 M7 (byte budgets), M14 (ASSERT output).
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

ID = "KL209"
NAME = "assert-violated"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT})


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.script is None:
        return
    from kernlint.ldscript import ast

    has_assert = any(
        isinstance(n, ast.Assert) or (isinstance(n, ast.Call) and n.function == "ASSERT")
        for n in ctx.script.walk()
    )
    has_objects = bool(ctx.object_paths) or any(
        isinstance(s, ast.Input | ast.Group) for s in ctx.script.statements()
    )
    if not has_assert or not has_objects:
        return
    layout = ctx.layout
    if layout is None:
        return
    from kernlint.ldscript.evaluate import anchor

    seen = set()
    for result in layout.asserts:
        if result.ok is not False or id(result.node) in seen:
            continue
        seen.add(id(result.node))
        span, note = anchor(ctx.script, result.node.span)
        yield Finding(
            message=f'ASSERT fails on the predicted layout: "{result.message}"{note}'
            " (GNU ld stops here with this message)",
            location=Location.from_span(span),
            fix="make the sections fit the limit the assertion states, or correct the assertion",
        )
