"""The program header table lies beyond the bytes GRUB reads for a Multiboot image.

## What it does
For images loaded with Multiboot 1 or 2 (requested or detected), checks that the
program header table ends within the part of the file GRUB has read when it parses
the ELF: `e_phoff + e_phnum * e_phentsize` must be at most 8192 for Multiboot 1 and
32768 for Multiboot 2. It stays silent for a protocol whose header makes GRUB skip
the ELF: Multiboot 1 with the a.out kludge (flags bit 16), Multiboot 2 with an
address tag.

## Why is this bad?
GRUB reads the search window (8 KiB or 32 KiB) once, finds the header in it, and then
reads the program headers from the same buffer; it refuses an image whose table does
not fit: `error: program header at a too high offset.` GNU ld and ld.lld put the
table right after the ELF header, so a linked kernel trips this only with hundreds of
`PHDRS` entries (and then its header is out of the window too: KL401/KL403); tools that
rewrite an image after linking and need room for another entry (patchelf, LIEF's
`add(segment)`, packers and signers) append the table at the end of the file. QEMU
`-kernel` reads the table wherever it is, so the same image boots there and fails in
GRUB.

## Example
```
$ readelf -h kernel.elf
  Start of program headers:          13196 (bytes into file)
  Number of program headers:         1
```

## Use instead
```
$ readelf -h kernel.elf
  Start of program headers:          52 (bytes into file)
```
Boot the image the linker wrote, or make the post-link step keep the table where
it was (for LIEF, edit existing segments instead of adding one); a huge `PHDRS` list
can also push the table out: drop the unused entries.

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (`if (ehdr->e_phoff + ehdr->e_phnum
  * ehdr->e_phentsize > MULTIBOOT_SEARCH)`: "program header at a too high offset").
- Multiboot Specification 0.6.96 §3.1 and Multiboot2 Specification 2.0 §3.1
  (`MULTIBOOT_SEARCH`: 8192 and 32768).
- `research/anchors-binary.md` §2.3 item 3 and §4 (G14).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT1, MULTIBOOT2
from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    pass

ID = "KL410"
NAME = "multiboot-phdrs-out-of-reach"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "grub",
        r"program header at a too high offset",
        "GRUB's `multiboot`/`multiboot2` command read the first 8192 / 32768 bytes of the"
        " file and the ELF program header table does not end within them"
        " (e_phoff + e_phnum * e_phentsize is too large). Linkers put the table right"
        " after the ELF header; a tool that rewrote the image after linking (patchelf,"
        " LIEF, a packer) moved it to the end: boot the linked image instead.",
        "error: program header at a too high offset.",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per Multiboot protocol whose window the table overruns."""
    from kernlint.boot import multiboot1, multiboot2

    headers = ctx.boot_headers
    if headers is None:
        return
    protocols = ctx.boot_protocols
    h = ctx.image.header
    end = h.e_phoff + h.e_phnum * h.e_phentsize
    for protocol, name, limit in (
        (MULTIBOOT1, "Multiboot 1", multiboot1.SEARCH),
        (MULTIBOOT2, "Multiboot 2", multiboot2.SEARCH),
    ):
        if protocol not in protocols or end <= limit or not h.e_phnum:
            continue
        if protocol == MULTIBOOT1:
            mb1 = headers.grub_multiboot1
            if mb1 is not None and mb1.flags & multiboot1.FLAG_AOUT_KLUDGE:
                continue  # GRUB loads by the a.out kludge and never reads the phdrs
        else:
            mb2 = headers.grub_multiboot2
            if mb2 is not None and mb2.tag(multiboot2.TAG_ADDRESS) is not None:
                continue  # the address tag: GRUB loads by it, not by the phdrs
        many = (
            f"; e_phnum {h.e_phnum} alone needs {h.e_phnum * h.e_phentsize} bytes"
            if h.e_phnum * h.e_phentsize > limit // 2
            else ""
        )
        yield Finding(
            f"the program header table ends at file offset {end:#x} (e_phoff {h.e_phoff:#x}"
            f" + e_phnum {h.e_phnum} x e_phentsize {h.e_phentsize}), {end - limit} bytes"
            f" past the first {limit} bytes GRUB reads for {name}{many}; GRUB:"
            ' "program header at a too high offset." (QEMU -kernel reads the table'
            " wherever it is)",
            Location(offset=h.e_phoff),
            fix=(
                f"drop unused PHDRS entries: {h.e_phnum} program headers cannot fit"
                if many
                else "boot the image as the linker wrote it (GNU ld and ld.lld put the"
                f" table at offset {h.e_ehsize}, right after the ELF header); if a"
                " post-link tool moved it to the end of the file, make it rewrite the"
                " existing table instead of appending one"
            ),
        )
