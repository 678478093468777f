"""The Multiboot 2 header is there but GRUB refuses it, or its tag list is malformed.

## What it does
Checks the Multiboot 2 header of images loaded with Multiboot 2 (requested, or
detected from the `0xE85250D6` magic) as GRUB 2.06's `multiboot2` command reads it:

- a magic in the first 32768 bytes with a wrong checksum (`magic + architecture +
  header_length + checksum` must be 0 mod 2**32) or an architecture other than 0
  (i386), when no valid header follows: GRUB says "no multiboot header found." (and
  `grub-file --is-x86-multiboot2`, which ignores the architecture, says yes). Without
  `--boot-protocol multiboot2`, a magic whose checksum fails counts only where the
  build says a header is meant: in a section or at a data symbol named like one
  (`.multiboot2`, `.mb2`, `mb2_header`, `mboot`), or as the first bytes of the first
  loaded section; elsewhere it is a constant (a loader's `cmp $0xE85250D6, %eax`, a
  table in `.rodata`) and nothing is reported;
- in the header GRUB takes: `header_length` that does not end at the end tag; a tag
  whose size differs from the spec's, that runs past `header_length`, or of size 0
  (GRUB loops forever); a tag header written right after a tag whose size is not a
  multiple of 8 (without `.balign 8`: GRUB reads the next tag 4 bytes later, from the
  middle of it);
  no end tag; a tag type GRUB does not handle without the optional flag — types 11
  and up, and type 8 (EFI i386 entry address), which GRUB 2.06 rejects although the
  spec defines it ("unsupported tag: 0x…"); an information request for an MBI tag
  GRUB cannot provide ("unsupported information tag: 0x…"); an address tag without
  an entry address tag ("load address tag without entry address tag");
- a relocatable tag (type 10) whose `[min_addr, max_addr]` cannot hold the image:
  GRUB's test is `load_size > max_addr || min_addr > max_addr - load_size`, with
  `load_size` = highest `p_paddr + p_memsz` minus lowest `p_paddr` over the
  `PT_LOAD`s (or the address tag's extent) ("invalid min/max address and/or load
  size").

A missing header (none in the window, or one pushed further in) is KL401's.

## Why is this bad?
GRUB stops before loading anything, with a message that names a tag number but not
the line that wrote it; "no multiboot header found." does not even say that a header
is there. A header that GRUB 2.06 accepts but the spec does not (a wrong
`header_length`, missing padding) works by accident and breaks with the next loader.

## Example
```asm
mb2_header:
    .long 0xE85250D6, 0, mb2_end - mb2_header
    .long -(0xE85250D6 + 0)                   # checksum without header_length
    .short 3, 0
    .long 12, _start                          # entry address tag, 12 bytes
    .short 6, 0                               # next tag at +28: not 8-byte aligned
    .long 8
```

## Use instead
```asm
mb2_header:
    .long 0xE85250D6, 0, mb2_end - mb2_header
    .long -(0xE85250D6 + 0 + (mb2_end - mb2_header))
    .balign 8
    .short 3, 0
    .long 12, _start
    .balign 8                                 # before every tag
    .short 6, 0
    .long 8
    .balign 8
    .short 0, 0                               # end tag
    .long 8
mb2_end:
```

## References
- Multiboot2 Specification 2.0, §3.1.1 "OS image format", §3.1.2 "Header magic
  fields", §3.1.3 "General tag structure" and §3.1.4-§3.1.13 (the tags).
- GRUB 2.06 `grub-core/loader/multiboot_mbi2.c` (`grub_multiboot2_load`: the tag
  walk and its messages) and `grub-core/loader/multiboot_elfxx.c` (the relocatable
  load size).
- `research/anchors-binary.md` §2.2, §2.3 item 7 and §4 (G1, G3-G6).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT2, named
from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.boot.headers import BootHeaders
    from kernlint.boot.multiboot2 import Defect, Multiboot2Header, Tag


ID = "KL402"
NAME = "multiboot2-header-invalid"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "grub",
        r"unsupported tag: 0x(?P<type>[0-9a-fA-F]+)",
        "GRUB's `multiboot2` command met header tag type 0x{type} without the optional flag"
        " (flags bit 0) and does not handle it: types above 10, and 8 (EFI i386 entry"
        " address) in GRUB 2.06. Set the optional flag or drop the tag; if the type looks"
        " like garbage, a tag before it was not padded to 8 bytes (`.balign 8`).",
        "error: unsupported tag: 0xb.",
    ),
    LogPattern(
        "grub",
        r"unsupported information tag: 0x(?P<type>[0-9a-fA-F]+)",
        "The Multiboot 2 header's information request asks for MBI tag type 0x{type},"
        " which GRUB cannot provide, and is not marked optional. Drop that type from the"
        " request or set flags bit 0 on the request tag.",
        "error: unsupported information tag: 0xd.",
    ),
    LogPattern(
        "grub",
        r"load address tag without entry address tag",
        "The Multiboot 2 header has an address tag (type 2) but no entry address tag"
        " (type 3), which GRUB needs to know where to jump when it loads by the address"
        " tag. Add an entry address tag (size 12, the entry symbol), or drop the address"
        " tag and let GRUB load the ELF by its program headers.",
        "error: load address tag without entry address tag.",
    ),
    LogPattern(
        "grub",
        r"invalid min/max address and/or load size",
        "The Multiboot 2 header's relocatable tag gives a range [min_addr, max_addr] that"
        " cannot hold the image: max_addr is the highest address the image may end at,"
        " not the highest base. Make max_addr at least min_addr plus the image's size"
        " (highest p_paddr + p_memsz minus lowest p_paddr).",
        "error: invalid min/max address and/or load size.",
    ),
)

#: Fix per :class:`~kernlint.boot.multiboot2.Defect` kind (the values of its kind
#: constants: this module imports the decoder only when it checks an image).
_FIXES = {
    "checksum": (
        "let the assembler compute it: `.long -(0xE85250D6 + ARCH + (mb2_end -"
        " mb2_header))`, with the same length expression as the header_length field"
    ),
    "architecture": "set architecture to 0 (i386 32-bit protected mode) on x86",
    "header-length": (
        "compute header_length from labels around the whole header: `.long mb2_end -"
        " mb2_header`, with mb2_end after the end tag"
    ),
    "tag-size": "give the tag the size the spec defines for its type",
    "tag-overrun": "end the tag list with the end tag before header_length",
    "tag-padding": "put `.balign 8` before every tag",
    "unsupported-tag": (
        "set flags bit 0 (optional) on a tag the loader may ignore (`.short TYPE, 1`), or drop it"
    ),
    "information-request": (
        "drop the type from the information request, or mark the request optional (`.short 1, 1`)"
    ),
    "end-tag": "end the tag list with `.balign 8`, `.short 0, 0`, `.long 8`",
    "address-without-entry": (
        "add an entry address tag (`.balign 8`, `.short 3, 0`, `.long 12, _start`), or"
        " drop the address tag: GRUB loads an ELF by its program headers"
    ),
}


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per defect of the header GRUB takes (and of its relocatable
    tag), or of the magics GRUB skips when it takes none."""
    from kernlint.boot import multiboot2

    headers = ctx.boot_headers
    if headers is None or MULTIBOOT2 not in ctx.boot_protocols:
        return
    taken = headers.grub_multiboot2
    if taken is None:
        # GRUB stops at the fixed fields: their defects only (a magic followed by
        # garbage would otherwise bring a list of tag defects with it).
        head = (multiboot2.CHECKSUM, multiboot2.ARCHITECTURE)
        requested = named(ctx.config.protocol_for(ctx.path), MULTIBOOT2)
        for h in headers.claimed_multiboot2(requested):
            for d in h.defects:
                if d.kind in head:
                    yield _finding(headers, h, d)
        return
    for d in taken.defects:
        yield _finding(headers, taken, d)
    reloc = taken.tag(multiboot2.TAG_RELOCATABLE)
    if reloc is not None:
        yield from _relocatable(ctx, headers, taken, reloc)


