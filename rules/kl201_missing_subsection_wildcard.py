"""An output section collects `.text` (`.data`, `.rodata`, `.bss`) but nothing takes `.text.*`.

## What it does
Finds input section patterns that take the plain section `.text`, `.rodata`,
`.data` or `.bss` — `*(.text)`, `start.o(.data)`, `KEEP(*(.rodata))` — when no
pattern anywhere in the script (INCLUDEd files and `/DISCARD/` counted) takes the
subsections of the same family: `.text.*`, `.text*`, `.text.[a-z]*`, `*`, or a
`.text.*` written in another output section all do. Patterns are matched the way
GNU ld matches them (`fnmatch`: `*`, `?`, `[...]`, `[!...]`); a pattern counts as
taking the family when, after `.text.`, it can go on with a `*` (so `.text.hot.*`
or `.text.unlikely` alone do not). A pattern restricted to some files
(`boot.o(.text.*)`) only covers a `.text` pattern for the same files.

The finding points at the `.text` pattern; the fix is the statement with the
subsection pattern added: `*(.text .text.*)`.

Whether such subsections exist is a fact of the build, not of the script, so:

- with the objects (`--objects`, a target's `objects`, the script's `INPUT()`), the
  rule lays them out as GNU ld would and reports a **warning** only where some of
  their `.text.*` (...) input sections would really be orphans, naming them — a C
  kernel built without `-ffunction-sections`/`-fdata-sections`, or Linux's
  vmlinux.lds, whose link has no orphans, gets nothing;
- without them, the build files around the script decide (`kernlint.buildfacts`:
  Make, CMake, Meson, Cargo... in the script's folder and above): a **warning** where
  they name `-ffunction-sections` (for `.text`) or `-fdata-sections` (for `.rodata`,
  `.data`, `.bss`), or the project is a Cargo one (rustc splits both by default);
  An **info** note otherwise: where the build files name no such option, where the
  script itself names some subsections of the family (`*(.text.hot .text.unlikely)`,
  `*(.data..percpu)`: the author places them by hand), and where no build file is
  found (the verdict then rests on flags kernlint cannot see: arjun024/mkernel, built
  by three commands in its README without `-ffunction-sections`, gets the note).

## Why is this bad?
With `-ffunction-sections` every function goes into its own `.text.<name>` section
(and with `-fdata-sections` every variable into `.data.<name>`, `.rodata.<name>`,
`.bss.<name>`); rustc does both by default, so all of a Rust kernel's code is in
`.text.*`. A script that only names `.text` places none of them: they become
*orphans*, and the linker puts them where its heuristics say — GNU ld after the
output section with the most similar flags, in an output section of their own
name; ld.lld by rank — with no warning unless the link passes
`--orphan-handling=warn`. Symbols the script defines around `*(.text)` (`_etext`,
`__text_end`) then no longer bound the code, orphans can fall into the wrong `PHDRS`
segment or `MEMORY` region, and GNU ld and ld.lld lay the same script out
differently. GNU ld 2.40 on this rule's sample, with `--orphan-handling=warn`:

    ld: warning: orphan section `.text.kmain' from `kernel.o' being placed in section `.text.kmain'

and `nm` shows `kmain` at `_etext`, past the code the script bounds.

## Example
```ld
.text : {
    *(.text)
    _etext = .;
}
```

## Use instead
```ld
.text : {
    *(.text .text.*)
    _etext = .;
}
```
`*(.text*)` works too, but also takes unrelated names such as `.textbook`.

## References
- GNU ld manual, "Input Section Wildcard Patterns" and "Orphan Sections";
  "Command-line Options", `--orphan-handling=MODE` (binutils ≥ 2.26).
- GCC manual, "Optimize Options": `-ffunction-sections`, `-fdata-sections`;
  rustc: ELF targets default to function sections (`-Z function-sections`).
- kernlint research, `anchors-ldscript.md` §2 M2 (orphan sections, GNU and lld
  messages) and M3 (`*(.text)` without `*(.text.*)`; phil-opp/blog_os first edition).
- MaskRay, "Understanding orphan sections" (2024): GNU ld and ld.lld placement
  heuristics.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL201"
NAME = "missing-subsection-wildcard"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

#: The section families, with the compiler option that splits each into subsections.
FAMILIES = {
    ".text": ("-ffunction-sections", "function"),
    ".rodata": ("-fdata-sections", "constant"),
    ".data": ("-fdata-sections", "variable"),
    ".bss": ("-fdata-sections", "zero-initialised variable"),
}


# ------------------------------------------------------------------ ld's wildcards


def _tokens(pattern: str) -> list[tuple[str, str]]:
    """The pattern as (kind, text) tokens: ``lit`` (one character), ``any`` (``?``),
    ``set`` (``[...]``, as a regex class) and ``star``. ld calls ``fnmatch`` without
    flags: a backslash quotes the next character, ``[!...]`` and ``[^...]`` negate."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if not out or out[-1][0] != "star":
                out.append(("star", "*"))
        elif c == "?":
            out.append(("any", "?"))
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(("lit", pattern[i]))
        elif c == "[":
            j = i + 1
            negate = j < n and pattern[j] in "!^"
            if negate:
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: a literal '['
                out.append(("lit", c))
            else:
                body = pattern[i + 1 + negate : j].replace("\\", "\\\\")
                out.append(("set", ("[^" if negate else "[") + body + "]"))
                i = j
        else:
            out.append(("lit", c))
        i += 1
    return out


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for kind, text in _tokens(pattern):
        if kind == "lit":
            parts.append(re.escape(text))
        elif kind == "any":
            parts.append(".")
        elif kind == "star":
            parts.append(".*")
        else:
            parts.append(text)
    try:
        return re.compile("".join(parts), re.S)
    except re.error:
        return re.compile(re.escape(pattern))


