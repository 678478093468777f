"""The image is meant for Multiboot 1 but no loader finds its header.

## What it does
Checks images loaded with the Multiboot 1 protocol (`--boot-protocol multiboot1`,
`boot-protocol = "multiboot1"`, or detected from a Multiboot 1 header: a `0x1BADB002`
magic with a zero checksum anywhere in the loaded bytes, or one with a wrong checksum
where the build says a header is meant — see KL404) for a header GRUB's `multiboot`
command takes: the magic `0x1BADB002` and a zero checksum (`magic + flags + checksum
== 0` mod 2**32) at a 4-byte-aligned file offset whose 12 bytes lie in the first 8192
bytes of the file. When the header
exists further in, the finding gives its file offset, the output section that holds
it, and the sections whose file bytes come first, largest first: those pushed it out.
It also reports a header GRUB finds but QEMU `-kernel` does not (QEMU scans only
offsets below 8192 - 48 = 8144).

A flat (non-ELF) file named with `--boot-protocol multiboot1` (a `nasm -f bin`
kernel) is checked the same way: it loads only through a header with flags bit 16
(the a.out kludge), so no header in its first 8192 bytes is reported (QEMU `-kernel`
then takes it for a Linux kernel: "qemu: invalid kernel header"). Without the
protocol named such a file is skipped as not recognised.

A header with the magic in the window but a wrong checksum is KL404's.

## Why is this bad?
Loaders look for the header in the *file*, not in memory, and only near its start.
GRUB stops with `error: no multiboot header found.`; QEMU `-kernel` does not see a
Multiboot image and tries the other protocols it knows (`Error loading uncompressed
kernel without PVH ELF Note`). The header usually leaves the window when the linker
script places it after `.text` (or does not place it at all and ld treats it as an
orphan) and the code grows past 8 KiB, when `.note.gnu.build-id` or other sections
come first, or when a large `max-page-size` pads the file.

## Example
```ld
SECTIONS {
    . = 1M;
    .text : { *(.text .text.*) }            /* 12 KiB of code */
    .multiboot : { KEEP(*(.multiboot)) }    /* lands at file offset 0x42f0 */
}
```

## Use instead
```ld
SECTIONS {
    . = 1M;
    .text : {
        KEEP(*(.multiboot))                 /* first: file offset 0x1000 */
        *(.text .text.*)
    }
}
```
with the header in an allocated section: `.section .multiboot, "a"`, `.balign 4`,
`.long 0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)`. Keep it in `KEEP()`: nothing
refers to it and `--gc-sections` drops it (KL202).

## References
- Multiboot Specification 0.6.96, §3.1.1 "The layout of Multiboot header" ("must be
  contained completely within the first 8192 bytes of the OS image, and must be
  longword (32-bit) aligned").
- GRUB 2.06 `grub-core/loader/i386/multiboot_mbi.c` (`find_header`,
  "no multiboot header found"); `grub-file --is-x86-multiboot` checks the same.
- QEMU 7.2 `hw/i386/multiboot.c` (`load_multiboot`: `for (i = 0; i < (8192 - 48); i
  += 4)`).
- `research/anchors-binary.md` §2.1, §2.4 and §4 (G1, Q2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT1, named
from kernlint.context import FLAT_KERNEL, IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    pass


ID = "KL403"
NAME = "multiboot1-header-missing"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE, FLAT_KERNEL})

#: GRUB's line for this ("error: no multiboot header found.") is the same for both
#: protocols: KL401 declares it, with this rule among its related ones. QEMU's
#: ("Error loading uncompressed kernel without PVH ELF Note") is KL408's.
LOG_PATTERNS: tuple[LogPattern, ...] = ()

_GRUB = 'GRUB: "no multiboot header found."'


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding when GRUB (or QEMU) finds no Multiboot 1 header."""
    from kernlint.boot import multiboot1
    from kernlint.boot.headers import placement

    if ctx.flat_kernel is not None:
        yield from _flat(ctx)
        return
    headers = ctx.boot_headers
    if headers is None or MULTIBOOT1 not in ctx.boot_protocols:
        return
    taken = headers.grub_multiboot1
    if taken is not None:
        if headers.qemu_multiboot1 is None:
            where = placement(headers, taken.offset)
            yield Finding(
                f"the Multiboot 1 header at file offset {taken.offset:#x} is in the last 48"
                f" bytes of the 8192-byte window: GRUB finds it, but QEMU -kernel scans"
                f" only offsets below {multiboot1.QEMU_SEARCH:#x} and does not see a"
                ' Multiboot image ("Error loading uncompressed kernel without PVH ELF'
                ' Note")',
                where.location(),
                fix=where.place_first_fix(".multiboot"),
            )
        return
    beyond = headers.beyond_window[0]
    in_window = headers.claimed_multiboot1(named(ctx.config.protocol_for(ctx.path), MULTIBOOT1))
    if beyond:
        h = beyond[0]
        where = placement(headers, h.offset)
        yield Finding(
            f"the Multiboot 1 header is at file offset {h.offset:#x} ({h.offset} bytes),"
            f" beyond the first {multiboot1.SEARCH} bytes that GRUB and QEMU search;"
            f" {where.describe()}; {_GRUB}",
            where.location(),
            fix=where.place_first_fix(".multiboot"),
        )
    elif not in_window:
        yield Finding(
            "no Multiboot 1 header (magic 0x1BADB002 with a zero checksum) at a"
            f" 4-byte-aligned offset in the first {multiboot1.SEARCH} bytes of the file,"
            f" nor further in; {_GRUB}",
            Location(offset=0),
            fix=(
                "add a header in an allocated section placed first:"
                ' `.section .multiboot, "a"`, `.balign 4`, `.long 0x1BADB002, FLAGS,'
                " -(0x1BADB002 + FLAGS)`, and `KEEP(*(.multiboot))` as the first statement"
                " of the first output section"
            ),
        )
    # else: a magic with a bad checksum in the window: KL404 reports it.


