"""Two `PT_LOAD` segments overlap, or two allocated sections do.

## What it does
Reports each pair of `PT_LOAD` segments whose virtual ranges `[p_vaddr, p_vaddr +
p_memsz)` or physical ranges `[p_paddr, p_paddr + p_memsz)` overlap, and each pair of
allocated sections (non-zero size, `.tbss` excepted) whose address ranges overlap, in
linked images.

## Why is this bad?
A loader copies segments in table order: the later one overwrites the earlier where
they overlap, so code or data is silently replaced — or, for a physical overlap, the
bytes that GRUB loads at `p_paddr` clobber each other. GNU ld reports overlapping
sections ("section .data LMA [...] overlaps section .text LMA [...]") unless
`--no-check-sections` is given, and says nothing about overlapping segments built with
`PHDRS` and `AT()`.

## Example
```ld
SECTIONS {
  .text 0x100000 : AT(0x100000) { *(.text) }
  .data 0x200000 : AT(0x100000) { *(.data) }   /* same load address as .text */
}
```

## Use instead
```ld
  .data 0x200000 : AT(LOADADDR(.text) + SIZEOF(.text)) { *(.data) }
```
or `AT> region` with a `MEMORY` region that ld can fill in order.

## References
- GNU ld manual, "Output Section LMA", `--check-sections`.
- System V gABI, "Program Header".
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (loads each segment at `p_paddr`).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import is_executable_file
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL107"
NAME = "overlapping-segments"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: an MBR whose code runs into `.partition_table` placed at
    # 0x7c00 + 446; GNU ld checks LMAs first, so VMA overlaps often print as LMA).
    LogPattern(
        "ld",
        r"section (?P<a_section>\S+) (?P<kind>LMA|VMA) \[(?P<a_start>[0-9a-fA-F]+),"
        r"(?P<a_end>[0-9a-fA-F]+)\] overlaps section (?P<b_section>\S+) (?:LMA|VMA)"
        r" \[(?P<b_start>[0-9a-fA-F]+),(?P<b_end>[0-9a-fA-F]+)\]",
        "Sections {a_section} [{a_start}, {a_end}] and {b_section} [{b_start}, {b_end}]"
        " overlap by {overlap} bytes ({kind}), so GNU ld wrote no image. Usually a section"
        " at a fixed address (a partition table at 0x7c00 + 446, a header at a set offset)"
        " that what comes before it has outgrown: shrink that or move the fixed section;"
        " in a boot sector this is the budget overflow KL301 measures.",
        "ld: section .partition_table LMA [00007dbe,00007dfd] overlaps section .rodata"
        " LMA [00007c1d,00007dcb]",
        related=("KL301", "KL302"),
    ),
    # GNU ld 2.40 (observed, same link, with PHDRS: both sections in one PT_LOAD).
    LogPattern(
        "ld",
        r"(?<!\S)(?P<output>\S+): section (?P<section>\S+) lma (?P<from>0x[0-9a-fA-F]+) adjusted"
        r" to (?P<to>0x[0-9a-fA-F]+)",
        "The script puts {section} at load address {from}, inside the section before it in"
        " the same PT_LOAD of {output}, so GNU ld moved it {distance} bytes on to {to}"
        " without failing. What expects {section} at {from} (a partition table at"
        " 0x7c00 + 446, a signature at + 510) finds other bytes there: shrink what comes"
        " before it.",
        "ld: over.elf: section .partition_table lma 0x7dbe adjusted to 0x7dcc",
        related=("KL301", "KL302"),
    ),
    # LLD 14 (observed, same link; followed by ">>> .x range is [...]" lines).
    LogPattern(
        "lld",
        r"section (?P<a_section>\S+) (?P<kind>file range|virtual address range|load address"
        r" range) overlaps with (?P<b_section>\S+)",
        "The {kind}s of {a_section} and {b_section} overlap (the `>>>` lines give both),"
        " so ld.lld wrote no image. A section at a fixed address has been outgrown by"
        " what comes before it: shrink that or move the fixed section; in a boot sector"
        " this is the budget overflow KL301 measures.",
        "ld.lld: error: section .rodata load address range overlaps with .partition_table",
        related=("KL301", "KL302"),
    ),
    # Limine `common/lib/elf.c` (panic, after "PANIC: "); hand-typed from that source.
    LogPattern(
        "limine",
        r"elf: Attempted to load ELF file with overlapping PHDRs \((?P<a>\d+) and"
        r" (?P<b>\d+) overlap\)",
        "Limine refused the kernel: program headers {a} and {b} are PT_LOAD segments whose"
        " virtual ranges overlap, so one would overwrite the other. Give every output"
        " section its own address range in the script; KL107 on the image names the"
        " overlap.",
        "PANIC: elf: Attempted to load ELF file with overlapping PHDRs (1 and 2 overlap)",
    ),
)


def _overlaps(items, start, end):
    """Pairs (a, b) of items whose [start(x), end(x)) ranges overlap, by a sorted sweep."""
    ordered = sorted((x for x in items if end(x) > start(x)), key=lambda x: (start(x), end(x)))
    active = []
    for x in ordered:
        active = [a for a in active if end(a) > start(x)]
        for a in active:
            yield a, x
        active.append(x)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per overlapping segment pair (per address space) and section pair."""
    image = ctx.image
    if not is_executable_file(image):
        return
    loads = image.load_segments
    for space, start, end in (
        ("virtual", lambda s: s.p_vaddr, lambda s: s.vend),
        ("physical", lambda s: s.p_paddr, lambda s: s.pend),
    ):
        for a, b in _overlaps(loads, start, end):
            lo, hi = max(start(a), start(b)), min(end(a), end(b))
            yield Finding(
                f"segment {a.index} and segment {b.index} overlap in {space} addresses"
                f" {lo:#x}-{hi:#x} ({hi - lo} bytes): the later one overwrites the earlier",
                Location(segment=b.index, address=lo),
                fix=(
                    "give each output section its own load address (`AT()`/`AT>`) after the"
                    " previous one, e.g. `AT(LOADADDR(.prev) + SIZEOF(.prev))`"
                ),
            )
    secs = [s for s in image.sections if s.index and s.is_alloc and s.sh_size and not s.is_tbss]
    for a, b in _overlaps(secs, lambda s: s.sh_addr, lambda s: s.end):
        lo, hi = b.sh_addr, min(a.end, b.end)
        yield Finding(
            f"{a.label()} ({a.sh_addr:#x}-{a.end:#x}) and {b.label()} ({b.sh_addr:#x}-{b.end:#x})"
            f" overlap in {hi - lo} bytes at {lo:#x}",
            Location(section=b.name, address=lo, offset=b.sh_offset),
            fix=(
                "remove the address assignment that moves the location counter back, or drop"
                " `--no-check-sections` and read ld's overlap error"
            ),
        )
