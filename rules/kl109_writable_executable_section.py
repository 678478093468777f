"""A section is both writable and executable.

## What it does
Reports sections whose `sh_flags` has both `SHF_WRITE` and `SHF_EXECINSTR` (`WAX` in
`readelf -S`), in linked images and object files.

## Why is this bad?
Such a section forces the segment that holds it to be writable and executable (see
KL105), and usually comes from a flags typo (`"awx"` for `"ax"`) or from code and data
mixed in one section. Self-modifying boot code exists, but it should be a small,
deliberate exception, not the whole text.

Not reported for images whose permission flags nothing reads: a BIOS boot sector (an
ELF linked at 0x7C00 and turned into the sector with `objcopy -O binary`; the firmware
copies raw bytes) and an i386 executable linked wholly below 1 MiB with no
boot-protocol header (real-mode or flat code such as a stage 2 or Linux's `setup.elf`,
loaded raw by a boot sector). `ld -N` (`--omagic`), the usual way to link those,
makes `.text` writable and its one segment RWE, harmlessly.

## Example
```asm
    .section .boot, "awx", @progbits
```

## Use instead
```asm
    .section .boot, "ax", @progbits      # code
    .section .boot.data, "aw", @progbits # its variables
```

## References
- GAS manual, "`.section name`" (ELF version): flags `a`, `w`, `x`.
- System V gABI, "Sections" (`SHF_WRITE`, `SHF_EXECINSTR`).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import is_executable_file
from kernlint.finding import Finding, Location

ID = "KL109"
NAME = "writable-executable-section"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per W+X section."""
    from kernlint.bootsector.elf import raw_loaded

    if raw_loaded(ctx):
        return
    image = ctx.image
    linked = is_executable_file(image)
    for sec in image.sections:
        if sec.index and sec.is_write and sec.is_exec:
            yield Finding(
                f"{sec.label()} is both writable and executable (SHF_WRITE|SHF_EXECINSTR)",
                Location(
                    section=sec.name, address=sec.sh_addr if linked else None, offset=sec.sh_offset
                ),
                fix=(
                    f'drop the `w` flag: `.section {sec.name}, "ax", @progbits`, and move its'
                    ' variables to a separate `"aw"` section'
                ),
            )
