"""A UEFI image does not set the `NX_COMPAT` DllCharacteristic (opt-in: `pedantic`).

## What it does
Reports, as a warning in the opt-in `pedantic` group, a PE image meant for UEFI whose
`DllCharacteristics` lack `IMAGE_DLLCHARACTERISTICS_NX_COMPAT` (0x0100, PE/COFF
specification 3.4.1), or that set it while a section is both writable and
executable (the flag then promises what the image breaks).

## Why is this bad?
Nothing in OVMF 2022.11 reads the flag: every sample and Debian's own EFI binaries
(GRUB, shim, systemd-boot: none sets it) boot. It matters under stricter policies:
Microsoft's UEFI CA signing requirements (2023) ask for it, shim 15.8+ and firmware
with NX memory protection use it to decide whether the image may run with
non-executable data, and some (`PcdImageProtectionPolicy`, Windows-certified
"memory mitigations") refuse images without it. Worth acting on for a boot loader
that will be signed or that runs on such firmware; not for most projects, hence
opt-in. lld-link sets it by default (`/NXCOMPAT`); gnu-efi's objcopy never does.

## Example
```sh
clang --target=x86_64-unknown-windows ... -Wl,/nxcompat:no -o app.efi main.c
```

## Use instead
```sh
clang --target=x86_64-unknown-windows ... -o app.efi main.c     # /NXCOMPAT
```
(for gnu-efi: `objcopy ... --target efi-app-x86_64` then set the bit, e.g. with
`pesign`-era tools or a post-link step, once every section is W^X).

## References
- Microsoft, "PE Format", 3.4.1 "DLL Characteristics".
- Microsoft, "UEFI CA Memory Mitigation Requirements for Signing" (2023).
- shim `pe.c` (`MOK_POLICY_REQUIRE_NX`, `image_is_nx`).
- `tests/pe/test_ovmf.py`: the sample boots in OVMF 2022.11 (not enforced there).
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL710"
NAME = "efi-nx-compat-missing"
SEVERITY = "warning"
GROUP = "pedantic"
APPLIES_TO = frozenset({PE_IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding when NX_COMPAT is missing, or set over a W+X section."""
    from kernlint.pe.usage import meant_for_uefi

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    if not pe.nx_compat:
        yield Finding(
            f"DllCharacteristics ({pe.DllCharacteristics:#06x}) lack NX_COMPAT (0x0100):"
            " shim's NX policy, Microsoft's signing requirements and firmware memory"
            " protection treat the image as needing executable data",
            Location(),
            fix="link with /NXCOMPAT (lld-link's default) once every section is W^X",
        )
        return
    wx = [s.Name for s in pe.sections if s.writable and s.executable and not s.discardable]
    if wx:
        yield Finding(
            f"NX_COMPAT is set, but section {wx[0]} is writable and executable: firmware"
            " that honours the flag maps data non-executable and code read-only",
            Location(section=wx[0]),
            fix="split the section into RX code and RW data",
        )
