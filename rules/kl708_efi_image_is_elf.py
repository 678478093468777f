"""An ELF file is named like a UEFI image (`*.efi`, `BOOTX64.EFI`): it was not converted
to PE/COFF.

## What it does
Reports, at error, an ELF file (the ELF magic, `7f 45 4c 46`) whose name ends in `.efi` (any case:
`BOOTX64.EFI`, `grubx64.efi`). `.efi.debug` files (the ELF debug companions of
systemd-boot and gnu-efi builds) are not reported.

## Why is this bad?
UEFI firmware loads PE/COFF images only. OVMF 2022.11 says `BdsDxe: failed to load
Boot0001 ... : Not Found` for an ELF installed as `BOOTX64.EFI`, and the Shell
`Command Error Status: Unsupported`. A gnu-efi build links an ELF shared object first
(`ld -shared -T elf_x86_64_efi.lds crt0-efi-x86_64.o ...`) and converts it with
`objcopy --target efi-app-x86_64`; installing the `.so` (or naming the link output
`.efi`) skips that step. Rust and clang UEFI targets write PE directly and never hit
this.

## Example
```sh
ld -shared -Bsymbolic -T elf_x86_64_efi.lds crt0-efi-x86_64.o hello.o \
   -lgnuefi -lefi -o BOOTX64.EFI
```

## Use instead
```sh
ld -shared -Bsymbolic -T elf_x86_64_efi.lds crt0-efi-x86_64.o hello.o \
   -lgnuefi -lefi -o hello.so
objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel \
        -j .rela -j '.rela.*' -j .reloc --target efi-app-x86_64 hello.so BOOTX64.EFI
```

## References
- UEFI 2.10, 2.1.1 "UEFI Images" (PE32+ images).
- gnu-efi `Make.defaults`, `apps/Makefile` (the `.so` to `.efi` objcopy step).
- `tests/pe/test_ovmf.py`: the sample booted in OVMF 2022.11.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL708"
NAME = "efi-image-is-elf"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for an ELF file named ``*.efi``."""
    if ctx.image is None or not ctx.path.lower().endswith(".efi"):
        return
    name = os.path.basename(ctx.path)
    yield Finding(
        f"{name} is an ELF file, not a PE/COFF image: UEFI firmware does not load it"
        " (OVMF: `Not Found` from the boot manager, `Unsupported` from the Shell)",
        Location(),
        fix="convert it with `objcopy --target efi-app-<arch>` (gnu-efi), or link a PE"
        " image directly (lld-link, rustc's *-unknown-uefi targets)",
    )
