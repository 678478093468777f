"""Boot sectors inside ELF files: an image whose lowest allocated section is linked
at 0x7C00 (or at 0 with a 0x07C0 segment set-up in the first bytes of its code) is a
boot sector with its sections, as ``objcopy -O binary`` would lay them out. Linked
elsewhere, an image is a (wrongly linked) boot sector only on real evidence: ``55 AA``
at offset 510 of its first loaded bytes, and besides that the whole image being one
sector, a signature section of its own at offset 510, a partition table, or a BPB
jump. A section name alone proves nothing: Linux's ``realmode.elf`` has a
``.signature`` holding a 4-byte integrity marker, and its ``setup.elf`` carries
``boot_flag`` 0xAA55 at 0x1fe of a setup header that runs on past the sector.

The layout of an ELF boot sector comes from configuration, else from its names — an
output section or symbol called like a partition table (``.partition_table``,
``_partition_table``, ``.parttable``, ``mbr_partitions``, ...) → ``mbr``, with a
disk signature (``disk_signature``) → ``mbr-disk-signature`` — else from a BPB jump
at the start of the first section (``fat16-vbr``/``fat32-vbr``), else from the bytes
(:func:`kernlint.bootsector.infer_layout`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernlint.bootsector import CONFIGURED, BootSector, Layout, infer_layout
from kernlint.bootsector.bpb import vbr_layout
from kernlint.bootsector.layout import (
    LAYOUTS,
    LOAD_ADDRESS,
    SECTOR_SIZE,
    SIGNATURE,
    SIGNATURE_OFFSET,
)
from kernlint.elf.constants import EM_386, SHN_UNDEF, SHT_NOBITS, STT_FUNC, STT_NOTYPE, STT_OBJECT
from kernlint.elf.model import Image, Section, Symbol

if TYPE_CHECKING:
    from kernlint.context import Context

ET_EXEC, ET_DYN = 2, 3

#: Names of partition-table output sections and symbols.
PARTITION_NAME = re.compile(
    r"^[._]*(mbr_?)?(partition_?table|part_?table|partitions|ptable)s?$", re.I
)
#: Names of disk-signature sections and symbols.
DISK_SIGNATURE_NAME = re.compile(r"^[._]*(mbr_?)?disk_?sig(nature)?$", re.I)
#: Names of the signature word's section (rust-osdev: ``.magic_number``).
SIGNATURE_NAME = re.compile(
    r"^[._]*(boot_?)?(signature|sig|magic(_number)?|boot_?flag|aa55)$", re.I
)
#: How far into the first section a segment set-up is looked for (bytes).
SETUP_WINDOW = 64


def is_reserved_name(name: str) -> bool:
    """A section or symbol name for a part of the sector that is not boot code."""
    return bool(
        PARTITION_NAME.match(name) or DISK_SIGNATURE_NAME.match(name) or SIGNATURE_NAME.match(name)
    )


def segment_setup(code: bytes) -> str | None:
    """A real-mode instruction loading segment 0x07C0 in ``code`` (the first bytes of
    the boot code): ``ljmp $0x07c0, $x`` (``EA xx xx C0 07``), ``mov $0x07c0, %r16``
    (``B8+r C0 07``) or ``push $0x07c0`` (``68 C0 07``). Returns its description."""
    window = code[:SETUP_WINDOW]
    for m in re.finditer(rb"\xea..\xc0\x07|[\xb8-\xbf]\xc0\x07|\x68\xc0\x07", window, re.S):
        op = m.group()[0]
        what = "ljmp $0x07c0" if op == 0xEA else "push $0x07c0" if op == 0x68 else "mov $0x07c0"
        return f"{what} at offset {m.start():#x}"
    return None


def sector_sections(image: Image) -> list[Section]:
    """Allocated sections with file bytes (not ``SHT_NOBITS``), non-empty, by address."""
    return sorted(
        (
            s
            for s in image.sections
            if s.is_alloc and s.sh_size and not s.is_tbss and s.sh_type != SHT_NOBITS
        ),
        key=lambda s: (s.sh_addr, s.index),
    )


def _flatten(image: Image, sections: list[Section], base: int) -> bytes:
    """The bytes ``objcopy -O binary`` puts at ``base``..``base+512``."""
    extent = max(s.end for s in sections) - base
    buf = bytearray(min(extent, SECTOR_SIZE))
    for s in sections:
        start = s.sh_addr - base
        if start >= len(buf):
            continue
        n = min(s.sh_size, len(buf) - start)
        buf[start : start + n] = image.reader.read_bytes(s.sh_offset, n)
    return bytes(buf)


def elf_boot_sector(
    image: Image, configured: str | None = None, forced: bool = False
) -> BootSector | None:
    """The boot sector an ET_EXEC/ET_DYN ``image`` is, or None when it is not one.

    It is one when its lowest allocated section is linked at 0x7C00; or at 0 when
    that section is code (``SHF_EXECINSTR``) that sets up segment 0x07C0 in its first
    64 bytes; or when ``forced`` (its configuration target names a layout); or when
    it is a sector linked elsewhere by the evidence of :func:`sector_evidence`.
    ``origin_ok`` tells the first two cases from the others (KL303). ``configured`` is
    the layout to use, if any: a top-level ``boot-sector-layout`` alone does not make
    every ELF a boot sector."""
    if image.e_type not in (ET_EXEC, ET_DYN):
        return None
    sections = sector_sections(image)
    if not sections:
        return None
    first = sections[0]
    base = first.sh_addr
    if base == LOAD_ADDRESS:
        origin_ok, origin_from = True, f"lowest section {first.name} is linked at {base:#x}"
    else:
        setup = None
        if base == 0 and first.is_exec:
            head = image.reader.read_bytes(first.sh_offset, min(first.sh_size, SETUP_WINDOW))
            setup = segment_setup(head)
        if setup:
            origin_ok = True
            origin_from = f"lowest section {first.name} is linked at 0 and sets up 0x07c0 ({setup})"
        elif forced or sector_evidence(image, sections, base) is not None:
            origin_ok = False
            origin_from = f"lowest section {first.name} is linked at {base:#x}"
        else:
            return None
    data = _flatten(image, sections, base)
    layout, how = _elf_layout(image, sections, base, data, configured)
    return BootSector(
        image.path,
        data,
        image.size,
        layout,
        how,
        origin=base,
        origin_from=origin_from,
        origin_ok=origin_ok,
    )


def sector_evidence(image: Image, sections: list[Section], base: int) -> str | None:
    """Why an image whose lowest section is linked at ``base`` (not 0x7C00) is a boot
    sector all the same, or None. The bytes at ``base`` + 510 must be ``55 AA`` (what
    the BIOS checks), and besides that one of: the sections end within 512 bytes of
    ``base`` (the image is one sector); those two bytes are a section of their own,
    named like a signature (``.signature 0x1fe : { SHORT(0xaa55) }``); a section or
    symbol is named like a partition table; the sector starts with a jump over a
    plausible BPB. Names without the bytes (Linux's ``realmode.elf`` ``.signature``,
    a 4-byte marker at its end) and the bytes without the rest (``setup.elf``'s
    ``boot_flag`` inside a setup header that goes on past 512) are not enough."""
    data = _flatten(image, sections, base)
    if data[SIGNATURE_OFFSET:] != SIGNATURE:
        return None
    if max(s.end for s in sections) - base <= SECTOR_SIZE:
        return "its sections end within 512 bytes, with 55 AA at offset 510"
    at_510 = [s for s in sections if s.sh_addr - base == SIGNATURE_OFFSET]
    if any(SIGNATURE_NAME.match(s.name) for s in at_510):
        return f"section {at_510[0].name} puts 55 AA at offset 510"
    for s in sections:
        if PARTITION_NAME.match(s.name):
            return f"55 AA at offset 510 and a partition-table section {s.name}"
    if named_symbols(image, PARTITION_NAME):
        return "55 AA at offset 510 and a partition-table symbol"
    if vbr_layout(data) is not None:
        return "55 AA at offset 510 and a jump over a BPB at offset 0"
    return None


def named_symbols(image: Image, pattern: re.Pattern[str]) -> list[Symbol]:
    """Defined symbols (section-relative or absolute) whose name matches ``pattern``."""
    return [
        s for s in image.symbols if s.name and s.st_shndx != SHN_UNDEF and pattern.match(s.name)
    ]


def _elf_layout(
    image: Image, sections: list[Section], base: int, data: bytes, configured: str | None
):
    symbols = [(s.name, s.st_value) for s in image.symbols if s.name and s.st_shndx != SHN_UNDEF]
    return choose_layout([s.name for s in sections], symbols, data, configured)


def choose_layout(
    section_names: Sequence[str],
    symbols: Iterable[tuple[str, int]],
    data: bytes,
    configured: str | None = None,
) -> tuple[Layout, str]:
    """The layout of a sector put together from named parts, and how it was decided
    (see the module docstring): ``section_names`` are its sections in address order
    (an ELF image's, or the output sections of a layout predicted before linking, see
    :mod:`kernlint.bootsector.prelink`), the first one at sector offset 0; ``symbols``
    the ``(name, value)`` of the defined symbols (values are addresses); ``data`` the
    sector's bytes (offset 0 first); ``configured`` the layout to use, if any. Shared
    by KL301 on linked images and on predicted layouts."""
    if configured is not None:
        return LAYOUTS[configured], CONFIGURED
    symbols = list(symbols)
    has_disk = any(DISK_SIGNATURE_NAME.match(n) for n in section_names) or any(
        DISK_SIGNATURE_NAME.match(n) for n, _ in symbols
    )
    name = "mbr-disk-signature" if has_disk else "mbr"
    for s in section_names:
        if PARTITION_NAME.match(s):
            return LAYOUTS[name], f"section {s}"
    for sym, value in symbols:
        if PARTITION_NAME.match(sym):
            return LAYOUTS[name], f"symbol {sym} at {value:#x}"
    vbr = vbr_layout(data)
    if vbr is not None and section_names:
        return LAYOUTS[vbr], f"a BPB jump at the start of section {section_names[0]}"
    return infer_layout(data)


@dataclass(frozen=True)
class Contributor:
    """A section or symbol taking ``size`` bytes of the sector from ``offset``."""

    kind: str
    name: str
    offset: int
    size: int

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes at {self.offset:#x})"


#: Allocated sections that boot code never reads and that a build extracting the
#: code (``objcopy -O binary -j .text``) leaves out: unwind tables (GCC's default
#: ``-fasynchronous-unwind-tables``), notes, dynamic-linking tables.
AUXILIARY_NAME = re.compile(
    r"^\.(eh_frame(_hdr)?|note(\..*)?|interp|hash|gnu\.hash|gnu\.version(_[rd])?"
    r"|dynsym|dynstr|dynamic)$"
)


def is_auxiliary(section: Section) -> bool:
    """An allocated section no boot code needs (:data:`AUXILIARY_NAME`)."""
    return bool(AUXILIARY_NAME.match(section.name))


def code_end(image: Image, bs: BootSector, auxiliary: bool = True) -> tuple[int, list[Section]]:
    """Where the boot code and data of an ELF sector end (sector offset, not capped
    at 512: code that runs on past the sector is the overflow), and the sections
    that hold them. Partition-table, disk-signature and signature sections are left
    out; so are the bytes of a section from a partition-table symbol at its fixed
    offset inside that section, and from a ``55 AA`` at 510 that the section itself
    carries (a sector and later stages in one section); and, unless ``auxiliary``,
    the sections of :data:`AUXILIARY_NAME` (``.eh_frame``, notes)."""
    base = bs.origin or 0
    fixed = [
        (sym.st_shndx, sym.st_value - base)
        for sym in named_symbols(image, PARTITION_NAME) + named_symbols(image, DISK_SIGNATURE_NAME)
    ]
    parts = [
        SectorPart(
            s,
            s.name,
            s.sh_addr - base,
            s.end - base,
            tuple(off for shndx, off in fixed if shndx == s.index),
            bs.has_signature,
        )
        for s in sector_sections(image)
        if auxiliary or not is_auxiliary(s)
    ]
    return code_extent(parts, bs.layout.code_end, limit=None)


@dataclass(frozen=True)
class SectorPart:
    """One section of a sector for :func:`code_extent`: ``item`` is what it stands for
    (an ELF :class:`Section`, or an output section of a predicted layout), ``start``
    and ``end`` its sector offsets (``end`` may lie past the sector), ``fixed`` the
    sector offsets of partition-table and disk-signature symbols defined inside it,
    ``signature`` whether the ``55 AA`` at offset 510 is its own bytes."""

    item: object
    name: str
    start: int
    end: int
    fixed: tuple[int, ...] = ()
    signature: bool = False


def code_extent(
    parts: Iterable[SectorPart], code_end_offset: int, limit: int | None = SECTOR_SIZE
) -> tuple[int, list]:
    """Where the boot code and data end (sector offset) and the ``item`` s of the
    parts that hold them, for a layout whose code ends at ``code_end_offset``. Parts
    named like a partition table, disk signature or signature, and parts starting
    outside the sector, are left out; a part stops at a partition-table symbol at
    ``code_end_offset`` inside it, and at 510 when it carries the signature there.
    ``limit`` caps the end (a linked sector is 512 bytes; None for a layout predicted
    before linking, where code past the sector is the overflow to report)."""
    end, held = 0, []
    for part in parts:
        start = part.start
        if is_reserved_name(part.name) or not 0 <= start < SECTOR_SIZE:
            continue
        stop = part.end if limit is None else min(part.end, limit)
        if part.signature and start < SIGNATURE_OFFSET < stop:
            stop = SIGNATURE_OFFSET
        for off in part.fixed:
            if start < off == code_end_offset < stop:
                stop = off  # the table sits at its place inside this section
        if stop > start:
            held.append(part.item)
            end = max(end, stop)
    return end, held


def _held_size(section: Section, base: int, signature: bool) -> int:
    """The bytes of ``section`` that count as boot code and data: all of them, or up
    to offset 510 when it carries the sector's ``55 AA`` there itself."""
    start = section.sh_addr - base
    if signature and start < SIGNATURE_OFFSET < section.end - base:
        return SIGNATURE_OFFSET - start
    return section.sh_size


