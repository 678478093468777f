"""Two MEMORY regions cover some of the same addresses.

## What it does
Evaluates the `ORIGIN` and `LENGTH` of every `MEMORY` region (`INCLUDE`d files
too) and reports each pair whose ranges `[ORIGIN, ORIGIN + LENGTH)` share an address,
at the region declared second, with the shared range. Expressions are evaluated when
they are constant (`kernlint.ldscript.evaluate`, GNU ld's arithmetic): numbers in
every form GNU ld reads (`0x`, `K`, `M`, ...), operators, `?:`, `ORIGIN(region)` and
`LENGTH(region)` of a region declared before, `CONSTANT(MAXPAGESIZE)` (the configured
`page-size`), and symbols the script assigns a constant once, outside `SECTIONS`
(`ram_size = 1M;`). A region whose bounds depend on anything else (`DEFINED()` of a
symbol the script does not assign, a `--defsym`, `SEGMENT_START`) is not judged.
Empty regions and a second declaration of one name are not compared.

## Why is this bad?
Neither GNU ld nor ld.lld checks regions against each other: both link the script
below without a word. Each region is filled from its own start, so sections placed
in the two regions collide as soon as the first one grows into the second: ld then
stops with `section .data LMA [...,...] overlaps section .text LMA [...,...]`
(ld.lld: `section .text virtual address range overlaps with .data`), far from the
line at fault, or, when the second region only holds what a symbol marks (a stack,
a heap, a DMA buffer: `__stack_top = ORIGIN(stack) + LENGTH(stack);`), never: the
stack grows down over the kernel's `.bss` at run time. The region overflow check
(`region `ram' overflowed by N bytes`) looks at one region at a time and does not
help either.

Regions that overlap only partly are the mistake this rule is for (a **warning**:
ChibiOS's STM32H723 `ram3`, SRAM2, declared at 0x30002000, half inside SRAM1), and so
is a region of writable memory inside a flash or ROM region or the reverse, with
sections in both (ChibiOS's RP2040 `ram1` declared at 0x0, over the boot ROM
`flash0`); the kind comes from the attributes (`(rx)`, `(wx)`), else the names. A
region that lies wholly inside another of the same kind is usually deliberate —
micropython's `FLASH` (the entire flash) next to `FLASH_START`, `FLASH_FS`,
`FLASH_TEXT` (its sectors), ChibiOS's `ram0` (SRAM1 + SRAM2) over `ram1` (SRAM1) and
`ram2` (SRAM2), each with sections of its own for the application to choose from — and
is reported at **info** level only; a region that is exactly the union
of two or more others that tile it without gaps (TI MSP430's `INFOMEM` = `INFOA` +
`INFOB`) is not reported at all.

A partial overlap in a script that places sections into regions, where nothing goes
into one of the two (no `>`, `AT>` or `REGION_ALIAS` names it, no `ORIGIN()` or
`LENGTH()` reads it), cannot collide there and is info (NuttX's STM32F7 `dtcm`
declared 128K over `sram1` and used by nothing). A file with only `MEMORY` is judged by
the scripts that take its regions: those of the repository that INCLUDE it, and those
beside it that place sections in regions only it declares (NuttX's `memory.ld`,
linked as `-T memory.ld -T kernel-space.ld`), or as it stands when none does or when it hands
regions on with `REGION_ALIAS` (the `memory.x` of cortex-m-rt and riscv-rt, INCLUDEd by
the crate's `link.x`).

If two names are meant to describe the same memory, say so with `REGION_ALIAS`,
which this rule understands; for a deliberate partial overlap, suppress the finding
with `/* kernlint: ignore[KL208] */`.

## Example
```ld
MEMORY
{
    ram   (rwx) : ORIGIN = 0x100000, LENGTH = 1M
    stack (rw)  : ORIGIN = 0x1F0000, LENGTH = 128K   /* last 64 KiB of ram */
}
```

## Use instead
```ld
MEMORY
{
    ram   (rwx) : ORIGIN = 0x100000, LENGTH = 1M
    stack (rw)  : ORIGIN = ORIGIN(ram) + LENGTH(ram), LENGTH = 128K
}
```

## References
- GNU ld manual, "MEMORY Command" (binutils 2.40): "ORIGIN ... LENGTH ... an
  expression that evaluates to a constant"; "Builtin Functions" (`ORIGIN`, `LENGTH`).
- binutils `ld/ldlang.c`, `lang_check_section_addresses` (the only overlap check:
  output sections, not regions) and `os_region_check` ("region `%s' overflowed").
- LLVM `lld/ELF/Writer.cpp`, `checkSections` (overlaps of output sections only).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import Region, Value

ID = "KL208"
NAME = "overlapping-memory-regions"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})


def _top_level(ctx: Context) -> Iterator[ast.Node]:
    """Statements outside SECTIONS, INCLUDEs followed."""
    yield from ctx.script.statements()


def _constant_symbols(ctx: Context) -> dict[str, Value]:
    """Symbols assigned exactly once in the whole script, outside SECTIONS, with a
    plain `=`, whose value is constant given the ones before."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import ABS, Env, Value, constant

    counts: dict[str, int] = {}
    for node, _ in ctx.script.walk_anchored():
        if isinstance(node, ast.Assignment):
            counts[node.target] = counts.get(node.target, 0) + 1
    symbols: dict[str, Value] = {}
    for node in _top_level(ctx):
        if (
            isinstance(node, ast.Assignment)
            and node.op == "="
            and node.kind is None
            and counts[node.target] == 1
        ):
            value = constant(node.expr, Env(symbols=symbols))
            if value is not None:
                symbols[node.target] = Value(value, ABS)
    return symbols


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return "1 byte" if n == 1 else f"{n:#x} bytes"


