"""A UEFI image's headers promise bytes the file does not have: section raw data or
`SizeOfHeaders` past the end of the file, or more data directories than PE defines.

## What it does
Reports, at error, a PE image meant for UEFI where:

- a section's raw data (`PointerToRawData` + `SizeOfRawData`, PE/COFF specification
  4) ends past the end of the file;
- `SizeOfHeaders` (spec 3.4.2) is past the end of the file;
- `NumberOfRvaAndSizes` is more than 16 (spec 3.4.3).

## Why is this bad?
Before loading anything, EDK2's `PeCoffLoaderGetPeHeader` reads the last byte of the
headers and of every section's raw data, and refuses an image where a read fails or
there are more than 16 data directories (RETURN_UNSUPPORTED). OVMF 2022.11 says
`BdsDxe: failed to load Boot0001 ... : Unsupported`, the Shell `Command Error Status:
Unsupported`. The usual causes: a copy or download cut short, a file truncated by a
build step (`dd` with the wrong count, an `objcopy -O binary` of part of it), or
headers edited by hand after the sections moved.

## Example
```sh
head -c 2600 BOOTX64.EFI > cut.efi     # the last section's raw data ends at 3072
```

## Use instead
Copy the whole file (`cmp` it with the build output), and let the linker compute the
headers.

## References
- Microsoft, "PE Format", 3.4.2, 3.4.3, 4 "Section Table".
- EDK2 `MdePkg/Library/BasePeCoffLib/BasePeCoff.c` (`PeCoffLoaderGetPeHeader`).
- `tests/pe/test_ovmf.py`: the samples booted in OVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL706"
NAME = "efi-headers-inconsistent"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

#: Data directories PE/COFF defines (spec 3.4.3; EDK2 EFI_IMAGE_NUMBER_OF_DIRECTORY_ENTRIES).
MAX_DATA_DIRECTORIES = 16


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for each header field that points past the file."""
    from kernlint.pe.usage import meant_for_uefi

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    fix = "copy or build the whole file again; let the linker compute the headers"
    if pe.NumberOfRvaAndSizes > MAX_DATA_DIRECTORIES:
        yield Finding(
            f"NumberOfRvaAndSizes is {pe.NumberOfRvaAndSizes}, more than the 16 data"
            " directories PE defines: EDK2 refuses the image (OVMF: `Unsupported`)",
            Location(),
            fix=fix,
        )
    if pe.SizeOfHeaders > pe.file_size:
        yield Finding(
            f"SizeOfHeaders ({pe.SizeOfHeaders:#x}) is past the end of the file"
            f" ({pe.file_size:#x} bytes): EDK2 refuses the image (OVMF: `Unsupported`)",
            Location(offset=pe.file_size),
            fix=fix,
        )
    for s in pe.sections:
        end = s.PointerToRawData + s.SizeOfRawData
        if s.SizeOfRawData and end > pe.file_size:
            yield Finding(
                f"section {s.Name}'s raw data (file offset {s.PointerToRawData:#x}-{end:#x})"
                f" ends past the end of the file ({pe.file_size:#x} bytes): the file is"
                " cut short, and EDK2 refuses it (OVMF: `Unsupported`)",
                Location(section=s.Name, offset=s.PointerToRawData),
                fix=fix,
            )