def contributors(image: Image, bs: BootSector, sections: list[Section]) -> tuple[list, list]:
    """The sections in ``sections`` and the symbols defined in them, largest first,
    with their sizes (bytes; not capped at the sector's end) and sector offsets."""
    base = bs.origin or 0
    secs = [Contributor("section", s.name, s.sh_addr - base, s.sh_size) for s in sections]
    by_index = {s.index: s for s in sections}
    syms = sorted(
        (
            y
            for y in image.symbols
            if y.name
            and not y.name.startswith(".L")
            and y.st_shndx in by_index
            and y.st_type in (STT_NOTYPE, STT_FUNC, STT_OBJECT)
            and not is_reserved_name(y.name)
        ),
        key=lambda y: (y.st_value, y.name),
    )
    out = []
    for i, y in enumerate(syms):
        sec = by_index[y.st_shndx]
        nxt = [
            z.st_value
            for z in syms[i + 1 :]
            if z.st_value > y.st_value and z.st_shndx == y.st_shndx
        ]
        size = y.st_size or ((nxt[0] if nxt else sec.end) - y.st_value)
        if size > 0:
            out.append(Contributor("symbol", y.name, y.st_value - base, size))
    key = lambda c: (-c.size, c.offset, c.name)  # noqa: E731
    return sorted(secs, key=key), sorted(out, key=key)


