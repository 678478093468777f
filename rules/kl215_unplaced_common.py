"""The script bounds `.bss` with symbols, but COMMON symbols land outside the bounds.

## What it does
Finds the `.bss` boundary symbols a script defines — a start symbol (`__bss_start`,
`_bss_start`, `bss_start`, `__bss_start__`, `__bss_begin`, `_sbss`, `sbss`, ...)
and the first end symbol after it (`__bss_end`, `__bss_stop`, `_ebss`, `ebss`,
`__bss_end__`, `_end`, `end`, ...), each assigned from the location counter — and
works out where the linker puts COMMON symbols (`int x;` compiled with `-fcommon`,
GNU as `.comm`, Fortran common blocks):

1. into the first input section description that matches `COMMON` (`*(COMMON)`,
   `*(.bss COMMON)`);
2. with none, at the end of the output section named `.bss` — GNU ld's and
   ld.lld's behaviour, after every statement of that section;
3. with no `.bss` output section either, into a new `.bss` output section placed
   by orphan heuristics (GNU ld 2.40 puts it after the last writable section *and*
   the assignments that follow it).

When that place is not between the two symbols (`*(COMMON)` written after the end
symbol or before the start symbol, an end symbol assigned inside `.bss` with no
`*(COMMON)` before it, or no `.bss` output section), whether it matters depends on
the objects: GCC 10 and later (`-fno-common` is the default), Clang 11 and later and
Rust emit no COMMON symbols at all. So:

- with the objects (`--objects`, a target's `objects`, the script's `INPUT()`), the
  rule lays them out as GNU ld would and reports a **warning** only when some object
  has `SHN_COMMON` symbols (`readelf -s` shows `COM`) that land outside the range,
  naming them;
- without them it reports at **info** level, saying it would need the objects.

The finding points at the end symbol's assignment and says where `*(COMMON)` belongs.

Symbols defined from `ADDR()`/`SIZEOF()` rather than `.` are not positions in the
script, so the rule says nothing about them; nor when the symbols enclose the
whole `.bss` output section (`__bss_start = .; .bss : { *(.bss) } __bss_end = .;`),
where the appended COMMON input lies inside the range (checked with GNU ld 2.40 and
ld.lld).

## Why is this bad?
Startup code zeroes `[__bss_start, __bss_end)` and nothing else; a loader that
zeroes `p_memsz - p_filesz` does not help a kernel that is copied, relocated or
entered before paging maps `.bss`. A COMMON variable outside the range keeps
whatever the memory held — a bug that appears only on some machines or after a
warm reboot. No linker warns: GNU ld does not even list COMMON under
`--orphan-handling=warn`; ld.lld says only `c.o:(COMMON) is being placed in '.bss'`.
GCC stopped emitting COMMON by default in version 10 (`-fno-common`), but older
compilers, `-fcommon` builds, assembly `.comm` and Fortran still do. On this rule's
sample, `nm` shows `tick_count` at `__bss_end`, past the zeroed range.

## Example
```ld
.bss : {
    __bss_start = .;
    *(.bss .bss.*)
    __bss_end = .;
}
```

## Use instead
```ld
.bss : {
    __bss_start = .;
    *(.bss .bss.*)
    *(COMMON)
    __bss_end = .;
}
```

## References
- GNU ld manual, "Input Section for Common Symbols" (`*(COMMON)`), "Orphan
  Sections" ("If an orphaned section's name exactly matches ... placed at the end of
  that output section"), `FORCE_COMMON_ALLOCATION`.
- GCC manual, "Code Gen Options": `-fcommon`; GCC 10 release notes ("GCC now
  defaults to `-fno-common`").
- GAS manual, `.comm`.
- kernlint research, `anchors-ldscript.md` §2 M11 (COMMON not placed;
  rust-embedded/cortex-m-rt#287, klange/toaruos#87).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL215"
NAME = "unplaced-common"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

#: Names of the symbol that starts the range startup code zeroes.
BSS_START = re.compile(r"_*(?:s_?bss|bss_?(?:start|begin))_*", re.I)
#: Names of the symbol that ends it (``_end``/``end``: the image end, zeroed up to).
BSS_END = re.compile(r"_*(?:e_?bss|bss_?(?:end|stop)|end)_*", re.I)


@dataclass(frozen=True)
class _Event:
    """One step of the script in layout order: a symbol assignment, an input section
    description, or the end of an output section (``node`` is then the section)."""

    kind: str  # "assign", "input" or "end"
    node: ast.Node
    section: ast.OutputSection | ast.OverlaySection | None


def _events(ctx: Context) -> list[_Event]:
    from kernlint.ldscript import ast

    assert ctx.script is not None
    out: list[_Event] = []

    def body(sec) -> None:
        for stmt in ctx.script.statements(sec.statements):
            if isinstance(stmt, ast.Assignment):
                out.append(_Event("assign", stmt, sec))
            elif isinstance(stmt, ast.InputSectionDescription):
                out.append(_Event("input", stmt, sec))
        out.append(_Event("end", sec, sec))

    for top in ctx.script.statements():
        if not isinstance(top, ast.Sections):
            continue
        for stmt in ctx.script.statements(top.statements):
            if isinstance(stmt, ast.OutputSection):
                body(stmt)
            elif isinstance(stmt, ast.Overlay):
                for sec in stmt.sections:
                    body(sec)
            elif isinstance(stmt, ast.Assignment):
                out.append(_Event("assign", stmt, None))
    return out


def _uses_dot(expr: ast.Node) -> bool:
    from kernlint.ldscript import ast

    return any(isinstance(n, ast.Dot) for n in ast.walk(expr))


def _defines(event: _Event, names: re.Pattern[str]) -> bool:
    from kernlint.ldscript import ast

    node = event.node
    return (
        event.kind == "assign"
        and isinstance(node, ast.Assignment)
        and node.op == "="
        and names.fullmatch(node.target) is not None
    )


def _matches_common(pattern: str) -> bool:
    """True when ld's wildcard ``pattern`` matches the pseudo-section ``COMMON``
    (``COMMON`` has no wildcard characters, so Python's fnmatch agrees with ld's)."""
    return fnmatch.fnmatchcase("COMMON", pattern)


def _at(ctx: Context, span: ast.Span) -> str:
    """``line 12``, or ``bss.ld:3`` for a line of an included file."""
    if ctx.script is not None and span.file != ctx.script.script.path:
        return f"{span.file}:{span.line}"
    return f"line {span.line}"


def _where(ctx: Context, span: ast.Span) -> tuple[Location, str]:
    """The location of ``span`` in the main file (the INCLUDE that brings it in, for a
    node of an included file), and a note naming the included place."""
    from kernlint.ldscript.evaluate import anchor

    at, note = anchor(ctx.script, span)
    return Location.from_span(at), note


def check(ctx: Context) -> Iterator[Finding]:
    """One finding when COMMON input is placed outside the .bss boundary symbols."""
    from kernlint.ldscript import ast

    if ctx.script is None:
        return
    events = _events(ctx)
    start = next((i for i, e in enumerate(events) if _defines(e, BSS_START)), None)
    if start is None:
        return
    end = next((i for i in range(start + 1, len(events)) if _defines(events[i], BSS_END)), None)
    if end is None:
        return
    s_node, e_node = events[start].node, events[end].node
    assert isinstance(s_node, ast.Assignment) and isinstance(e_node, ast.Assignment)
    if not (_uses_dot(s_node.expr) and _uses_dot(e_node.expr)):
        return  # ADDR()/SIZEOF() values: not positions in the script

    common = next(
        (
            i
            for i, e in enumerate(events)
            if e.kind == "input"
            and isinstance(e.node, ast.InputSectionDescription)
            and any(_matches_common(p.pattern) for p in e.node.sections)
        ),
        None,
    )
    s_name, e_name = s_node.target, e_node.target
    e_at = _at(ctx, e_node.span)
    stuff = "COMMON symbols (`-fcommon`, `.comm`)"
    if common is not None:
        if start < common < end:
            return
        side = f"after `{e_name}`" if common > end else f"before `{s_name}`"
        consequence = f"the `*(COMMON)` at {_at(ctx, events[common].node.span)} is {side}"
        consequence += f", and {stuff} go there"
    else:
        bss_end = next(
            (
                i
                for i, e in enumerate(events)
                if e.kind == "end"
                and isinstance(e.node, ast.OutputSection)
                and e.node.name == ".bss"
            ),
            None,
        )
        if bss_end is not None:
            if start < bss_end < end:
                return  # appended to .bss, which lies inside the range
            side = f"after `{e_name}`" if bss_end > end else f"before `{s_name}`"
            consequence = (
                f"GNU ld and ld.lld append {stuff} to the end of output section `.bss`, {side}"
            )
        else:
            consequence = (
                f"with no `.bss` output section the linker puts {stuff} in a new `.bss`"
                " that it places by orphan heuristics"
            )
    message = (
        f"no `*(COMMON)` between `{s_name}` ({_at(ctx, s_node.span)}) and `{e_name}`"
        f" ({_at(ctx, e_node.span)}): {consequence}, so code that zeroes"
        f" [{s_name}, {e_name}) leaves them uninitialised"
    )
    # Where *(COMMON) belongs: after the last input statement before the end symbol.
    holder = next(
        (
            events[i].section
            for i in range(end - 1, start, -1)
            if events[i].kind == "input" and events[i].section is not None
        ),
        events[end].section,
    )
    verb = "move `*(COMMON)` into" if common is not None else "add `*(COMMON)` to"
    if holder is None:
        fix = f"{verb} `.bss`, between `{s_name}` and `{e_name}`"
    elif holder is events[end].section:
        fix = f"{verb} `{holder.name}`, right before `{e_name}` ({e_at})"
    else:
        fix = f"{verb} `{holder.name}` after its input sections, before `{e_name}` ({e_at})"
    location, _ = _where(ctx, e_node.span)
    if not ctx.has_objects:
        yield Finding(
            f"{message}, if any object has COMMON symbols: GCC 10 and later (`-fno-common` by"
            " default), Clang 11 and later and Rust make none, so kernlint needs the objects"
            " (`--objects`, a target's `objects`) to tell",
            location,
            fix=fix,
            severity="info",
        )
        return
    outside = _commons_outside(ctx, s_name, e_name)
    if outside:
        names = ", ".join(f"`{n}`" for n in outside[:4]) + (" ..." if len(outside) > 4 else "")
        yield Finding(
            f"{message}: the objects' COMMON symbols {names} land there", location, fix=fix
        )


def _commons_outside(ctx: Context, start: str, end: str) -> list[str]:
    """The COMMON symbols of the objects (``SHN_COMMON``: `-fcommon`, `.comm`) that the
    predicted layout puts outside ``[start, end)``; empty when the objects have none
    (the layout makes one ``COMMON`` input section per object holding them, ld manual
    "Input Section Common")."""
    from kernlint.layout.objects import SHN_COMMON

    layout = ctx.layout
    if layout is None:
        return []
    low, high = layout.symbols.get(start), layout.symbols.get(end)
    out: list[str] = []
    for obj in layout.objects:
        common = next((c for c in obj.sections if c.name == "COMMON" and c.index == -1), None)
        if common is None:
            continue
        if any(d is common or d.key == common.key for d, _ in layout.discarded):
            continue  # /DISCARD/ or --gc-sections: nothing of it is in the image
        address = layout.address_of(common)
        # Not placed and not discarded: an orphan `.bss` the layout does not model
        # (ld creates one after the last writable section): outside, as the script says.
        known = address is not None and low is not None and high is not None
        if known and low <= address < high:
            continue
        out.extend(s.name for s in obj.symbols if s.shndx == SHN_COMMON and not s.local)
    return out
