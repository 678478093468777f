"""The Xen PVH entry note is missing, unreadable, or points where no code is loaded.

## What it does
Checks images booted through the Xen PVH entry (detected from a note named `"Xen"` of
type 18, `XEN_ELFNOTE_PHYS32_ENTRY`, or `--boot-protocol pvh`), the way QEMU 7.2
`-kernel`, Xen and cloud-hypervisor use it:

- the note must exist (with `--boot-protocol pvh`) and be covered by a `PT_NOTE`
  program header: loaders look for notes there, not in section headers;
- its descriptor must be at least 4 bytes (Xen writes `.long`, Linux 8 bytes);
- its entry must be a 32-bit *physical* address inside a `PT_LOAD`'s load range
  (`p_paddr` to `p_paddr + p_memsz`) with `PF_X`: the loader enters there in 32-bit
  protected mode with paging off. A higher-half kernel that writes the virtual
  address of its entry symbol is told the physical one;
- QEMU must read the same entry: QEMU 7.2 pads the note name to the `PT_NOTE`'s
  `p_align` instead of to 4 and reads the descriptor as 8 bytes in an ELF64, so a
  `PT_NOTE` aligned to 8 (a `.note.gnu.property` collected into the same output
  section) makes it read 4 bytes late.

Without the note and without `--boot-protocol pvh` the rule is silent; a Multiboot 2
kernel that QEMU cannot boot for want of a note is KL408's.

## Why is this bad?
QEMU `-kernel` exits with `Error loading uncompressed kernel without PVH ELF Note`
when it finds no type-18 note in a `PT_NOTE` (or reads 0), and otherwise jumps to
whatever address it read: a virtual address or a misread one hangs the machine
without a message. Observed with QEMU 7.2: a note holding `0xc01000xx` (a higher-half
kernel's virtual entry) and a note in an 8-aligned `PT_NOTE` (read as 0x400000000,
entered at 0) both hang; a `PHDRS` without `PT_NOTE` gets the error.

## Example
```asm
.pushsection .note.Xen, "a", @note
.long 4, 4, 18              # namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY
.asciz "Xen"
.long pvh_start             # linked at 0xc0100000: a virtual address
.popsection
```

## Use instead
```ld
PVH_ENTRY = pvh_start - KERNEL_VMA;     /* physical, as Linux's pvh_start_xen */
PHDRS { text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); note PT_NOTE; }
SECTIONS {
    .note.Xen : AT(ADDR(.note.Xen) - KERNEL_VMA) { KEEP(*(.note.Xen)) } :rodata :note
}
```
with `.long PVH_ENTRY` in the note, and 8-byte-aligned notes kept out of its
`PT_NOTE`.

## References
- Xen `xen/include/public/elfnote.h` (`XEN_ELFNOTE_PHYS32_ENTRY` 18: "Physical entry
  point into the kernel", 32-bit protected mode, paging off) and
  `xen/include/public/arch-x86/hvm/start_info.h`.
- QEMU 7.2 `hw/i386/x86.c` (`load_elfboot`, `read_pvh_start_addr`) and
  `include/hw/elf_ops.h` (`get_elf_note_type`: notes found through `PT_NOTE`, name
  padded to `p_align`).
- Linux `arch/x86/platform/pvh/head.S` (`ELFNOTE(Xen, XEN_ELFNOTE_PHYS32_ENTRY,
  _ASM_PTR (pvh_start_xen - __START_KERNEL_map))`).
- gABI "Note Section"; `research/anchors-binary.md` §2.5, §4 (Q2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import PVH
from kernlint.context import IMAGE, Context
from kernlint.elf.constants import p_flags_text
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.boot.pvh import PvhNote
    from kernlint.elf.model import Image

ID = "KL411"
NAME = "pvh-entry-invalid"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "qemu",
        r"Error loading uncompressed kernel without PVH ELF Note",
        "QEMU's `-kernel` found no Multiboot 1 header in this ELF file and no Xen PVH"
        " entry note it can read: the Multiboot 1 header is missing or past 8 KiB"
        " (KL403) or has a wrong checksum (KL404), the kernel has only a Multiboot 2"
        " header, which QEMU does not speak (KL408), or its PVH note is missing, outside"
        " a `PT_NOTE` or misread by QEMU (KL411). Pass the image with `--artifacts` to"
        " tell which; then add a PVH note in a `PT_NOTE` aligned to 4, or a Multiboot 1"
        " header.",
        "qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note",
        related=("KL408", "KL403"),
        # One message for four causes; the image decides (QEMU 7.2 hw/i386/x86.c
        # x86_load_linux tries Multiboot 1, then the PVH note).
        alternatives=("KL403", "KL404", "KL408"),
    ),
)

_QEMU = '"Error loading uncompressed kernel without PVH ELF Note"'
_NOTE_FIX = (
    'emit the note in an SHT_NOTE section (`.pushsection .note.Xen, "a", @note`; name'
    ' "Xen", type 18, `.long PVH_ENTRY`) and give it a PT_NOTE: with PHDRS, `note'
    " PT_NOTE;` and `.note.Xen : { KEEP(*(.note.Xen)) } :rodata :note` (a PT_LOAD and"
    " the PT_NOTE); without PHDRS GNU ld makes one"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per defect of the PVH entry note."""
    from kernlint.boot.pvh import PHYS32_ENTRY

    headers = ctx.boot_headers
    if headers is None or PVH not in ctx.boot_protocols:
        return
    image = ctx.image
    note = headers.pvh
    if note is None:
        yield Finding(
            'no Xen PVH entry note (name "Xen", type 18 XEN_ELFNOTE_PHYS32_ENTRY) though'
            f" the image is to be booted through PVH: QEMU -kernel exits with {_QEMU}",
            Location(offset=0),
            fix=_NOTE_FIX,
        )
        return
    where = Location(section=note.section, segment=note.segment, offset=note.offset)
    label = _label(note)
    if note.entry is None:
        if note.desc_size:
            yield Finding(
                f"{label} has a {note.desc_size}-byte descriptor: XEN_ELFNOTE_PHYS32_ENTRY"
                " holds a 32-bit physical address (4 bytes; Linux writes 8), and QEMU reads"
                f" {8 if image.header.ei_class == 64 else 4} bytes regardless, taking what"
                " follows the note as part of the address",
                where,
                fix="make the descriptor `.long PVH_ENTRY` with n_descsz = 4",
            )
        else:
            yield Finding(
                f"{label} is a PHYS32_RELOC note (type 19) but there is no PHYS32_ENTRY note"
                f" (type {PHYS32_ENTRY}), which says where to enter: QEMU -kernel exits with"
                f" {_QEMU}",
                where,
                fix=_NOTE_FIX,
            )
        return
    if not note.in_pt_note:
        yield Finding(
            f"{label} is in no PT_NOTE program header: loaders find notes only through"
            f" PT_NOTE, and QEMU -kernel exits with {_QEMU}",
            where,
            fix=_NOTE_FIX,
        )
    else:
        yield from _qemu_reads(image, note, label, where)
    yield from _entry(image, note, label, where)


