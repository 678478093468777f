"""GRUB (or QEMU `-kernel`) cannot turn `e_entry` into a physical entry point.

## What it does
Follows what the Multiboot loaders do with an ELF image's entry point and load
addresses, and reports where they fail:

- **no segment holds `e_entry`**: GRUB looks for the first program header (of any
  type, in table order) with `p_vaddr <= e_entry < p_vaddr + p_memsz`, by *virtual*
  address only. A physical `e_entry` (Linux's vmlinux convention, which KL104
  accepts) in a kernel linked in the higher half is in none of them.
- **a segment crosses 4 GiB**: in an ELF64, any `PT_LOAD` whose `p_paddr + p_memsz` is
  at or above 4 GiB, typically a higher-half kernel linked without `AT()`, so that
  `p_paddr = p_vaddr = 0xffffffff80100000`. The finding names the output sections in it.
- **the translated entry is at or above 4 GiB** (ELF64): GRUB jumps to `e_entry -
  p_vaddr + p_paddr` in 32-bit mode.
- **QEMU `-kernel` does not translate the entry** (Multiboot 1, ELF32): QEMU converts
  a virtual `e_entry` to a physical one only through a `PT_LOAD` with `PF_X` whose
  file bytes (`p_filesz`) hold it, and `p_vaddr != p_paddr`; otherwise it jumps to
  `e_entry` itself.

Applies to images loaded with Multiboot 1 or 2 whose ELF program headers the loader
reads: not when the Multiboot 1 header has the a.out kludge (flag 16) or the Multiboot
2 header an address tag, since GRUB then loads the file as those fields say.

## Why is this bad?
GRUB stops with `error: entry point isn't in a segment.`, `error: segment crosses
4 GiB border.` or `error: invalid entry point for ELF64.`; QEMU jumps into memory
where nothing was loaded and the machine hangs or resets without a word. A
higher-half kernel boots fine with a *virtual* `e_entry`, as long as its segments
carry physical load addresses: the loaders translate it.

## Example
```ld
KERNEL_VMA = 0xffffffff80000000;
SECTIONS {
    . = KERNEL_VMA + 1M;
    .text : { *(.boot) *(.text .text.*) }   /* p_paddr = p_vaddr: ~16 EiB */
}
```

## Use instead
```ld
KERNEL_VMA = 0xffffffff80000000;
SECTIONS {
    . = KERNEL_VMA + 1M;
    .text : AT(ADDR(.text) - KERNEL_VMA) { *(.boot) *(.text .text.*) }
    .data : AT(ADDR(.data) - KERNEL_VMA) { *(.data .data.*) }
}
```
with `ENTRY(_start)` naming the (virtual) entry symbol, and the entry code in a
`PF_X` segment (`"ax"` section, `PHDRS` `FLAGS(5)`).

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (`highest_load >= 0x100000000`:
  "segment crosses 4 GiB border"; the loop over program headers for `e_entry`:
  "entry point isn't in a segment", "invalid entry point for ELF64").
- QEMU 7.2 `include/hw/elf_ops.h` (`load_elf`: `ph->p_vaddr != ph->p_paddr &&
  ehdr.e_entry < ph->p_vaddr + ph->p_filesz && ph->p_flags & PF_X`) and
  `hw/i386/multiboot.c`.
- Multiboot Specification 0.6.96 §3.1.3 (ELF images use the program headers);
  Multiboot2 Specification 2.0 §3.1.
- `research/anchors-binary.md` §2.3 items 4-5, §2.4, §4 (G11, G12, G13).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT1, MULTIBOOT2
from kernlint.context import IMAGE, Context
from kernlint.elf.constants import EM_X86_64, PT_LOAD, p_flags_text, p_type_name
from kernlint.elf.facts import sections_in
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Segment


ID = "KL407"
NAME = "multiboot-entry-unreachable"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "grub",
        r"entry point isn't in a segment",
        "GRUB looks `e_entry` up in the program headers by virtual address (`p_vaddr` to"
        " `p_vaddr + p_memsz`) and found none that holds it, often because the kernel"
        " sets a physical `e_entry` (the vmlinux convention) while its segments are"
        " linked in the higher half. Make `ENTRY()` name the virtual entry symbol and"
        " give the segments physical load addresses with `AT()`: GRUB translates it.",
        "error: entry point isn't in a segment.",
    ),
    LogPattern(
        "grub",
        r"segment crosses 4 GiB border",
        "A loadable segment of this ELF64 kernel ends at or above 4 GiB physical"
        " (`p_paddr + p_memsz`), which GRUB cannot load from 32-bit mode: a higher-half"
        " kernel linked without `AT()` asks to be loaded at its virtual address. Give"
        " each output section a physical load address, `AT(ADDR(.text) - KERNEL_VMA)`.",
        "error: segment crosses 4 GiB border.",
    ),
    LogPattern(
        "grub",
        r"invalid entry point for ELF64",
        "GRUB translated `e_entry` through the first program header that holds it"
        " (`e_entry - p_vaddr + p_paddr`) and got an address at or above 4 GiB, where it"
        " cannot jump in 32-bit mode. Give that segment a physical address below 4 GiB"
        " with `AT()`, and keep program headers of other types from covering the entry"
        " with another `p_paddr`.",
        "error: invalid entry point for ELF64.",
    ),
)

_4G = 1 << 32
_VMA_FIX = (
    "give every output section a physical load address below 4 GiB:"
    " `.text : AT(ADDR(.text) - KERNEL_VMA) {{ ... }}` (KERNEL_VMA = {vma:#x}), likewise"
    " .rodata, .data and .bss; keep ENTRY() on the virtual entry symbol, GRUB translates"
    " it through its segment"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield findings where GRUB or QEMU fails to reach the entry point."""
    from kernlint.boot import multiboot1

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
    reads_elf = (MULTIBOOT1 in protocols and not kludge) or (
        MULTIBOOT2 in protocols and (mb2 is None or mb2.tag(2) is None)
    )
    if reads_elf:
        yield from _grub(image)
    qmb1 = headers.qemu_multiboot1
    if (
        MULTIBOOT1 in protocols
        and qmb1 is not None
        and not qmb1.flags & multiboot1.FLAG_AOUT_KLUDGE
        and image.header.e_machine != EM_X86_64
    ):
        yield from _qemu(image)