def _finding(headers: BootHeaders, h: Multiboot2Header, d: Defect) -> Finding:
    from kernlint.boot.headers import placement

    where = placement(headers, d.offset)
    return Finding(
        f"Multiboot 2 header at file offset {h.offset:#x}: {d}",
        Location(section=where.section, address=where.address, offset=d.offset),
        fix=_FIXES.get(d.kind, "follow the Multiboot2 specification, §3.1"),
    )


def _relocatable(
    ctx: Context, headers: BootHeaders, h: Multiboot2Header, tag: Tag
) -> Iterator[Finding]:
    from kernlint.boot import multiboot2
    from kernlint.boot.headers import load_span, placement

    address = h.tag(multiboot2.TAG_ADDRESS)
    if address is not None and len(address.fields) >= 4:
        header_addr, load_addr, load_end, bss_end = address.fields[:4]
        if load_addr == 0xFFFFFFFF:
            load_addr = header_addr - h.offset
        if bss_end:
            size = (bss_end - load_addr) & 0xFFFFFFFF
        elif load_end:
            size = (load_end - address.fields[1]) & 0xFFFFFFFF
        else:
            size = max(0, ctx.image.size - (h.offset - (header_addr - load_addr)))
        how = "by its address tag"
    else:
        span = load_span(ctx.image)
        if span is None:
            return
        size = span[1] - span[0]
        how = f"from p_paddr {span[0]:#x} to {span[1]:#x} over its PT_LOAD segments"
    problem = multiboot2.relocatable_problem(tag, size)
    if problem is None:
        return
    where = placement(headers, tag.offset)
    min_addr = tag.field(0) or 0
    align = max(1, tag.field(2) or 1)
    need = -(-(min_addr + size) // align) * align
    yield Finding(
        f"Multiboot 2 header at file offset {h.offset:#x}: {problem} (it spans {size:#x}"
        f" bytes {how})",
        Location(section=where.section, address=where.address, offset=tag.offset),
        fix=(
            "max_addr is the highest address the image may end at, not the highest base:"
            f" make it at least min_addr + {size:#x} (e.g. {need:#x}), or lower min_addr"
        ),
    )
