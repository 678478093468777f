"""The Xen PVH entry note (Xen ``xen/include/public/elfnote.h``; Linux
``include/xen/interface/elfnote.h``; research/anchors-binary.md §2.5).

A note named ``"Xen"`` of type :data:`PHYS32_ENTRY` (18) whose descriptor is the 32-bit
physical address where Xen, QEMU ``-kernel`` and cloud-hypervisor enter the kernel in
32-bit protected mode with paging off (Xen's own example writes it with ``.long``;
Linux widens it to 8 bytes). Type :data:`PHYS32_RELOC` (19, optional) holds up to three
u32: alignment (default 0x200000), minimum and maximum physical address (defaults 0
and 0xffffffff); its presence says the kernel relocates itself. Loaders find notes
through ``PT_NOTE`` program headers, not through section headers.

Notes are laid out as the gABI says ("Note Section"): ``n_namesz``, ``n_descsz``,
``n_type`` (u32 each), the name padded to the note alignment, the descriptor padded
likewise; the alignment is 4, or 8 in a section or segment aligned to 8 (binutils
``readelf``). QEMU 7.2 (``include/hw/elf_ops.h``, ``get_elf_note_type``;
``hw/i386/x86.c``, ``read_pvh_start_addr``) reads them differently, and
:func:`qemu_pvh` reproduces it: it walks each ``PT_NOTE`` for the first note of type 18
(whatever its name), pads ``n_namesz`` (not the offset) to the segment's ``p_align``,
reads the descriptor as 8 bytes in an ELF64 (4 in an ELF32), refuses a zero value
("Error loading uncompressed kernel without PVH ELF Note") and enters at the low 32
bits. With ``p_align`` 8 the descriptor of a ``"Xen"`` note is read 4 bytes late.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.elf.model import Image

NOTE_NAME = "Xen"
PHYS32_ENTRY = 18
PHYS32_RELOC = 19
_RELOC_DEFAULTS = (0x200000, 0, 0xFFFFFFFF)
#: Size in bytes of a note header: n_namesz, n_descsz, n_type.
_NHDR = 12
#: Bytes of note data read at most per section or segment (notes are small; a larger
#: one is not a note table a loader would walk).
_MAX_NOTES = 1 << 20


@dataclass(frozen=True)
class PvhNote:
    """The PVH notes of an image. ``entry`` is the descriptor of the type-18 note read as
    a little-endian number of its own size (4 or 8 bytes; the first 4 bytes for other
    sizes of at least 4; None when the descriptor has fewer than 4 bytes), ``desc_size``
    its size in bytes; ``section`` the note section's name (None when no section
    holds it); ``in_pt_note`` whether a ``PT_NOTE`` segment covers the note (loaders
    only look there). ``reloc`` is ``(align, min_addr, max_addr)`` from a type-19 note,
    defaults filled in, or None. ``offset`` is the file offset of the type-18 note's
    header (of the type-19 one without it), ``segment`` the index of the ``PT_NOTE``
    program header holding it (None when none does)."""

    entry: int | None
    desc_size: int
    section: str | None
    in_pt_note: bool
    reloc: tuple[int, int, int] | None = None
    offset: int | None = None
    segment: int | None = None


@dataclass(frozen=True)
class QemuPvh:
    """What QEMU 7.2 ``-kernel`` makes of an image's ``PT_NOTE`` segments: ``value``,
    the descriptor of the first type-18 note as it reads it (8 bytes in an ELF64, 4 in
    an ELF32; the last ``PT_NOTE`` holding one wins), read at file ``offset`` in
    ``PT_NOTE`` ``segment`` (program header index) whose ``p_align`` is ``align``.
    ``entry`` is where it enters, the low 32 bits; ``refused`` is True when ``value``
    is 0 ("Error loading uncompressed kernel without PVH ELF Note")."""

    value: int
    offset: int
    segment: int
    align: int

    @property
    def entry(self) -> int:
        """The 32-bit entry address QEMU hands over (``fw_cfg_add_i32``)."""
        return self.value & 0xFFFFFFFF

    @property
    def refused(self) -> bool:
        """QEMU exits with "Error loading uncompressed kernel without PVH ELF Note"."""
        return self.value == 0


@dataclass(frozen=True)
class _RawNote:
    name: str
    n_type: int
    desc: bytes
    offset: int
    section: str | None


def find_pvh(image: Image) -> PvhNote | None:
    """The image's PVH notes, or None when it has no ``Xen`` note of type 18 (nor 19).
    Notes are read from ``SHT_NOTE`` sections, and from ``PT_NOTE`` segments when no
    such section holds a Xen note (a note section that is not ``SHT_NOTE`` but sits in
    a ``PT_NOTE``, or a file without section headers). Never raises on malformed notes:
    walking stops where a note's sizes run past its table."""
    entry_note = reloc_note = None
    for note in _xen_notes(image):
        if note.n_type == PHYS32_ENTRY and entry_note is None:
            entry_note = note
        elif note.n_type == PHYS32_RELOC and reloc_note is None:
            reloc_note = note
    if entry_note is None and reloc_note is None:
        return None
    reloc = None
    if reloc_note is not None:
        desc = reloc_note.desc[: len(reloc_note.desc) // 4 * 4]
        values = [v for (v,) in struct.iter_unpack("<I", desc)]
        reloc = tuple(values[:3] + list(_RELOC_DEFAULTS[len(values[:3]) :]))
    main = entry_note if entry_note is not None else reloc_note
    segment = _pt_note_holding(image, main.offset)
    if entry_note is None:
        return PvhNote(None, 0, main.section, segment is not None, reloc, main.offset, segment)
    desc = entry_note.desc
    if len(desc) == 8:
        entry = struct.unpack_from("<Q", desc)[0]
    elif len(desc) >= 4:
        entry = struct.unpack_from("<I", desc)[0]
    else:
        entry = None
    return PvhNote(entry, len(desc), main.section, segment is not None, reloc, main.offset, segment)


def qemu_pvh(image: Image) -> QemuPvh | None:
    """What QEMU 7.2 ``-kernel`` reads as the PVH entry (see :class:`QemuPvh` and the
    module documentation), or None when no ``PT_NOTE`` holds a note of type 18 (QEMU
    then says "Error loading uncompressed kernel without PVH ELF Note" too)."""
    from kernlint.elf.constants import PT_NOTE

    found = None
    width = 8 if image.header.ei_class == 64 else 4
    for seg in image.segments:
        if seg.p_type != PT_NOTE or not seg.p_filesz:
            continue
        data = _read(image, seg.p_offset, seg.p_filesz)
        align = max(seg.p_align, 1)
        pos = 0
        while pos + _NHDR <= len(data):
            namesz, descsz, n_type = struct.unpack_from("<3I", data, pos)
            if n_type == PHYS32_ENTRY:
                at = seg.p_offset + pos + _NHDR + _align_up(namesz, align)
                raw = _read(image, at, width)
                raw += bytes(width - len(raw))
                value = struct.unpack("<Q" if width == 8 else "<I", raw)[0]
                found = QemuPvh(value, at, seg.index, seg.p_align)
                break
            pos += _NHDR + _align_up(namesz, align) + _align_up(descsz, align)
    return found


def _xen_notes(image: Image) -> Iterator[_RawNote]:
    return (n for n in _all_notes(image) if n.name == NOTE_NAME)


def _all_notes(image: Image) -> Iterator[_RawNote]:
    from kernlint.elf.constants import PT_NOTE, SHT_NOTE

    seen: set[int] = set()
    for sec in image.sections:
        if sec.sh_type == SHT_NOTE and sec.sh_size:
            for note in _walk(image, sec.sh_offset, sec.sh_size, sec.sh_addralign, sec.name):
                seen.add(note.offset)
                yield note
    for seg in image.segments:
        if seg.p_type == PT_NOTE and seg.p_filesz:
            for note in _walk(image, seg.p_offset, seg.p_filesz, seg.p_align, None):
                if note.offset not in seen:
                    seen.add(note.offset)
                    held = _section_holding(image, note.offset)
                    yield _RawNote(note.name, note.n_type, note.desc, note.offset, held)


def _walk(image: Image, offset: int, size: int, align: int, section: str | None):
    align = 8 if align == 8 else 4
    data = _read(image, offset, size)
    pos = 0
    while pos + _NHDR <= len(data):
        namesz, descsz, n_type = struct.unpack_from("<3I", data, pos)
        desc_at = _align_up(pos + _NHDR + namesz, align)
        end = desc_at + descsz
        if end > len(data):
            return
        name = data[pos + _NHDR : pos + _NHDR + namesz].split(b"\0", 1)[0]
        yield _RawNote(name.decode("latin-1"), n_type, data[desc_at:end], offset + pos, section)
        pos = _align_up(end, align)


def _read(image: Image, offset: int, size: int) -> bytes:
    size = max(0, min(size, _MAX_NOTES, image.size - offset))
    return image.reader.read_bytes(offset, size) if size else b""


def _align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _pt_note_holding(image: Image, offset: int) -> int | None:
    from kernlint.elf.constants import PT_NOTE

    return next(
        (
            seg.index
            for seg in image.segments
            if seg.p_type == PT_NOTE and seg.p_offset <= offset < seg.p_offset + seg.p_filesz
        ),
        None,
    )


def _section_holding(image: Image, offset: int) -> str | None:
    from kernlint.elf.constants import SHT_NOBITS

    return next(
        (
            s.name
            for s in image.sections
            if s.sh_type != SHT_NOBITS and s.sh_offset <= offset < s.sh_offset + s.sh_size
        ),
        None,
    )
