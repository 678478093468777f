"""The linker script does not parse, or one of its INCLUDEs cannot be read.

## What it does
Reports the first token of a GNU ld linker script that GNU ld 2.40 would not accept,
with what was expected there in ld's own vocabulary ("expected `}` to close output
section `.text` opened at 4:3"), and each `INCLUDE` that cannot be followed: the file
is missing or outside the search folders, it includes itself, the chain is deeper
than ld allows, or the included file does not parse.

A linker-script template (C-preprocessor lines, `@VAR@`/`${VAR}`/`%VAR%` markers, or a
template's name such as `.ld.in` on a file that does not parse) is not what ld reads,
so it gets KL217's `info` note instead, never KL002. A template ld does read as it is
(the `script` of a configured target, `--script`, a generated file) is checked here
like any script; a template linted through its configured `preprocessor` is checked
on the preprocessor's output, findings at the template's lines, and a preprocessor
that fails (or cannot be run, or runs past its time limit) is one KL002 with its
first error. A file named as a template whose text is a plain script
(cortex-m-rt's `link.x.in`, which its build copies to `OUT_DIR`) is checked, but an
`INCLUDE` it names that is not there is reported at `info`: ld looks for it where the
build puts the copy.

## Why is this bad?
ld stops at the first syntax error with `ld:link.ld:12: syntax error` — a line and no
column, and line 0 at end of file — and nothing is linked. The grammar has traps that
look right: `a=1;` without spaces is one name, `*(.text, .data)` names a section
`.text,`, `//` is not a comment, `ASSERT(...)` takes no `;` at the top of `SECTIONS`.

## Example
```ld
SECTIONS {
  .text : { *(.text) }
  .data : { *(.data)
}
```
`link.ld:4:2: KL002 script-syntax-error: unexpected end of file: output section `.data`
opened at 3:3 is not closed (expected `}`)`

## Use instead
```ld
SECTIONS {
  .text : { *(.text) }
  .data : { *(.data) }
}
```

## References
- GNU ld manual, chapter "Linker Scripts" (binutils 2.40), and `ld/ldgram.y`,
  `ld/ldlex.l` for the exact grammar and lexer states.
- GNU ld manual, "File Commands" (`INCLUDE`, `-L` search folders).
"""

from collections.abc import Iterator

from kernlint.context import SCRIPT, SCRIPT_INVALID, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL002"
NAME = "script-syntax-error"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT, SCRIPT_INVALID})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: `//` comment; an unclosed `{` gives line 0).
    LogPattern(
        "ld",
        r"^syntax error$",
        "GNU ld could not parse the linker script at {place}; it names the line where it"
        " gave up, often just after the mistake (a missing `;` or `}}`, a `//` comment —"
        " ld takes only `/* */` —, a command ld 2.40 does not know). `kernlint check` on"
        " the script points at the first wrong token and says what ld expects there.",
        "ld:syn.ld:4: syntax error",
    ),
    # GNU ld 2.40 (observed).
    LogPattern(
        "ld",
        r"^EOF in comment$",
        "A `/*` comment in the linker script is never closed, so GNU ld read to the end of"
        " the file looking for `*/`. Close it; `kernlint check` on the script points at"
        " where it starts.",
        "ld: EOF in comment",
    ),
    # LLD 14 (observed).
    LogPattern(
        "lld",
        r"^(?P<expected>.+) expected, but got (?P<got>.+)$",
        "ld.lld could not parse the linker script at {place}: it expected {expected} and"
        " found {got}. `kernlint check` on the script points at the token and says what"
        " GNU ld expects there.",
        "ld.lld: error: syn.ld:4: : expected, but got }",
    ),
    # LLD 14 (observed: an output section left open).
    LogPattern(
        "lld",
        r"^unexpected EOF$",
        "The linker script ends inside a command or block ({place}): a `}}` or `)` is"
        " missing. `kernlint check` on the script shows where the block opens.",
        "ld.lld: error: eof.ld:2: unexpected EOF",
    ),
    # LLD 14 (observed).
    LogPattern(
        "lld",
        r"^unclosed (?P<what>comment in a linker script|quote)$",
        "ld.lld found an unclosed {what} at {place}; close it."
        " `kernlint check` on the script points at where it starts.",
        "ld.lld: error: cm.ld:1: unclosed comment in a linker script",
    ),
    # LLD 14 (observed).
    LogPattern(
        "lld",
        r"^unknown directive: (?P<token>.+)$",
        "ld.lld does not know the command `{token}` at {place}: a misspelt keyword, a"
        " command only GNU ld has, or text outside any block. `kernlint check` on the"
        " script says what is expected there.",
        "ld.lld: error: ud.ld:1: unknown directive: FOO",
    ),
    # LLD 14 (observed); `@` is KL212's (a template placeholder).
    LogPattern(
        "lld",
        r"^malformed number: (?P<token>[^@].*)$",
        "`{token}` at {place} is not a number ld.lld can read (hex needs `0x`, suffixes are"
        " `K` and `M`). `kernlint check` on the script points at it.",
        "ld.lld: error: mn.ld:1: malformed number: 0x1g",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """The syntax error of the main file, then one finding per INCLUDE problem; nothing
    for a template that ld does not read as it is (KL217's)."""
    err = ctx.syntax_error
    if err is not None and ctx.script_text is not None and ctx.preprocessed is None:
        from kernlint.ldscript.template import unlinked_template

        if unlinked_template(ctx.path, ctx.script_text, ctx.config, parses=False) is not None:
            return
    if err is not None:
        yield Finding(
            err.message,
            Location(
                line=err.line,
                column=err.column,
                end_line=err.line,
                end_column=err.column + max(err.width, 1),
            ),
        )
    if ctx.script is None:
        return
    copied = _copied_template(ctx) if ctx.script.diagnostics else None
    for diag in ctx.script.diagnostics:
        span = diag.span
        message = diag.message
        if diag.error is not None:
            message = f"{message}: {diag.error}"
        here = span.file == ctx.path
        if not here:
            message = f"{span}: {message}"
        severity = None
        if copied is not None and diag.kind == "missing":
            severity = "info"
            message = (
                f"{message}; this file is named as a template (`{copied}`): its build writes"
                " the script elsewhere (cortex-m-rt's and embassy's build scripts copy"
                " `link.x.in` to `OUT_DIR`), where ld looks for the INCLUDE in its -L folders"
            )
        yield Finding(
            message,
            Location(
                line=span.line,
                column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
            )
            if here
            else Location(),
            severity=severity,
        )


def _copied_template(ctx: Context) -> str | None:
    """The template ending of a script's name (``.x.in``) when its text is a plain
    script and nothing says ld reads it where it is: the build copies it, and resolves
    its INCLUDEs from where the copy goes."""
    from kernlint.ldscript.template import handed_to_ld, template_suffix

    suffix = template_suffix(ctx.path)
    if suffix is None or handed_to_ld(ctx.path, ctx.script_text or "", ctx.config):
        return None
    return suffix
