"""A `MEMORY` region the laid-out sections do not fit in, or a section no region takes.

## What it does
With the objects a script links (`kernlint check --script S --objects a.o ...`, a
configuration target's `script` and `objects`, or the files the script's own
`INPUT()` names), lays them out as GNU ld 2.40 would (`kernlint layout`) and runs ld's
region checks on the result:
- an output section placed `> REGION` (or `AT> REGION`) that moves the region's
  location counter past `ORIGIN + LENGTH`: ld prints "section `S' will not fit in
  region `R'" for the first such section and, when the output has more than one
  section, "region `R' overflowed by N bytes" with the total; the finding gives N,
  the region's bounds and the largest input sections in the region;
- a section with its own address that leaves the region's counter outside the region
  ("address A of section `S' is not within region `R'");
- with `MEMORY` present, an allocated output section with no `> REGION` whose flags
  no region's attributes accept ("no memory region specified for loadable section").

## Why is this bad?
ld refuses the link, and its message names the region, not what grew: which input
section pushed a boot sector, a ROM image or an on-chip RAM past its size is left to
`readelf` and a map file. A region sized for a budget — a 446-byte MBR code area, a
32 KiB SRAM, a first-stage loader's 64 KiB — is exactly the kind of limit a boot
path depends on, and this reports the breach before anything is linked, with the
bytes to cut.

## Example
```ld
MEMORY { BOOT (rx) : ORIGIN = 0x7c00, LENGTH = 446 }
SECTIONS {
    .boot : { *(.boot) *(.rodata*) } > BOOT
}
```
with a `.boot` of 404 bytes and 101 bytes of `.rodata.msg`: 59 bytes over.

## Use instead
Shrink or move what the finding lists as the largest contributors (put messages and
tables in a later stage, or in a region with room: `.rodata : { ... } > RAM`), or
correct `LENGTH` if the budget is wrong. For "no memory region specified", name the
region (`.bss : { ... } > RAM`) or give the region attributes that accept the section
(`RAM (rwx)`).

## References
- GNU ld manual, "MEMORY Command" (region attributes, the default region) and
  "Output Section Region".
- binutils 2.40 `ld/ldlang.c`: `os_region_check`, `lang_check_section_addresses`
  ("region `%s' overflowed by %lu bytes"), `lang_memory_default`.
- kernlint research, `anchors-binary.md` §4 L14, L15 and L26.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL216"
NAME = "memory-region-overflow"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed): the object prefix is the output file's name.
    LogPattern(
        "ld",
        r"section `(?P<section>[^']+)' will not fit in region `(?P<region>[^']+)'",
        "The sections placed in MEMORY region {region} grew past its LENGTH; {section}"
        " is the first that did not fit (the next line says by how many bytes). Shrink"
        " or move what the region holds, or enlarge the region; `kernlint check"
        " --script` on the script and objects lists the largest input sections.",
        "ld: k.elf section `.boot' will not fit in region `BOOT'",
    ),
    LogPattern(
        "ld",
        r"region `(?P<region>[^']+)' overflowed by (?P<overflow>\d+) bytes?",
        "MEMORY region {region} is {overflow} bytes too small for what the script puts"
        " in it. Cut that much from its sections (or move some to another region), or"
        " enlarge its LENGTH if the budget allows.",
        "ld: region `BOOT' overflowed by 123 bytes",
    ),
    LogPattern(
        "ld",
        r"address (?P<address>0x[0-9a-fA-F]+) of (?:\S+ )?section `(?P<section>[^']+)'"
        r" is not within region `(?P<region>[^']+)'",
        "Output section {section} has an address of its own, and after it MEMORY region"
        " {region}'s location counter is {address}, outside the region. Drop the"
        " explicit address (the region places the section), or give the section an"
        " address inside the region.",
        "ld: address 0x81f9 of o.elf section `.boot' is not within region `BOOT'",
    ),
    LogPattern(
        "ld",
        r"no memory region specified for loadable section `(?P<section>[^']+)'",
        "The script has a MEMORY command, and allocated output section {section} names"
        " no region with `> REGION` while no region's attributes accept it. Add"
        " `> REGION` to the section, or attributes to a region that cover it (`(rwx)`).",
        "ld: error: no memory region specified for loadable section `.bss'",
    ),
    # LLD 14 (observed): one line per section, with the overflow so far.
    LogPattern(
        "lld",
        r"section '(?P<section>[^']+)' will not fit in region '(?P<region>[^']+)':"
        r" overflowed by (?P<overflow>\d+) bytes?",
        "MEMORY region {region} is too small: after section {section} it is {overflow}"
        " bytes over (ld.lld repeats the line for each section after the overflow)."
        " Shrink or move what the region holds, or enlarge its LENGTH.",
        "ld.lld: error: section '.boot' will not fit in region 'BOOT': overflowed by 59 bytes",
    ),
    LogPattern(
        "lld",
        r"no memory region specified for section '(?P<section>[^']+)'",
        "The script has a MEMORY command and section {section} is placed in none of its"
        " regions. Add `> REGION` to the output section that takes it, or name the"
        " section in the script so that it lands in one.",
        "ld.lld: error: no memory region specified for section '.bss'",
    ),
)

#: How many input sections a finding names as the largest contributors.
TOP = 3


def _contributors(layout, names: tuple[str, ...]) -> str:
    """``boot.o(.boot) 404 bytes, ...``: the largest input sections of the output
    sections ``names``, largest first."""
    wanted = set(names)
    inputs = [p.section for s in layout.sections if s.name in wanted for p in s.inputs]
    inputs.sort(key=lambda s: -s.size)
    return ", ".join(f"{s.label()} {s.size} bytes" for s in inputs[:TOP] if s.size)


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per region check GNU ld would fail on the predicted layout
    (:attr:`kernlint.layout.model.Layout.region_errors`), at the output section's
    statement in the script."""
    if not ctx.has_objects:
        return
    layout = ctx.layout
    if layout is None or not layout.region_errors:
        return
    from kernlint.ldscript.evaluate import anchor

    spans, _ = ctx.script.output_section_spans()
    for error in layout.region_errors:
        location, note = Location(), ""
        span = spans.get(error.section)
        if span is not None:
            span, note = anchor(ctx.script, span)
            location = Location.from_span(span)
        end = error.origin + error.length
        if error.kind == "will-not-fit":
            largest = _contributors(layout, error.sections)
            yield Finding(
                message=f"output section {error.section} will not fit in MEMORY region"
                f" {error.region} (ORIGIN {error.origin:#x}, LENGTH {error.length} bytes):"
                f" the region's location counter ends at {error.address:#x},"
                f" {error.overflow} bytes past {end:#x}"
                + (f"; largest input sections in it: {largest}" if largest else "")
                + f"; GNU ld will stop with \"section `{error.section}' will not fit in"
                f" region `{error.region}'\"{note}",
                location=location,
                fix=f"cut {error.overflow} bytes from what region {error.region} holds"
                " (move messages or tables to a later stage or another region), or"
                " enlarge its LENGTH if the budget allows",
            )
        elif error.kind == "not-within":
            yield Finding(
                message=f"output section {error.section} has an address of its own that"
                f" leaves MEMORY region {error.region}'s location counter at"
                f" {error.address:#x}, outside [{error.origin:#x}, {end:#x}]; GNU ld will"
                f" stop with \"address {error.address:#x} of section `{error.section}' is"
                f" not within region `{error.region}'\"{note}",
                location=location,
                fix=f"drop the address and let `> {error.region}` place the section, or"
                " give it an address inside the region",
            )
        else:
            yield Finding(
                message=f"allocated output section {error.section} has no `> REGION` and"
                " no MEMORY region's attributes accept it; GNU ld will stop with \"no"
                f" memory region specified for loadable section `{error.section}'\"{note}",
                location=location,
                fix=f"add `> REGION` to {error.section}, or attributes to a region that"
                " cover it (e.g. `RAM (rwx)`)",
            )
