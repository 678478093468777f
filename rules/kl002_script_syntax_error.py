"""The linker script does not parse, or one of its INCLUDEs cannot be read.

## What it does
Reports the first token of a GNU ld linker script that GNU ld 2.40 would not accept,
with what was expected there in ld's own vocabulary ("expected `}` to close output
section `.text` opened at 4:3"), and each `INCLUDE` that cannot be followed: it
includes itself, the chain is deeper than ld allows, the included file does not parse
where it is included, it lies outside the repository and the search folders (a
warning naming the path), or it is not found.

`INCLUDE` is looked for as GNU ld 2.40 does (`ldfile.c`): in the current directory,
then in the `-L DIR` folders (`kernlint check -L DIR`, the `search-dirs` key) in
order, and then beside the including script and the main script (the `-L` builds
usually pass). Not found with no `-L`/`search-dirs` given, it is one `info` finding
asking for the build's `-L` (kernlint cannot know it); with them given and still not
found, it is ld's error "cannot open linker script file".

A file that is not a whole script gets one `info` finding instead of an error: a
fragment another script of the run or the repository INCLUDEs inside `SECTIONS`, an
output section or `MEMORY` (checked in that context: a syntax error there is still an
error), or, included by none, a file of only output section statements or memory
region lines; an `ld --version-script` file; another toolchain's linker file named
`.ld` (Green Hills `OPTION(...)`, TI, IAR, Arm scatter, CodeWarrior directives).

What GNU ld rejects and ld.lld accepts (an `ASSERT(...)` without `;` in an output
section, `REGION_ALIAS(FLASH, FLASH1)`, a last assignment without `;` in a file
INCLUDEd as `INCLUDE x.ld;`) is an error that says so, and `info` when the build files
say the project links only with ld.lld/rust-lld (`linker = "rust-lld"`,
`-fuse-ld=lld`, `LD = ld.lld`, `"linker-flavor": "ld.lld"`, or a Cargo build for a
bare-metal target, whose default linker is rust-lld, with no other linker named and
without `cortex-m-rt`, whose scripts are also linked with GNU ld).

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
- GNU ld manual, "File Commands" (`INCLUDE`, `-L` search folders); binutils 2.40
  `ld/ldfile.c` (`ldfile_find_command_file`: the raw name, then `search_head`).
- GNU ld manual, "VERSION Command" (version scripts).
"""

