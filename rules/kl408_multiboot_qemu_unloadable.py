"""QEMU `-kernel` cannot load this Multiboot kernel, though GRUB can.

## What it does
Checks images loaded with Multiboot 1 or 2 against what QEMU 7.2's `-kernel` loader
accepts; it speaks Multiboot 1 (and Xen PVH, and Linux's bzImage), not Multiboot 2:

- an **x86-64 ELF with a Multiboot 1 header and no a.out kludge**: QEMU's Multiboot 1
  loader reads only 32-bit ELF files ("Cannot load x86-64 image, give a 32bit
  one."), even when the image also has a PVH note (it tries Multiboot 1 first);
- a **Multiboot 2 image with no Multiboot 1 header** (none that QEMU finds) **and no
  Xen PVH note**: QEMU treats it as a plain ELF, which it boots only through the PVH
  entry note ("Error loading uncompressed kernel without PVH ELF Note").

Both images load under GRUB (its `multiboot` command reads ELF32 and ELF64; its
`multiboot2` command reads Multiboot 2), so the finding matters only when the kernel
is run with `qemu-system-x86_64 -kernel`, and the project decides
(`kernlint.buildfacts`: the build files and `*.sh` run scripts in the image's folder
and those above it, and the `grub.cfg` files there, in their `boot/grub/`, and in a
git work tree's ISO staging folders):

- a build file or run script runs QEMU with `-kernel` naming the image (by file name;
  a variable the file does not assign counts): a warning;
- otherwise a `grub.cfg` whose `multiboot2` (or `multiboot`) command loads a kernel, or
  a build file that runs `grub-mkrescue` or boots with `-cdrom` (Dreamos64: `make run`
  is `qemu -cdrom`): `info`, naming what showed it;
- nothing found: a Multiboot 2 kernel is `info` that says it assumes a GRUB boot (QEMU
  cannot boot it, so most such projects make an ISO); an ELF64 Multiboot 1 kernel stays
  a warning (`qemu -kernel` is the usual way to run a Multiboot 1 kernel).

A Multiboot 1 header that only GRUB finds (in the last 48 bytes of the 8 KiB window)
is KL403's; a PVH note that QEMU cannot read is KL411's.

## Why is this bad?
`qemu -kernel kernel.elf` is the quickest way to run a hobby kernel, and both
messages are easy to misread: the image is a perfectly good Multiboot kernel, only
not one QEMU's built-in loader takes.

## Example
```sh
as --64 boot.S -o boot.o     # Multiboot 1 header, 32-bit entry code, ELF64 object
ld -T kernel.ld -o kernel.elf boot.o kmain.o
qemu-system-x86_64 -kernel kernel.elf
# qemu-system-x86_64: Cannot load x86-64 image, give a 32bit one.
```

## Use instead
```sh
objcopy -O elf32-i386 kernel.elf kernel32.elf    # same bytes, ELF32 container
qemu-system-x86_64 -kernel kernel32.elf
```
or set flag 16 with the a.out-kludge address fields (QEMU then never parses the
ELF); for a Multiboot 2 kernel add a Xen PVH note (type 18, the physical address of
a 32-bit entry, in a `PT_NOTE`; `samples/pvh-note.inc`), or boot it through GRUB:
`grub-mkrescue -o os.iso isodir && qemu-system-x86_64 -cdrom os.iso`.

## References
- QEMU 7.2 `hw/i386/multiboot.c` (`load_multiboot`: `e_machine == EM_X86_64` "Cannot
  load x86-64 image, give a 32bit one."; the scan for the header below 8192 - 48) and
  `hw/i386/x86.c` (`x86_load_linux`: Multiboot 1 first, then `load_elfboot`, "Error
  loading uncompressed kernel without PVH ELF Note").
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (compiled for ELF32 and ELF64).
- `research/anchors-binary.md` §2.1, §2.4, §4 (Q1, Q2).
- GRUB 2 manual, "multiboot", "multiboot2", "Making a GRUB bootable CD-ROM"
  (`grub-mkrescue`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT1, MULTIBOOT2
from kernlint.context import IMAGE, Context
from kernlint.elf.constants import E_MACHINE_NAMES, EM_X86_64
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    pass


ID = "KL408"
NAME = "multiboot-qemu-unloadable"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    LogPattern(
        "qemu",
        r"Cannot load x86-64 image, give a 32bit one",
        "QEMU's `-kernel` found a Multiboot 1 header in an x86-64 ELF file, and its"
        " Multiboot loader reads only 32-bit ELF files; GRUB's `multiboot` command"
        " loads the same file. Convert a copy for QEMU with `objcopy -O elf32-i386`, or"
        " set header flag 16 with the a.out-kludge address fields so QEMU loads it"
        " without parsing the ELF.",
        "qemu-system-x86_64: Cannot load x86-64 image, give a 32bit one.",
        related=("KL407",),
    ),
)

_QEMU_PVH = '"Error loading uncompressed kernel without PVH ELF Note"'


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding when QEMU -kernel refuses a Multiboot image GRUB loads."""
    from kernlint.boot import multiboot1
    from kernlint.boot.headers import placement

    headers = ctx.boot_headers
    if headers is None:
        return
    protocols = ctx.boot_protocols & {MULTIBOOT1, MULTIBOOT2}
    if not protocols:
        return
    image = ctx.image
    qemu = headers.qemu_multiboot1
    if qemu is not None:
        if qemu.flags & multiboot1.FLAG_AOUT_KLUDGE or image.header.e_machine != EM_X86_64:
            return
        where = placement(headers, qemu.offset)
        machine = E_MACHINE_NAMES.get(image.header.e_machine, "")
        pvh = (
            "; its PVH note does not help: QEMU tries Multiboot 1 first"
            if headers.pvh is not None
            else ""
        )
        how = _how_booted(ctx, "multiboot")
        yield Finding(
            f"ELF{image.header.ei_class} image for {machine} with a Multiboot 1 header at"
            f" file offset {qemu.offset:#x} (flags {qemu.flags:#x}, no a.out kludge):"
            " QEMU -kernel reads Multiboot 1 kernels only as 32-bit ELF and exits with"
            f' "Cannot load x86-64 image, give a 32bit one."{pvh}; GRUB\'s multiboot'
            " command loads it (ELF32 and ELF64)" + how.text,
            Location(section=where.section, address=where.address, offset=qemu.offset),
            fix=(
                "for QEMU, boot an ELF32 copy: `objcopy -O elf32-i386 kernel.elf"
                " kernel32.elf` (all addresses below 4 GiB); or set flag 16 and the"
                " a.out-kludge fields (header_addr, load_addr, load_end_addr,"
                " bss_end_addr, entry_addr) so QEMU loads the file without parsing the"
                " ELF; or boot it through GRUB (grub-mkrescue, then qemu -cdrom)"
            ),
            severity="info" if how.grub and not how.qemu else "",
        )
        return
    mb2 = headers.grub_multiboot2
    if (
        MULTIBOOT2 not in protocols
        or mb2 is None
        or headers.grub_multiboot1 is not None
        or headers.pvh is not None
    ):
        return
    where = placement(headers, mb2.offset)
    how = _how_booted(ctx, "multiboot2")
    if not how.qemu and not how.grub:
        how = _Booted(
            "; nothing around the image says how it is booted, and it is assumed to be"
            " through GRUB (a grub-mkrescue ISO), as Multiboot 2 kernels are: it matters"
            " if you run it with qemu -kernel",
            False,
            False,
        )
    yield Finding(
        f"Multiboot 2 header at file offset {mb2.offset:#x} and neither a Multiboot 1"
        " header nor a Xen PVH note: QEMU -kernel speaks only Multiboot 1 (and PVH) and"
        f" exits with {_QEMU_PVH}; GRUB's multiboot2 command loads it" + how.text,
        Location(section=where.section, address=where.address, offset=mb2.offset),
        fix=(
            'add a Xen PVH entry note: name "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY),'
            " a 4-byte descriptor holding the physical address of a 32-bit entry, in a"
            " PT_NOTE (PHDRS `note PT_NOTE;`, see samples/pvh-note.inc); or a Multiboot 1"
            " header as well; or boot it through GRUB (grub-mkrescue, then qemu -cdrom)"
        ),
        severity="" if how.qemu else "info",
    )


