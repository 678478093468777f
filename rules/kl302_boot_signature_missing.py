"""A BIOS boot sector does not end in the signature `55 AA`.

## What it does
Reports a boot sector whose bytes 510-511 are not `55 AA` (the little-endian word
`0xAA55`). Raw files are checked when they are named with `--boot-sector-layout` or
`boot-sector-layout` (a 512-byte file that ends in `55 AA` is recognised on its own);
an ELF file is checked when its lowest allocated section is linked at 0x7C00 (or at
0 with a `0x07C0` segment set-up in its code): its sector is the bytes its sections put
at 0x7C00-0x7DFF, as `objcopy -O binary` would write them. When `55 AA` sits elsewhere
in the first 512 bytes, the finding says where.

Many builds link the boot code at 0x7C00, extract it (`objcopy -O binary -j .text`),
pad it to 510 bytes and append `55 AA` in a later step (xv6's `sign.pl`): the ELF then
has no signature, and kernlint cannot see that step. When nothing in the ELF's code
and data reaches bytes 510-511 (unwind tables and notes, which `-j .text` drops, do
not count), no section is named like a signature, `55 AA` is nowhere in the sector
and the code fits the budget, the finding is `info` and says what it assumes. Bytes
that the ELF itself puts at 510-511, or a signature in the wrong place, stay an error.

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
- `tests/rules/test_kl302_boot_signature_missing.py`: a sector built the xv6 way
  (GNU ld `-N -Ttext 0x7C00`, `objcopy -O binary -j .text`, signature appended),
  booted in QEMU 7.2.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import BOOT_SECTOR, IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.bootsector import BootSector

ID = "KL302"
NAME = "boot-signature-missing"
SEVERITY = "error"
APPLIES_TO = frozenset({BOOT_SECTOR, IMAGE})

LOG_PATTERNS = (
    # SeaBIOS in QEMU 7.2 (observed on its debug console: a disk whose first sector
    # lacks 55 AA). Anywhere in the line: serial logs are often pasted flattened
    # ("Booting from Hard Disk... Boot failed: not a bootable disk").
    LogPattern(
        "seabios",
        r"(?<![\w-])Boot failed: not a bootable disk",
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
    if ctx.image is not None and base is not None and where < 0:
        appended = _appended_later(ctx, bs)
        if appended is not None:
            yield appended
            return
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


def _appended_later(ctx: Context, bs: BootSector) -> Finding | None:
    """The info finding for an ELF sector that leaves offsets 510-511 to a later step:
    no section of its code and data reaches them (unwind tables and notes, which a
    ``objcopy -j .text`` extraction drops, do not count), no section is named like a
    signature, ``55 AA`` is nowhere in it, and its code and data fit the budget, so a
    build that pads the extracted code to 510 bytes and appends ``55 AA`` (xv6's
    ``sign.pl``) makes a bootable sector. None when the ELF itself is wrong."""
    from kernlint.bootsector.elf import (
        SIGNATURE_NAME,
        code_end,
        is_auxiliary,
        sector_sections,
    )
    from kernlint.bootsector.layout import SIGNATURE_OFFSET

    image, base = ctx.image, bs.origin or 0
    if any(SIGNATURE_NAME.match(s.name) for s in image.sections if s.index):
        return None

    def at_signature(s) -> bool:
        return s.sh_addr - base < SIGNATURE_OFFSET + 2 and s.end - base > SIGNATURE_OFFSET

    if any(at_signature(s) for s in sector_sections(image) if not is_auxiliary(s)):
        return None
    end, _ = code_end(image, bs, auxiliary=False)
    if end > bs.layout.code_end:
        return None
    reaching = [s.name for s in sector_sections(image) if is_auxiliary(s) and at_signature(s)]
    also = (
        f" ({', '.join(reaching)}, which an `objcopy -j .text` extraction drops, reaches them)"
        if reaching
        else ""
    )
    return Finding(
        f"the signature is not in this ELF: its code and data end at sector offset"
        f" {end:#x} ({end} bytes), within the {bs.layout.name} budget of"
        f" {bs.layout.budget} bytes, and no section of them puts anything at bytes"
        f" 510-511{also}. If your build appends it (`objcopy -O binary -j .text`, padding"
        " to 510 bytes, then `55 AA`), nothing is wrong; if not, the BIOS does not boot"
        f" the sector linked at {base:#x}",
        Location(address=base + SIGNATURE_OFFSET),
        fix=(
            "if nothing appends it, end the sector with it: an output section"
            f" `.signature {base:#x} + 510 : {{ SHORT(0xaa55) }}` (GNU ld), or"
            " `times 510-($-$$) db 0` then `dw 0xAA55` (NASM)"
        ),
        severity="info",
    )
