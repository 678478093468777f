"""An output section goes `> REGION` or `AT> REGION`, and no MEMORY command declares REGION.

## What it does
Reads the script in GNU ld's order, `INCLUDE`d files in place, and reports:

- each `> REGION` (where an output section or `OVERLAY` runs) and `AT> REGION`
  (where it is loaded) that names a region no `MEMORY` command declares and no
  `REGION_ALIAS` names. Names are case-sensitive: `> RAM` is not `> ram`. The fix
  names the declared region the name most resembles;
- each `> ALIAS` that comes before the `REGION_ALIAS` defining `ALIAS`: ld reads the
  script in one pass, so by then it has already made an empty region of that name,
  and the alias fails;
- each `REGION_ALIAS(alias, region)` whose `region` is not declared (yet).

A `MEMORY` command that comes after the sections using its regions is fine (ld
warns "memory region `ram' not declared" and then "redeclaration of memory region
`ram'", and places the sections right). A script with no `MEMORY` command at all
is taken for a fragment that another script `INCLUDE`s after declaring the regions
(as in nRF, STM32 and MicroPython trees), and is not checked; so is a script that
another linker script in its folder `INCLUDE`s (RIOT's `cortexm.ld` declares `rom`
and `ram`, then includes `cortexm_base.ld`, whose own `MEMORY` has only auxiliary
regions); neither is a script whose `INCLUDE`s could not all be followed (KL002
reports those).

What the linkers do depends on whether the section gets input (checked with GNU ld
2.40 and ld.lld 14): GNU ld always warns, drops the section when it is empty and
links it at address 0 when it is not; ld.lld accepts an empty one silently and
stops only when it is not. So the finding is an **error** when the section surely
has contents (it collects `.text`, `.rodata`, `.data`, `.bss` or `COMMON`, has a
data statement or moves `.`, or the laid-out objects give it bytes), a **warning**
when it may stay empty (a vendor section such as TI's `.ccfg : { KEEP(*(.ccfg)) } >
ccfg`) and the objects are not known, and **info** when the objects give it nothing.

## Why is this bad?
GNU ld 2.40 only *warns*, `ld:link.ld:12: warning: memory region `RAM' not declared`
(the line is where ld's lexer stands, often the line after the `>`), then creates a
region of that name starting at address 0 and spanning all of memory, and puts the
section there. The link succeeds: the code is linked at address 0, or, with
`AT>`, loaded at physical address 0, and `e_entry` may be 0. ld.lld refuses the
link when the section has contents: `ld.lld: error: memory region 'RAM' not
declared` (an empty one it drops without a word).

A `REGION_ALIAS` that comes too late fails in GNU ld: `ld:link.ld:14: error:
redefinition of memory region alias `CODE'` (ld.lld accepts the order). An alias of
an undeclared region fails in both: `error: memory region `flash' for alias `CODE'
does not exist` (GNU ld), `error: memory region 'flash' is not defined` (ld.lld).

## Example
```ld
MEMORY
{
    ram (rwx) : ORIGIN = 0x100000, LENGTH = 16M
}

SECTIONS
{
    .text : { *(.text .text.*) } > RAM   /* linked at 0, not at 1 MiB */
}
```

## Use instead
```ld
SECTIONS
{
    .text : { *(.text .text.*) } > ram
}
```
Put `REGION_ALIAS` commands after `MEMORY` and before `SECTIONS`.

## References
- GNU ld manual, "MEMORY Command" and "REGION_ALIAS" (binutils 2.40).
- binutils `ld/ldlang.c`, `lang_memory_region_lookup` ("memory region `%s' not
  declared", "redeclaration of memory region `%s'") and `lang_memory_region_alias`.
- LLVM `lld/ELF/LinkerScript.cpp`, `findMemoryRegion` ("memory region '...' not
  declared").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL207"
NAME = "undeclared-memory-region"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed; only a warning: the section lands outside every region).
    LogPattern(
        "ld",
        r"memory region `(?P<region>[^']+)' not declared",
        "The script assigns a section to region `{region}` at {place}, but MEMORY does not"
        " declare it: GNU ld only warns and places the section outside every region,"
        " ld.lld refuses. Declare the region in MEMORY or correct the name.",
        "ld:und.ld:2: warning: memory region `FLASH' not declared",
    ),
    # LLD 14 (observed).
    LogPattern(
        "lld",
        r"memory region '(?P<region>[^']+)' not declared",
        "The script assigns a section to region `{region}`, which MEMORY does not declare."
        " Declare it in MEMORY or correct the name (`kernlint check` on the script suggests"
        " the nearest declared one).",
        "ld.lld: error: memory region 'FLASH' not declared",
    ),
)


def _offset(text: str, line: int, column: int) -> int:
    """The offset of 1-based (line, column) in ``text``."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _token(ctx: Context, span: ast.Span, name: str, lma: bool) -> Location | None:
    """Where ``> name`` (or ``AT> name``) stands inside ``span`` of the main file."""
    text = ctx.script_text
    if text is None:
        return None
    try:
        start = _offset(text, span.line, span.column)
        end = _offset(text, span.end_line, span.end_column)
    except ValueError:
        return None
    pattern = r"(?<![A-Za-z0-9_])(AT\s*)?>\s*(" + re.escape(name) + r")(?![A-Za-z0-9_.$-])"
    matches = [m for m in re.finditer(pattern, text[start:end]) if bool(m.group(1)) == lma]
    if not matches:
        return None
    first = start + matches[-1].start(2)
    last = start + matches[-1].end(2)
    line = text.count("\n", 0, first) + 1
    column = first - text.rfind("\n", 0, first)
    end_line = text.count("\n", 0, last) + 1
    end_column = last - text.rfind("\n", 0, last)
    return Location(line=line, column=column, end_line=end_line, end_column=end_column)


