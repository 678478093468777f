"""An ELF boot sector is not linked at 0x7C00.

## What it does
Reports an ELF file that is a BIOS boot sector whose lowest allocated section is
linked at an address other than 0x7C00. Linked elsewhere, an ELF is taken for a boot
sector only on evidence: `55 AA` at offset 510 of its first loaded bytes and, besides,
its sections ending within those 512 bytes, a signature section of its own at offset
510, a partition-table section or symbol, or a jump over a BPB at offset 0 — or a
`[[target]]` with `boot-sector-layout`. A section name alone is not enough: Linux's
`realmode.elf` has a `.signature` (a 4-byte marker at its end) and its `setup.elf` a
`boot_flag` 0xAA55 at 0x1fe inside a setup header that runs on; neither is reported.
Linking at 0 is accepted when the first 64 bytes of the lowest section, if it is code,
load segment 0x07C0 (`ljmp $0x07c0, $start`, `mov $0x07c0, %ax`, `push $0x07c0`):
then offsets from 0 in segment 0x07C0 are the right addresses.

## Why is this bad?
The BIOS loads the sector at linear 0x7C00 and jumps to 0000:7C00. Every absolute
address the linker resolved — `mov $msg, %si`, a far jump target, a GDT pointer —
assumes the link address, so a sector linked at 0 (the default of `ld -Ttext 0`, or
NASM's `org 0` without a segment change) or at 0x1000 reads and jumps to the wrong
place. Relative jumps still work, so the code often runs a little before it prints
garbage or hangs. No tool warns.

## Example
```sh
ld -m elf_i386 -Ttext=0 -o boot.elf boot.o        # mov $msg, %si loads 0x1c, not 0x7c1c
```

## Use instead
```sh
ld -m elf_i386 -Ttext=0x7c00 -o boot.elf boot.o
```
or keep 0 and start with `ljmp $0x07c0, $start` and `mov $0x07c0, %ax; mov %ax, %ds`.

## References
- `research/anchors-binary.md` §2.8 "BIOS boot sectors" (the BIOS loads sector 0 at
  0000:7C00).
- Wikipedia, "Master boot record", "BIOS to MBR interface".
- Linux `arch/x86/boot/header.S`, `setup.ld`, `arch/x86/realmode/rm/realmode.lds.S`
  (the shapes reproduced in `tests/bootsector/shapes.py`).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL303"
NAME = "boot-sector-wrong-origin"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding for an ELF boot sector linked away from 0x7c00."""
    bs = ctx.elf_boot_sector
    if bs is None or bs.origin_ok:
        return
    from kernlint.bootsector.layout import LOAD_ADDRESS

    origin = bs.origin or 0
    delta = LOAD_ADDRESS - origin
    setup = " and sets up no 0x07c0 segment in its first bytes" if origin == 0 else ""
    yield Finding(
        f"boot sector {bs.origin_from}{setup}, but the BIOS loads it at {LOAD_ADDRESS:#x}:"
        f" every absolute address in it is {abs(delta):#x} bytes"
        f" {'too low' if delta > 0 else 'too high'}",
        Location(section=ctx.image.sections_at(origin)[0].name, address=origin),
        fix=(
            "link at 0x7c00 (`. = 0x7c00;` in the script, `-Ttext=0x7c00`, or NASM"
            " `org 0x7c00`), or keep 0 and begin with `ljmp $0x07c0, $start` and load"
            " %ds/%es/%ss with 0x07c0"
        ),
    )
