"""A UEFI image's section lies outside `SizeOfImage`: `SizeOfImage` short of the last
section, or a section placed below `ImageBase`.

## What it does
Reports, at error, each section of a PE image meant for UEFI whose memory range
(`VirtualAddress` up to `VirtualAddress + VirtualSize`, PE/COFF specification 4) is
not inside `SizeOfImage` (spec 3.4.2), checked as EDK2's `PeCoffLoaderLoadImage`
does: a section with contents whose first or last byte is at or past `SizeOfImage`.
A section whose RVA is 2 GiB or more is reported as placed below `ImageBase` (its
address wrapped around: objcopy's `section below image base` warning).

## Why is this bad?
EDK2 gives each section the memory `SizeOfImage` reserves and fails the load when a
section falls outside it (`IMAGE_ERROR_SECTION_NOT_LOADED`, RETURN_LOAD_ERROR). OVMF
2022.11 says `BdsDxe: failed to load Boot0001 ... : Load Error`. The usual causes: a
unified kernel image built with `objcopy --add-section .linux=vmlinuz
--change-section-vma .linux=0x...` with addresses below the stub's `ImageBase`
(systemd's `ukify` computes them from the stub's own `ImageBase`), a `SizeOfImage`
not updated after appending a section by hand, or a linker script for gnu-efi whose
sections leave the image.

## Example
```sh
objcopy --add-section .linux=vmlinuz --change-section-vma .linux=0x2000000 \
        linuxx64.efi.stub uki.efi     # the stub's ImageBase is higher
# objcopy: uki.efi:.linux: section below image base
```

## Use instead
```sh
ukify build --linux=vmlinuz --initrd=initrd.img --output=uki.efi
```
or place added sections after the stub's last section, at `ImageBase` plus an offset
(`objdump -p linuxx64.efi.stub` shows `ImageBase` and `SizeOfImage`).

## References
- Microsoft, "PE Format", 3.4.2 (`SizeOfImage`), 4 "Section Table".
- EDK2 `MdePkg/Library/BasePeCoffLib/BasePeCoff.c` (`PeCoffLoaderLoadImage`,
  `PeCoffLoaderImageAddress`).
- `tests/pe/test_ovmf.py`: the samples booted in OVMF 2022.11; the objcopy
  reproduction of `section below image base`.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL705"
NAME = "efi-section-outside-image"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

#: RVAs from here on are read as addresses below ``ImageBase`` that wrapped around.
_WRAPPED = 0x80000000


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for each section outside ``SizeOfImage``."""
    from kernlint.pe.usage import meant_for_uefi, va

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    for s in pe.sections:
        # PeCoffLoaderLoadImage: Size = VirtualSize, or SizeOfRawData when that is 0 or
        # smaller; Base and End (VirtualAddress + VirtualSize - 1) must be in the image.
        size = s.VirtualSize if 0 < s.VirtualSize <= s.SizeOfRawData else s.SizeOfRawData
        last = s.VirtualAddress + max(s.VirtualSize, 1) - 1
        if size == 0 or (s.VirtualAddress < pe.SizeOfImage and last < pe.SizeOfImage):
            continue
        where = Location(section=s.Name, address=va(ctx, s.VirtualAddress))
        if s.VirtualAddress >= _WRAPPED:
            yield Finding(
                f"section {s.Name} is at RVA {s.VirtualAddress:#x}: it was placed below"
                f" ImageBase ({pe.ImageBase:#x}) and its address wrapped around, far past"
                f" SizeOfImage ({pe.SizeOfImage:#x}); the firmware refuses the image"
                " (OVMF: `Load Error`)",
                where,
                fix="place the section at or above ImageBase, after the last section"
                " (objcopy --change-section-vma with ImageBase + an offset past SizeOfImage)",
            )
            continue
        yield Finding(
            f"section {s.Name} (RVA {s.VirtualAddress:#x}-{last + 1:#x}) ends past"
            f" SizeOfImage ({pe.SizeOfImage:#x}): the firmware refuses the image"
            " (OVMF: `Load Error`)",
            where,
            fix="set SizeOfImage to the end of the last section rounded up to"
            " SectionAlignment (let the linker or objcopy compute it)",
        )