@dataclass(frozen=True)
class _Booted:
    """What the project says about how the image is booted: ``text`` for the message,
    ``qemu`` (a build file or run script runs QEMU -kernel on it), ``grub`` (a grub.cfg
    with the ``command``, or a build file that makes or boots a GRUB ISO)."""

    text: str
    qemu: bool
    grub: bool


def _how_booted(ctx: Context, command: str) -> _Booted:
    """How the project boots the image, from its build files, run scripts and GRUB
    configurations (:mod:`kernlint.buildfacts`): `qemu-system-* -kernel` naming it (a
    variable the file does not assign counts), a `grub.cfg` whose ``command``
    (`multiboot`, `multiboot2`) loads it, `grub-mkrescue`/`-cdrom`."""
    facts = ctx.build_facts
    here = os.path.dirname(os.path.abspath(ctx.path))
    qemu = facts.qemu_kernel_for(ctx.path, unresolved=True)
    if qemu is not None:
        return _Booted(
            f"; {os.path.relpath(qemu, here)} runs it with QEMU -kernel, so that fails",
            True,
            False,
        )
    entries = facts.grub_entries_for(command)
    name = os.path.basename(ctx.path)
    entries = sorted(entries, key=lambda e: e[2] != name)
    if entries:
        cfg, _, kernel = entries[0]
        return _Booted(
            f"; the project boots it through GRUB ({os.path.relpath(cfg, here)}:"
            f" `{command} .../{kernel}`), so this matters only if you try qemu -kernel",
            False,
            True,
        )
    if facts.grub_iso:
        return _Booted(
            f"; the project boots through a GRUB ISO ({os.path.relpath(facts.grub_iso[0], here)}"
            " runs grub-mkrescue or qemu -cdrom), so this matters only if you try qemu -kernel",
            False,
            True,
        )
    return _Booted("", False, False)
