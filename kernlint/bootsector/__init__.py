"""BIOS boot sectors (KL3): the model, the reader for raw sectors, and layout
inference.

A :class:`BootSector` is the 512 bytes the BIOS loads at 0000:7C00 — read from a raw
file (its first 512 bytes), or put together from the allocated sections of an ELF
linked at 0x7C00 (:mod:`kernlint.bootsector.elf`) — with the :class:`Layout` that
says how much of it the boot code may use, and how that layout was decided.

Layout inference (:func:`infer_layout`), first match wins: the configured layout
(``boot-sector-layout`` or ``--boot-sector-layout``); a BPB jump (``EB xx 90`` /
``E9 xx xx``) followed by a plausible BPB → ``fat16-vbr`` or ``fat32-vbr``; a
partition table whose entries are all empty or plausible, at least one a real
partition → ``mbr`` (``mbr-disk-signature`` when a disk signature is set too);
anything else → ``raw``. An all-zero partition table proves nothing, so it gives
``raw``: kernlint does not guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from kernlint.bootsector.bpb import vbr_layout
from kernlint.bootsector.layout import (
    LAYOUT_NAMES,
    LAYOUTS,
    SECTOR_SIZE,
    SIGNATURE,
    SIGNATURE_OFFSET,
    Layout,
)
from kernlint.bootsector.mbr import disk_signature, has_partition_table
from kernlint.errors import InputError

__all__ = [
    "LAYOUTS",
    "LAYOUT_NAMES",
    "SECTOR_SIZE",
    "BootSector",
    "Layout",
    "infer_layout",
    "is_boot_sector",
    "read_boot_sector",
]

#: ``layout_from`` value for a layout given by configuration or the command line.
CONFIGURED = "the boot-sector-layout setting"


@dataclass(frozen=True)
class BootSector:
    """One boot sector.

    ``path`` is the file as given; ``data`` the sector's bytes (at most 512: a shorter
    file gives fewer; for an ELF, the bytes its sections put at 0x7C00-0x7DFF, zeros
    where none does); ``size`` the file's length in bytes; ``layout`` the layout used
    and ``layout_from`` how it was decided (:data:`CONFIGURED`, or what in the content
    showed it). ``origin`` is the link address of sector offset 0 (ELF only; None for a
    raw file), ``origin_from`` what it was decided from, and ``origin_ok`` whether
    it matches where the BIOS puts the sector (0x7C00, or 0 with a 0x07C0 segment).
    """

    path: str
    data: bytes
    size: int
    layout: Layout
    layout_from: str
    origin: int | None = None
    origin_from: str = ""
    origin_ok: bool = True

    @property
    def signature(self) -> bytes:
        """Bytes 510-511 (fewer when the sector is short)."""
        return self.data[SIGNATURE_OFFSET:SECTOR_SIZE]

    @property
    def has_signature(self) -> bool:
        """Bytes 510-511 are ``55 AA``."""
        return self.signature == SIGNATURE

    @property
    def is_elf(self) -> bool:
        """The sector comes from an ELF file's sections."""
        return self.origin is not None


def is_boot_sector(head: bytes, size: int) -> bool:
    """A file of ``size`` bytes starting with ``head`` is recognised as a boot sector by
    content: exactly 512 bytes (at most 512, and long enough to hold the signature)
    ending in ``55 AA``."""
    return size == SECTOR_SIZE and head[SIGNATURE_OFFSET:SECTOR_SIZE] == SIGNATURE


def infer_layout(sector: bytes, configured: str | None = None) -> tuple[Layout, str]:
    """The layout of ``sector`` and how it was decided (see the module docstring)."""
    if configured is not None:
        return LAYOUTS[configured], CONFIGURED
    vbr = vbr_layout(sector)
    if vbr is not None:
        kind = "FAT32" if vbr == "fat32-vbr" else "FAT12/16"
        return LAYOUTS[vbr], f"a jump over a {kind} BPB at offset 0"
    if len(sector) >= SIGNATURE_OFFSET and has_partition_table(sector):
        if disk_signature(sector) is not None:
            return LAYOUTS["mbr-disk-signature"], "a partition table and a disk signature"
        return LAYOUTS["mbr"], "a partition table at 0x1be"
    return LAYOUTS["raw"], "no partition table or BPB"


def read_boot_sector(path: str, layout: str | None = None) -> BootSector:
    """Read a raw boot sector: the first 512 bytes of ``path``. ``layout`` forces the
    layout. Raises InputError when the file cannot be read."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(SECTOR_SIZE)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    found, how = infer_layout(data, layout)
    return BootSector(path, data, size, found, how)
