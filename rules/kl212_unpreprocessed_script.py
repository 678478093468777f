"""The linker script still holds C-preprocessor lines or `@VAR@` template markers.

## What it does
Reports the C-preprocessor directives left in a linker script — `#` (spaces allowed
after it) followed by `include`, `include_next`, `if`, `ifdef`, `ifndef`, `elif`,
`elifdef`, `elifndef`, `else`, `endif`, `define`, `undef`, `error`, `warning`,
`pragma` or `line` at the start of a line — and the template markers `@NAME@`
(meson's and autoconf's `configure_file`), outside `/* */` comments. An
`#if`/`#ifdef`/`#ifndef` block is one finding at its first line, naming the lines of
its `#elif`/`#else` branches and its `#endif`; every other directive, and every line
with markers, is one finding. It reads the raw text, so it also runs on a script that
does not parse (KL002): a leftover `#include` or macro is often why it does not.

Files named `.ld.S` or `.lds.S` (anything ending in `.S`) are templates the build
runs through the C preprocessor, as Linux, Xen and arm-trusted-firmware do; they are
not checked. Other `#` lines (`# the boot stack`) are plain comments to ld and are
not reported either. A build that does preprocess a file named `.ld` (Zephyr's
`linker.ld` templates) should lint the preprocessed output, or list the templates
under `per-path-ignores` for KL212.

## Why is this bad?
GNU ld 2.40 and ld.lld read `#` to the end of the line as a comment. A script meant
for `cpp` and handed to the linker raw therefore still links, silently: nothing is
`#include`d, no `#define` takes effect, and the lines of *every* branch of each
`#if`/`#else` are read, a later branch's assignments overriding an earlier one's.
With `. = 1M;` under `#ifdef` and `. = 2M;` under `#else`, the kernel is linked at
2 MiB whatever is defined. When the script uses a macro, ld sees the bare name:
`undefined symbol `KERNEL_BASE' referenced in expression`, or a `syntax error` for a
function-like macro.

A template marker fails differently: GNU ld drops each `@` with `ignoring invalid
character `@' in expression` and reads `KERNEL_BASE` as a symbol; ld.lld stops with
`malformed number: @`.

## Example
```ld
#define BOOT_STACK_SIZE 16K
SECTIONS
{
#ifdef CONFIG_MULTIBOOT
    . = 1M;
#else
    . = 2M;
#endif
    .text : { *(.text .text.*) }
}
```

## Use instead
Preprocess the template and link the result: name the template `kernel.lds.S` and
run `cpp -P -undef -DCONFIG_MULTIBOOT kernel.lds.S -o kernel.ld` (or `gcc -E -P -x c`)
before `ld -T kernel.ld`; lint the preprocessed `kernel.ld`. For a meson or autoconf
template, link the configured file, not the `.ld.in`.

## References
- GNU ld manual, "Script Format" (comments are `/* */`); binutils `ld/ldlex.l`
  (`#` to the end of the line is skipped, checked on ld 2.40).
- LLVM `lld/ELF/ScriptLexer.cpp` (`#` starts a line comment).
- Linux `scripts/Makefile.build`, rule `cpp_lds_S` (`vmlinux.lds` from
  `vmlinux.lds.S`).
- meson `configure_file()`, autoconf `AC_CONFIG_FILES` (`@VAR@` substitution).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from kernlint.context import SCRIPT, SCRIPT_INVALID, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL212"
NAME = "unpreprocessed-script"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT, SCRIPT_INVALID})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: a meson `@VAR@` placeholder left in the script).
    LogPattern(
        "ld",
        r"ignoring invalid character `(?P<char>[^']+)' in (?P<context>\w+)",
        "GNU ld met `{char}` at {place}, a character no linker-script token holds, and"
        " skipped it: the script still holds a template placeholder (`@VAR@` of meson or"
        " autoconf) or text a preprocessor should have replaced. Generate the script first"
        " (meson `configure_file`, `cpp -P`) and link the result.",
        "ld:at.ld:2: ignoring invalid character `@' in expression",
    ),
    # LLD 14 (observed, same script).
    LogPattern(
        "lld",
        r"malformed number: (?P<token>@\S*)",
        "ld.lld met `{token}` at {place}: the script still holds a template placeholder"
        " (`@VAR@`) that was meant to be replaced before linking. Generate the script"
        " first (meson `configure_file`, `cpp -P`) and link the result.",
        "ld.lld: error: at.ld:2: malformed number: @",
    ),
)

_CONDITIONAL = ("if", "ifdef", "ifndef", "elif", "elifdef", "elifndef", "else", "endif")
_DIRECTIVE = re.compile(
    r"[ \t]*(#[ \t]*(include_next|include|ifdef|ifndef|if|elifdef|elifndef|elif|else"
    r"|endif|define|undef|error|warning|pragma|line)(?![A-Za-z0-9_]))[^\n]*"
)
_MARKER = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)@")
#: What ld skips: block comments (an unclosed one runs to the end), quoted strings and
#: `#` line comments. Quoted strings are kept for the marker search.
_SKIP = re.compile(r'/\*.*?(?:\*/|\Z)|"[^"\n]*"|#[^\n]*', re.S)


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(line number, offset, text) of each line."""
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, offset, line
        offset += len(line) + 1


