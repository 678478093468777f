"""A UEFI image's Subsystem is not one the firmware loads, or not an application where
it is started as one.

## What it does
Reads the optional header's `Subsystem` (PE/COFF specification 3.4.2) of a PE image
meant for UEFI (named `*.efi`, or configured with `uefi-arch` / `uefi-application`)
and reports, at error:

- a Subsystem other than 10 (`IMAGE_SUBSYSTEM_EFI_APPLICATION`), 11
  (`EFI_BOOT_SERVICE_DRIVER`) and 12 (`EFI_RUNTIME_DRIVER`): a Windows console or GUI
  program (lld-link's default without `-subsystem:efi_application`, MinGW's), a
  native image, or an EFI ROM image (13);
- a driver (11 or 12) that the firmware starts as an application: the removable-media
  boot loader `\\EFI\\BOOT\\BOOT<ARCH>.EFI`, or a target with
  `uefi-application = true`. A driver installed with the Shell's `load` or a
  `Driver####` variable is fine; without a name or configuration that says how the
  image is used, drivers are not reported.

## Why is this bad?
EDK2's DXE core (`CoreLoadPeImage`, `MdeModulePkg/Core/Dxe/Image/Image.c`) loads only
subsystems 10, 11 and 12 and returns EFI_UNSUPPORTED for any other, and the boot manager
takes only an application as the removable-media boot loader
(`BmIsLoadOptionPeHeaderValid`, `MdeModulePkg/Library/UefiBootManagerLib`). OVMF
2022.11 (Debian `ovmf`) says, for `BOOTX64.EFI` with Subsystem 3 (console) and for
one with Subsystem 11 (a boot-service driver) alike:
`BdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK QM00001 " from ...: Not Found`;
run from the Shell, the console image gets `Command Error Status: Unsupported` and
the driver `The image is not an application.` (the Shell's `load` installs the same
driver without complaint).

## Example
```sh
clang --target=x86_64-unknown-windows -nostdlib -fuse-ld=lld \
      -Wl,-entry:efi_main -o BOOTX64.EFI main.c     # Subsystem 3: console
```

## Use instead
```sh
clang --target=x86_64-unknown-windows -nostdlib -fuse-ld=lld \
      -Wl,-subsystem:efi_application -Wl,-entry:efi_main -o BOOTX64.EFI main.c
```
(`objcopy --target efi-app-x86_64` for gnu-efi, rustc's `x86_64-unknown-uefi`
target; `efi_boot_service_driver` / `--target efi-bsdrv-x86_64` for a driver that is
loaded as one).

## References
- Microsoft, "PE Format", 3.4.2 "Windows Subsystem".
- UEFI 2.10, 3.5.1.1 "Removable Media Boot Behavior"; 7.4 `LoadImage()`.
- EDK2 `MdeModulePkg/Core/Dxe/Image/Image.c` (`CoreLoadPeImage`),
  `MdePkg/Library/BasePeCoffLib/BasePeCoff.c` (`PeCoffLoaderGetImageInfo`).
- `tests/pe/test_ovmf.py`: the samples booted in OVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL701"
NAME = "efi-subsystem-wrong"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "edk2",
        r"The image is not an application\.",
        "The UEFI Shell (or boot manager) loaded an image whose Subsystem is a driver"
        " (11 or 12) and refused to start it as an application. Link it with"
        " `-subsystem:efi_application` (lld-link), `--target efi-app-<arch>` (objcopy),"
        " or load it as a driver (`load FILE` in the Shell).",
        "The image is not an application.",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding for a Subsystem UEFI does not load, or a driver started as an
    application."""
    from kernlint.pe.model import EFI_LOADABLE_SUBSYSTEMS, IMAGE_SUBSYSTEM_EFI_APPLICATION
    from kernlint.pe.usage import meant_for_uefi, used_as_application

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    if pe.Subsystem not in EFI_LOADABLE_SUBSYSTEMS:
        yield Finding(
            f"Subsystem is {pe.Subsystem} ({pe.subsystem_name}), not an EFI application,"
            " boot-service driver or runtime driver (10, 11, 12): UEFI firmware refuses"
            " to load it (OVMF's boot manager: `Not Found`; the Shell: `Unsupported`)",
            Location(),
            fix="link with `-subsystem:efi_application` (lld-link, rustc's *-unknown-uefi"
            " targets) or `objcopy --target efi-app-<arch>` (gnu-efi)",
        )
        return
    if pe.Subsystem == IMAGE_SUBSYSTEM_EFI_APPLICATION:
        return
    use = used_as_application(ctx)
    if use is None or not use[0]:
        return
    yield Finding(
        f"Subsystem is {pe.Subsystem} ({pe.subsystem_name}), but {use[1]}: the firmware"
        " refuses to start it as one (OVMF's boot manager: `Not Found`; the Shell: `The"
        " image is not an application.`)",
        Location(),
        fix="link it as an application (`-subsystem:efi_application`, `--target"
        " efi-app-<arch>`), or install it as a driver (Shell `load`, `Driver####`)",
    )
