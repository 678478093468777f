"""A script ld reads as it is still holds C-preprocessor lines or template markers.

## What it does
In a linker script that GNU ld reads as it is, reports the C-preprocessor directives
left in it and the template markers nobody filled in. ld reads a file as it is when
it is the `script` of a `[[tool.kernlint.target]]`, when it is named with `--script`,
or when the build generated it: it holds cpp's line markers (`# 12 "kernel.lds.S"`,
what `cpp` writes without `-P`), its template is beside it (`vmlinux.lds` next to
`vmlinux.lds.S`, `link.ld` next to `link.ld.in` or `link.ldS`), or it is in a build
directory (`build/`, `out/`, `_build/`, `builddir/`, `output/`, `build-*/`,
`cmake-build-*/`); or it is what the configured `preprocessor` made of a template
(markers left for a later step, findings at the template's lines). The fix names
which of these made the file one ld reads.

Any other file with directives or markers is a template the build preprocesses
(Linux's `vmlinux.lds.S`, Zephyr's `linker.ld`, U-Boot's `.lds` files): it gets KL217's
`info` note, not this rule.

A directive is what the C preprocessor takes for one: `#` first on a line (blanks
allowed around it) outside `/* */`, then exactly one of `include`, `include_next`,
`if`, `ifdef`, `ifndef`, `elif`, `elifdef`, `elifndef`, `else`, `endif`, `define`,
`undef`, `error`, `warning`, `pragma`, `line`, then what it takes: a constant
expression after `#if`/`#elif`, one name after `#ifdef`/`#ifndef`/`#undef`, a
`<header>`, `"file"` or macro after `#include`, nothing (or a name, which GCC only
warns about) after `#else`/`#endif`. `# if you need more space for apps, this
configuration works` is prose, so a comment: no `#if`. An `#if`/`#ifdef`/`#ifndef`
block is one finding at its first line, naming the lines of its `#elif`/`#else`
branches and its `#endif`; every other directive, and every line with markers, is
one finding. Markers are `@NAME@` (autoconf, meson and CMake `configure_file`),
`${NAME}` (CMake, `envsubst`), `%NAME%` (littlekernel's `sed` rules) and Jinja's
`{{ name }}` and `{% ... %}`, outside comments. The rule reads the raw text, so it
also runs on a script that does not parse (KL002): a leftover `#include` or macro is
often why it does not.

## Why is this bad?
GNU ld 2.40 reads `#` to the end of the line as a comment in every lexer state but
one (inside `INPUT(...)`, `GROUP(...)` and `AS_NEEDED(...)` the `#` is echoed to
standard output and the rest of the line read as file names), and ld.lld reads `#` as
a comment everywhere; checked on ld 2.40 with `#include`, `#define` and `#if` blocks
at top level and inside `MEMORY`, `SECTIONS`, output sections and `VERSION`. A script
meant for `cpp` and handed to the linker raw therefore still links, silently: nothing
is `#include`d, no `#define` takes effect, and the lines of *every* branch of each
`#if`/`#else` are read, a later branch's assignments overriding an earlier one's.
With `. = 1M;` under `#ifdef` and `. = 2M;` under `#else`, the kernel is linked at
2 MiB whatever is defined. When the script uses a macro, ld sees the bare name:
`undefined symbol `KERNEL_BASE' referenced in expression`, or a `syntax error` for a
function-like macro.

A template marker fails differently: GNU ld drops each `@` with `ignoring invalid
character `@' in expression` and reads `KERNEL_BASE` as a symbol, and stops with
`syntax error` on `%NAME%`, `${NAME}` and `{{ name }}`; ld.lld stops with
`malformed number: @` (or `%`, `{`; `expected, but got {` after a `$`).

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
template, link the configured file, not the `.ld.in`. If the build does preprocess
the file and kernlint took it for what ld reads, name the generated script as the
target's `script` instead.

## References
- GNU ld manual, "Script Format" (comments are `/* */`); binutils `ld/ldlex.l`
  (`#` to the end of the line is skipped, checked on ld 2.40).
- LLVM `lld/ELF/ScriptLexer.cpp` (`#` starts a line comment).
- Linux `scripts/Makefile.build`, rule `cpp_lds_S` (`vmlinux.lds` from
  `vmlinux.lds.S`).
- meson `configure_file()`, autoconf `AC_CONFIG_FILES` (`@VAR@` substitution).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kernlint.context import SCRIPT, SCRIPT_INVALID, Context
from kernlint.finding import Finding, Location
from kernlint.ldscript.template import (
    CONDITIONAL,
    OPENING,
    Directive,
    Marker,
    directives,
    handed_to_ld,
    markers,
)
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
    if word in CONDITIONAL:
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


#: What each marker style does to the linkers (GNU ld 2.40, ld.lld 14; observed).
_MARKER_EFFECT = {
    "@VAR@": (
        'GNU ld drops each `@` ("ignoring invalid character `@\' in expression") and reads'
        ' `{name}` as a symbol; ld.lld stops ("malformed number: @")'
    ),
    "%VAR%": 'GNU ld stops with "syntax error"; ld.lld with "malformed number: %"',
    "${VAR}": 'GNU ld stops with "syntax error"; ld.lld with "expected, but got {{"',
    "{{ }}": 'GNU ld stops with "syntax error"; ld.lld with "malformed number: {{"',
    "{% %}": 'GNU ld stops with "syntax error"; ld.lld with "malformed number: %"',
}
_MARKER_FIX = (
    "link the configured output of the template (meson `configure_file`, autoconf"
    " `AC_CONFIG_FILES`, CMake `configure_file`, the build's `sed`), not the template itself"
)


def _why(reason: str) -> str:
    return (
        f"; kernlint takes this file for what ld reads because {reason}: if the build"
        " generates the script from it, lint the generated script instead"
    )


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per `#if` block, per other preprocessor line, and per line with
    template markers, in a script ld reads as it is (a configured target's script,
    ``--script``, or a generated file: :func:`~kernlint.ldscript.template.handed_to_ld`)."""
    text = ctx.script_text
    if text is None or ("#" not in text and not any(c in text for c in "@$%{")):
        return
    found_directives = directives(text)
    found_markers = markers(text, frozenset(d.line for d in found_directives))
    if not found_directives and not found_markers:
        return
    if ctx.preprocessed is not None and ctx.preprocessed.command:
        reason = "it is what the configured preprocessor made of the template"
    else:
        reason = handed_to_ld(ctx.path, text, ctx.config)
    if reason is None:
        return  # a template the build preprocesses: KL217's
    fix, marker_fix = _FIX + _why(reason), _MARKER_FIX + _why(reason)
    found: list[tuple[int, Finding]] = []
    #: Open conditionals: [directive, branches].
    blocks: list[tuple[Directive, list[tuple[int, str]]]] = []
    for d in found_directives:
        shown = _shown(d.text)
        loc = Location(line=d.line, column=d.column, end_line=d.line, end_column=d.end_column)
        if d.word in OPENING:
            blocks.append((d, []))
        elif d.word in CONDITIONAL and blocks:
            if d.word == "endif":
                opening, branches = blocks.pop()
                message = _block_message(opening.word, _shown(opening.text), branches, d.line)
                found.append((opening.line, Finding(message, _at(opening), fix=fix)))
            else:
                blocks[-1][1].append((d.line, d.word))
        else:
            found.append((d.line, Finding(_directive_message(d.word, shown), loc, fix=fix)))
    for opening, branches in blocks:
        message = _block_message(opening.word, _shown(opening.text), branches, None)
        found.append((opening.line, Finding(message, _at(opening), fix=fix)))
    by_line: dict[int, list[Marker]] = {}
    for m in found_markers:
        by_line.setdefault(m.line, []).append(m)
    for number, line_markers in by_line.items():
        first_m, last_m = line_markers[0], line_markers[-1]
        names = ", ".join(dict.fromkeys(f"`{m.text}`" for m in line_markers))
        effect = _MARKER_EFFECT[first_m.style].format(name=first_m.name)
        what = "are template markers" if ", " in names else "is a template marker"
        message = f"{names} {what} left unsubstituted: {effect}"
        loc = Location(
            line=number, column=first_m.column, end_line=number, end_column=last_m.end_column
        )
        found.append((number, Finding(message, loc, fix=marker_fix)))
    found.sort(key=lambda item: item[0])
    for _, finding in found:
        yield finding


def _at(d: Directive) -> Location:
    return Location(line=d.line, column=d.column, end_line=d.line, end_column=d.end_column)