def _comment_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of `/* */` comments (the only place a `#` line is not ld's comment)."""
    return [(m.start(), m.end()) for m in _SKIP.finditer(text) if m.group(0).startswith("/*")]


def _inside(ranges: list[tuple[int, int]], offset: int) -> bool:
    """True when ``offset`` falls in one of the sorted, disjoint ``ranges``."""
    index = bisect.bisect_right(ranges, (offset, float("inf"))) - 1
    return index >= 0 and ranges[index][0] <= offset < ranges[index][1]


_FIX = (
    "preprocess the script before linking (`cpp -P -undef -x c kernel.lds.S -o kernel.ld`),"
    " keep the template named `.lds.S`, and lint the preprocessed file"
)


def _shown(line: str) -> str:
    shown = " ".join(line.split())
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _directive_message(word: str, shown: str) -> str:
    base = f"`{shown}` is a C-preprocessor line, but GNU ld reads `#` as a comment"
    if word in ("include", "include_next"):
        return f"{base}: nothing is included"
    if word == "define":
        macro = re.match(r"#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", shown)
        name = f"`{macro.group(1)}`" if macro else "the macro"
        return f"{base}: nothing is defined, and a use of {name} is read as a symbol"
    if word in _CONDITIONAL:
        return f"{base} and keeps every branch: this `#{word}` matches no `#if` line"
    return f"{base}: `#{word}` has no effect"


def _block_message(
    word: str, opening: str, branches: list[tuple[int, str]], end: int | None
) -> str:
    parts = [f"the lines under `#{word}`"]
    parts += [f"under `#{word}` (line {number})" for number, word in branches]
    closing = f" (to `#endif` at line {end})" if end is not None else " (no `#endif`)"
    listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return (
        f"`{opening}`{closing} is a C-preprocessor conditional, but GNU ld reads `#` as a"
        f" comment and keeps every branch: {listed} are all read, as if nothing were"
        " conditional"
    )


def _location(number: int, column: int, line: str) -> Location:
    return Location(line=number, column=column, end_line=number, end_column=len(line.rstrip()) + 1)


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per `#if` block, per other preprocessor line, and per line with
    template markers."""
    text = ctx.script_text
    if text is None or ctx.path.endswith(".S"):
        return
    if "#" not in text and "@" not in text:
        return
    comments = _comment_ranges(text)
    found: list[tuple[int, Finding]] = []
    #: Open conditionals: [line number, column, word, shown text, line, branches].
    blocks: list[list] = []
    for number, offset, line in _lines(text):
        match = _DIRECTIVE.match(line)
        if match is not None and not _inside(comments, offset + match.start(1)):
            word, column = match.group(2), match.start(1) + 1
            shown = _shown(match.group(0))
            if word in ("if", "ifdef", "ifndef"):
                blocks.append([number, column, word, shown, line, []])
            elif word in _CONDITIONAL and blocks:
                if word == "endif":
                    start, col, opening_word, opening, first, branches = blocks.pop()
                    message = _block_message(opening_word, opening, branches, number)
                    found.append((start, Finding(message, _location(start, col, first), fix=_FIX)))
                else:
                    blocks[-1][5].append((number, word))
            else:
                message = _directive_message(word, shown)
                found.append((number, Finding(message, _location(number, column, line), fix=_FIX)))
            continue
        markers = [
            m
            for m in _MARKER.finditer(line)
            if not _inside(comments, offset + m.start()) and not _in_hash_comment(line, m.start())
        ]
        if markers:
            first_m, last_m = markers[0], markers[-1]
            names = ", ".join(dict.fromkeys(f"`{m.group(0)}`" for m in markers))
            message = (
                f"{names} is a template marker left unsubstituted: GNU ld drops each `@`"
                ' ("ignoring invalid character `@\' in expression") and reads'
                f' `{first_m.group(1)}` as a symbol; ld.lld stops ("malformed number: @")'
            )
            loc = Location(
                line=number,
                column=first_m.start() + 1,
                end_line=number,
                end_column=last_m.end() + 1,
            )
            fix = (
                "link the configured output of the template (meson `configure_file`,"
                " autoconf `AC_CONFIG_FILES`), not the template itself"
            )
            found.append((number, Finding(message, loc, fix=fix)))
    for start, col, opening_word, opening, first, branches in blocks:
        message = _block_message(opening_word, opening, branches, None)
        found.append((start, Finding(message, _location(start, col, first), fix=_FIX)))
    found.sort(key=lambda item: item[0])
    for _, finding in found:
        yield finding


def _in_hash_comment(line: str, column: int) -> bool:
    """True when ``column`` of ``line`` follows a `#` that ld reads as a comment
    (a `#` outside quotes)."""
    quoted = False
    for char in line[:column]:
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return True
    return False
