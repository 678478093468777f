"""A name in an expression is made of hex digits and a radix suffix, so GNU ld reads a number.

## What it does
Reports each word in an expression that GNU ld's lexer takes for a number although
it reads like a name: one or more hex digits (`0-9 a-f A-F`) followed by one radix
suffix — `h` or `x` (hexadecimal), `o` (octal), `b` (binary), `d` (decimal), either
case — and starting with a letter: `dead`, `bad`, `cab`, `add`, `fed`, `feed`, `fb`,
`cb`, `ab`, `bead`, and also `ax`, `bx`, `dx`, `ebx`, `fax`, `each`, `ah`. Words
whose last letter is no suffix are ordinary symbols and are not reported: `face`,
`beef`, `cafe`, `deadbeef`, `dec` (flex takes the longest match, and the name rule
matches the whole word where the number rule cannot), nor are one-letter names
(`b`, `d`, `x`). The word is reported where it is *read* — in an expression — since
the target of an assignment (`fb = 0xb8000;`) is always a name; the message says
when the script defines a symbol of that name.

All of this was checked against GNU ld 2.40 and ld.lld 14 by linking
`NAME = 0x1234; v = NAME;` and reading `v` with `nm` (see the rule's tests).

## Why is this bad?
GNU ld computes the number with `strtoul` in the suffix's base, stopping at the first
digit that base does not have: `dead` is "`dea`, decimal" and evaluates to **0**
(not 0xdead), as do `bad`, `cab`, `fed`, `fb`; `ax` is 0xa, `ebx` 0xeb, `each` 0xeac.
No warning is printed, and since the symbol the author meant is never referenced,
nothing reports it missing either (a real undefined name in an expression is an
error: `undefined symbol `x' referenced in expression`). ld.lld reads only the `h`
words as numbers (its `H` suffix) and everything else here as the symbol, so the two
linkers produce different images from one script.

## Example
```ld
fb = 0xb8000;                      /* the VGA text buffer */
status_line = fb + 24 * 160;       /* GNU ld: 0xf00, not 0xb8f00 */
```

## Use instead
```ld
vga_text = 0xb8000;
status_line = vga_text + 24 * 160;
```
or quote the name where it is read: `status_line = "fb" + 24 * 160;` (a quoted name
is a symbol to both linkers). If a number was meant, write it as `0x...`.

## References
- GNU ld manual, "Constants" (the `h`, `o`, `b` and `d` suffixes; ld's lexer also
  takes `x`) and "Symbol Names" (unquoted names start with a letter, `_` or `.`;
  quoted names may be anything).
- binutils `ld/ldlex.l`: `([0-9A-Fa-f])+(H|h|X|x|B|b|O|o|D|d)` in the EXPRESSION
  state, converted with `bfd_scan_vma` in the suffix's base.
- LLVM `lld/ELF/ScriptParser.cpp`, `parseInt` (`0x` prefix, `H` suffix, `K`/`M`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL213"
NAME = "symbol-reads-as-number"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

_RADIX = {
    "h": ("hexadecimal", 16),
    "x": ("hexadecimal", 16),
    "o": ("octal", 8),
    "b": ("binary", 2),
    "d": ("decimal", 10),
}


def _where(span: ast.Span, anchor: ast.Include | None) -> tuple[Location, str]:
    """Location in the main file (the INCLUDE, for a node of an included file)."""
    if anchor is not None:
        s = anchor.span
        note = f" (in {span.file}:{span.line}:{span.column}, included here)"
    else:
        s, note = span, ""
    loc = Location(line=s.line, column=s.column, end_line=s.end_line, end_column=s.end_column)
    return loc, note


def _explain(number: ast.Number) -> str:
    word, suffix = number.text, number.text[-1]
    radix, base = _RADIX[suffix.lower()]
    value = f"{number.value:#x}" if number.value > 9 else str(number.value)
    if base == 16:
        how = f"so `{word}` is {value}"  # every digit counts
    else:  # a word starting with a letter has no digit of base 2, 8 or 10
        how = f"and `{word[0]}` is not a {radix} digit, so `{word}` is {value}"
    lld = ", in ld.lld too" if suffix in "hH" else f"; ld.lld reads the symbol `{word}`"
    return (
        f"GNU ld takes hex digits followed by the suffix `{suffix}` for a {radix} number,"
        f" {how}{lld}"
    )


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per suffixed word read in an expression."""
    from kernlint.ldscript import ast

    if ctx.script is None:
        return
    nodes = list(ctx.script.walk_anchored())
    defined: dict[str, ast.Span] = {}
    for node, _ in nodes:
        if isinstance(node, ast.Assignment):
            defined.setdefault(node.target, node.span)
    for node, anchor in nodes:
        if not isinstance(node, ast.Number) or not node.is_suffixed_word:
            continue
        word = node.text
        loc, note = _where(node.span, anchor)
        defined_at = ""
        if word in defined:
            span = defined[word]
            where = f"line {span.line}" if span.file == ctx.path else f"{span.file}:{span.line}"
            defined_at = f" (the script defines the symbol `{word}` at {where})"
        message = (
            f"`{word}` is read as a number, not as a symbol{defined_at}{note}: {_explain(node)}"
        )
        if word[-1] in "hH":
            fix = f'`{node.value:#x}` if the number is meant, `"{word}"` for the symbol'
        else:
            fix = f'`"{word}"` (a quoted name is a symbol to both linkers), or rename the symbol'
        yield Finding(message, loc, fix=fix)
