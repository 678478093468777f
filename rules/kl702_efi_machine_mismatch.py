"""A UEFI image's Machine is not the architecture of the firmware that runs it.

## What it does
Compares the COFF header's `Machine` (PE/COFF specification 3.3.1) with the UEFI
architecture the image is meant for: `uefi-arch` in the configuration (a target's, or
the top-level one), else the removable-media file name `BOOT<ARCH>.EFI`
(`BOOTX64.EFI` needs `IMAGE_FILE_MACHINE_AMD64`, `BOOTAA64.EFI` `ARM64`,
`BOOTIA32.EFI` `I386`, `BOOTRISCV64.EFI` `RISCV64`, ...). With neither, nothing is
reported: kernlint does not guess the firmware from other names (`grubx64.efi`).

## Why is this bad?
A firmware starts only images of its own machine type (UEFI 2.10, 2.1.1 "UEFI
Images"). OVMF 2022.11 (x64) refuses an AArch64 image as `BOOTX64.EFI` with
`BdsDxe: failed to load Boot0001 ... : Unsupported`; an IA32 image is loaded and then
`BdsDxe: failed to start Boot0001 ... : Unsupported`; AAVMF 2022.11 (Debian
`qemu-efi-aarch64`) refuses the x64 image as `BOOTAA64.EFI` with `failed to load
... : Unsupported`, and EDK2's debug builds add `Image type X64 can't be loaded on
AARCH64 UEFI system.` (`CoreLoadPeImage`). The usual causes: the wrong `--target`
(`x86_64-unknown-uefi` for an ARM board), a host-built image copied onto another
machine's ESP, or a file copied under the wrong `BOOT<ARCH>.EFI` name.

## Example
```sh
clang --target=aarch64-unknown-windows ... -o esp/EFI/BOOT/BOOTX64.EFI main.c
```

## Use instead
```sh
clang --target=x86_64-unknown-windows ... -o esp/EFI/BOOT/BOOTX64.EFI main.c
# or, for an ARM machine:
clang --target=aarch64-unknown-windows ... -o esp/EFI/BOOT/BOOTAA64.EFI main.c
```

## References
- Microsoft, "PE Format", 3.3.1 "Machine Types".
- UEFI 2.10, 3.5.1.1 "Removable Media Boot Behavior" (the `BOOT<ARCH>.EFI` names).
- EDK2 `MdeModulePkg/Core/Dxe/Image/Image.c` (`CoreLoadPeImage`: machine type not
  supported, EFI_UNSUPPORTED), `MdePkg/Library/BasePeCoffLib/BasePeCoff.c`
  (`PeCoffLoaderGetPeHeader`, `PeCoffLoaderImageFormatSupported`).
- `tests/pe/test_ovmf.py`: the samples booted in OVMF and AAVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import PE_IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL702"
NAME = "efi-machine-mismatch"
SEVERITY = "error"
APPLIES_TO = frozenset({PE_IMAGE})

LOG_PATTERNS = (
    # OVMF 2022.11's boot manager (BdsDxe) and Shell, observed on the samples (tests/pe).
    LogPattern(
        "edk2",
        r'(?:BdsDxe: failed to (?:load|start) Boot\w+ ".*?" from .*?: '
        r"|Command Error Status: )Unsupported$",
        "The firmware refused the image as unsupported: built for another machine"
        " (an AArch64 or IA32 image on x64 firmware, KL702), cut short or with headers"
        " pointing past the end of the file (KL706), or, from the Shell, not an EFI"
        " subsystem (KL701). Run `kernlint check` on the image (`--artifacts`) to see"
        " which.",
        'BdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK QM00001 " from'
        " PciRoot(0x0)/Pci(0x1,0x1)/Ata(Primary,Master,0x0): Unsupported",
        alternatives=("KL706", "KL701"),
    ),
    LogPattern(
        "edk2",
        r"Image type (?P<type>\w+) can't be loaded on (?P<firmware>\w+) UEFI system",
        "The firmware ({firmware}) refused a {type} image: a UEFI firmware runs only"
        " images of its own Machine type. Build the image for the firmware's"
        " architecture (`--target`), or install it under the `BOOT<ARCH>.EFI` name of"
        " its own.",
        "Image type X64 can't be loaded on AARCH64 UEFI system.",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding when ``Machine`` is not the expected architecture's."""
    from kernlint.pe.model import MACHINE_NAMES, UEFI_ARCHES
    from kernlint.pe.usage import expected_arch, meant_for_uefi

    pe = ctx.pe
    if pe is None or not meant_for_uefi(ctx):
        return
    expected = expected_arch(ctx)
    if expected is None:
        return
    arch, why = expected
    want = UEFI_ARCHES[arch]
    if pe.Machine == want:
        return
    yield Finding(
        f"Machine is {pe.Machine:#06x} ({pe.machine_name}), but {why} says the firmware"
        f" is {arch.upper()} (Machine {want:#06x}, {MACHINE_NAMES[want]}): the firmware"
        " refuses to load or start it (OVMF: `Unsupported`)",
        Location(),
        fix=f"build the image for {arch.upper()} (clang/rustc `--target`), or install it"
        f" under the BOOT{pe.machine_name}.EFI name of the architecture it is built for",
    )
