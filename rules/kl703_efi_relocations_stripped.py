"""A UEFI image has no base relocations and says so (`IMAGE_FILE_RELOCS_STRIPPED`): the
firmware can load it only at its `ImageBase`.

## What it does
Reports, at error, a PE image meant for UEFI whose COFF `Characteristics` has
`IMAGE_FILE_RELOCS_STRIPPED` (0x0001, PE/COFF specification 3.3.2) and whose base
relocation directory (optional header data directory 5, spec 3.4.3 and 6.6) is
absent or empty. An image without relocations that does not set the flag (Linux's
EFI stub, position-independent code) is relocatable with nothing to fix up and is
not reported; nor is an image that keeps its relocations.

## Why is this bad?
EDK2 treats such an image as not relocatable (`PeCoffLoaderGetImageInfo`,
`MdePkg/Library/BasePeCoffLib/BasePeCoff.c`: "Image has no base relocs,
RELOCS_STRIPPED==1 => Image is not relocatable") and `CoreLoadPeImage` allocates
exactly `ImageBase`; that fails unless the range is free RAM, which it is not for
the usual bases (lld-link's 0x140000000 is beyond a small machine's memory, gnu-efi's
0 is never free). OVMF 2022.11 says `BdsDxe: failed to load Boot0001 ... : Not Found`
(lld-link `/fixed`), or `... : Invalid Parameter` for gnu-efi's `ImageBase` 0.
The usual causes: `lld-link /fixed`, `objcopy -j` lists that leave out `.reloc`, or
`ld --strip-all`/`-s` before `objcopy --target efi-app-*`.

## Example
```sh
clang --target=x86_64-unknown-windows ... -Wl,/fixed -o BOOTX64.EFI main.c
```

## Use instead
```sh
clang --target=x86_64-unknown-windows ... -o BOOTX64.EFI main.c    # /dynamicbase
```
and, with gnu-efi, keep `-j .reloc` (and `-j .rela*`, `-j .dynamic`) in the
`objcopy` command.

## References
- Microsoft, "PE Format", 3.3.2 "Characteristics", 6.6 "The .reloc Section".
- EDK2 `MdePkg/Library/BasePeCoffLib/BasePeCoff.c` (`PeCoffLoaderGetImageInfo`),
  `MdeModulePkg/Core/Dxe/Image/Image.c` (`CoreLoadPeImage`).
- `tests/pe/test_ovmf.py`: the samples booted in OVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL703"
NAME = "efi-relocations-stripped"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

LOG_PATTERNS = (
    # OVMF 2022.11's boot manager (BdsDxe), observed on the samples (tests/pe).
    LogPattern(
        "edk2",
        r'BdsDxe: failed to load (?P<option>Boot\w+) ".*?" from .*?: Not Found$',
        "The boot manager found no image it could load for {option}. With OVMF this is"
        " an image whose relocations are stripped (IMAGE_FILE_RELOCS_STRIPPED, no"
        " .reloc) so that it can only go at its ImageBase (KL703), an image that is not"
        " an EFI application (KL701), or an ELF file that was never converted to PE"
        " (KL708). Run `kernlint check` on the image (`--artifacts`) to see which.",
        'BdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK QM00001 " from'
        " PciRoot(0x0)/Pci(0x1,0x1)/Ata(Primary,Master,0x0): Not Found",
        alternatives=("KL701", "KL708"),
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for RELOCS_STRIPPED without base relocations."""
    from kernlint.pe.usage import meant_for_uefi

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx) or not pe.relocs_stripped:
        return
    if pe.has_relocation_table:
        return
    yield Finding(
        f"IMAGE_FILE_RELOCS_STRIPPED is set and there is no base relocation table: the"
        f" firmware can load the image only at ImageBase {pe.ImageBase:#x}, and refuses"
        " it when that memory is not free (OVMF: `Not Found`; `Invalid Parameter` at"
        " ImageBase 0)",
        Location(),
        fix="link with base relocations (drop lld-link `/fixed`; keep `-j .reloc` in"
        " gnu-efi's objcopy command)",
    )
