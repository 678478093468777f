"""The image is meant for Multiboot 2 but GRUB finds no header in it.

## What it does
Checks images loaded with the Multiboot 2 protocol (`--boot-protocol multiboot2`,
`boot-protocol = "multiboot2"`, or detected from a Multiboot 2 header: a `0xE85250D6`
magic with a zero checksum anywhere in the loaded bytes, or one with a wrong checksum
where the build says a header is meant — see KL402) for a header GRUB's `multiboot2`
command takes: the magic `0xE85250D6`, architecture 0 and a zero checksum at an
8-byte-aligned file offset whose first 12 bytes lie in the first 32768 bytes of the
file. When a valid header
exists further in, the finding gives its file offset, the output section that holds
it, and the sections whose file bytes come first, largest first: those pushed it out.

A magic in the window with a wrong checksum or architecture is KL402's.

## Why is this bad?
GRUB looks for the header in the *file*, not in memory, and only in its first 32 KiB;
it stops with `error: no multiboot header found.` The header usually leaves the
window when the linker script places its section after `.text` (or does not place
it at all, and ld treats it as an orphan) and the code grows past 32 KiB, or when a
large `max-page-size` (2 MiB, the x86-64 default of older binutils) pads the file
before the first segment.

## Example
```ld
SECTIONS {
    . = 1M;
    .text : { *(.text .text.*) }             /* 40 KiB of code */
    .multiboot2 : { KEEP(*(.multiboot2)) }   /* lands at file offset 0xb5e0 */
}
```

## Use instead
```ld
SECTIONS {
    . = 1M;
    .text : {
        KEEP(*(.multiboot2))                 /* first: file offset 0x1000 */
        *(.text .text.*)
    }
}
```
with the header in an allocated section (`.section .multiboot2, "a"`, `.balign 8`).
Keep it in `KEEP()`: nothing refers to it and `--gc-sections` drops it (KL202). Link
with `-z max-page-size=0x1000` if the first segment starts far into the file.

## References
- Multiboot2 Specification 2.0, §3.1.1 "OS image format" ("must be contained
  completely within the first 32768 bytes of the OS image, and must be 64-bit
  aligned").
- GRUB 2.06 `grub-core/loader/multiboot_mbi2.c` (`find_header`, "no multiboot header
  found"); `grub-core/commands/file.c` (`grub-file --is-x86-multiboot2`).
- `research/anchors-binary.md` §2.2 and §4 (G1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT2, named
from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    pass


ID = "KL401"
NAME = "multiboot2-header-missing"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

#: GRUB prints the same line for its ``multiboot`` and ``multiboot2`` commands, with no
#: header at all, one pushed out of the window, or one with a bad checksum or
#: architecture: this rule owns it, and names the others that explain it.
LOG_PATTERNS = (
    LogPattern(
        "grub",
        r"no multiboot header found",
        "GRUB's `multiboot2` (or `multiboot`) command found no header it accepts in the"
        " first 32768 (8192) bytes of the file: none at all, one pushed further in by the"
        " sections before it, or one with a wrong checksum or architecture. Put the"
        " header section first in the linker script (`KEEP(*(.multiboot2))` at the start"
        " of the first output section) and let the assembler compute the checksum;"
        " `kernlint check` on the image says which it is.",
        "error: no multiboot header found.",
        related=("KL402", "KL403", "KL404"),
        # GRUB's `multiboot` (Multiboot 1) prints the very same message: the image
        # decides which protocol and which cause it is.
        alternatives=("KL402", "KL403", "KL404"),
    ),
)

_GRUB = 'GRUB: "no multiboot header found."'


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding when GRUB finds no Multiboot 2 header."""
    from kernlint.boot import multiboot2
    from kernlint.boot.headers import placement

    headers = ctx.boot_headers
    if headers is None or MULTIBOOT2 not in ctx.boot_protocols:
        return
    if headers.grub_multiboot2 is not None:
        return
    beyond = headers.beyond_window[1]
    if beyond:
        h = beyond[0]
        where = placement(headers, h.offset)
        yield Finding(
            f"the Multiboot 2 header is at file offset {h.offset:#x} ({h.offset} bytes),"
            f" beyond the first {multiboot2.SEARCH} bytes that GRUB searches;"
            f" {where.describe()}; {_GRUB}",
            where.location(),
            fix=where.place_first_fix(".multiboot2"),
        )
    elif not headers.claimed_multiboot2(named(ctx.config.protocol_for(ctx.path), MULTIBOOT2)):
        yield Finding(
            "no Multiboot 2 header (magic 0xE85250D6, architecture 0, zero checksum) at an"
            f" 8-byte-aligned offset in the first {multiboot2.SEARCH} bytes of the file,"
            f" nor further in; {_GRUB}",
            Location(offset=0),
            fix=(
                "add a header in an allocated section placed first: `.section .multiboot2,"
                ' "a"`, `.balign 8`, magic, 0, length, -(magic + length), an end tag'
                " (`.short 0, 0` / `.long 8`), and `KEEP(*(.multiboot2))` as the first"
                " statement of the first output section"
            ),
        )
    # else: a magic with a bad checksum or architecture in the window: KL402's.
