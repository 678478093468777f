"""The Xen PVH entry note (Xen ``xen/include/public/elfnote.h``; Linux
``include/xen/interface/elfnote.h``; research/anchors-binary.md §2.5).

A note named ``"Xen"`` of type :data:`PHYS32_ENTRY` (18) whose descriptor is the 32-bit
physical address where Xen, QEMU ``-kernel`` and cloud-hypervisor enter the kernel in
32-bit protected mode with paging off. Type :data:`PHYS32_RELOC` (19, optional) holds
up to three u32: alignment (default 0x200000), minimum and maximum physical address
(defaults 0 and 0xffffffff); its presence says the kernel relocates itself. Loaders
find notes through ``PT_NOTE`` program headers, not through section headers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.elf.model import Image

NOTE_NAME = "Xen"
PHYS32_ENTRY = 18
PHYS32_RELOC = 19
_RELOC_DEFAULTS = (0x200000, 0, 0xFFFFFFFF)


@dataclass(frozen=True)
class PvhNote:
    """The PVH notes of an image. ``entry`` is the descriptor of the type-18 note read as
    a little-endian u32 (None when the descriptor has fewer than 4 bytes), ``desc_size``
    its size in bytes; ``section`` the note section's name (None when the file has no
    section headers); ``in_pt_note`` whether a ``PT_NOTE`` segment covers the note
    section (loaders only look there). ``reloc`` is ``(align, min_addr, max_addr)`` from
    a type-19 note, defaults filled in, or None."""

    entry: int | None
    desc_size: int
    section: str | None
    in_pt_note: bool
    reloc: tuple[int, int, int] | None = None


def find_pvh(image: Image) -> PvhNote | None:
    """The image's PVH notes, or None when it has no ``Xen`` note of type 18 (nor 19).
    Raises :class:`kernlint.errors.InputError` for malformed notes (pyelftools reads
    them)."""
    from kernlint.elf.constants import PT_NOTE

    entry_note = reloc_note = None
    for note in image.notes():
        if note.name != NOTE_NAME:
            continue
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
    if entry_note is None:
        return PvhNote(None, 0, reloc_note.section, _in_pt_note(image, reloc_note, PT_NOTE), reloc)
    desc = entry_note.desc
    entry = struct.unpack_from("<I", desc)[0] if len(desc) >= 4 else None
    return PvhNote(
        entry, len(desc), entry_note.section, _in_pt_note(image, entry_note, PT_NOTE), reloc
    )


def _in_pt_note(image: Image, note, pt_note: int) -> bool:
    if note.segment is not None:
        return True
    section = image.section_by_name(note.section) if note.section else None
    if section is None:
        return False
    return any(
        seg.p_type == pt_note
        and seg.p_offset <= section.sh_offset < seg.p_offset + max(seg.p_filesz, 1)
        for seg in image.segments
    )
