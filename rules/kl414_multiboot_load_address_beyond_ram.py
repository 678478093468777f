"""A Multiboot kernel asks to be loaded at a physical address where a PC has no RAM.

## What it does
Checks the physical load addresses of images loaded with Multiboot 1 or 2, as GRUB
and QEMU `-kernel` take them: each `PT_LOAD`'s `[p_paddr, p_paddr + p_memsz)` (`.bss`
included), or, with the Multiboot 1 a.out kludge (flags bit 16), `[load_addr,
bss_end_addr)` (also for a flat, non-ELF kernel named with `--boot-protocol
multiboot1`). It reports:

- **error**: a range that reaches into 0xC0000000-0xFFFFFFFF (3 GiB to 4 GiB). That
  is the 32-bit PC's hole for device memory: the PCI MMIO window, the I/O APIC at
  0xFEC00000, the local APIC at 0xFEE00000, the firmware flash below 4 GiB. QEMU's
  `q35` machine never puts RAM above 0xB0000000 there, its `pc` machine never above
  0xC0000000 once it has more RAM than 3.5 GiB (the rest goes above 4 GiB), and the
  default 128 MiB ends at 0x8000000. The usual cause is a higher-half kernel linked
  with `. = 0xC0100000;` and no `AT()`, so that `p_paddr = p_vaddr`.
- **warning**: the same mistake one split lower, a segment with `p_paddr = p_vaddr`
  from 0x80000000 (2 GiB, the 2 GiB/2 GiB higher half) up to 3 GiB: it loads only
  on a machine with more than 2 GiB of RAM below 4 GiB, which QEMU's default
  128 MiB, and `q35` with more than 2.75 GiB, are not.

An image with a segment at the x86 reset vector (0xFFFFFFF0) is a firmware ROM that
runs from flash (U-Boot's `qemu-x86` build carries a Multiboot header with the a.out
kludge and `load_addr` 0xFFF00000): its finding is `info`, since the Multiboot
loaders are not how that build is started.

The 4 GiB limit of GRUB's ELF64 loader ("segment crosses 4 GiB border.") is KL407's;
this rule reports only ranges that start below 4 GiB. Not checked: a Multiboot 2
header with a relocatable tag (type 10: GRUB picks the address itself within
`[min_addr, max_addr]`) or an address tag (type 2).

## Why is this bad?
GRUB allocates each segment at its exact physical address in the firmware's memory
map and finds no RAM there: `error: out of memory.` and the kernel never runs (with
the a.out kludge it copies the file there without a word, and the machine hangs or
resets).
QEMU `-kernel` (Multiboot 1) copies the bytes into no RAM and jumps to `e_entry`: the
machine hangs without a word. A higher-half kernel must be *linked* high and
*loaded* low: its entry code runs at the physical address with paging off and maps
the higher half itself.

Observed (GNU ld 2.40, GRUB 2.06 i386-pc `multiboot`, QEMU 7.2): a 32-bit kernel
linked with `. = 0xC0100000;` and no `AT()`: "out of memory." on QEMU `pc` with
128 MiB, on `pc` with 8 GiB, on `q35` with 3.5 GiB; it boots only on `pc` with
3.5 GiB (no split: RAM up to 0xDAC00000). Linked at 0x80100000: "out of memory."
with 128 MiB and on `q35` with 3 GiB; boots on `pc` with 2.1 GiB. QEMU `-kernel`
(64 MiB) hangs on both. With `AT(ADDR(.text) - KERNEL_VMA)` both boot everywhere.

## Example
```ld
ENTRY(_start)
SECTIONS {
    . = 0xC0100000;                   /* p_paddr = p_vaddr = 0xc0100000 */
    .text : { KEEP(*(.multiboot)) *(.text .text.*) }
    .bss : { *(.bss .bss.*) }
}
```

## Use instead
```ld
ENTRY(_start)
KERNEL_VMA = 0xC0000000;
SECTIONS {
    . = KERNEL_VMA + 1M;
    .text : AT(ADDR(.text) - KERNEL_VMA) { KEEP(*(.multiboot)) *(.text .text.*) }
    .bss : AT(ADDR(.bss) - KERNEL_VMA) { *(.bss .bss.*) }
}
```
Keep `ENTRY()` on the virtual entry symbol (GRUB translates it through the segment,
KL407), and let the entry code, which runs before paging, address memory as
`symbol - KERNEL_VMA` until it has mapped the higher half.

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (each segment is allocated with
  `grub_relocator_alloc_chunk_addr` at `p_paddr`, size `p_memsz`) and
  `grub-core/lib/relocator.c` (no free RAM in the range: `GRUB_ERR_OUT_OF_MEMORY`,
  "out of memory").
- QEMU 7.2 `hw/i386/pc_piix.c` and `hw/i386/pc_q35.c` (the split of RAM below and
  above 4 GiB: `max-ram-below-4g`, 0xC0000000 / 0xE0000000 on `pc`, 0x80000000 /
  0xB0000000 on `q35`); `hw/i386/multiboot.c` (ELF loaded at `p_paddr`).
- Multiboot Specification 0.6.96 §3.1.3 ("the OS image is loaded at its physical
  address"); Multiboot2 Specification 2.0 §3.1.
- GNU ld manual, "Output Section LMA" (`AT()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT1, MULTIBOOT2
from kernlint.context import FLAT_KERNEL, IMAGE, Context
from kernlint.elf.facts import sections_in
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Segment


ID = "KL414"
NAME = "multiboot-load-address-beyond-ram"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE, FLAT_KERNEL})

#: GRUB's "error: out of memory." is printed for any allocation that fails (an initrd
#: or module larger than RAM, a font), not only for a segment outside RAM: it maps to
#: no one rule, so this rule declares no pattern for it.
LOG_PATTERNS = ()

#: Start of the PC's device-memory hole below 4 GiB: QEMU's machines put no RAM at or
#: above it (``pc`` with more than 3.5 GiB, ``q35`` always, the default 128 MiB), and
#: real PCs map the PCI window, the APICs and the firmware flash there.
HOLE = 0xC0000000
#: Start of the 2 GiB/2 GiB higher half: ``p_paddr = p_vaddr`` from here needs a
#: machine with more than 2 GiB of RAM below 4 GiB.
HIGHER_HALF_2G = 0x80000000
_4G = 1 << 32
#: Where an x86 CPU starts after reset (Intel SDM Vol. 3A §9.1.4): an image with a
#: segment here is a firmware ROM (U-Boot's qemu-x86 build, coreboot), placed by its
#: physical addresses in flash below 4 GiB.
RESET_VECTOR = 0xFFFFFFF0


def _firmware_rom(image: Image) -> str | None:
    """The label of the ``PT_LOAD`` whose physical range holds :data:`RESET_VECTOR`,
    or None."""
    seg = next((s for s in image.load_segments if s.p_paddr <= RESET_VECTOR < s.pend), None)
    return None if seg is None else image.segment_label(seg)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding for the ranges in the hole (error), else one for the
    higher-half ranges without ``AT()`` between 2 and 3 GiB (warning)."""
    from kernlint.boot import multiboot1, multiboot2

    flat = ctx.flat_kernel
    if flat is not None:  # a flat file named as a Multiboot 1 kernel: the kludge decides
        taken = flat.grub_multiboot1
        if taken is not None and taken.aout is not None:
            yield from _kludge(flat.size, taken)
        return
    headers = ctx.boot_headers
    if headers is None:
        return
    protocols = ctx.boot_protocols & {MULTIBOOT1, MULTIBOOT2}
    if not protocols:
        return
    image = ctx.image
    mb1 = headers.grub_multiboot1
    mb2 = headers.grub_multiboot2
    kludge = mb1 is not None and bool(mb1.flags & multiboot1.FLAG_AOUT_KLUDGE)
    mb2_own = mb2 is not None and any(
        mb2.tag(t) is not None for t in (multiboot2.TAG_ADDRESS, multiboot2.TAG_RELOCATABLE)
    )
    rom = _firmware_rom(image)
    found: list[Finding] = []
    if MULTIBOOT1 in protocols and kludge and mb1.aout is not None:
        found += _kludge(image.size, mb1)
    if (MULTIBOOT1 in protocols and not kludge) or (MULTIBOOT2 in protocols and not mb2_own):
        found += _segments(image)
    for f in found:
        if rom is None:
            yield f
        else:
            yield Finding(
                f"{f.message} (this image is a firmware ROM: {rom} holds the reset vector"
                f" {RESET_VECTOR:#x}, so it is meant to run from flash, and the Multiboot"
                " loaders are not how it is started)",
                f.location,
                fix=f.fix,
                severity="info",
            )