def _label(note: PvhNote) -> str:
    entry = "" if note.entry is None else f", entry {note.entry:#x}"
    return f"the Xen PVH note in {note.section or 'no section'} (type 18{entry})"


def _qemu_reads(image: Image, note: PvhNote, label: str, where: Location) -> Iterator[Finding]:
    from kernlint.boot.pvh import qemu_pvh

    seen = qemu_pvh(image)
    want = note.entry & 0xFFFFFFFF
    if seen is not None and not seen.refused and seen.entry == want:
        return
    seg = image.segments[note.segment]
    held = [
        s.name
        for s in image.sections
        if s.sh_size and seg.p_offset <= s.sh_offset < seg.p_offset + seg.p_filesz
    ]
    inside = f", holding {', '.join(held)}," if held else ""
    if seen is None:
        got = f"finds no type-18 note there and exits with {_QEMU}"
    else:
        width = 8 if image.header.ei_class == 64 else 4
        got = (
            f"reads the descriptor at file offset {seen.offset:#x}"
            f" ({seen.offset - note.offset - 16:+d} bytes from where it is) as {width}"
            f" bytes: {seen.value:#x}"
        )
        got += f" and exits with {_QEMU}" if seen.refused else f", and enters at {seen.entry:#x}"
    yield Finding(
        f"segment {seg.index} (PT_NOTE{inside} p_align {seg.p_align}) holds {label}, and"
        f" QEMU -kernel pads a note's name to p_align instead of 4: it {got}, not {want:#x}",
        Location(section=note.section, segment=seg.index, offset=note.offset),
        fix=(
            "keep the Xen note in a PT_NOTE aligned to 4: its own output section,"
            " `.note.Xen : { KEEP(*(.note.Xen)) } :rodata :note`, with no 8-byte-aligned"
            " note (.note.gnu.property) beside it (discard those, or give them another"
            " PT_NOTE)"
        ),
    )