def _grub(image: Image) -> Iterator[Finding]:
    elf64 = image.header.ei_class == 64
    crossing = [s for s in image.load_segments if s.p_paddr + s.p_memsz >= _4G] if elf64 else []
    if crossing:
        yield _crossing(image, crossing)
    entry = image.e_entry
    holder = next((s for s in image.segments if s.p_vaddr <= entry < s.p_vaddr + s.p_memsz), None)
    if holder is None:
        yield _outside(image)
        return
    target = entry - holder.p_vaddr + holder.p_paddr
    if elf64 and target > 0xFFFFFFFF and holder not in crossing:
        other = (
            ""
            if holder.p_type == PT_LOAD
            else " (GRUB takes the first program header of any type that holds it)"
        )
        yield Finding(
            f"e_entry {entry:#x} is first found in {_label(image, holder)}{other}, with"
            f" p_paddr {holder.p_paddr:#x}: GRUB translates it to {target:#x}, at or above"
            ' 4 GiB, and stops in 32-bit mode: "invalid entry point for ELF64."',
            Location(segment=holder.index, address=entry, offset=holder.p_offset),
            fix=(
                "give that program header a physical address below 4 GiB (AT() on its"
                " sections; PHDRS AT() for other types), so that e_entry - p_vaddr +"
                " p_paddr is the entry's load address"
            ),
        )