def _segments(image: Image) -> Iterator[Finding]:
    segs = [s for s in image.load_segments if s.p_memsz and s.p_paddr < _4G]
    hole = [s for s in segs if s.pend > HOLE]
    high = [s for s in segs if s.p_paddr == s.p_vaddr and HIGHER_HALF_2G <= s.p_paddr < HOLE]
    if hole:
        listed = sorted({*hole, *high}, key=lambda s: s.index)
        yield Finding(
            f"{_describe(image, listed)}: physical addresses from {HOLE:#x} (3 GiB) to"
            " 4 GiB are the PC's device-memory hole (PCI window, APICs, firmware), with no"
            " RAM on QEMU's q35 machine, nor on its pc machine with the default 128 MiB or"
            ' more than 3.5 GiB: GRUB stops with "out of memory." and QEMU -kernel copies'
            " the bytes into no RAM and hangs",
            _location(hole[0]),
            fix=_fix(hole[0]),
        )
    elif high:
        yield Finding(
            f"{_describe(image, high)}: a higher-half kernel linked without AT() asks to"
            f" be loaded at {high[0].p_paddr:#x}, which only a machine with more than 2 GiB"
            " of RAM below 4 GiB has (not QEMU's default 128 MiB, nor q35 with more than"
            ' 2.75 GiB): GRUB stops with "out of memory." there, QEMU -kernel hangs',
            _location(high[0]),
            fix=_fix(high[0]),
            severity="warning",
        )