def _entry(image: Image, note: PvhNote, label: str, where: Location) -> Iterator[Finding]:
    entry = note.entry
    if entry > 0xFFFFFFFF:
        yield Finding(
            f"{label}: the entry is above 4 GiB, but the loader enters in 32-bit protected"
            f" mode with paging off (QEMU takes the low half, {entry & 0xFFFFFFFF:#x}); a"
            " virtual address of a higher-half kernel, most likely",
            where,
            fix="write the physical address of the 32-bit entry code into the note"
            " (`PVH_ENTRY = pvh_start - KERNEL_VMA`)",
        )
        return
    loads = [s for s in image.load_segments if s.p_paddr <= entry < s.pend]
    if not loads:
        virtual = [s for s in image.load_segments if s.p_vaddr <= entry < s.vend]
        if virtual:
            seg = virtual[0]
            phys = entry - seg.p_vaddr + seg.p_paddr
            yield Finding(
                f"{label}: {entry:#x} is a virtual address, inside"
                f" {image.segment_label(seg)}, whose bytes are loaded at physical"
                f" {seg.p_paddr:#x}: the loader enters at {entry:#x} with paging off,"
                " where nothing is loaded",
                where,
                fix=(
                    f"write the physical address, {phys:#x}, into the note:"
                    " `PVH_ENTRY = pvh_start - KERNEL_VMA;` in the linker script (Linux:"
                    " `pvh_start_xen - __START_KERNEL_map`)"
                ),
            )
        else:
            ranges = ", ".join(f"{s.p_paddr:#x}-{s.pend:#x}" for s in image.load_segments[:4])
            yield Finding(
                f"{label}: {entry:#x} is in no PT_LOAD's load range (p_paddr to p_paddr +"
                f" p_memsz: {ranges or 'none'}): the loader enters where nothing is loaded",
                where,
                fix="point the note at the physical address of the 32-bit entry code",
            )
        return
    seg = loads[0]
    if not seg.is_exec:
        names = [
            s.name
            for s in image.sections
            if s.is_alloc and s.sh_size and s.sh_addr <= entry - seg.p_paddr + seg.p_vaddr < s.end
        ]
        inside = f" in {names[0]}" if names else ""
        yield Finding(
            f"{label}: {entry:#x}{inside} lies in {image.segment_label(seg)}, which lacks"
            f" PF_X ({p_flags_text(seg.p_flags) or 'no flags'}): the entry must be code; the"
            " loader jumps there with paging off and runs whatever bytes it finds",
            where,
            fix=(
                'put the 32-bit entry code in an executable section (`"ax"`) in a PT_LOAD'
                " with PF_X, and point the note at it"
            ),
        )