def _where(region: ast.MemoryRegion, anchor: ast.Include | None) -> tuple[Location, str]:
    if anchor is not None:
        s = anchor.span
        note = f" (in {region.span.file}:{region.span.line}:{region.span.column}, included here)"
    else:
        s = region.name_span or region.span
        note = ""
    return Location(
        line=s.line, column=s.column, end_line=s.end_line, end_column=s.end_column
    ), note


def _line(region: ast.MemoryRegion, anchor: ast.Include | None) -> str:
    if anchor is None:
        return f"line {region.span.line}"
    return f"{region.span.file}:{region.span.line}"


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per overlapping pair, at the region declared second."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import Env, Region, constant

    if ctx.script is None:
        return
    symbols = _constant_symbols(ctx)
    regions: dict[str, Region] = {}
    seen: list[tuple[ast.MemoryRegion, ast.Include | None, int, int]] = []
    for node, anchor in ctx.script.walk_anchored():
        if not isinstance(node, ast.MemoryRegion):
            continue
        if node.name in regions:
            continue  # ld: "redeclaration of memory region"
        env = Env(symbols=symbols, regions=dict(regions), page_size=ctx.config.page_size)
        origin, length = constant(node.origin, env), constant(node.length, env)
        regions[node.name] = Region(origin, length)
        if origin is None or length is None or length == 0:
            continue
        seen.append((node, anchor, origin, origin + length))
    used = {
        name
        for n in ctx.script.walk()
        if isinstance(n, ast.OutputSection | ast.Overlay)
        for name in (n.region, n.lma_region)
        if name is not None
    }
    aliased = {n.region for n in ctx.script.walk() if isinstance(n, ast.RegionAlias)}
    named = used | aliased | _named_in_expressions(ctx.script)
    where = "this script"
    looked = False
    for i, (node, anchor, start, end) in enumerate(seen):
        for other, other_anchor, o_start, o_end in seen[:i]:
            low, high = max(start, o_start), min(end, o_end)
            if low >= high:
                continue
            if not looked and not used and not aliased:
                # A MEMORY file the repository's scripts INCLUDE, or that scripts beside
                # it use: what they place decides (NuttX's stm32f769i-disco `memory.ld`,
                # linked with kernel-space.ld or user-space.ld, neither of which uses
                # `dtcm`). Read only once an overlap needs it.
                looked = True
                by_includers = _used_by_includers(ctx, set(regions))
                if by_includers is not None:
                    used, named = by_includers, by_includers | named
                    where = "this script or the scripts linked with it"
            inner = _containment((start, end), (o_start, o_end))
            if inner is None:
                f = _finding(node, anchor, (start, end), other, other_anchor, (o_start, o_end))
                idle = [r.name for r in (node, other) if r.name not in named]
                if idle and used and not aliased:
                    # The script places sections in regions, but nothing goes into one
                    # of these, nor reads its bounds: they cannot collide in this script
                    # (NuttX's stm32f7 `dtcm`, declared 128K over `sram1`, used by no
                    # section). A MEMORY file without SECTIONS, or one that hands its
                    # regions on by REGION_ALIAS (cortex-m-rt's and riscv-rt's memory.x),
                    # is used by the script that INCLUDEs it, so it is not judged so.
                    f = replace(
                        f,
                        message=f.message + f"; nothing in {where} uses `{idle[0]}`"
                        " (no `>`, `AT>`, REGION_ALIAS, ORIGIN() or LENGTH() names it), so"
                        " they cannot collide here",
                        severity="info",
                    )
                yield f
                continue
            outer = (o_start, o_end) if inner == (start, end) else (start, end)
            if _tiled(outer, [(a, b) for _, _, a, b in seen]):
                continue  # INFOMEM = INFOA + INFOB: the whole and its parts, by design
            if node.name in used and other.name in used and _kinds_differ(node, other):
                # A RAM region declared over a flash or ROM one (or the reverse), with
                # sections in both: no bank alias, a wrong ORIGIN (ChibiOS RP2040's
                # `ram1` at 0x0, over the boot ROM `flash0`).
                yield _finding(node, anchor, (start, end), other, other_anchor, (o_start, o_end))
                continue
            yield _contained(node, anchor, (start, end), other, other_anchor, (o_start, o_end))


