"""A UEFI image's `SectionAlignment` is below 4 KiB, or below its `FileAlignment`
(opt-in: `pedantic`).

## What it does
Reports, as a warning in the opt-in `pedantic` group, a PE image meant for UEFI whose
`SectionAlignment` (PE/COFF specification 3.4.1) is smaller than its
`FileAlignment` (the specification requires it to be at least as large), or is not a
multiple of 4 KiB (the page size firmware memory protection works with).

## Why is this bad?
OVMF 2022.11 loads such images: the 0x200-aligned sample boots, and so do Debian's
own `systemd-bootx64.efi` 252 and `linuxx64.efi.stub` (alignment 0x200). But a
firmware that applies per-section permissions (EDK2 `PcdImageProtectionPolicy`,
`ProtectUefiImage` in `MdeModulePkg/Core/Dxe/Misc/MemoryProtection.c`) cannot give
sections that share a page their own permissions and leaves the whole image
unprotected, and Microsoft's UEFI CA signing requirements (2023) ask for 4 KiB
section alignment. Worth acting on for an image that will be signed or run with
memory protection; opt-in for the rest. lld-link warns `/align specified without
/driver; image may not run`.

## Example
```sh
clang --target=x86_64-unknown-windows ... -Wl,/align:512 -Wl,/filealign:512 -o app.efi main.c
```

## Use instead
```sh
clang --target=x86_64-unknown-windows ... -o app.efi main.c     # SectionAlignment 0x1000
```

## References
- Microsoft, "PE Format", 3.4.1 (`SectionAlignment`, `FileAlignment`).
- EDK2 `MdeModulePkg/Core/Dxe/Misc/MemoryProtection.c` (`ProtectUefiImage`: images
  whose sections are not page-aligned are left unprotected).
- Microsoft, "UEFI CA Memory Mitigation Requirements for Signing" (2023).
- `tests/pe/test_ovmf.py`: the sample boots in OVMF 2022.11 (not enforced there).
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL711"
NAME = "efi-section-alignment"
SEVERITY = "warning"
GROUP = "pedantic"
APPLIES_TO = frozenset({PE_IMAGE})

PAGE = 0x1000


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding when SectionAlignment is below FileAlignment or not 4 KiB-aligned."""
    from kernlint.pe.usage import meant_for_uefi

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    fix = "link with the default 4 KiB section alignment (drop lld-link /align:)"
    if pe.SectionAlignment < pe.FileAlignment:
        yield Finding(
            f"SectionAlignment ({pe.SectionAlignment:#x}) is below FileAlignment"
            f" ({pe.FileAlignment:#x}), which PE/COFF forbids",
            Location(),
            fix=fix,
        )
        return
    if pe.SectionAlignment % PAGE:
        yield Finding(
            f"SectionAlignment is {pe.SectionAlignment:#x}, not a multiple of 4 KiB:"
            " firmware memory protection cannot give its sections their own page"
            " permissions, and Microsoft's signing requirements ask for 4 KiB",
            Location(),
            fix=fix,
        )
