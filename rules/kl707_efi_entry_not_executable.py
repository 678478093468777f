"""A UEFI image's entry point is not in an executable section.

## What it does
Reports, at error, a PE image meant for UEFI whose `AddressOfEntryPoint` (PE/COFF
specification 3.4.1) is 0, lies in no section, or lies in a section that is neither
`IMAGE_SCN_MEM_EXECUTE` nor `IMAGE_SCN_CNT_CODE` (spec 4.1): the entry is data, a
header, or past `SizeOfImage`.

## Why is this bad?
EDK2 does not check the entry point: `CoreStartImage` jumps to `ImageBase +
AddressOfEntryPoint`. In OVMF 2022.11 an entry in `.data` faults at once (`!!!! X64
Exception Type - 0E(#PF - Page-Fault)`: OVMF maps data non-executable), and an entry
past the sections runs whatever is there (#UD). shim refuses the image (`Entry point
is not within sections`). The usual causes: a wrong `-entry:`/`/ENTRY` symbol (a
variable, a misspelled name that resolves elsewhere), a gnu-efi linker script that
drops `.text`, or an entry symbol in a section without code flags.

## Example
```sh
clang --target=x86_64-unknown-windows ... -Wl,-entry:message -o BOOTX64.EFI main.c
```

## Use instead
```sh
clang --target=x86_64-unknown-windows ... -Wl,-entry:efi_main -o BOOTX64.EFI main.c
```

## References
- Microsoft, "PE Format", 3.4.1 (`AddressOfEntryPoint`), 4.1 "Section Flags".
- EDK2 `MdeModulePkg/Core/Dxe/Image/Image.c` (`CoreStartImage`).
- shim `pe.c` (`handle_image`: "Entry point is not within sections").
- `tests/pe/test_ovmf.py`: the samples booted in OVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL707"
NAME = "efi-entry-not-executable"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "shim",
        r"Entry point is not within sections",
        "shim refused the image: its AddressOfEntryPoint lies in no section. Link with"
        " the right entry symbol (`-entry:efi_main`), in a code section.",
        "Entry point is not within sections",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding when the entry point is not in an executable section."""
    from kernlint.pe.model import IMAGE_SCN_CNT_CODE, IMAGE_SCN_MEM_EXECUTE
    from kernlint.pe.usage import meant_for_uefi, va

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    entry = pe.AddressOfEntryPoint
    fix = "link with the entry function (`-entry:efi_main`, gnu-efi's crt0 `_start`)"
    where = Location(address=va(ctx, entry))
    if entry == 0:
        yield Finding(
            "AddressOfEntryPoint is 0: the firmware jumps to the image's headers",
            where,
            fix=fix,
        )
        return
    section = pe.section_at(entry)
    if section is None:
        yield Finding(
            f"AddressOfEntryPoint ({entry:#x}) lies in no section"
            + (f", past SizeOfImage ({pe.SizeOfImage:#x})" if entry >= pe.SizeOfImage else "")
            + ": the firmware jumps there and runs whatever it finds",
            where,
            fix=fix,
        )
        return
    if section.Characteristics & (IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_CNT_CODE):
        return
    yield Finding(
        f"AddressOfEntryPoint ({entry:#x}) is in section {section.Name}, which is not"
        " executable (no IMAGE_SCN_MEM_EXECUTE or IMAGE_SCN_CNT_CODE): the image faults"
        " as soon as it starts (OVMF: `X64 Exception Type - 0E(#PF - Page-Fault)`)",
        Location(section=section.Name, address=va(ctx, entry)),
        fix=fix,
    )
