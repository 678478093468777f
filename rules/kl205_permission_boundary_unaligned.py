"""Code, read-only data and writable data follow each other with no page boundary between them.

## What it does
Walks the output sections of `SECTIONS` in order and reports an allocated section
whose permission class differs from the allocated section before it — code
(`*(.text .text.*)`, `.init`, `.plt`...), read-only data (`.rodata*`, `.eh_frame`,
alloc notes...), writable data (`.data*`, `.bss*`, `COMMON`, `.got`...), judged by
the input sections each collects, or by its name when it collects none — when
nothing between them provably starts a new page. These count as a page boundary
(the page size is `page-size` from the configuration, default 4096):

- a statement between the two sections that makes `.` a page multiple:
  `. = ALIGN(4K);`, `ALIGN(0x1000)`, `ALIGN(CONSTANT(MAXPAGESIZE))`, `ALIGN(., 4K)`,
  `. = 0x200000;`, masks such as `(. + 0xfff) & ~0xfff`; or one that moves `.` to a
  later page: `ALIGN(4K) + n`, `. += 0xfff` or more, `DATA_SEGMENT_ALIGN(...)`;
- `ALIGN(4K)` (any page multiple) as the second section's attribute, or an address
  expression of that section that is page-aligned;
- `. = ALIGN(4K);` as the last statement *inside* the first section (its end is
  then a page multiple); `ALIGN(., 4K)` there aligns the offset from the section's
  start, so it counts only when that start is known to be page-aligned.

The rule is in the opt-in `pedantic` group (`--select KL205` or `--select
pedantic`): per-page permissions matter only to a kernel or loader that maps the image
with them (Limine, a kernel that builds its own page tables from its sections), not to
firmware, microcontrollers or boot stages that run before paging.

Sections that are not allocated (`/DISCARD/`, `(INFO)`, `(COPY)`, `.comment`,
`.debug*`) are skipped; `(NOLOAD)` sections are allocated and count. Sections that
are empty in the link that succeeds separate nothing and are skipped too: one the
script asserts empty (`.plt : { *(.plt) }` with `ASSERT(SIZEOF(.plt) == 0, ...)`),
and one that holds only input sections the linker creates for dynamic linking
(`.rela.dyn : { *(.rela*) }`, `.got.plt`, `.dynsym`, with no symbol assigned inside):
GNU ld removes such an output section when it is empty, as in a static kernel link.
Sections assigned to one `PHDRS` segment (`.text :text`, `.rodata :text`; a section
without `:phdr` takes the previous one's) share that segment's flags by construction
and are not compared. PowerPC EABI's `.sdata2`/`.sbss2` are read-only small data.
A script that describes a memory map without paging is not judged at all: a `MEMORY`
region of non-volatile memory code runs from in place (named like `FLASH`, `ROM`,
`XIP`, or with attributes such as `(rx)` that take no writable sections), every
region at most 16 MiB (a microcontroller's SRAM, TCM), or `> REGION` placements
whose regions another file declares (cortex-m-rt's `memory.x`). The rule stays
silent where it cannot know: a section whose class is unknown (`*(.boot)`, a bare
file name), an address expression it cannot evaluate, a jump to an unaligned
constant address, an `OVERLAY`, sections with `ONLY_IF_RO`/`ONLY_IF_RW`, sections in
different `MEMORY` regions, and sections without a region in a script with `MEMORY`.
Nor does it judge code below 1 MiB — the last section placed at a known address
(after `. = <constant>`, at a constant address or a region's origin) starts below
0x100000, as in BIOS boot sectors at 0x7c00, real-mode stages and Linux's `setup.ld`:
that code runs before paging, with no page permissions to mix.
For two sections in the same region only an alignment attached to the sections
counts: GNU ld places a region's sections at the region's next free address, and a
`. = ALIGN(4K);` between them does not move it (checked with ld 2.40). The rule
assumes both sections end up non-empty.

## Why is this bad?
Page tables give permissions per page. When `.text` ends and `.rodata` begins in the
same page, that page is executable and read-only at once, or a loader has to pick:
without `PHDRS`, GNU ld puts both in one `PT_LOAD` with the union of their flags
(code plus data: `RWE`, "has a LOAD segment with RWX permissions", KL105); with
`PHDRS`, the two segments overlap one page (KL106) and a paging loader must map it
with one set of permissions — Limine refuses such an image ("PHDRs with different
permissions sharing the same memory page"), others silently make data executable or
code writable.

## Example
```ld
SECTIONS {
    . = 0x100000;
    .text   : { *(.text .text.*) }
    .rodata : { *(.rodata .rodata.*) }
    .data   : { *(.data .data.*) }
}
```

## Use instead
```ld
SECTIONS {
    . = 0x100000;
    .text   : { *(.text .text.*) }
    . = ALIGN(CONSTANT(MAXPAGESIZE));
    .rodata : { *(.rodata .rodata.*) }
    . = ALIGN(CONSTANT(MAXPAGESIZE));
    .data   : { *(.data .data.*) }
}
```
For sections placed in a `MEMORY` region, align the section itself:
`.data : ALIGN(CONSTANT(MAXPAGESIZE)) { ... } > ram`.

## References
- GNU ld manual (binutils 2.40), 3.6.3 "Output Section Address", 3.6.8.3 "Forced
  Output Alignment", 3.7 "MEMORY Command", 3.10.9 "Builtin Functions"
  (`ALIGN`, `CONSTANT(MAXPAGESIZE)`, `DATA_SEGMENT_ALIGN`).
- rosco-m68k/rosco_m68k#350 ("maximum-page-size-alignment is added between the text
  and data").
- Limine, `PROTOCOL.md` and its ELF loader (per-page permissions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import (
        Env,
        Placement,
    )

#: Code placed below 1 MiB (BIOS boot sectors at 0x7c00, real-mode stages, Linux's
#: setup at 0) runs without paging: no page permissions to mix.
REAL_MODE_LIMIT = 0x100000

#: Input sections only the linker creates, for dynamic linking or PIE (ld removes an
#: output section holding only these when they are empty: a static kernel link).
_LINKER_CREATED = re.compile(
    r"^\.(rela?(\.dyn|\.plt|\.iplt|\.got|\.bss|\.data.*|\.text.*|\.rodata.*|\.ifunc)?|got|got\.plt"
    r"|igot(\.plt)?|plt|iplt|plt\.got|plt\.sec|dynamic|dynsym|dynstr|dynbss|hash|gnu\.hash"
    r"|interp|gnu\.version(_[rd])?|rela?\*|rela?\.\*)$"
)

ID = "KL205"
NAME = "permission-boundary-unaligned"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})
#: Opt-in: only kernels that map their own image with per-page permissions care.
GROUP = "pedantic"


def _page_multiple(value: int | None, page: int) -> bool:
    return value is not None and value > 0 and value % page == 0


def _is_align_call(expr: ast.Node, env: Env, page: int) -> bool:
    """``ALIGN(k*page)`` / ``BLOCK(k*page)``: aligns the absolute `.` everywhere."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import constant

    return (
        isinstance(expr, ast.Call)
        and expr.function in ("ALIGN", "BLOCK")
        and len(expr.args) == 1
        and _page_multiple(constant(expr.args[0], env), page)
    )


