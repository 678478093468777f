"""An assignment inside an output section moves the location counter backwards.

## What it does
Follows the location counter `.` through `SECTIONS` the way GNU ld 2.40 lays a
script out, using only what the script itself proves (see
`kernlint.ldscript.evaluate.trace`), and reports an assignment to `.` inside an
output section (or an `OVERLAY` section) whose target is provably below where `.`
already is. Three shapes are provable without the input objects:

- both sides constant: the offset `.` has reached is known from data statements
  (`BYTE`, `SHORT`, `LONG`, `QUAD`) and earlier `. = <offset>` assignments, and an
  input section only makes it grow, so after `. = 0x1fe; SHORT(0xaa55)` the counter
  is at least 0x200 whatever the objects hold, and a later `. = 0x1be` is backwards;
- an absolute target (`ABSOLUTE(x)`, `ORIGIN(r)`, an address relative to another
  section) below the section's start, or below start plus the offset reached, when
  the start is known: a constant address expression (`.data 0x200000 :`), `.` after
  `. = <constant>`, or a `MEMORY` region's origin, each at least;
- `. -= n` or `. = . - n` with n > 0, once `.` is provably at least n.

Inside an output section GNU ld counts `.` from the section's start (ld manual,
"The Location Counter"): `. = 0x10` there means 0x10 bytes into the section, so a
plain number is compared with the offset reached, not with an address.

With the objects (`--script S --objects a.o ...`, a configuration target, or the
script's own `INPUT()`), it also lays them out as GNU ld would and reports the first
backward move ld stops on: input sections too big for a fixed offset (`*(.boot)`
then `. = 0x1be` with 454 bytes of code), with the overflow in bytes and the largest
input sections before the assignment.

What the script alone cannot prove, and so is reported only with the objects: that
the input sections are too big for a fixed offset (`*(.boot)` then `. = 0x1fe` fails
only if `.boot` holds more than 510 bytes); that a section's start is above
an absolute target when the start depends on the sizes of earlier sections; moves
where wrap-around past 2^64 could make the target land above `.`. Assignments
*outside* output sections are not reported: GNU ld and ld.lld both let `.` move
backwards there (the manual: "may not be moved backwards outside of an output
section if so doing creates areas with overlapping LMAs"); what follows is an
overlap error or KL107 on the image.

## Why is this bad?
GNU ld stops the link: `ld:boot.ld:9 cannot move location counter backwards (from
0000000000007e00 to 0000000000007dbe)` (note: no colon after the line number), and
ld.lld says `unable to move location counter backward for: .boot`. No image is
written. The usual causes are offsets written out of order (a signature at 510 placed
before the partition table at 446), a header whose fields outgrew a fixed offset,
or an absolute address written where GNU ld expects an offset.

## Example
```ld
.boot 0x7c00 : {
    KEEP(*(.boot))
    . = 0x1fe;
    SHORT(0xaa55)        /* boot signature: offset 0x1fe..0x200 */
    . = 0x1be;           /* partition table at 446: backwards from 0x200 */
    KEEP(*(.partition_table))
}
```

## Use instead
```ld
.boot 0x7c00 : {
    KEEP(*(.boot))
    . = 0x1be;
    KEEP(*(.partition_table))
    . = 0x1fe;
    SHORT(0xaa55)
}
```
To keep a size budget, check it: `ASSERT(. <= 0x1be, "boot code too big");` before
`. = 0x1be;` turns ld's error into a message that says why.

## References
- GNU ld manual (binutils 2.40), 3.10.5 "The Location Counter" and 3.10.8 "The
  Section of an Expression".
- binutils `ld/ldexp.c`, `exp_fold_tree_1` (`etree_assign` to `.`): the template
  `%F%P:%pS cannot move location counter backwards (from %V to %V)`.
- LLVM `lld/ELF/LinkerScript.cpp`, `LinkerScript::setDot`.
- platformio/platformio-vscode-ide#1099, ataradov/usb-sniffer-lite#3 (the error in
  the wild).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    pass

ID = "KL206"
NAME = "location-counter-backwards"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: samples/kl206-location-counter-backwards; no colon after
    # the line number).
    LogPattern(
        "ld",
        r"cannot move location counter backwards \(from (?P<from>[0-9a-fA-F]+) to"
        r" (?P<to>[0-9a-fA-F]+)\)",
        "At {place} an assignment to `.` inside an output section would take it back"
        " {distance} bytes, from {from} to {to}, and `.` only moves forward there. The"
        " offsets are out of order, or what precedes the assignment outgrew the room left"
        " for it (code past 0x1be or 0x1fe in a boot sector): reorder them or shrink what"
        ' comes first, and guard budgets with `ASSERT(. <= limit, "...")`.',
        "ld:bad-step-back.ld:20 cannot move location counter backwards (from 00007e00 to 00007dfe)",
    ),
    # LLD 14 (observed: samples/kl206-location-counter-backwards).
    LogPattern(
        "lld",
        r"unable to move location counter backward for: (?P<section>\S+)",
        "At {place} an assignment to `.` in {section} would move it backwards, and ld.lld"
        " stops. ld.lld reads `. = expr` inside a section as an absolute address where GNU"
        " ld reads an offset from the section start (KL211), so an absolute-looking value"
        " fails here though GNU ld takes it; otherwise reorder the offsets or shrink what"
        " comes first.",
        "ld.lld: error: bad-swapped-offsets.ld:20: unable to move location counter"
        " backward for: .boot",
        related=("KL211",),
    ),
    # rust-lld of rustc 1.95 (LLVM 20; observed on the same sample script).
    LogPattern(
        "lld",
        r"unable to move location counter \((?P<from>0x[0-9a-fA-F]+)\) backward to"
        r" (?P<to>0x[0-9a-fA-F]+) for section '(?P<section>[^']+)'",
        "At {place} an assignment to `.` in {section} would take it back {distance} bytes,"
        " from {from} to {to}, and ld.lld stops. ld.lld reads `. = expr` inside a section as"
        " an absolute address where GNU ld reads an offset (KL211); otherwise the offsets"
        " are out of order or what precedes them outgrew its room: reorder or shrink.",
        "rust-lld: error: bad-step-back.ld:20: unable to move location counter (0x7e00)"
        " backward to 0x7dfe for section '.boot'",
        related=("KL211",),
    ),
)


def _statement(node) -> str:
    from kernlint.ldscript.evaluate import render

    if node.op == "=":
        return f". = {render(node.expr)}"
    return f". {node.op} {render(node.expr)}"


def _where(step, back, name: str) -> str:
    """How far back, in ld's terms when the section's start is known."""
    from kernlint.ldscript.evaluate import MASK

    start = step.start
    if back.by is not None:
        return f"by {back.by:#x} bytes (from offset {back.before} of `{name}`)"
    if back.relative:
        if start is not None and start.exact:
            return (
                f"from {'' if back.before.exact else 'at least '}"
                f"{(start.low + back.before.low) & MASK:#x} to {(start.low + back.to) & MASK:#x}"
                f" (offsets {back.before} → {back.to:#x} in `{name}`)"
            )
        return f"from offset {back.before} to {back.to:#x} of `{name}`"
    if step.before is not None and step.before.low == 0:
        return f"to {back.to:#x}, below the start of `{name}` ({start})"
    return f"to {back.to:#x}, below where it already is ({back.before})"


def _fix(step, back, name: str, text: str) -> str:
    from kernlint.ldscript.evaluate import MASK, references_dot

    if step.node.op != "=" or references_dot(step.node.expr):
        n = back.by if back.by is not None else (back.before.low - back.to) & MASK
        return (
            "go to the final place directly instead of past it and back: `.` only moves"
            f" forward inside an output section (a symbol may point back: `sym = . - {n:#x};`)"
        )
    if back.relative:
        return (
            f"move `{text};` before the statements that already passed offset {back.to:#x},"
            f' or drop it; to enforce a size limit, write `ASSERT(. <= {back.to:#x}, "...")`'
            " instead"
        )
    return (
        f"inside `{name}` write an offset from the section's start, or an address at or above"
        f" {back.before.low:#x}"
    )


def _laid_out(ctx: Context, reported: set) -> Iterator[Finding]:
    """With the objects: each backward move GNU ld would stop on in the predicted
    layout (:attr:`kernlint.layout.model.Layout.backward_moves`) that the script
    alone did not prove (``reported`` holds the spans already reported), with the
    input sections that brought `.` past the target."""
    layout = ctx.layout
    if layout is None or not layout.backward_moves:
        return
    from kernlint.ldscript.evaluate import anchor, references_dot

    # ld's message is fatal (%F): it stops at the first backward move, and what the
    # model computes after it is not what ld would see.
    for move in layout.backward_moves[:1]:
        node = move.node
        if node.span in reported:
            continue
        reported.add(node.span)
        over = move.before - move.target
        os = layout.section(move.section)
        before = []
        if os is not None:
            before = [p for p in os.inputs if os.vma + p.offset < move.before and p.section.size]
        before.sort(key=lambda p: -p.section.size)
        largest = ", ".join(f"{p.section.label()} {p.section.size} bytes" for p in before[:3])
        span, note = anchor(ctx.script, node.span)
        if node.op != "=" or references_dot(node.expr):
            why = f"a step back of {over} bytes"
            fix = (
                "go to the final place directly instead of past it and back: `.` only"
                " moves forward inside an output section"
            )
        else:
            why = f"what precedes it in `{move.section}` is {over} bytes too big"
            fix = f"cut {over} bytes from what comes before this assignment in `{move.section}`"
            if os is not None:
                limit = move.target - os.vma
                fix += (
                    ", or move the fixed offset further on; guard the budget with"
                    f' `ASSERT(. <= {limit:#x}, "...")` before it'
                )
        yield Finding(
            f"`{_statement(node)}` moves the location counter back {over} bytes, from"
            f" {move.before:#x} to {move.target:#x}, once the objects are laid out: {why}"
            + (f" (largest input sections before it: {largest})" if largest else "")
            + f'; GNU ld stops with "cannot move location counter backwards"{note}',
            Location.from_span(span),
            fix=fix,
        )


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per provably backward assignment to `.` inside an output section:
    from the script alone, then, when objects are given, on the predicted layout."""
    from kernlint.ldscript.evaluate import anchor, references_dot

    loaded = ctx.script
    if loaded is None:
        return
    reported: set = set()
    result = ctx.script_trace
    for step in result.assignments:
        back = step.backwards
        if back is None or step.section is None:
            continue
        name = step.section.name
        text = _statement(step.node)
        why = ""
        number = step.value is not None and step.value.section is None
        if step.node.op == "=" and number and not references_dot(step.node.expr):
            why = " (inside an output section GNU ld counts `.` from the section's start)"
        reported.add(step.node.span)
        span, note = anchor(loaded, step.node.span)
        yield Finding(
            f"`{text}` moves the location counter back {_where(step, back, name)}:"
            f' GNU ld stops with "cannot move location counter backwards" and writes no'
            f" output{why}{note}",
            Location(
                line=span.line,
                column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
            ),
            fix=_fix(step, back, name, text),
        )
    if ctx.has_objects:
        yield from _laid_out(ctx, reported)
