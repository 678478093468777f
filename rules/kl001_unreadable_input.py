"""The input file cannot be read or is not a well-formed ELF file.

## What it does
Reports a file that kernlint cannot read: a missing or unreadable path, a file named
like an ELF file (`.elf`, `.o`, `.ko`, ...) without the ELF magic, or an ELF file that
is truncated or smashed: the program header or section header table runs past the end
of the file, `e_shstrndx` names no section, a section name lies outside `.shstrtab`, a
section's or segment's bytes lie past the end of the file, a symbol table is not a
whole number of records. One finding per file; the run exits with status 2.

## Why is this bad?
A loader reading such a file reads garbage or stops: GRUB says "premature end of file",
QEMU "Error loading uncompressed kernel". It usually means an interrupted build, a
failed `objcopy`, or the wrong file (a flat binary, a bzImage) passed where an ELF
image is expected. No other rule can say anything true about the file.

## Example
```
$ head -c 3000 build/kernel.elf > broken.elf
$ kernlint check broken.elf
broken.elf: KL001 unreadable-input: truncated ELF: section header table (12 entries at
offset 0x2f10, ending at 0x3210) runs past the end of the file (3000 bytes)
```

## Use instead
Rebuild the file; check that the path names the linker's ELF output (not the
`objcopy -O binary` result); compare with `readelf -h -l -S FILE`.

## References
- System V gABI, "ELF Header", "Sections", "Program Header".
- `readelf(1)` warnings "section extends beyond end of file".
"""

from collections.abc import Iterator

from kernlint.context import UNREADABLE, Context
from kernlint.finding import Finding
from kernlint.logpattern import LogPattern

ID = "KL001"
NAME = "unreadable-input"
SEVERITY = "error"
APPLIES_TO = frozenset({UNREADABLE})

LOG_PATTERNS = (
    # GRUB 2.06 `grub-core/kern/elf.c`, `loader/multiboot_elfxx.c` ("premature end of
    # file %s", printed as "error: %s."); hand-typed from that source.
    LogPattern(
        "grub",
        r"premature end of file (?P<output>.+?)\.?$",
        "GRUB could not read as many bytes of {output} as its headers promise: the ELF"
        " header, the program headers or a segment's bytes run past the end of the file."
        " The file on the boot medium is truncated, or is not the linker's ELF output;"
        " rebuild and copy it again, and run `kernlint check` on it: KL001 says what runs"
        " past the end.",
        "error: premature end of file /boot/kernel.elf.",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """One finding carrying the reader's message."""
    if ctx.error is not None:
        yield Finding(ctx.error.message)