def _matches(pattern: str, name: str) -> bool:
    """True when ld's wildcard ``pattern`` matches the section or file ``name``."""
    return _regex(pattern).fullmatch(name) is not None


def _token_matches(token: tuple[str, str], char: str) -> bool:
    kind, text = token
    if kind == "lit":
        return text == char
    if kind == "any":
        return True
    return re.fullmatch(text, char) is not None


@cache
def covers_family(pattern: str, family: str) -> bool:
    """True when ``pattern`` takes the subsections ``family.<anything>``: after
    reading ``family + "."`` it can still reach a ``*`` through single-character
    tokens only (``.text.*``, ``.text*``, ``.text.[a-z]*``, ``*``), so it matches
    subsection names it was not written for (``.text.hot.*`` does not)."""
    tokens = _tokens(pattern)
    states = {0}
    for char in family + ".":
        step: set[int] = set()
        for i in states:
            if i < len(tokens) and tokens[i][0] == "star":
                step.add(i)  # the star eats this character
                if i + 1 < len(tokens) and _token_matches(tokens[i + 1], char):
                    step.add(i + 2)
            elif i < len(tokens) and _token_matches(tokens[i], char):
                step.add(i + 1)
        states = step
        if not states:
            return False
    for i in states:
        while i < len(tokens) and tokens[i][0] in ("any", "set"):
            i += 1
        if i < len(tokens) and tokens[i][0] == "star":
            return True
    return False


# ------------------------------------------------------------------ the rule


def _sections(ctx: Context) -> Iterator[ast.OutputSection | ast.OverlaySection]:
    from kernlint.ldscript import ast

    assert ctx.script is not None
    for node in ctx.script.walk():
        if isinstance(node, ast.OutputSection | ast.OverlaySection):
            yield node


def _descriptions(ctx: Context, section) -> Iterator[ast.InputSectionDescription]:
    from kernlint.ldscript import ast

    assert ctx.script is not None
    for stmt in ctx.script.statements(section.statements):
        if isinstance(stmt, ast.InputSectionDescription):
            yield stmt


def _file_text(desc: ast.InputSectionDescription) -> str:
    """The file pattern of a description; ``*`` for the ``[ ... ]`` form (all files)."""
    return "*" if desc.file is None else desc.file.pattern


def _slice(ctx: Context, span: ast.Span) -> str | None:
    """The source text of a one-line span of the main script, else None."""
    if ctx.script is None or ctx.script_text is None or span.file != ctx.script.script.path:
        return None
    if span.line != span.end_line:
        return None
    lines = ctx.script_text.splitlines()
    if span.line > len(lines):
        return None
    return lines[span.line - 1][span.column - 1 : span.end_column - 1]


def _fixed(ctx: Context, desc: ast.InputSectionDescription, pat: ast.SectionPattern, family: str):
    """The statement with ``family.*`` added right after ``pat``."""
    text = _slice(ctx, desc.span)
    if text is not None and pat.span.line == desc.span.line:
        cut = pat.span.end_column - desc.span.column
        if 0 < cut <= len(text):
            return text[:cut] + f" {family}.*" + text[cut:]
    return f"{_file_text(desc)}({family} {family}.*)"