def _kludge(size: int, header) -> Iterator[Finding]:
    """The a.out-kludge load range of ``header`` in a file of ``size`` bytes."""
    from kernlint.boot import multiboot1

    layout = multiboot1.aout_layout(header.aout, header.offset, size)
    start, end = layout.load_addr, layout.load_addr + layout.memory_size
    if end <= HOLE or start >= _4G:
        return
    yield Finding(
        f"the a.out kludge of the Multiboot 1 header at file offset {header.offset:#x}"
        f" loads the kernel at physical {start:#x}-{end:#x} (load_addr to bss_end_addr),"
        f" in the PC's device-memory hole from {HOLE:#x} (3 GiB) to 4 GiB, where QEMU's"
        " machines have no RAM: GRUB and QEMU -kernel copy the file there without a word"
        " and jump into no code (observed: the machine hangs or resets)",
        Location(offset=header.offset),
        fix=(
            "give load_addr, load_end_addr, bss_end_addr and entry_addr physical"
            " addresses (from 1 MiB): for a higher-half kernel, the symbols minus"
            " KERNEL_VMA (`.long mb1_header - KERNEL_VMA`, ...)"
        ),
    )


def _describe(image: Image, segs: list[Segment]) -> str:
    parts = []
    for seg in segs:
        how = "p_paddr = p_vaddr: no AT()" if seg.p_paddr == seg.p_vaddr else "set by AT()"
        names = sections_in(image, seg)
        holds = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "") or "no section"
        parts.append(
            f"{image.segment_label(seg)} is loaded at physical {seg.p_paddr:#x}-{seg.pend:#x}"
            f" ({how}; holds {holds})"
        )
    return "; ".join(parts)


def _location(seg: Segment) -> Location:
    return Location(segment=seg.index, address=seg.p_vaddr, offset=seg.p_offset)


def _fix(seg: Segment) -> str:
    if seg.p_vaddr < HIGHER_HALF_2G:
        return (
            "give the output sections load addresses in RAM: drop the AT() (the kernel"
            f" is linked at {seg.p_vaddr:#x}) or make it 1 MiB or above, well below 2 GiB"
        )
    vma = seg.p_vaddr & ~0xFFFFFFF
    return (
        "link the kernel high but load it at 1 MiB: `KERNEL_VMA ="
        f" {vma:#x};`, `. = KERNEL_VMA + 1M;` and `.text : AT(ADDR(.text) - KERNEL_VMA)"
        " { ... }`, likewise .rodata, .data and .bss; keep ENTRY() on the virtual entry"
        " symbol (GRUB translates it), and let the entry code address memory as"
        " `symbol - KERNEL_VMA` until paging maps the higher half"
    )