def _crossing(image: Image, crossing: list[Segment]) -> Finding:
    parts = []
    for seg in crossing:
        names = _sections_in(image, seg)
        how = "p_paddr = p_vaddr: no AT()" if seg.p_paddr == seg.p_vaddr else "AT() too high"
        parts.append(
            f"{_label(image, seg)} is loaded at physical {seg.p_paddr:#x}-{seg.pend:#x}"
            f" ({how}; holds {', '.join(names) if names else 'no section'})"
        )
    first = crossing[0]
    vma = first.p_vaddr & ~0xFFFFFFF if first.p_vaddr >= _4G else 0xFFFFFFFF80000000
    return Finding(
        f"{'; '.join(parts)}: GRUB's ELF64 loader refuses any PT_LOAD that ends at or above"
        ' 4 GiB physical: "segment crosses 4 GiB border."',
        Location(segment=first.index, address=first.p_vaddr, offset=first.p_offset),
        fix=_VMA_FIX.format(vma=vma),
    )


def _outside(image: Image) -> Finding:
    entry = image.e_entry
    physical = [s for s in image.load_segments if s.p_paddr <= entry < s.pend]
    if physical:
        seg = physical[0]
        virtual = entry - seg.p_paddr + seg.p_vaddr
        why = (
            f"it is a physical address, inside {_label(image, seg)}'s load range"
            f" {seg.p_paddr:#x}-{seg.pend:#x} (the vmlinux convention), and GRUB looks the"
            " entry up only by virtual address"
        )
        fix = (
            f"make e_entry the virtual address ({virtual:#x}): `ENTRY(_start)` on the"
            " symbol itself, not on `_start - KERNEL_VMA`; GRUB then translates it through"
            " the segment's p_paddr"
        )
    else:
        ranges = ", ".join(f"{s.p_vaddr:#x}-{s.vend:#x}" for s in image.load_segments[:4])
        why = f"no PT_LOAD covers it, by virtual or physical address (loaded: {ranges})"
        fix = (
            "point ENTRY() at the entry symbol of an allocated, executable section"
            ' (`.section .text.boot, "ax"`), and keep that section in a PT_LOAD'
        )
    return Finding(
        f"e_entry {entry:#x} is in no program header's [p_vaddr, p_vaddr + p_memsz): {why};"
        ' GRUB: "entry point isn\'t in a segment."',
        Location(address=entry),
        fix=fix,
    )


def _qemu(image: Image) -> Iterator[Finding]:
    entry = image.e_entry
    grub = next((s for s in image.segments if s.p_vaddr <= entry < s.p_vaddr + s.p_memsz), None)
    if grub is None or grub.p_type != PT_LOAD or grub.p_vaddr == grub.p_paddr:
        return
    translated = [
        s
        for s in image.load_segments
        if s.p_vaddr != s.p_paddr and s.p_vaddr <= entry < s.p_vaddr + s.p_filesz and s.is_exec
    ]
    if translated:
        return
    if not grub.is_exec:
        why = f"lacks PF_X ({p_flags_text(grub.p_flags) or 'no flags'})"
        fix = (
            'put the entry code in an executable segment: an `"ax"` section, PHDRS'
            " FLAGS(5) for its PT_LOAD"
        )
    else:
        why = f"holds it only past its file bytes (p_filesz {grub.p_filesz:#x}, in the zeroed part)"
        fix = "place the entry code in the file bytes of the segment, not in .bss"
    yield Finding(
        f"QEMU -kernel translates a virtual e_entry only through an executable PT_LOAD"
        f" whose file bytes hold it, and {_label(image, grub)} {why}: it jumps to"
        f" {entry & 0xFFFFFFFF:#x}, the virtual address, where nothing is loaded (GRUB"
        f" jumps to {entry - grub.p_vaddr + grub.p_paddr:#x})",
        Location(segment=grub.index, address=entry, offset=grub.p_offset),
        fix=fix,
    )


def _label(image: Image, seg: Segment) -> str:
    if seg.p_type == PT_LOAD:
        return image.segment_label(seg)
    return f"segment {seg.index} ({p_type_name(seg.p_type)} {seg.p_vaddr:#x}-{seg.vend:#x})"


def _sections_in(image: Image, seg: Segment) -> list[str]:
    names = sections_in(image, seg)
    return names[:5] + (["..."] if len(names) > 5 else [])