def _used_by_includers(ctx: Context, declared: set[str]) -> set[str] | None:
    """The regions used (``>``, ``AT>``, ``REGION_ALIAS``, ``ORIGIN()``, ``LENGTH()``)
    by the scripts that take this file's ``declared`` regions: those that INCLUDE it,
    and those beside it that place sections in a region only this file declares (a
    link given `-T memory.ld -T kernel-space.ld`, as NuttX's boards are). None when
    there is no such script (or none of them parses)."""
    from kernlint.ldscript import ScriptSyntaxError, ast, load_script
    from kernlint.ldscript.recognise import includers_of
    from kernlint.project import scripts_around

    around = scripts_around(ctx)
    folder = os.path.dirname(os.path.abspath(ctx.path))
    here = os.path.realpath(ctx.path)
    takers = set(includers_of(ctx.path, around))
    siblings = [
        p
        for p in around
        if os.path.dirname(os.path.abspath(p)) == folder and os.path.realpath(p) != here
    ]
    found: set[str] | None = None
    for path in dict.fromkeys([*takers, *siblings]):
        try:
            loaded = load_script(path)
        except (ScriptSyntaxError, OSError):
            continue
        used = set()
        for n in loaded.walk():
            if isinstance(n, ast.OutputSection | ast.Overlay):
                used |= {r for r in (n.region, n.lma_region) if r is not None}
            elif isinstance(n, ast.RegionAlias):
                used.add(n.region)
        own = {n.name for n in loaded.walk() if isinstance(n, ast.MemoryRegion)}
        if path not in takers and not (used - own) & declared:
            continue  # a sibling with regions of its own: another link
        found = (found or set()) | used | _named_in_expressions(loaded)
    return found


def _named_in_expressions(script) -> set[str]:
    """Regions whose bounds an expression of ``script`` (a loaded script) reads:
    ``ORIGIN(r)``, ``LENGTH(r)`` (a stack or heap placed by symbols,
    ``__stack_top = ORIGIN(ram) + LENGTH(ram);``)."""
    from kernlint.ldscript import ast

    return {
        arg.value
        for n in script.walk()
        for c in ast.walk(n)
        if isinstance(c, ast.Call) and c.function.upper() in ("ORIGIN", "LENGTH")
        for arg in c.args
        if isinstance(arg, ast.Name)
    }


def _kind(region: ast.MemoryRegion) -> str | None:
    """``"rw"`` for a region of writable memory, ``"ro"`` for flash or ROM, None when
    unknown: by the region's attributes (``(wx)``, ``(rx)``; ld manual "MEMORY
    Command"), else by its name (``ram``/``sram`` against ``flash``/``rom``)."""
    attrs = (region.attributes or "").split("!")[0].lower()
    if attrs:
        return "rw" if "w" in attrs else "ro"
    name = region.name.lower()
    if "flash" in name or "rom" in name:
        return "ro"
    if "ram" in name:
        return "rw"
    return None


