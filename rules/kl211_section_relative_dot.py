"""`. = <address>` inside an output section: GNU ld reads it as an offset, ld.lld as an address.

## What it does
Reports an assignment `. = EXPR` inside an output (or overlay) section where EXPR
looks like an absolute address but GNU ld will read it as an offset from the
section's start. That is the case when EXPR is, in ld's terms, a plain *number*
(ld manual, "The Section of an Expression": numbers, and absolute symbols, which
"inside an output section definition" read as numbers), and either

- its value is known and at or above the section's start address (known from a
  constant address expression, `. = <constant>` before the section, or a `MEMORY`
  region's origin; the rule uses a lower bound when ld may align the start up), or
- it reads an *address symbol*: a symbol assigned outside output sections from `.`,
  `ADDR()`, `ORIGIN()`, `ALIGN()`..., such as `_boot = .;` before the section
  (unless the symbol is known to be 0, where offset and address agree).

Not reported, because GNU ld already reads them as addresses: `.` and anything
built on it (`. + 4`, `ALIGN(16)`), `ORIGIN(region)` (GNU ld converts it to an
address in the current section; checked with ld 2.40), `ABSOLUTE(...)`, and symbols
assigned inside an output section (section-relative). A section that starts at
0 (a boot sector linked at 0 for a `0x07c0` segment) is not reported: offset and
address agree.

## Why is this bad?
GNU ld and ld.lld disagree, and neither warns. Inside an output section GNU ld
counts `.` from the section's start (ld manual, "The Location Counter": "it refers to
the byte offset from the start of that section, not an absolute address"), so in a
boot sector linked at 0x7c00, `. = 0x7c00 + 510;` moves `.` to 0x7c00 + 0x7dfe: the
section silently becomes 0x7e00 bytes (31.5 KiB) instead of 512, the `0x55 0xAA`
signature lands at file offset 0x7dfe, and the BIOS, which reads 512 bytes, finds
none. ld.lld reads the same line as the address 0x7dfe and produces the intended
512 bytes. A script that works with one linker breaks with the other.

## Example
```ld
SECTIONS {
    .boot 0x7c00 : {
        *(.text .text.*)
        . = 0x7c00 + 510;    /* meant: the address of the signature */
        SHORT(0xaa55)
    }
}
```

## Use instead
```ld
SECTIONS {
    .boot 0x7c00 : {
        *(.text .text.*)
        . = ABSOLUTE(0x7c00 + 510);   /* an address for both linkers */
        SHORT(0xaa55)
    }
}
```
`ABSOLUTE()` makes the value an absolute address, which GNU ld then uses as is
(checked with ld 2.40 and ld.lld 14). For an offset, name the section's start:
`_boot_start = .;` as the section's first statement, then `. = _boot_start + 510;` —
a section-relative symbol, which both linkers add correctly. `. = 510;` works with
GNU ld only; ld.lld reads it as the address 510 ("unable to move location counter
backward").

## References
- GNU ld manual (binutils 2.40), 3.10.5 "The Location Counter" and 3.10.8 "The
  Section of an Expression" ("Expressions appearing inside an output section
  definition treat absolute symbols as numbers").
- binutils `ld/ldexp.c`: `fold_name` (absolute symbols become numbers inside a
  section), `exp_fold_tree_1` (`etree_assign` to `.` adds the section's address to a
  number).
- MaskRay, "LLD and GNU linker incompatibilities" (section-relative `.`);
  bugs.llvm.org/41169.
- rust-osdev/bootloader `bios/boot_sector/boot-sector-link.ld` (the same offsets
  written at the top level of `SECTIONS`, where they are addresses for both linkers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import DotAssignment

ID = "KL211"
NAME = "section-relative-dot"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

#: Builtins whose value is a plain number in ld (``new_number``).
_NUMBER_CALLS = {"CONSTANT", "LENGTH", "SIZEOF", "ALIGNOF", "LOG2CEIL", "SIZEOF_HEADERS"}
#: Builtins that keep the section of their operands.
_PASS_CALLS = {"MAX", "MIN"}


def _number_kind(expr: ast.Node, step: DotAssignment, absolute: frozenset[str]) -> bool:
    """True when GNU ld reads ``expr`` as a plain number inside an output section:
    built only from numbers, absolute symbols (``absolute``: assigned outside output
    sections) and number-valued builtins."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import ABS, NUMBER

    if isinstance(expr, ast.Number):
        return True
    if isinstance(expr, ast.Symbol):
        value = step.env.symbols.get(expr.name)
        if value is not None:
            return value.section in (ABS, NUMBER)
        return expr.name in absolute
    if isinstance(expr, ast.Unary):
        return _number_kind(expr.operand, step, absolute)
    if isinstance(expr, ast.Binary):
        return _number_kind(expr.left, step, absolute) and _number_kind(expr.right, step, absolute)
    if isinstance(expr, ast.Ternary):
        return _number_kind(expr.if_true, step, absolute) and _number_kind(
            expr.if_false, step, absolute
        )
    if isinstance(expr, ast.Call):
        if expr.function in _NUMBER_CALLS:
            return True
        if expr.function in _PASS_CALLS:
            return all(_number_kind(a, step, absolute) for a in expr.args)
    return False


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per `. = <number>` that reads like an address inside a section."""
    from kernlint.ldscript.evaluate import MASK, NUMBER, anchor, render

    loaded = ctx.script
    if loaded is None:
        return
    result = ctx.script_trace
    address_symbols = result.address_symbols
    for step in result.assignments:
        if step.section is None or step.node.op != "=":
            continue
        expr = step.node.expr
        if not _number_kind(expr, step, address_symbols):
            continue
        value = step.value
        start = step.start
        # An address symbol known to be 0 reads the same either way.
        read = [
            n
            for n in dict.fromkeys(_symbols(expr))
            if n in address_symbols
            and (step.env.symbols.get(n) is None or step.env.symbols[n].value != 0)
        ]
        number = value.value if value is not None and value.section is NUMBER else None
        above = number is not None and start is not None and start.low > 0 and number >= start.low
        if not above and not read:
            continue
        name = step.section.name
        text = render(expr)
        if above:
            assert number is not None and start is not None
            grows = (
                f"`.` goes to {start.low:#x} + {number:#x} = {(start.low + number) & MASK:#x}"
                if start.exact
                else f"`.` goes {number:#x} bytes past the start of `{name}`"
            )
            why = (
                f"{number:#x} is at or above the section's start "
                f"({'' if start.exact else 'at least '}{start.low:#x}), so it reads like an"
                " address"
            )
            message = (
                f"`. = {text}` inside `{name}` is an offset from the section's start for GNU ld"
                f" ({grows}, the section grows to at least {number:#x} bytes) but the address"
                f" {number:#x} for ld.lld: {why}"
            )
            if read:
                names = ", ".join(f"`{n}`" for n in read)
                message += (
                    f" ({names}: assigned outside output sections, an absolute symbol that GNU"
                    " ld reads as a number here)"
                )
            offset = (
                f"`. = {number - start.low:#x};`" if start.exact else "the offset alone (`. = N;`)"
            )
        else:
            symbols = ", ".join(f"`{n}`" for n in read)
            message = (
                f"`. = {text}` inside `{name}` reads the address symbol {symbols}, assigned"
                " outside output sections: GNU ld reads absolute symbols as numbers there, so"
                f" this is an offset from the start of `{name}` (the section grows by the whole"
                " address), while ld.lld reads it as an address"
            )
            offset = "the offset alone (`. = N;`)"
        fix = (
            f"for an address write `. = ABSOLUTE({text});` (both linkers agree); for an"
            f" offset write {offset} (GNU ld), or put `{_start_symbol(name)} = .;` first in"
            f" `{name}` and add the offset to it (both linkers)"
        )
        span, note = anchor(loaded, step.node.span)
        yield Finding(
            message + note,
            Location(
                line=span.line,
                column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
            ),
            fix=fix,
        )


def _symbols(expr: ast.Node) -> Iterator[str]:
    from kernlint.ldscript import ast

    for node in ast.walk(expr):
        if isinstance(node, ast.Symbol):
            yield node.name


def _start_symbol(section: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in section).strip("_") or "section"
    return f"_{stem}_start"