def _combined(node: ast.Assignment) -> ast.Node:
    from kernlint.ldscript import ast

    if node.op == "=":
        return node.expr
    dot = ast.Dot(span=node.span)
    return ast.Binary(op=node.op[:-1], left=dot, right=node.expr, span=node.span)


def _top_level_step(expr: ast.Node, env: Env, page: int) -> bool | None:
    """What `. = expr` between two sections does to the page boundary: True when it
    starts a new page, False when it provably does not (`.` stays in or after the
    same page: `ALIGN(16)`, `. + 8`), None when unknown (an absolute jump)."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import constant, page_aligned_form, references_dot

    if page_aligned_form(expr, env, page) is True:
        return True
    if isinstance(expr, ast.Call) and expr.function == "DATA_SEGMENT_ALIGN":
        return True if _page_multiple(constant(expr.args[0], env), page) else None
    if isinstance(expr, ast.Binary) and expr.op == "+":
        for first, second in ((expr.left, expr.right), (expr.right, expr.left)):
            amount = constant(second, env)
            if amount is None or amount >= 1 << 63:
                continue
            if isinstance(first, ast.Dot):
                # The last byte before is at most page - 1 bytes below a boundary.
                return amount >= page - 1
            if page_aligned_form(first, env, page) is True or (
                isinstance(first, ast.Call) and first.function == "DATA_SEGMENT_ALIGN"
            ):
                return True
    if references_dot(expr):
        if isinstance(expr, ast.Call) and expr.function in ("ALIGN", "BLOCK"):
            return False  # aligns `.` up to less than a page
        if isinstance(expr, ast.Dot):
            return False
    return None


def _ends_on_page(section: ast.OutputSection, statements, placement, env, page) -> bool | None:
    """True when the last thing in ``section`` aligns `.` to a page."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import page_aligned_form

    last = None
    for statement in statements:
        content = isinstance(statement, ast.InputSectionDescription | ast.Data | ast.Constructors)
        if content or (isinstance(statement, ast.Assignment) and statement.target == "."):
            last = statement
    if not isinstance(last, ast.Assignment):
        return False
    expr = _combined(last)
    if _is_align_call(expr, env, page):
        return True
    if page_aligned_form(expr, env, page) is True:
        # Inside a section these align the offset from its start (ld 2.40).
        return True if placement is not None and placement.page_aligned else None
    return False