#: Below this address (1 MiB) an x86 image is real-mode or flat code: no ELF loader
#: puts anything there (GRUB's Multiboot loaders and QEMU's ``-kernel`` are handled
#: apart, by the image's header), the BIOS and boot sectors load raw bytes.
REAL_MODE_LIMIT = 0x100000


def raw_loaded(ctx: Context) -> str | None:
    """Why the program-header and section permission flags of ``ctx.image`` are read
    by nothing, or None when a loader may honour them. True of a BIOS boot sector
    (:attr:`Context.elf_boot_sector`: the firmware copies 512 raw bytes), and of an
    i386 ET_EXEC whose allocated sections all lie below 1 MiB and that shows no boot
    protocol (no Multiboot header, PVH note, ...; see
    :attr:`Context.boot_protocols`): real-mode or flat code meant for
    ``objcopy -O binary`` and loaded by a boot sector (Linux's ``setup.elf`` and
    ``realmode.elf``, a stage 2 at 0x7e00). KL105, KL106 and KL109 stay silent then."""
    image = ctx.image
    if image is None or image.e_type not in (ET_EXEC, ET_DYN):
        return None
    bs = ctx.elf_boot_sector
    if bs is not None:
        return f"a BIOS boot sector ({bs.origin_from}): the firmware copies raw bytes"
    if image.header.e_machine != EM_386 or ctx.boot_protocols - {"bios"}:
        return None
    sections = [s for s in image.sections if s.index and s.is_alloc and s.sh_size]
    loads = [s for s in image.load_segments if s.p_memsz]
    if not sections or not loads:
        return None
    if any(s.end > REAL_MODE_LIMIT for s in sections) or any(
        s.vend > REAL_MODE_LIMIT or s.p_paddr + s.p_memsz > REAL_MODE_LIMIT for s in loads
    ):
        return None
    return (
        "an i386 image linked below 1 MiB with no boot-protocol header: real-mode or flat"
        " code that a boot sector loads as raw bytes"
    )
