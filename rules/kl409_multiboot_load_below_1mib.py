"""A segment is loaded below 1 MiB, over memory the PC keeps for itself.

## What it does
Checks images loaded with Multiboot 1, Multiboot 2 or Xen PVH for `PT_LOAD` segments
whose physical range (`p_paddr` to `p_paddr + p_memsz`, `.bss` included) starts below
0x100000, and names what they overlap in a PC's first megabyte:

| range | what is there |
|---|---|
| 0x00000-0x003ff | real-mode interrupt vector table (IVT) |
| 0x00400-0x004ff | BIOS data area (BDA) |
| 0x00500-0x7ffff | conventional memory (free, but loaders keep their own data there) |
| 0x80000-0x9ffff | EBDA area: the extended BIOS data area sits at its top |
| 0xa0000-0xbffff | VGA memory |
| 0xc0000-0xeffff | option ROMs (the VGA BIOS, QEMU's Multiboot loader ROM) |
| 0xf0000-0xfffff | system BIOS |

It also says when the segment covers what the loader itself writes there: QEMU
`-kernel` puts a Multiboot 1 kernel's memory map and Multiboot information at
0x9000-0x9557. (GRUB allocates its structures around the kernel, in 0x10000-0x9ffff
for Multiboot 1.)

## Why is this bad?
Multiboot and PVH loaders copy each segment to `p_paddr` and zero its `.bss` without
checking what lives there. Over ROM and VGA memory the bytes never arrive; over the
loader's own structures or the memory its last steps run from, the kernel or the
loader is overwritten. Observed: a kernel linked at 64 KiB with a 768 KiB `.bss`
boots under GRUB but hangs QEMU `-kernel`; the same kernel linked at 0 (a script
without `. = 1M;`) fails under both. A small kernel in free conventional memory may
boot, until it needs the BIOS tables or the EBDA it overwrote.

## Example
```ld
SECTIONS {
    . = 64K;                     /* or nothing: GNU ld starts at 0 */
    .text : { KEEP(*(.multiboot)) *(.text .text.*) }
    .bss : { *(.bss .bss.*) }    /* runs into VGA memory and the option ROMs */
}
```

## Use instead
```ld
SECTIONS {
    . = 1M;
    .text : { KEEP(*(.multiboot)) *(.text .text.*) }
    .bss : { *(.bss .bss.*) }
}
```
Code that must run below 1 MiB (an SMP real-mode trampoline) is linked as data and
copied there by the kernel at run time.

## References
- Multiboot Specification 0.6.96, §3.1.3 ("the OS image is loaded at its physical
  address"), and its example kernel linked at 1 MiB.
- OSDev wiki, "Memory Map (x86)": the real-mode address space below 1 MiB.
- GRUB 2.06 `grub-core/loader/i386/multiboot_mbi.c` (`grub_multiboot_make_mbi`:
  the MBI is allocated in 0x10000-0xa0000); QEMU 7.2 `hw/i386/multiboot.c`
  (`ADDR_E820_MAP = MULTIBOOT_STRUCT_ADDR + 0` with `MULTIBOOT_STRUCT_ADDR 0x9000`,
  `ADDR_MBI = ADDR_E820_MAP + 0x500`, `MBI_SIZE 88`).
- `research/anchors-binary.md` §2.1-§2.5.
"""

from collections.abc import Iterator

from kernlint.boot.protocol import MULTIBOOT1, MULTIBOOT2, PVH
from kernlint.context import IMAGE, Context
from kernlint.elf.facts import sections_in
from kernlint.finding import Finding, Location

ID = "KL409"
NAME = "multiboot-load-below-1mib"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})

ONE_MIB = 0x100000

#: The real-mode address space of a PC, as (start, end (exclusive), name).
REGIONS = (
    (0x00000, 0x00400, "the interrupt vector table"),
    (0x00400, 0x00500, "the BIOS data area"),
    (0x00500, 0x80000, "conventional memory"),
    (0x80000, 0xA0000, "the EBDA area"),
    (0xA0000, 0xC0000, "VGA memory"),
    (0xC0000, 0xF0000, "the option ROMs"),
    (0xF0000, 0x100000, "the system BIOS"),
)

#: What QEMU 7.2 -kernel writes below 1 MiB at a fixed address for a Multiboot 1
#: kernel: its e820 memory map at 0x9000 and the Multiboot information at 0x9500.
QEMU_MBI = (0x9000, 0x9558)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per PT_LOAD that starts below 1 MiB."""
    if ctx.boot_headers is None:
        return
    protocols = ctx.boot_protocols & {MULTIBOOT1, MULTIBOOT2, PVH}
    if not protocols:
        return
    image = ctx.image
    for seg in image.load_segments:
        if not seg.p_memsz or seg.p_paddr >= ONE_MIB:
            continue
        start, end = seg.p_paddr, seg.pend
        over = [
            f"{name} ({max(start, lo):#x}-{min(end, hi) - 1:#x})"
            for lo, hi, name in REGIONS
            if start < hi and lo < end
        ]
        qemu = ""
        if MULTIBOOT1 in protocols and start < QEMU_MBI[1] and QEMU_MBI[0] < end:
            qemu = (
                "; QEMU -kernel writes its memory map and Multiboot information at"
                f" {QEMU_MBI[0]:#x}-{QEMU_MBI[1] - 1:#x}, inside it"
            )
        names = sections_in(image, seg)
        holds = (
            f", holding {', '.join(names[:4])}{', ...' if len(names) > 4 else ''}," if names else ""
        )
        bss = (
            f", {seg.p_memsz - seg.p_filesz:#x} of them .bss" if seg.p_memsz > seg.p_filesz else ""
        )
        yield Finding(
            f"{image.segment_label(seg)}{holds} is loaded at physical {start:#x}-{end - 1:#x}"
            f" ({seg.p_memsz:#x} bytes{bss}), below 1 MiB: over {_list(over)}{qemu};"
            " Multiboot and PVH loaders copy it there without a check",
            Location(segment=seg.index, address=seg.p_vaddr, offset=seg.p_offset),
            fix=(
                "link and load the kernel at 1 MiB or above: `. = 1M;` before the first"
                " output section (or AT() load addresses from 0x100000 for a higher-half"
                " kernel); copy code that must run below 1 MiB there at run time"
            ),
        )


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