def _separated(
    first: ast.OutputSection,
    first_statements: list,
    second: ast.OutputSection,
    between: list[ast.Assignment],
    placements: dict[ast.OutputSection, Placement],
    env: Env,
    page: int,
    has_memory: bool,
) -> bool | None:
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import constant, page_aligned_form

    if second.align is not None:
        align = constant(second.align, env)
        if align is None:
            return None
        if _page_multiple(align, page):
            return True
    ends = _ends_on_page(first, first_statements, placements.get(first), env, page)
    if ends:
        return True
    state: bool | None = False if ends is False else None
    if second.address is not None and not isinstance(second.address, ast.Dot):
        value = constant(second.address, env)
        if value is not None:
            return True if value % page == 0 else None
        return True if page_aligned_form(second.address, env, page) is True else None
    if second.region is not None:
        return state if first.region == second.region else None
    if has_memory:
        return None
    for node in between:
        step = _top_level_step(_combined(node), env, page)
        if step is True:
            state = True
        elif step is None:
            state = None
    return state


def _letters(perms: frozenset[str]) -> str:
    """readelf's spelling: ``R E``, ``RW``, ``RWE``."""
    return ("R" + ("W" if "w" in perms else " ") + ("E" if "x" in perms else "")).strip()


def asserted_empty(loaded) -> set[str]:
    """Output sections the script asserts empty: ``ASSERT(SIZEOF(.plt) == 0, ...)``,
    ``ASSERT(!SIZEOF(.x), ...)`` (statement or ``. = ASSERT(...)`` form): if the link
    succeeds they hold nothing, and GNU ld removes empty output sections."""
    from kernlint.ldscript import ast

    names: set[str] = set()
    for node in loaded.walk():
        if isinstance(node, ast.Assert):
            condition = node.condition
        elif isinstance(node, ast.Call) and node.function == "ASSERT" and node.args:
            condition = node.args[0]
        else:
            continue
        name = _sizeof_zero(condition)
        if name is not None:
            names.add(name)
    return names


def _sizeof_zero(expr) -> str | None:
    from kernlint.ldscript import ast

    def sizeof(e) -> str | None:
        if isinstance(e, ast.Call) and e.function == "SIZEOF" and len(e.args) == 1:
            arg = e.args[0]
            return getattr(arg, "value", None) or getattr(arg, "name", None)
        return None

    if isinstance(expr, ast.Unary) and expr.op == "!":
        return sizeof(expr.operand)
    if isinstance(expr, ast.Binary) and expr.op in ("==", "<="):
        for a, b in ((expr.left, expr.right), (expr.right, expr.left)):
            if isinstance(b, ast.Number) and b.value == 0 and sizeof(a) is not None:
                return sizeof(a)
    return None


