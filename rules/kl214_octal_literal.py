"""A number written with a leading `0`: octal for GNU ld, decimal for ld.lld.

## What it does
Reports each integer literal of two or more digits that starts with `0` (`010`,
`0400`, `0640K`, `08`) when GNU ld and ld.lld give it different values, with both
values. `0`, `00` and `01`…`07` mean the same to both and are not reported, nor are
`0x...` and `$...` hexadecimal literals.

## Why is this bad?
GNU ld reads the literal with `strtoul(text, 0)`: a leading `0` makes it octal, and
conversion stops at the first `8` or `9`. ld.lld reads it as decimal. Checked with
GNU ld 2.40 and ld.lld 14 (`v = 010;`, read with `nm`):

| literal | GNU ld | ld.lld |
|---|---|---|
| `010` | 8 | 10 |
| `0400` | 0x100 | 0x190 |
| `010K` | 8 KiB | 10 KiB |
| `08`, `09` | 0 | 8, 9 |
| `016384` | 0x73 (`0163`) | 16384 |

Neither linker warns. A zero-padded decimal (`STACK_SIZE = 016384;`, `LENGTH =
0640K`) silently becomes a much smaller octal number under GNU ld, and the same
script links differently under the two linkers. Octal is never needed in a linker
script: addresses and sizes are written in hex.

## Example
```ld
boot_stack_pages = 010;            /* GNU ld: 8 pages, ld.lld: 10 */
boot_stack_size = boot_stack_pages * 4K;
```

## Use instead
```ld
boot_stack_pages = 10;             /* or 0x8 if eight was meant */
boot_stack_size = boot_stack_pages * 4K;
```

## References
- GNU ld manual, "Constants": "The linker considers an integer beginning with `0` to
  be octal".
- binutils `ld/ldlex.l` (`bfd_scan_vma (yytext, 0, 0)`, which is `strtoul` with base
  0 on 64-bit hosts).
- LLVM `lld/ELF/ScriptParser.cpp`, `parseInt` (decimal unless `0x` or `H`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL214"
NAME = "octal-literal"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

_SCALE = {"k": 1024, "m": 1024 * 1024}


def _where(span: ast.Span, anchor: ast.Include | None) -> tuple[Location, str]:
    """Location in the main file (the INCLUDE, for a node of an included file)."""
    if anchor is not None:
        s = anchor.span
        note = f" (in {span.file}:{span.line}:{span.column}, included here)"
    else:
        s, note = span, ""
    loc = Location(line=s.line, column=s.column, end_line=s.end_line, end_column=s.end_column)
    return loc, note


def lld_value(text: str) -> int:
    """The value ld.lld 14 gives a leading-zero literal: decimal, times K or M."""
    scale = _SCALE.get(text[-1].lower(), 1)
    digits = text[:-1] if scale != 1 else text
    return (int(digits, 10) * scale) & ((1 << 64) - 1)


def _show(value: int) -> str:
    if value >= 1 << 20 and value % (1 << 20) == 0:
        return f"{value:#x} ({value >> 20} MiB)"
    if value >= 1 << 10 and value % (1 << 10) == 0:
        return f"{value:#x} ({value >> 10} KiB)"
    return str(value) if value < 4096 else f"{value:#x}"


def _suffix(text: str) -> str:
    return text[-1] if text[-1] in "KkMm" else ""


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per leading-zero literal the two linkers read differently."""
    from kernlint.ldscript import ast

    if ctx.script is None:
        return
    for node, anchor in ctx.script.walk_anchored():
        if not isinstance(node, ast.Number) or not node.is_octal:
            continue
        gnu, lld = node.value, lld_value(node.text)
        if gnu == lld:
            continue
        loc, note = _where(node.span, anchor)
        text = node.text
        digits = text.rstrip("KkMm")
        bad = next((c for c in digits if c in "89"), None)
        how = (
            f"GNU ld reads a leading `0` as octal and stops at the `{bad}`"
            if bad
            else "GNU ld reads a leading `0` as octal"
        )
        message = (
            f"`{text}` is {_show(gnu)} for GNU ld but {_show(lld)} for ld.lld{note}: {how},"
            " ld.lld reads decimal"
        )
        decimal = digits.lstrip("0") + _suffix(text)
        octal_value = gnu // _SCALE.get(_suffix(text).lower(), 1)
        octal = f"{octal_value:#x}{_suffix(text)}"
        yield Finding(
            message,
            loc,
            fix=f"`{decimal}` if {decimal} was meant, `{octal}` for GNU ld's value",
        )
