"""GRUB's `multiboot2` refuses an image with any relocation section.

## What it does
Checks images loaded with Multiboot 2 (`--boot-protocol multiboot2`, `boot-protocol =
"multiboot2"`, or detected from a `0xE85250D6` header) for section headers of type
`SHT_REL` or `SHT_RELA`, and names each one: its entry count, and whether it is
allocated (`.rela.dyn` of a position-independent link: dynamic relocations) or not
(`.rela.text`, `.rela.data`, ... kept by `--emit-relocs`/`-q`). Empty relocation
sections count too: GRUB looks at `sh_type`, not at the size.

`e_type` alone proves nothing: an `ET_DYN` without relocation sections loads (a
`-pie` link of code without absolute addresses), and GNU ld can emit `ET_EXEC` with a
`.rela.dyn`. An `ET_REL` object (a `.o` booted by mistake) is refused before that
("this ELF file is not of the right type."); kernlint gives `ET_REL` files no boot
protocol of their own, so this is reported only under an explicit `--boot-protocol
multiboot2` (or `boot-protocol = "multiboot2"` for the file). A header with an address
tag (type 2) makes GRUB copy the file as the tag says without reading any ELF header:
then nothing is reported.

## Why is this bad?
GRUB 2.06 (`multiboot_elfxx.c`) walks every section header of a Multiboot 2 image and
stops at the first `SHT_REL`/`SHT_RELA` one with `error: ELF files with relocs are not
supported yet.`, even when the image carries the relocatable header tag: GRUB can
move an image, but it never applies relocations. Nothing else in the image is wrong,
which makes the message puzzling; `--emit-relocs` (kept for a later relocation tool,
as Linux does for vmlinux) or a toolchain that links position-independent by default
(gcc on Debian and Ubuntu, rustc's `x86_64-unknown-none`) is enough to trigger it.
GRUB's `multiboot` (Multiboot 1) loads the same file and silently applies nothing
(KL502).

## Example
```sh
ld.lld -pie -T kernel.ld -o kernel.elf boot.o kmain.o   # .rela.dyn: 12 entries
ld --emit-relocs -T kernel.ld -o kernel.elf boot.o       # .rela.text, .rela.data
```

## Use instead
```sh
ld.lld -T kernel.ld -o kernel.elf boot.o kmain.o   # static: -no-pie (gcc), no -pie (ld)
ld --emit-relocs -T kernel.ld -o kernel.full.elf boot.o
objcopy --remove-relocations='*' kernel.full.elf kernel.elf   # boot this one
```
Build the code with `-fno-pie` (or `-fno-pic -mcmodel=kernel`; rustc `-C
relocation-model=static`). Removing an allocated `.rela.dyn` with `objcopy
--remove-section` makes GRUB load the file but leaves its relocations unapplied:
only do that if the kernel applies them itself.

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (`if (mld->mbi_ver >= 2 && (sh->sh_type
  == SHT_REL || sh->sh_type == SHT_RELA))`; the `e_type` check "this ELF file is not of
  the right type") and `multiboot_mbi2.c` (with an address tag, no ELF loading).
- GRUB commit a620876e3 "multiboot2: Add support for relocatable images": the
  executable "must cope with relocations itself".
- Multiboot2 Specification 2.0, §3.1.12 "Relocatable header tag".
- `research/anchors-binary.md` §2.3 items 2 and 6, §4 (G7, G8).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT2
from kernlint.context import IMAGE, Context
from kernlint.elf.constants import ET_REL, SHT_RELA
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.boot.multiboot2 import Multiboot2Header

ID = "KL405"
NAME = "multiboot2-relocation-sections"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "grub",
        r"ELF files with relocs are not supported yet",
        "GRUB's `multiboot2` command found a relocation section (`SHT_REL`/`SHT_RELA`)"
        " in the kernel and stopped: it never applies relocations, and refuses even"
        " `.rela.text` sections that `--emit-relocs` keeps. Link the kernel static"
        " (no `-pie`, `-no-pie` with gcc as the driver) and without `--emit-relocs`, or"
        " strip them with `objcopy --remove-relocations='*'`.",
        "error: ELF files with relocs are not supported yet.",
    ),
    LogPattern(
        "grub",
        r"this ELF file is not of the right type",
        "GRUB loads only executables (`e_type` ET_EXEC or ET_DYN): the file it was given"
        " is a relocatable object (ET_REL, a `.o`) or a core file. Boot the linked"
        " kernel, not an object file.",
        "error: this ELF file is not of the right type.",
    ),
)

_GRUB = 'GRUB: "ELF files with relocs are not supported yet."'


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding for the relocation sections of a Multiboot 2 image, or for an
    ET_REL file under an explicit ``--boot-protocol multiboot2``."""
    from kernlint.boot.headers import read_headers

    image = ctx.image
    if image is None:
        return
    if image.e_type == ET_REL:
        if ctx.config.protocol_for(ctx.path) == MULTIBOOT2 and not _address_tag(
            read_headers(image).grub_multiboot2
        ):
            yield Finding(
                "e_type is ET_REL: this is a relocatable object, not a linked kernel;"
                " GRUB's multiboot2 loads only ET_EXEC and ET_DYN: \"this ELF file is not"
                ' of the right type."',
                Location(offset=0),
                fix="boot the linked image (`ld -T kernel.ld -o kernel.elf ...`), not the object",
            )
        return
    if MULTIBOOT2 not in ctx.boot_protocols or _address_tag(ctx.boot_headers.grub_multiboot2):
        return
    rel = [s for s in image.sections if s.is_relocation]
    if not rel:
        return
    record = _record_size(image.header.ei_class)
    parts = []
    for s in rel:
        size = s.sh_entsize or record[s.sh_type == SHT_RELA]
        count = s.sh_size // size if size else 0
        kind = "RELA" if s.sh_type == SHT_RELA else "REL"
        if s.is_alloc:
            what = "allocated: dynamic relocations of a position-independent link"
        else:
            target = image.sections[s.sh_info].name if 0 < s.sh_info < len(image.sections) else None
            what = "not allocated: kept by --emit-relocs" + (f" for {target}" if target else "")
        parts.append(f"{s.name or f'[{s.index}]'} (SHT_{kind}, {_entries(count)}, {what})")
    shown = "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")
    first = rel[0]
    dynamic = [s for s in rel if s.is_alloc]
    static = [s for s in rel if not s.is_alloc]
    kinds = []
    if dynamic:
        kinds.append(
            "link without -pie (`-no-pie` when gcc drives the link; rustc `-C"
            " relocation-model=static`) and build with -fno-pie, so that no dynamic"
            " relocation is left"
        )
    if static:
        kinds.append(
            "drop --emit-relocs/-q from the link, or strip the sections from the file you"
            " boot: `objcopy --remove-relocations='*' kernel.elf`"
        )
    yield Finding(
        f"{image.header.e_type_name} image with {len(rel)} relocation"
        f" section{'s' if len(rel) > 1 else ''}: {shown}; GRUB's multiboot2 refuses any"
        f" SHT_REL/SHT_RELA section and applies no relocation: {_GRUB}",
        Location(
            section=first.name or None,
            address=first.sh_addr if first.is_alloc else None,
            offset=first.sh_offset,
        ),
        fix="; ".join(kinds),
    )


def _address_tag(header: Multiboot2Header | None) -> bool:
    """The header GRUB takes has an address tag: GRUB then copies the file as the tag
    says and never reads the ELF headers (``multiboot_mbi2.c``)."""
    return header is not None and header.tag(2) is not None


def _record_size(ei_class: int) -> tuple[int, int]:
    """(Elf_Rel, Elf_Rela) sizes in bytes for the ELF class."""
    return (8, 12) if ei_class == 32 else (16, 24)


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"