def _linker_created_only(statements) -> bool:
    """True for an output section that holds only input sections the linker creates for
    dynamic linking (``.rela.dyn : { *(.rela*) }``, ``.got.plt``, ``.dynsym``...), no
    data and no symbol assignment: empty in a static link, and then removed by GNU ld
    (ld manual "Output Section Discarding": an empty output section without symbol
    assignments is removed and its address assignments ignored)."""
    from kernlint.ldscript import ast

    inputs = 0
    for statement in statements:
        if isinstance(statement, ast.InputSectionDescription):
            inputs += 1
            if statement.flags or statement.whole_file or not statement.sections:
                return False
            if not all(_LINKER_CREATED.match(p.pattern) for p in statement.sections):
                return False
        elif isinstance(statement, ast.Assignment | ast.Data | ast.Constructors):
            return False
    return inputs > 0


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per class change with no page boundary, at the second section."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import (
        Env,
        is_allocated,
        memory_map_only,
        section_permissions,
    )

    loaded = ctx.script
    if loaded is None or memory_map_only(loaded) is not None:
        return
    page = ctx.config.page_size
    top = list(loaded.statements())
    has_memory = any(isinstance(s, ast.Memory) for s in top)
    has_phdrs = any(isinstance(s, ast.Phdrs) for s in top)
    empty = asserted_empty(loaded)
    result = ctx.script_trace
    env = Env(symbols=result.symbols, regions=result.regions, page_size=page)
    previous: tuple[ast.OutputSection, list, frozenset[str] | None, tuple] | None = None
    between: list[ast.Assignment] = []
    anchor: int | None = None  # the start of the last section placed at a known address
    segments: tuple[str, ...] = ()  # ld: a section without `:phdr` takes the previous one's
    for sections in top:
        if not isinstance(sections, ast.Sections):
            continue
        for node in loaded.statements(sections.statements):
            if isinstance(node, ast.Assignment) and node.target == ".":
                between.append(node)
                continue
            if isinstance(node, ast.Overlay):
                previous, between = None, []
                continue
            if not isinstance(node, ast.OutputSection):
                continue
            if is_allocated(node) is False:
                continue
            statements = list(loaded.statements(node.statements))
            if node.name in empty or _linker_created_only(statements):
                continue  # empty when the link succeeds: removed, separates nothing
            if node.phdrs:
                segments = node.phdrs
            if node.constraint is not None:
                previous, between = None, []
                continue
            perms = section_permissions(node, statements)
            real_mode = anchor is not None and anchor < REAL_MODE_LIMIT
            placement = result.placements.get(node)
            if placement is not None and placement.anchored and placement.start is not None:
                anchor = placement.start.low
            if previous is not None and perms is not None and previous[2] is not None:
                first, first_statements, first_perms, first_segments = previous
                one_segment = has_phdrs and segments and segments == first_segments
                if perms != first_perms and not real_mode and not one_segment:
                    verdict = _separated(
                        first,
                        first_statements,
                        node,
                        between,
                        result.placements,
                        env,
                        page,
                        has_memory,
                    )
                    if verdict is False:
                        yield _finding(loaded, first, first_perms, node, perms, page)
            previous, between = (node, statements, perms, segments), []


def _finding(loaded, first, first_perms, second, perms, page) -> Finding:
    from kernlint.ldscript.evaluate import anchor, describe_permissions

    merged = _letters(first_perms | perms)
    span, note = anchor(loaded, second.name_span or second.span)
    if second.region is not None and second.address is None:
        fix = (
            f"align `{second.name}` itself: `{second.name} : ALIGN(CONSTANT(MAXPAGESIZE)) {{"
            f" ... }} > {second.region}` (a `. = ALIGN(...)` between sections does not move a"
            " section placed in a MEMORY region)"
        )
    else:
        fix = (
            f"put `. = ALIGN(CONSTANT(MAXPAGESIZE));` before `{second.name}`, or write"
            f" `{second.name} : ALIGN(CONSTANT(MAXPAGESIZE)) {{`"
        )
    return Finding(
        f"`{second.name}` ({describe_permissions(perms)}) follows `{first.name}`"
        f" ({describe_permissions(first_perms)}) with no page boundary between them: the"
        f" {page}-byte page where `{first.name}` ends is also where `{second.name}` begins, and"
        f" a page has one set of permissions (without PHDRS GNU ld puts both in one {merged}"
        f" segment; with PHDRS two segments share the page, KL106){note}",
        Location(
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
        ),
        fix=fix,
    )
