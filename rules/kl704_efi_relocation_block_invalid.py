"""A UEFI image's base relocation table is malformed: a block the firmware refuses.

## What it does
Walks the base relocation table (optional header data directory 5; PE/COFF
specification 6.6) through the image as the firmware loads it, block by block, the
way EDK2's `PeCoffLoaderRelocateImage` does, and reports at error:

- a directory that ends past `SizeOfImage`, or a table that ends inside a block
  header;
- a block whose `SizeOfBlock` is 0, smaller than its 8-byte header, or runs past the
  end of the directory (`Size`);
- a block whose page (`VirtualAddress`) or an entry's target lies at or past
  `SizeOfImage`;
- on IA32, X64 and AArch64, an entry whose type EDK2 does not apply there (anything
  but `ABSOLUTE`, `HIGH`, `LOW`, `HIGHLOW`, `DIR64`; spec 6.6.2).

A block whose `SizeOfBlock` is not a multiple of 4 (spec 6.6.1 asks each block to
start on a 32-bit boundary) is not reported: EDK2 and shim read it, and Debian's
Microsoft-signed `shimx64.efi` 16.1 has one (`SizeOfBlock` 10).
The finding names the block (its number and offset in the table) and the section
that holds it.

## Why is this bad?
EDK2 stops relocating at such a block and fails the load with RETURN_LOAD_ERROR
(`SizeOfBlock == 0`, `RelocEnd` past `RelocBaseOrg + RelocDir->Size`, `FixupBase ==
NULL`) or RETURN_UNSUPPORTED (a type `PeCoffLoaderRelocateImageEx` refuses). OVMF
2022.11 says `BdsDxe: failed to load Boot0001 ... : Load Error`; shim says `Reloc 0
block size 0 is invalid` or `Reloc 0 block size 20 greater than reloc dir size 12,
which is invalid`. The firmware relocates every image it does not load at its
`ImageBase` (always for gnu-efi's `ImageBase` 0). The usual causes: a `.reloc`
section written by hand or by a script, a `.reloc` placed by `objcopy -j` without its
contents, or a directory `Size` that was not updated after editing the section.

## Example
```text
Base Relocation Directory: RVA 0x4000, Size 12
block 0: VirtualAddress 0x3000, SizeOfBlock 0      <- refused
```

## Use instead
```text
block 0: VirtualAddress 0x3000, SizeOfBlock 12     (8-byte header + 2 entries)
```
Let the linker write `.reloc` (lld-link, or `objcopy --target efi-app-*` from the
ELF's dynamic relocations), and keep the directory's `Size` equal to the blocks' sum.

## References
- Microsoft, "PE Format", 6.6 "The .reloc Section (Image Only)", 6.6.1, 6.6.2.
- EDK2 `MdePkg/Library/BasePeCoffLib/BasePeCoff.c` (`PeCoffLoaderRelocateImage`,
  `PeCoffLoaderImageAddress`), `X64/PeCoffLoaderEx.c`.
- shim `pe.c` (`relocate_coff`).
- `tests/pe/test_ovmf.py`: the samples booted in OVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL704"
NAME = "efi-relocation-block-invalid"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

LOG_PATTERNS = (
    # OVMF 2022.11's boot manager (BdsDxe) and Shell, observed on the samples (tests/pe).
    LogPattern(
        "edk2",
        r'(?:BdsDxe: failed to (?:load|start) Boot\w+ ".*?" from .*?: '
        r"|Command Error Status: )Load Error$",
        "The firmware read the image's headers and failed while loading it: a base"
        " relocation block it refuses (SizeOfBlock 0 or past the directory, KL704), or"
        " a section outside SizeOfImage (SizeOfImage short of the last section, a"
        " section placed below ImageBase; KL705). Run `kernlint check` on the image"
        " (`--artifacts`) to see which block or section.",
        'BdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK QM00001 " from'
        " PciRoot(0x0)/Pci(0x1,0x1)/Ata(Primary,Master,0x0): Load Error",
        alternatives=("KL705",),
    ),
    LogPattern(
        "shim",
        r"Reloc (?P<block>\d+) block size (?P<size>\d+) (?:is invalid|greater than reloc dir)",
        "shim refused base relocation block {block} (SizeOfBlock {size}): a block of size"
        " 0, or one running past the relocation directory, is invalid. Rebuild `.reloc`"
        " with the linker (lld-link, `objcopy --target efi-app-*`), and keep the"
        " directory's Size equal to the sum of the blocks' SizeOfBlock.",
        "Reloc 0 block size 0 is invalid",
    ),
    LogPattern(
        "shim",
        r"Reloc (?P<block>\d+) (?:entry overflows binary|Invalid fixupbase)",
        "shim refused base relocation block {block}: it points outside the image"
        " (SizeOfImage). Rebuild `.reloc` with the linker.",
        "Reloc 3 Invalid fixupbase",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for each relocation block EDK2 refuses (and misaligned ones)."""
    from kernlint.pe.model import (
        BLOCK_HEADER_SIZE,
        EDK2_GENERIC_ONLY_MACHINES,
        EDK2_GENERIC_RELOCATION_TYPES,
        RELOCATION_TYPE_NAMES,
    )
    from kernlint.pe.usage import meant_for_uefi, va

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx) or not pe.has_relocation_table:
        return
    holder = pe.section_at(pe.reloc_rva)
    section = holder.Name if holder is not None else None
    fix = (
        "let the linker write .reloc (lld-link, `objcopy --target efi-app-*` with"
        " `-j .reloc`), and keep the directory's Size equal to the blocks' total"
    )
    if pe.relocation_table_error is not None:
        if holder is not None and holder.end > pe.SizeOfImage:
            return  # SizeOfImage is short of the section that holds it: KL705
        yield Finding(
            f"{pe.relocation_table_error}: the firmware cannot read it (OVMF: `Load Error`)",
            Location(section=section, address=va(ctx, pe.reloc_rva)),
            fix=fix,
        )
        return
    for n, block in enumerate(pe.relocation_blocks):
        where = Location(section=section, address=va(ctx, pe.reloc_rva + block.offset))
        name = f"base relocation block {n} (offset {block.offset:#x} in the table)"
        if block.truncated:
            yield Finding(
                f"{name}: the directory's Size ({pe.reloc_size}) ends inside the block's"
                " 8-byte header (OVMF: `Load Error`)",
                where,
                fix=fix,
            )
            return
        if block.SizeOfBlock == 0:
            yield Finding(
                f"{name} has SizeOfBlock 0: EDK2 stops and fails the load (OVMF:"
                f" `Load Error`; shim: `Reloc {n} block size 0 is invalid`)",
                where,
                fix=fix,
            )
            return
        if block.offset + block.SizeOfBlock > pe.reloc_size:
            yield Finding(
                f"{name} has SizeOfBlock {block.SizeOfBlock}, running past the end of the"
                f" relocation directory (Size {pe.reloc_size}): the firmware refuses it"
                " (OVMF: `Load Error`)",
                where,
                fix=fix,
            )
            return
        if block.SizeOfBlock < BLOCK_HEADER_SIZE:
            yield Finding(
                f"{name} has SizeOfBlock {block.SizeOfBlock}, smaller than its 8-byte"
                " header: the blocks after it are read from the wrong place",
                where,
                fix=fix,
            )
            return
        if block.VirtualAddress >= pe.SizeOfImage:
            yield Finding(
                f"{name} fixes up page RVA {block.VirtualAddress:#x}, at or past"
                f" SizeOfImage ({pe.SizeOfImage:#x}): the firmware refuses it (OVMF:"
                " `Load Error`)",
                where,
                fix=fix,
            )
            return
        bad_types = sorted({t for t, _ in block.entries if t not in EDK2_GENERIC_RELOCATION_TYPES})
        if bad_types and pe.Machine in EDK2_GENERIC_ONLY_MACHINES:
            names = ", ".join(f"{t} ({RELOCATION_TYPE_NAMES.get(t, '?')})" for t in bad_types)
            yield Finding(
                f"{name} has entries of type {names}, which EDK2 does not apply on"
                f" {pe.machine_name}: it fails the load (RETURN_UNSUPPORTED)",
                where,
                fix=fix,
            )
        past = [
            o for t, o in block.entries if t != 0 and block.VirtualAddress + o >= pe.SizeOfImage
        ]
        if past:
            yield Finding(
                f"{name} has an entry at RVA {block.VirtualAddress + past[0]:#x}, at or past"
                f" SizeOfImage ({pe.SizeOfImage:#x}): the firmware refuses it",
                where,
                fix=fix,
            )
