"""The code and data of a BIOS boot sector run past its layout's budget.

## What it does
Reports a boot sector whose boot code and data take more bytes than its layout leaves
them: `mbr` 446 (the partition table starts at 0x1BE), `mbr-disk-signature` 440 (the
disk signature at 0x1B8), `fat16-vbr` 448 (code at 0x3E-0x1FD, after the FAT12/16
BPB), `fat32-vbr` 420 (0x5A-0x1FD), `raw` 510. The layout comes from
`boot-sector-layout` / `--boot-sector-layout`, else from the input: an output section
or symbol named like a partition table (`.partition_table`, `_partition_table`,
`mbr_partitions`, ...) makes an ELF an `mbr`; a jump over a plausible BPB
(`EB xx 90` / `E9 xx xx`) a VBR; a partition table with a real entry an `mbr`.

For an ELF linked at 0x7C00 the finding gives the overflow in bytes and the largest
sections and symbols in the sector, with their whole sizes (code that runs to byte 700
is reported as 700 bytes, 190 past a `raw` budget, not cut at the sector's 512). When
only unwind tables or notes (`.eh_frame`, `.note*`: bytes the boot code never reads)
take the sections past the budget, the finding is `info`: it assumes
`objcopy -O binary` writes every allocated section, and a build that extracts only
the code (`objcopy -j .text`, as xv6 does) leaves them out. For a raw sector it gives
the non-zero bytes found where the partition table (or disk signature) belongs, or,
for a VBR, how far into the BPB the boot code starts.

A raw 512-byte file has no names: an all-zero partition table proves nothing, and
code that ends at byte 460 is fine in a `raw` sector. Declare the layout
(`--boot-sector-layout mbr`) to check raw MBR code before it is installed.

Before linking: given a linker script and the objects it links (`kernlint check
--script S --objects a.o ...`, a configuration target's `script` and `objects`, or the
script's own `INPUT()`), the objects are laid out as GNU ld 2.40 would (`kernlint
layout`). When the lowest output section is at 0x7C00 and the sector carries the
signature at offset 510 (`. = 0x7c00 + 510; .sig : { SHORT(0xaa55) }`, `.sig 0x7dfe
: {...}`) or a partition-table section, the layout and budget are decided as for a
linked ELF, from the output section and symbol names, the BPB in the first input
section's bytes, or configuration; the finding gives the overflow in bytes (not
capped at 512), the largest input sections (object, section, size, sector offset)
and what GNU ld will do: often link without a word, or stop with nothing but
`section .sig LMA [...] overlaps section .text LMA [...]`.

## Why is this bad?
Nothing stops the code: NASM's `times 510-($-$$) db 0` only fails past 510 bytes, and
a linker script without fixed offsets just moves the partition table. Then the
installer (`fdisk`, `sfdisk`, `dd bs=446 count=1`) writes the partition table or disk
signature over the last instructions or strings, or the code's own bytes are read as
partition entries. The machine hangs or boots garbage, with no message.

## Example
```nasm
org 0x7c00
start:  ...                 ; 460 bytes of code and strings
times 510-($-$$) db 0       ; assembles fine
dw 0xAA55                   ; fdisk later overwrites bytes 446-509
```

## Use instead
```nasm
org 0x7c00
start:  ...                 ; at most 446 bytes
times 446-($-$$) db 0       ; NASM now fails if the code is too long
partition_table: times 64 db 0
dw 0xAA55
```
or in a linker script: `.partition_table 0x7c00 + 446 : { ... }` (GNU ld then reports
the overlap), or move code to a second stage. Before linking, `kernlint check
boot.ld` (with `INPUT(boot.o)`, or `--objects boot.o`) names the input sections to
shrink.

## References
- `research/anchors-binary.md` §2.8 "BIOS boot sectors" (budgets per layout).
- rust-osdev/bootloader `bios/boot_sector/boot-sector-link.ld` (`. = 0x7c00 + 446;`).
- GNU ld 2.40 on `samples/kl301-boot-sector-overflow-prelink/` (what ld prints, or
  not, for an overflowing sector).
- Microsoft, FAT specification (fatgen103): BPB and boot code offsets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from kernlint.context import BOOT_SECTOR, IMAGE, SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.bootsector import BootSector

ID = "KL301"
NAME = "boot-sector-overflow"
SEVERITY = "error"
APPLIES_TO = frozenset({BOOT_SECTOR, IMAGE, SCRIPT})

LOG_PATTERNS = (
    # NASM 2.16.01 (observed: `times 510-($-$$)` after 522 bytes of code).
    LogPattern(
        "nasm",
        r"TIMES value (?P<times>-\d+) is negative",
        "The `times N-($-$$)` padding at {place} came out at {times}: the code and data"
        " before it are {over} bytes longer than the N bytes it pads to, so NASM stops. In"
        " a boot sector N is the budget (446 before an MBR partition table, 510 before the"
        " signature): shrink the code or move work to a second stage loaded from disk.",
        "bs.asm:3: error: TIMES value -12 is negative",
    ),
)

_FIX = (
    "shrink the boot code (shorter messages, move work to a second stage loaded from"
    " disk), or reserve the area so the build fails: `times {end}-($-$$) db 0` (NASM) or"
    " an output section at 0x7c00 + {end} (GNU ld)"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding when the sector's code and data exceed the budget: of a raw
    sector, of an ELF linked at 0x7c00, or of the sector a linker script lays out
    with its objects (before linking)."""
    if ctx.boot_sector is not None:
        yield from _raw(ctx.boot_sector)
    elif ctx.image is not None and ctx.elf_boot_sector is not None:
        yield from _elf(ctx, ctx.elf_boot_sector)
    elif ctx.has_objects:
        yield from _planned(ctx)