import os
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
    for a template that ld does not read as it is (KL217's); one ``info`` finding for
    a fragment, a version script or another toolchain's file (see
    :mod:`kernlint.ldscript.recognise`)."""
    err = ctx.syntax_error
    if err is not None and ctx.script_text is not None and ctx.preprocessed is None:
        from kernlint.ldscript.template import unlinked_template

        if unlinked_template(ctx.path, ctx.script_text, ctx.config, parses=False) is not None:
            return
    if err is not None:
        severity = None
        message = err.message
        if ctx.script_text is not None and ctx.preprocessed is None:
            known = _not_a_script(ctx, err)
            if isinstance(known, Finding):
                yield known
                return
            if known is not None:  # a fragment with an error where it is included
                err, note = known
                message = f"{err.message} ({note})"
            severity, message = _lld(ctx, ctx.script_text, err, message, *_where(ctx))
        yield Finding(
            message,
            Location(
                line=err.line,
                column=err.column,
                end_line=err.line,
                end_column=err.column + max(err.width, 1),
            ),
            severity=severity,
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
        severity = None if diag.severity == "error" else diag.severity
        if copied is not None and diag.kind in ("missing", "unresolved"):
            severity = "info"
            message = (
                f"{message}; this file is named as a template (`{copied}`): its build writes"
                " the script elsewhere (cortex-m-rt's and embassy's build scripts copy"
                " `link.x.in` to `OUT_DIR`), where ld looks for the INCLUDE in its -L folders"
            )
        elif diag.kind == "syntax-error" and diag.error is not None and diag.severity == "error":
            severity, message = _included_lld(ctx, diag, message)
        elif diag.kind in ("unresolved", "missing"):
            message += _namesakes(ctx, diag)
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


def _namesakes(ctx: Context, diag) -> str:
    """Where the repository has files named like the INCLUDE that was not found (a hint
    at the -L folder the build passes), as a clause, or ""."""
    if ctx.project is None:
        return ""
    from kernlint.ldscript import ast

    node = next(
        (n for n in ctx.script.walk() if isinstance(n, ast.Include) and n.span == diag.span),
        None,
    )
    if node is None:
        return ""
    name = "/" + node.path.lstrip("./")
    same = [p for p in ctx.project.repository_scripts(ctx.path) if p.endswith(name)]
    if not same or len(same) > 3:
        return ""
    folders = ", ".join(f"`-L {os.path.relpath(p[: len(p) - len(name)] or os.sep)}`" for p in same)
    return f" (the repository has a file of that name: {folders} would find it)"


def _where(ctx: Context) -> tuple[str, bool]:
    """The context the main file is INCLUDEd in by a script around it, and whether a
    ``;`` follows that INCLUDE (``("script", False)`` when none includes it)."""
    from kernlint.ldscript.recognise import includer_of
    from kernlint.project import scripts_around

    found = includer_of(ctx.path, scripts_around(ctx))
    return ("script", False) if found is None else (found[1], found[2])


def _not_a_script(ctx: Context, err):
    """One ``info`` :class:`Finding` when the file that does not parse is a fragment
    that parses where it is included (or, with no script including it, as output
    section statements or memory region lines), a version script, or another
    toolchain's linker file; ``(error, note)`` for a fragment with a syntax error in
    the context it is included in; else None."""
    from kernlint.ldscript import recognise
    from kernlint.project import scripts_around

    text = ctx.script_text or ""
    includer = recognise.includer_of(ctx.path, scripts_around(ctx))
    frag = recognise.fragment(ctx.path, text, includer)
    if frag is not None and frag.error is None:
        return Finding(
            f"not a whole linker script but {frag.describe()}: GNU ld reads it only there,"
            " so it is checked as part of the script that INCLUDEs it",
            Location(line=1, column=1),
            severity="info",
        )
    if frag is not None:
        return frag.error, f"read {recognise.CONTEXT_PLACES[frag.context]}, as " + (
            f"{recognise._short(frag.includer)} INCLUDEs it" if frag.includer else "ld would"
        )
    if recognise.version_script(ctx.path, text):
        return Finding(
            "a version script (`ld --version-script` file: version nodes with `global:`/"
            "`local:` lists), not a linker script: skipped",
            Location(line=1, column=1),
            severity="info",
        )
    foreign = recognise.other_toolchain(text, err)
    if foreign is not None:
        what, line = foreign
        return Finding(
            f"not a GNU ld script but {what} (its directives from line {line} on are not"
            " GNU ld's): skipped",
            Location(line=line, column=1),
            severity="info",
        )
    return None


def _lld(ctx: Context, text: str, err, message: str, context: str, semicolon: bool):
    """(severity, message) for a syntax error GNU ld 2.40 has and ld.lld may not: an
    ``info`` finding when ld.lld accepts the text and the build links only with
    ld.lld/rust-lld (:attr:`kernlint.buildfacts.BuildFacts.lld_only`); otherwise the
    error, saying that only ld.lld accepts it."""
    from kernlint.ldscript.recognise import lld_accepts

    if not lld_accepts(text, ctx.path, err, context, semicolon):
        return None, message
    from kernlint.buildfacts import build_facts

    why = build_facts(ctx.path).lld_only
    if why is None:
        return None, f"{message} (ld.lld accepts this; GNU ld 2.40 does not)"
    return "info", (
        f"{message}: GNU ld 2.40 rejects this and ld.lld accepts it, and the project links"
        f" with ld.lld/rust-lld ({why}); fix it if the script should also link with GNU ld"
    )


def _included_lld(ctx: Context, diag, message: str):
    """:func:`_lld` for an included file that does not parse where it is included."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.lexing import decode

    node = next(
        (n for n in ctx.script.walk() if isinstance(n, ast.Include) and n.span == diag.span),
        None,
    )
    if node is None:
        return None, message
    try:
        with open(diag.error.path, "rb") as f:
            text = decode(f.read())
        with open(diag.span.file, "rb") as f:
            holder = decode(f.read())
    except OSError:
        return None, message
    from kernlint.ldscript.recognise import _offset

    end = _offset(holder, diag.span.end_line, diag.span.end_column)
    semicolon = holder[end : end + 64].lstrip().startswith(";")
    return _lld(ctx, text, diag.error, message, node.context, semicolon)


def _copied_template(ctx: Context) -> str | None:
    """The template ending of a script's name (``.x.in``) when its text is a plain
    script and nothing says ld reads it where it is: the build copies it, and resolves
    its INCLUDEs from where the copy goes."""
    from kernlint.ldscript.template import handed_to_ld, template_suffix

    suffix = template_suffix(ctx.path)
    if suffix is None or handed_to_ld(ctx.path, ctx.script_text or "", ctx.config):
        return None
    return suffix
