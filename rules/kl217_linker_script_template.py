"""The file is a linker-script template: the build turns it into the script ld reads.

## What it does
Notes, once per file and at `info`, a linker-script template that nothing says ld
reads as it is and that has no configured preprocessor, and says how to lint the
script made from it. A file is a template
when its text holds C-preprocessor directives (`#include`, `#if`, `#ifdef`,
`#define`, ... first on a line, outside `/* */`, with the operands the directive
takes) or substitution markers (`@VAR@` of autoconf, meson and CMake
`configure_file`; `${VAR}` of CMake and `envsubst`; `%VAR%` of littlekernel's `sed`
rules; Jinja `{{ var }}` and `{% ... %}`), or lines continued with a backslash, which
only the C preprocessor joins (U-Boot's `MEMORY` lines; GNU ld stops on them with
"syntax error"), or when it is named as one (`.lds.S`,
`.ld.S`, `.ldS`, `.ld.in`, `.lds.in`, `.x.in`, `.ld.template`, `.template.ld`,
`.tpl`) and does not parse as a script. `# if you need more space` is a comment to
GNU ld and to kernlint, not an `#if`. A file named as a template whose text holds no
template syntax (cortex-m-rt's `link.x.in`, which its build copies) is linted as the
script it is.

A template gets this note only: no other rule reads its text, since the text is not
what ld reads (every `#if` branch at once, macros unexpanded), and it gets no KL002
when it does not parse. ld reads a file as it is, and KL212 reports the
preprocessor lines and markers left in it at `error`, when it is the `script` of a
`[[tool.kernlint.target]]`, when it is named with `--script`, or when it was
generated: it holds cpp's line markers (`# 12 "kernel.lds.S"`), its template is
beside it (`vmlinux.lds` next to `vmlinux.lds.S`, `link.ld` next to `link.ld.in`), or
it is in a build directory (`build/`, `out/`, `_build/`, `builddir/`, `output/`,
`build-*/`, `cmake-build-*/`).

## Why is this bad?
It is not: most kernels and firmware keep their linker scripts as templates (Linux,
U-Boot, coreboot, TF-A, OP-TEE, Xen, Zephyr, NuttX). But kernlint cannot lint the
script ld will read from the template's text, so it says so instead of guessing:
linting the raw text would read the lines of every `#if` branch and the bare macro
names, and report what the build never links.

## Example
```ld
#include "layout.h"
SECTIONS
{
    . = KERNEL_BASE;
#ifdef CONFIG_DEBUG
    .debug_info 0 : { *(.debug_info) }
#endif
}
```
`kernel.ld:1:1: KL217 linker-script-template: kernel.ld is a linker-script template
(C preprocessor: `#include "layout.h"` and 2 more directives): ...`

## Use instead
Give kernlint the build's preprocessor command, and it lints the template through
it, with every finding at the template's own lines: `preprocessor = ["cpp",
"-undef", "-x", "c", "-I", "include", "-DCONFIG_SMP"]` in the configuration (at top
level, in `[per-path-preprocessor]` under a glob, or in the template's
`[[tool.kernlint.target]]`), or `--preprocessor "cpp -undef -x c -I include"`.
Or lint the script the build generates: for a C-preprocessor template
`cpp -P -undef -x c -I include kernel.ld -o build/kernel.ld`, then
`kernlint check build/kernel.ld` (or name it as a target's `script`); for a
`configure_file` or `sed` template, the file the build writes. Once it is linted that
way, keep the note out of the report with `per-path-ignores` for KL217 (or an inline
`/* kernlint: ignore[KL217] */` on the line before the first directive). If ld does
read the file as it is, name it as a target's `script` or with `--script`: KL212
then reports each directive and marker as the mistake it is.

## References
- GCC cpp manual, "The preprocessing language" and "Preprocessor Output" (line
  markers); C17 6.10 (directive syntax).
- GNU ld 2.40 `ld/ldlex.l`: `#` to the end of a line is a comment (checked on ld
  2.40 at top level, in `MEMORY`, `SECTIONS`, output sections and `VERSION`).
- Linux `scripts/Makefile.build`, rule `cpp_lds_S`; meson and CMake
  `configure_file()`; autoconf `AC_CONFIG_FILES`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kernlint.context import SCRIPT_TEMPLATE, Context
from kernlint.finding import Finding, Location
from kernlint.ldscript.template import Template

ID = "KL217"
NAME = "linker-script-template"
SEVERITY = "info"
APPLIES_TO = frozenset({SCRIPT_TEMPLATE})


def _shown(text: str) -> str:
    shown = " ".join(text.split())
    return shown if len(shown) <= 50 else shown[:47] + "..."


def _evidence(template: Template) -> str:
    """What makes the file a template, in a few words."""
    parts = []
    if template.directives:
        first = template.directives[0]
        more = len(template.directives) - 1
        tail = f" and {more} more directive{'s' if more != 1 else ''}" if more else ""
        parts.append(f"C preprocessor: `{_shown(first.text)}` at line {first.line}{tail}")
    elif template.splices:
        first, more = template.splices[0], len(template.splices) - 1
        tail = f" and {more} more" if more else ""
        parts.append(f"C preprocessor: a `\\` line continuation at line {first}{tail}")
    elif template.cpp_comments:
        first, more = template.cpp_comments[0], len(template.cpp_comments) - 1
        tail = f" and {more} more" if more else ""
        parts.append(f"C preprocessor: a `//` comment at line {first}{tail}")
    if template.markers:
        names = list(dict.fromkeys(f"`{m.text}`" for m in template.markers))
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        styles = "/".join(dict.fromkeys(f"`{m.style}`" for m in template.markers))
        parts.append(f"{styles} markers {shown} from line {template.markers[0].line}")
    if not parts:
        parts.append(f"named `{template.suffix}`, and its text does not parse as a script")
    return "; ".join(parts)


def _fix(template: Template, name: str) -> str:
    """How to lint the script made from the template."""
    generated = _generated(name)
    if template.directives or template.splices or template.cpp_comments or not template.markers:
        first = (
            "give kernlint the build's preprocessor and it lints the result at this file's"
            ' lines (`preprocessor = ["cpp", "-undef", "-x", "c", <the build\'s -D/-I'
            ' flags>]`, or `--preprocessor "cpp -undef -x c ..."`), or lint the script the'
            f" build generates (`cpp -P ... {name} -o build/{generated}`, then"
            f" `kernlint check build/{generated}`)"
        )
    else:
        first = (
            "lint the file the build writes from it (`configure_file`, the build's `sed`):"
            f" `kernlint check build/{generated}`, or name it as a target's `script`"
        )
    return (
        first + "; then silence this note with `per-path-ignores` for KL217. If ld reads this"
        " file as it is, name it as a target's `script` or with `--script`, and KL212 reports"
        " what the linker would misread"
    )


def _generated(name: str) -> str:
    """The name a build gives the script made from template ``name``."""
    from kernlint.classify import TEMPLATE_SUFFIXES

    for suffix in TEMPLATE_SUFFIXES:
        if name.endswith(suffix) and name != suffix:
            stem = name[: -len(suffix)]
            return stem + (".x" if suffix.startswith(".x") else ".ld")
    return name


def check(ctx: Context) -> Iterator[Finding]:
    """One note per template, at its first directive or marker (or line 1 for a
    template known by its name only)."""
    template = ctx.template
    if template is None:
        return
    name = os.path.basename(ctx.path)
    line, column, end_column = template.first
    message = (
        f"{name} is a linker-script template ({_evidence(template)}): the build turns it into"
        " the script ld reads, so no rule reads this text as a script"
    )
    yield Finding(
        message,
        Location(line=line, column=column, end_line=line, end_column=end_column),
        fix=_fix(template, name),
    )