def _planned(ctx: Context) -> Iterator[Finding]:
    """The sector the script lays out with its objects (kernlint.layout), before
    linking; a layout with constructs kernlint does not model is left alone."""
    result = ctx.layout
    if result is None or result.unsupported:
        return
    from kernlint.bootsector.prelink import planned_boot_sector
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import anchor

    planned = planned_boot_sector(result, ctx.script, ctx.path, ctx.config.layout_for(ctx.path))
    if planned is None or not planned.overflow:
        return
    bs, layout = planned.sector, planned.sector.layout
    crossing = planned.crossing()
    location = Location(section=crossing.name, address=(bs.origin or 0) + layout.code_end)
    note = ""
    node = next(
        (
            n
            for n in ctx.script.walk()
            if isinstance(n, ast.OutputSection) and n.name == crossing.name
        ),
        None,
    )
    if node is not None:
        span, note = anchor(ctx.script, node.span)
        location = replace(Location.from_span(span), section=crossing.name)
    largest = ", ".join(str(i) for i in planned.inputs[:3]) or "none"
    if result.errors:
        ld = f"GNU ld stops with an error ({result.errors[0]})"
    else:
        ld = "GNU ld links it without an error"
    yield Finding(
        f"on the predicted layout, boot code and data end at sector offset"
        f" {planned.end:#x} ({planned.end} bytes), {planned.overflow} bytes past the"
        f" {layout.name} budget of {layout.budget} bytes ({layout.describe_reserved()};"
        f" {_layout_text(bs)}){note}; largest input sections: {largest}; {ld}",
        location,
        fix=(
            f"make the code and data fit in {layout.budget} bytes: shrink the largest input"
            " sections (shorter messages, less code), or move work to a second stage loaded"
            " from disk"
        ),
    )


def _layout_text(bs: BootSector) -> str:
    return f"layout {bs.layout.name}, from {bs.layout_from}"


