"""A BIOS boot sector does not end in the signature `55 AA`.

## What it does
Reports a boot sector whose bytes 510-511 are not `55 AA` (the little-endian word
`0xAA55`). Raw files are checked when they are named with `--boot-sector-layout` or
`boot-sector-layout` (a 512-byte file that ends in `55 AA` is recognised on its own);
an ELF file is checked when its lowest allocated section is linked at 0x7C00 (or at
0 with a `0x07C0` segment set-up): its sector is the bytes its sections put at
0x7C00-0x7DFF, as `objcopy -O binary` would write them. When `55 AA` sits elsewhere
in the first 512 bytes, the finding says where.

## Why is this bad?
The BIOS reads sector 0 to 0000:7C00 and jumps to it only if bytes 510-511 are
`55 AA`; otherwise it tries the next boot device or prints "No bootable device" —
with no word about the signature. `grub-file --is-x86-bios-bootsector` accepts only a
512-byte file with `0xAA55` at offset 510. The usual causes: a missing
`times 510-($-$$) db 0` before `dw 0xAA55`, a signature section that follows the code
instead of sitting at 0x7DFE, or an image that is not the 512 bytes it should be.

## Example
```ld
SECTIONS {
  .text 0x7c00 : { *(.text) }
  .signature : { SHORT(0xaa55) }   /* right after the code: not at 0x7dfe */
}
```

## Use instead
```ld
SECTIONS {
  .text 0x7c00 : { *(.text) }
  .signature 0x7c00 + 510 : { SHORT(0xaa55) }
}
```
or, in NASM: `times 510-($-$$) db 0` then `dw 0xAA55`.

## References
- Wikipedia, "Master boot record" (boot signature at 0x1FE).
- GRUB `grub-file --is-x86-bios-bootsector` (`util/grub-file.c`): size 512 and
  `0xAA55` at 510.
- `research/anchors-binary.md` §2.8 "BIOS boot sectors".
"""

from collections.abc import Iterator

from kernlint.context import BOOT_SECTOR, IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL302"
NAME = "boot-signature-missing"
SEVERITY = "error"
APPLIES_TO = frozenset({BOOT_SECTOR, IMAGE})

LOG_PATTERNS = (
    # SeaBIOS in QEMU 7.2 (observed on its debug console: a disk whose first sector
    # lacks 55 AA).
    LogPattern(
        "seabios",
        r"^Boot failed: not a bootable disk$",
        "The BIOS read the disk's first sector, found no `55 AA` at bytes 510-511 and"
        " skipped it. End the sector with the signature (`times 510-($-$$) db 0` then"
        " `dw 0xAA55` in NASM, `.signature 0x7c00 + 510 : {{ SHORT(0xaa55) }}` in a linker"
        " script), and check that the image written to the disk is that 512-byte sector"
        " (`objcopy -O binary` of an ELF).",
        "Boot failed: not a bootable disk",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding when bytes 510-511 of the sector are not ``55 AA``."""
    bs = ctx.boot_sector if ctx.boot_sector is not None else ctx.elf_boot_sector
    if bs is None or bs.has_signature:
        return
    from kernlint.bootsector.layout import (
        LOAD_ADDRESS,
        SECTOR_SIZE,
        SIGNATURE,
        SIGNATURE_OFFSET,
    )

    data = bs.data
    base = bs.origin if bs.is_elf else None
    where = data.find(SIGNATURE)
    elsewhere = f"; `55 AA` is at offset {where:#x} instead" if where >= 0 else ""
    section = None
    if ctx.image is not None and base is not None:
        held = ctx.image.sections_at(base + SIGNATURE_OFFSET)
        section = held[0].name if held else None
        found = ctx.image.sections_at(base + where) if where >= 0 else []
        if found:
            elsewhere += f" (section {found[0].name})"
    if len(data) < SECTOR_SIZE:
        what = "file" if base is None else "run of sections from the lowest one"
        got = (
            f"the sector is only {len(data)} bytes long (the {what} ends there),"
            " so it has no 55 AA at bytes 510-511"
        )
    else:
        got = f"bytes 510-511 are {data[SIGNATURE_OFFSET:].hex(' ').upper()}"
        got += f" (from section {section})" if section else ""
        got += ", not 55 AA"
    sector = "this sector" if base is None else f"the sector linked at {base:#x}"
    yield Finding(
        f"{got}: no boot signature at bytes 510-511, so the BIOS does not boot {sector}{elsewhere}",
        Location(
            section=section,
            address=None if base is None else base + SIGNATURE_OFFSET,
            offset=SIGNATURE_OFFSET if base is None else None,
        ),
        fix=(
            "end the sector with the signature at offset 510: `times 510-($-$$) db 0` then"
            " `dw 0xAA55` (NASM), or an output section"
            f" `.signature {LOAD_ADDRESS:#x} + 510 : {{ SHORT(0xaa55) }}` (GNU ld)"
        ),
    )
