"""A UEFI image has a section that is both writable and executable.

## What it does
Reports, as a warning, each section of a PE image meant for UEFI whose
`Characteristics` have both `IMAGE_SCN_MEM_WRITE` and `IMAGE_SCN_MEM_EXECUTE`
(PE/COFF specification 4.1), unless it is `IMAGE_SCN_MEM_DISCARDABLE` (shim skips
those).

## Why is this bad?
OVMF 2022.11 loads such an image (the sample boots), so this is policy, not a boot
failure today: shim refuses it when its MOK policy requires NX (`Section %d is
writable and executable`, `pe.c`), Microsoft's UEFI CA signing requirements (2023
memory-mitigation rules) refuse to sign it, and EDK2 firmware built with
`PcdImageProtectionPolicy` and NX memory protection maps each section with its own
permissions, which a W+X section defeats (a stray write can change code). Debian's
systemd-boot, GRUB, shim and Linux EFI stub have none; Xen's `xen.efi` has one
(`.text`). The usual causes: lld-link `/SECTION:.text,RWE`, a gnu-efi linker script
that merges `.data` into `.text`, or `objcopy --set-section-flags` with `code` and
no `readonly`.

## Example
```sh
clang --target=x86_64-unknown-windows ... -Xlinker /section:.text,rwe -o app.efi main.c
```

## Use instead
```sh
clang --target=x86_64-unknown-windows ... -o app.efi main.c     # .text RX, .data RW
```

## References
- Microsoft, "PE Format", 4.1 "Section Flags".
- shim `pe.c` (`handle_image`, `MOK_POLICY_REQUIRE_NX`).
- Microsoft, "UEFI CA Memory Mitigation Requirements for Signing" (2023).
- EDK2 `MdeModulePkg/Core/Dxe/Misc/MemoryProtection.c` (`ProtectUefiImage`).
- `tests/pe/test_ovmf.py`: the sample boots in OVMF 2022.11 (not enforced there).
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL709"
NAME = "efi-writable-executable-section"
SEVERITY = "warning"
APPLIES_TO = frozenset({PE_IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "shim",
        r"Section (?P<index>\d+) is writable and executable",
        "shim refused the image: section {index} is both writable and executable, and"
        " the MOK policy requires NX. Give code and data their own sections (`.text` RX,"
        " `.data` RW).",
        "Section 1 is writable and executable",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for each non-discardable W+X section."""
    from kernlint.pe.usage import meant_for_uefi, va

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    for i, s in enumerate(pe.sections):
        if s.writable and s.executable and not s.discardable:
            yield Finding(
                f"section {s.Name} (section {i}) is writable and executable: shim with"
                " an NX policy and Microsoft's signing requirements refuse it, and"
                " firmware memory protection cannot make it W^X",
                Location(section=s.Name, address=va(ctx, s.VirtualAddress)),
                fix="keep code and data in separate sections (.text RX, .data RW)",
            )