def _raw(bs: BootSector) -> Iterator[Finding]:
    from kernlint.bootsector.bpb import bpb_jump_target
    from kernlint.bootsector.mbr import partition_entries

    layout, data = bs.layout, bs.data
    if layout.name.startswith("mbr"):
        intruding = [
            i
            for e in partition_entries(data)
            if not e.is_valid
            for i in range(e.offset, e.offset + 16)
            if i < len(data) and data[i]
        ]
        if layout.name == "mbr-disk-signature" and data[0x1BC:0x1BE] not in (
            b"",
            b"\0\0",
            b"ZZ",
        ):
            intruding += [i for i in (0x1BC, 0x1BD) if i < len(data) and data[i]]
        if not intruding:
            return
        first, last = min(intruding), max(intruding)
        over = last + 1 - layout.code_end
        yield Finding(
            f"code and data run {over} bytes past the {layout.name} budget of"
            f" {layout.budget} bytes: {len(intruding)} non-zero bytes at"
            f" {first:#x}-{last:#x} are not a valid partition table entry ({_layout_text(bs)})",
            Location(offset=first),
            fix=_FIX.format(end=layout.code_end),
        )
        return
    if layout.name.endswith("vbr"):
        target = bpb_jump_target(data)
        if target is None:
            if any(data[3 : layout.code_start]):
                yield Finding(
                    f"the sector does not start with a jump over the BPB (EB xx 90 or E9 xx xx):"
                    f" its code and data fill the BPB at 0x3-{layout.code_start - 1:#x}, which"
                    f" the {layout.name} layout reserves ({_layout_text(bs)})",
                    Location(offset=0),
                    fix="start with `jmp short start` / `nop` and leave the BPB bytes to mkfs",
                )
        elif target < layout.code_start:
            over = layout.code_start - target
            yield Finding(
                f"the jump at offset 0 goes to {target:#x}, {over} bytes inside the BPB that"
                f" ends at {layout.code_start - 1:#x}: the boot code takes {over} bytes more"
                f" than the {layout.name} budget of {layout.budget} bytes ({_layout_text(bs)})",
                Location(offset=target),
                fix=(
                    f"start the boot code at {layout.code_start:#x} (FAT32 boot code follows"
                    " a 90-byte BPB) and keep it within the budget"
                ),
            )


def _elf(ctx: Context, bs: BootSector) -> Iterator[Finding]:
    from kernlint.bootsector.elf import code_end, contributors, is_auxiliary

    image, layout = ctx.image, bs.layout
    end, held = code_end(image, bs)
    if end <= layout.code_end:
        return
    base = bs.origin or 0
    over = end - layout.code_end
    core_end, _ = code_end(image, bs, auxiliary=False)
    extra = [s for s in held if is_auxiliary(s)]
    secs, syms = contributors(image, bs, held)
    boundary = base + layout.code_end
    crossing = next((s for s in held if s.sh_addr < boundary < s.end), None) or held[-1]
    at_boundary = next(
        (
            y
            for y in sorted(syms, key=lambda c: c.offset)
            if y.offset <= layout.code_end < y.offset + y.size
        ),
        None,
    )
    largest = "sections " + ", ".join(str(c) for c in secs[:3])
    if syms:
        largest += "; symbols " + ", ".join(str(c) for c in syms[:3])
    location = Location(
        section=crossing.name,
        address=boundary,
        symbol=at_boundary.name if at_boundary else None,
    )
    budget = f"the {layout.name} budget of {layout.budget} bytes"
    reserved = f"({layout.describe_reserved()}; {_layout_text(bs)})"
    if extra and core_end <= layout.code_end:
        names = ", ".join(f"{s.name} ({s.sh_size} bytes)" for s in extra)
        yield Finding(
            f"with {names}, which the boot code never reads, the sector's sections end at"
            f" offset {end:#x} ({end} bytes), {over} bytes past {budget} {reserved};"
            f" without it they end at {core_end:#x} ({core_end} bytes), within it. This"
            " assumes `objcopy -O binary` writes every allocated section: if the build"
            " extracts only the code (`objcopy -j .text`), nothing is wrong",
            replace(location, section=extra[0].name, symbol=None),
            fix=(
                f"drop {extra[0].name} from the link (`/DISCARD/ : {{ *({extra[0].name}) }}`,"
                " or `-fno-asynchronous-unwind-tables` for .eh_frame) so that every"
                " `objcopy -O binary` of it fits"
            ),
            severity="info",
        )
        return
    message = (
        f"boot code and data end at sector offset {end:#x} ({end} bytes), {over} bytes past"
        f" {budget} {reserved}"
    )
    yield Finding(f"{message}; largest: {largest}", location, fix=_FIX.format(end=layout.code_end))