def _kinds_differ(a: ast.MemoryRegion, b: ast.MemoryRegion) -> bool:
    """True when one region is writable memory and the other flash or ROM."""
    ka, kb = _kind(a), _kind(b)
    return ka is not None and kb is not None and ka != kb


def _containment(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int] | None:
    """The range of ``a``, ``b`` that lies inside the other, or None when neither does
    (a partial overlap)."""
    if b[0] <= a[0] and a[1] <= b[1]:
        return a
    if a[0] <= b[0] and b[1] <= a[1]:
        return b
    return None


def _tiled(outer: tuple[int, int], ranges: list[tuple[int, int]]) -> bool:
    """True when at least two other regions lie inside ``outer`` without overlapping
    each other and together cover it exactly (TI MSP430's ``INFOMEM`` = ``INFOA`` +
    ``INFOB`` + ...)."""
    parts = sorted(r for r in ranges if r != outer and outer[0] <= r[0] and r[1] <= outer[1])
    if len(parts) < 2:
        return False
    at = outer[0]
    for low, high in parts:
        if low != at:
            return False
        at = high
    return at == outer[1]


def _contained(
    node: ast.MemoryRegion,
    anchor: ast.Include | None,
    span: tuple[int, int],
    other: ast.MemoryRegion,
    other_anchor: ast.Include | None,
    other_span: tuple[int, int],
) -> Finding:
    (start, end), (o_start, o_end) = span, other_span
    loc, note = _where(node, anchor)
    if o_start <= start and end <= o_end:
        inner, outer, i_span, o_span = node.name, other.name, span, other_span
    else:
        inner, outer, i_span, o_span = other.name, node.name, other_span, span
    message = (
        f"MEMORY region `{inner}` [{i_span[0]:#x}, {i_span[1]:#x}) lies inside region"
        f" `{outer}` [{o_span[0]:#x}, {o_span[1]:#x}) ({_line(other, other_anchor)}){note}:"
        " a part of a larger region is usually deliberate (a whole flash and its sectors);"
        f" sections placed in `{outer}` can still grow into `{inner}`, which neither GNU ld"
        " nor ld.lld checks"
    )
    fix = (
        f"place sections in `{inner}` or in the rest of `{outer}`, not both, or shrink `{outer}`"
        " to the part no other region covers"
    )
    return Finding(message, loc, fix=fix, severity="info")


def _finding(
    node: ast.MemoryRegion,
    anchor: ast.Include | None,
    span: tuple[int, int],
    other: ast.MemoryRegion,
    other_anchor: ast.Include | None,
    other_span: tuple[int, int],
) -> Finding:
    (start, end), (o_start, o_end) = span, other_span
    low, high = max(start, o_start), min(end, o_end)
    loc, note = _where(node, anchor)
    message = (
        f"MEMORY region `{node.name}` [{start:#x}, {end:#x}) overlaps region"
        f" `{other.name}` [{o_start:#x}, {o_end:#x}) ({_line(other, other_anchor)}) in"
        f" [{low:#x}, {high:#x}), {_size(high - low)}{note}: neither GNU ld nor ld.lld"
        " checks regions against each other, so what goes into one can overwrite the other"
    )
    if o_start < start:
        fix = (
            f"start `{node.name}` at ORIGIN = {o_end:#x} (the end of `{other.name}`),"
            f" or shrink `{other.name}` to LENGTH = {start - o_start:#x}"
        )
    elif start < o_start:
        fix = (
            f"shrink `{node.name}` to LENGTH = {o_start - start:#x} (up to `{other.name}`),"
            f" or start `{other.name}` at ORIGIN = {end:#x}"
        )
    else:
        fix = (
            f"start `{node.name}` at ORIGIN = ORIGIN({other.name}) + LENGTH({other.name}),"
            f" or drop it from MEMORY and write REGION_ALIAS({node.name}, {other.name})"
        )
    return Finding(message, loc, fix=fix)
