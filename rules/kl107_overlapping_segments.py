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

ID = "KL107"
NAME = "overlapping-segments"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})


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