def _where(ctx: Context, span: ast.Span) -> tuple[Location, str]:
    """The location of ``span`` in the main file (the INCLUDE that brings it in, for a
    node of an included file), and a note naming the included place."""
    from kernlint.ldscript.evaluate import anchor

    at, note = anchor(ctx.script, span)
    return Location.from_span(at), note


def _names_subsections(placed, family: str) -> bool:
    """True when some pattern of the script names particular subsections of
    ``family`` (``*(.text.hot .text.unlikely)``, ``*(.data..percpu)``): the script's
    author places them by hand, as Linux's vmlinux.lds does."""
    return any(
        p.pattern.startswith(family + ".") and not covers_family(p.pattern, family)
        for _, d in placed
        for p in d.sections
    )


def _orphans(layout, family: str, files: str) -> list[str]:
    """``name (file)`` of the laid-out objects' input sections of ``family`` that no
    pattern takes (orphans) and that come from files ``files`` matches."""
    out = []
    for orphan in layout.orphans:
        section = orphan.section
        if section.name.startswith(family + ".") and _matches(files, section.file):
            out.append(f"`{section.name}` ({section.file})")
    return out


def _without_objects(ctx: Context, placed, family: str) -> tuple[str, str]:
    """Severity and what the verdict rests on, for a finding made from the script alone:
    a warning where the build splits the family into subsections (the build files name
    `-ffunction-sections`/`-fdata-sections`, or it is a Cargo project, see
    :mod:`kernlint.buildfacts`); info where the build files say it does not, where
    the script names subsections itself, and where no build file is found."""
    from kernlint.buildfacts import build_facts

    facts = build_facts(ctx.path)
    option = FAMILIES[family][0]
    splits = facts.rust or (facts.function_sections if family == ".text" else facts.data_sections)
    if splits:
        why = "a Cargo project" if facts.rust else f"the build files name {option}"
        return "warning", f" ({why})"
    need = " (with the objects, `--objects`, kernlint would name the orphans)"
    if _names_subsections(placed, family):
        return "info", f"; this script names some `{family}.` subsections itself{need}"
    if facts.known:
        return "info", f"; the build files around this script name no {option}{need}"
    return "info", (
        f"; no build file beside or above this script says whether it compiles with"
        f" {option} (rustc does by default; C builds only when asked){need}"
    )


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per pattern that takes a family's plain section while no pattern of
    the script takes its subsections: with the objects, only where some of their input
    sections would really be orphans."""
    from kernlint.ldscript import ast

    if ctx.script is None:
        return
    placed: list[tuple[ast.OutputSection | ast.OverlaySection, ast.InputSectionDescription]]
    placed = [(sec, desc) for sec in _sections(ctx) for desc in _descriptions(ctx, sec)]
    layout = ctx.layout if ctx.has_objects else None
    for sec, desc in placed:
        if isinstance(sec, ast.OutputSection) and sec.is_discard:
            continue
        for pat in desc.sections:
            for family, (option, what) in FAMILIES.items():
                if not _matches(pat.pattern, family) or covers_family(pat.pattern, family):
                    continue
                files = _file_text(desc)
                if any(
                    covers_family(other.pattern, family) and _matches(_file_text(d), files)
                    for _, d in placed
                    for other in d.sections
                ):
                    continue
                location, note = _where(ctx, pat.span)
                if layout is not None:
                    orphans = _orphans(layout, family, files)
                    if not orphans:
                        continue
                    shown = ", ".join(orphans[:3]) + (" ..." if len(orphans) > 3 else "")
                    severity, tail = "warning", ""
                    consequence = (
                        f"the objects' {shown} become orphans that the linker places by"
                        " heuristics, outside this output section"
                    )
                else:
                    severity, tail = _without_objects(ctx, placed, family)
                    consequence = (
                        f"with {option} (rustc's default) each {what} gets its own"
                        f" `{family}.<name>` section, and those become orphans that the linker"
                        " places by heuristics, outside this output section"
                    )
                message = (
                    f"output section `{sec.name}` collects `{family}`"
                    f" (`{files}({pat.pattern})`{note}) but no pattern"
                    f" in the script takes `{family}.*`: {consequence}"
                    f" (`--orphan-handling=warn` lists them){tail}"
                )
                fix = f"collect the subsections too: `{_fixed(ctx, desc, pat, family)}`"
                yield Finding(message, location, fix=fix, severity=severity)