def _flat(ctx: Context) -> Iterator[Finding]:
    """A flat (non-ELF) file named with ``--boot-protocol multiboot1``: the header is
    the only thing that says how to load it."""
    from kernlint.boot import multiboot1

    flat = ctx.flat_kernel
    taken = flat.grub_multiboot1
    if taken is not None:
        if flat.qemu_multiboot1 is None:
            yield Finding(
                f"the Multiboot 1 header at file offset {taken.offset:#x} of this flat"
                " (non-ELF) file is in the last 48 bytes of the 8192-byte window: GRUB"
                f" finds it, but QEMU -kernel scans only offsets below"
                f" {multiboot1.QEMU_SEARCH:#x} and takes the file for a Linux kernel"
                ' ("qemu: invalid kernel header")',
                Location(offset=taken.offset),
                fix="move the header to the start of the file: the first bytes of the image",
            )
        return
    if flat.multiboot1:
        return  # a magic with a bad checksum in the window: KL404's
    yield Finding(
        "no Multiboot 1 header (magic 0x1BADB002 with a zero checksum) at a 4-byte-aligned"
        f" offset in the first {multiboot1.SEARCH} bytes of this flat (non-ELF) file"
        f" ({flat.size} bytes), named as a Multiboot 1 kernel; a file that is not ELF"
        " loads only through a header with flags bit 16 (the a.out kludge); GRUB:"
        ' "no multiboot header found."; QEMU -kernel takes it for a Linux kernel:'
        ' "qemu: invalid kernel header"',
        Location(offset=0),
        fix=(
            "start the image with a header with the address fields (NASM, `org 0x100000`):"
            " `dd 0x1BADB002, 1 << 16, -(0x1BADB002 + (1 << 16))` then `dd header, $$,"
            " load_end, bss_end, entry` (header_addr, load_addr, load_end_addr,"
            " bss_end_addr, entry_addr), or link an ELF kernel instead"
        ),
    )