def _where(
    ctx: Context, span: ast.Span, anchor: ast.Include | None, token: tuple[str, bool] | None = None
) -> tuple[Location, str]:
    """Location in the main file, and a note naming the included file when the node
    stands in one (findings are reported at the main file's INCLUDE)."""
    if anchor is not None:
        s = anchor.span
        loc = Location(line=s.line, column=s.column, end_line=s.end_line, end_column=s.end_column)
        return loc, f" (in {span.file}:{span.line}:{span.column}, included here)"
    if token is not None:
        found = _token(ctx, span, *token)
        if found is not None:
            return found, ""
    loc = Location(
        line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column
    )
    return loc, ""


def _suggest(name: str, choices: list[str]) -> str | None:
    """The declared name ``name`` most likely means."""
    import difflib

    for choice in choices:
        if choice.lower() == name.lower():
            return choice
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return close[0]
    close = difflib.get_close_matches(name.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if close:
        return next(c for c in choices if c.lower() == close[0])
    return None


def _line_of(span: ast.Span, anchor: ast.Include | None) -> str:
    if anchor is None:
        return f"line {span.line}"
    return f"{span.file}:{span.line}"


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per region use (or alias) that GNU ld cannot resolve."""
    from kernlint.ldscript import ast

    loaded = ctx.script
    if loaded is None or loaded.diagnostics:
        return
    nodes = list(ctx.script.walk_anchored())
    regions: dict[str, tuple[ast.Span, ast.Include | None]] = {}
    aliases: dict[str, tuple[ast.Span, ast.Include | None]] = {}
    for node, anchor in nodes:
        if isinstance(node, ast.MemoryRegion):
            regions.setdefault(node.name, (node.span, anchor))
        elif isinstance(node, ast.RegionAlias):
            aliases.setdefault(node.alias, (node.span, anchor))
    if not regions or included_by_sibling(ctx.path):
        return  # a fragment: the script that INCLUDEs it declares the regions
    declared: set[str] = set()
    for node, anchor in nodes:
        if isinstance(node, ast.MemoryRegion):
            declared.add(node.name)
        elif isinstance(node, ast.RegionAlias):
            yield from _alias(ctx, node, anchor, declared, regions)
            declared.add(node.alias)
        elif isinstance(node, ast.OutputSection | ast.Overlay):
            what = (
                f"output section `{node.name}`"
                if isinstance(node, ast.OutputSection)
                else "the OVERLAY"
            )
            for name, lma in ((node.region, False), (node.lma_region, True)):
                if name is None or name in declared or name in regions:
                    continue
                yield _use(ctx, node, anchor, name, lma, what, regions, aliases)


def _alias(
    ctx: Context,
    node: ast.RegionAlias,
    anchor: ast.Include | None,
    declared: set[str],
    regions: dict[str, tuple[ast.Span, ast.Include | None]],
) -> Iterator[Finding]:
    if node.region in declared:
        return
    loc, note = _where(ctx, node.span, anchor)
    if node.region in regions:
        span, where = regions[node.region]
        message = (
            f"REGION_ALIAS(`{node.alias}`, `{node.region}`) comes before the MEMORY command"
            f" that declares `{node.region}` ({_line_of(span, where)}){note}: GNU ld and"
            f" ld.lld stop here (ld: \"memory region `{node.region}' for alias"
            f" `{node.alias}' does not exist\")"
        )
        fix = "move the REGION_ALIAS below the MEMORY command"
    else:
        suggestion = _suggest(node.region, sorted(regions))
        message = (
            f"REGION_ALIAS(`{node.alias}`, `{node.region}`) names a region no MEMORY"
            f" command declares{note} (declared: {', '.join(sorted(regions))}): GNU ld and"
            f" ld.lld stop here (ld: \"memory region `{node.region}' for alias"
            f" `{node.alias}' does not exist\")"
        )
        fix = (
            f"REGION_ALIAS({node.alias}, {suggestion})"
            if suggestion
            else f"declare `{node.region}` in MEMORY or alias a declared region"
        )
    yield Finding(message, loc, fix=fix)


def _use(
    ctx: Context,
    node: ast.OutputSection | ast.Overlay,
    anchor: ast.Include | None,
    name: str,
    lma: bool,
    what: str,
    regions: dict[str, tuple[ast.Span, ast.Include | None]],
    aliases: dict[str, tuple[ast.Span, ast.Include | None]],
) -> Finding:
    from kernlint.ldscript import ast

    arrow = "AT>" if lma else ">"
    loc, note = _where(ctx, node.span, anchor, (name, lma))
    if name in aliases:
        span, where = aliases[name]
        message = (
            f"{what} uses `{arrow} {name}` before REGION_ALIAS defines `{name}`"
            f" ({_line_of(span, where)}){note}: GNU ld reads the script in one pass, makes"
            f" an undeclared region `{name}` here and then stops at the alias"
            f' ("redefinition of memory region alias `{name}\'")'
        )
        fix = "move the REGION_ALIAS above SECTIONS"
        return Finding(message, loc, fix=fix)
    declared = sorted(set(regions) | set(aliases))
    subject = f"`{node.name}`" if isinstance(node, ast.OutputSection) else "it"
    placed = f"loads {subject} from address 0" if lma else f"links {subject} at address 0"
    warned = f'GNU ld only warns ("memory region `{name}\' not declared")'
    stops = f"ld.lld stops (\"memory region '{name}' not declared\")"
    content = _content(ctx, node)
    severity = None
    if content == "yes":
        consequence = f"{warned}, creates a region `{name}` starting at 0 and {placed}; {stops}"
    elif content == "no":
        severity = "info"
        consequence = (
            f"{warned}; the objects give {subject} no input, so GNU ld drops the empty section"
            " and ld.lld accepts it, but the first input it gets goes to address 0"
        )
    else:
        severity = "warning"
        consequence = (
            f"{warned}; if {subject} gets input, GNU ld creates a region `{name}` at 0 and"
            f" {placed}, and {stops}; if it stays empty, GNU ld drops it and ld.lld accepts it"
            " (kernlint would need the objects to tell)"
        )
    message = (
        f"{what} uses `{arrow} {name}` but no MEMORY region `{name}` is declared{note}"
        f" (declared: {', '.join(declared)}): {consequence}"
    )
    suggestion = _suggest(name, declared)
    if suggestion:
        fix = f"{arrow} {suggestion}"
    else:
        fix = f"name a declared region ({', '.join(declared)}), or declare `{name}` in MEMORY"
    if severity is None:
        return Finding(message, loc, fix=fix)
    return Finding(message, loc, fix=fix, severity=severity)


#: Input sections every program has: a section collecting them is never empty.
_CONVENTIONAL = (".text", ".rodata", ".data", ".bss", "COMMON")


def _content(ctx: Context, node) -> str:
    """Whether ``node`` (an output section or OVERLAY) gets contents: ``"yes"`` when it
    has data statements (``LONG(0)``), an assignment to ``.`` or collects the
    conventional `.text`/`.rodata`/`.data`/`.bss` inputs (or the predicted layout
    gives it bytes), ``"no"`` when the laid-out objects give it none, ``"maybe"``
    otherwise (a vendor section such as TI's ``*(.ccfg)``)."""
    import fnmatch

    from kernlint.ldscript import ast

    if not isinstance(node, ast.OutputSection):
        return "maybe"
    if ctx.has_objects and ctx.layout is not None:
        out = ctx.layout.section(node.name)
        return "yes" if out is not None and out.size > 0 else "no"
    for stmt in ctx.script.statements(node.statements):
        if isinstance(stmt, ast.Data):
            return "yes"
        if isinstance(stmt, ast.Assignment) and stmt.target == ".":
            return "yes"
        if isinstance(stmt, ast.InputSectionDescription):
            for pattern in stmt.sections:
                if any(fnmatch.fnmatchcase(n, pattern.pattern) for n in _CONVENTIONAL):
                    return "yes"
    return "maybe"


def included_by_sibling(path: str) -> bool:
    """True when another linker script in the same folder ``INCLUDE``s ``path`` (RIOT's
    ``cortexm.ld`` declares ``rom`` and ``ram``, then ``INCLUDE cortexm_base.ld``):
    the regions it uses may be declared there. At most 200 siblings of at most 1 MiB
    are read."""
    import os

    folder, name = os.path.split(os.path.abspath(path))
    pattern = re.compile(rb"\bINCLUDE\s+\"?(?:[^\s\"]*/)?" + re.escape(name.encode()) + rb"\"?")
    try:
        entries = sorted(os.listdir(folder))[:200]
    except OSError:
        return False
    for entry in entries:
        other = os.path.join(folder, entry)
        if entry == name or not entry.endswith((".ld", ".lds", ".x", ".ld.S", ".lds.S")):
            continue
        try:
            if os.path.getsize(other) > 1 << 20:
                continue
            with open(other, "rb") as f:
                if pattern.search(f.read()):
                    return True
        except OSError:
            continue
    return False
