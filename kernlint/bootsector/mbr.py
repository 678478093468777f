"""The MBR partition table: four 16-byte entries at 0x1BE (Wikipedia "Master boot
record", "Partition table entries"; the same layout in ``fdisk``'s ``dos_partition``).

Entry fields (offsets within the entry): 0 status (0x80 active, 0x00 inactive), 1-3
CHS of the first sector, 4 partition type, 5-7 CHS of the last sector, 8 first LBA
(32-bit little-endian), 12 number of sectors (32-bit little-endian).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PARTITION_TABLE_OFFSET = 0x1BE
ENTRY_SIZE = 16
ENTRY_COUNT = 4
DISK_SIGNATURE_OFFSET = 0x1B8


@dataclass(frozen=True)
class PartitionEntry:
    """One partition table entry, ``index`` 0-3, at sector ``offset``."""

    index: int
    offset: int
    status: int
    chs_first: bytes
    type: int
    chs_last: bytes
    lba_first: int
    sectors: int
    raw: bytes

    @property
    def is_empty(self) -> bool:
        """All 16 bytes are zero: an unused slot."""
        return not any(self.raw)

    @property
    def is_plausible(self) -> bool:
        """Looks like a real partition: status 0x00 or 0x80, a non-zero type, and a
        non-zero size starting after sector 0."""
        return (
            self.status in (0x00, 0x80)
            and self.type != 0
            and self.sectors != 0
            and self.lba_first != 0
        )

    @property
    def is_valid(self) -> bool:
        """Empty or plausible."""
        return self.is_empty or self.is_plausible


def partition_entries(sector: bytes) -> tuple[PartitionEntry, ...]:
    """The four entries of ``sector`` (missing bytes of a short sector read as zero)."""
    data = sector[:512].ljust(512, b"\0")
    out = []
    for i in range(ENTRY_COUNT):
        off = PARTITION_TABLE_OFFSET + i * ENTRY_SIZE
        raw = data[off : off + ENTRY_SIZE]
        lba, count = struct.unpack_from("<II", raw, 8)
        out.append(PartitionEntry(i, off, raw[0], raw[1:4], raw[4], raw[5:8], lba, count, raw))
    return tuple(out)


def has_partition_table(sector: bytes) -> bool:
    """Every entry is empty or plausible and at least one is a real partition."""
    entries = partition_entries(sector)
    return all(e.is_valid for e in entries) and any(e.is_plausible for e in entries)


def disk_signature(sector: bytes) -> int | None:
    """The 32-bit disk signature at 0x1B8 when the sector carries one: non-zero, and
    the word at 0x1BC is 0x0000 or 0x5A5A (copy-protected); else None."""
    data = sector[:512].ljust(512, b"\0")
    sig, word = struct.unpack_from("<IH", data, DISK_SIGNATURE_OFFSET)
    return sig if sig and word in (0, 0x5A5A) else None
