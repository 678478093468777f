"""The BIOS parameter block of a FAT volume boot record, and the jump over it.

Offsets (Microsoft "FAT: General Overview of On-Disk Format" / fatgen103, §3.1-3.3):
0x00 jump (``EB xx 90`` or ``E9 xx xx``), 0x03 OEM name (8), 0x0B bytes per sector
(2), 0x0D sectors per cluster (1), 0x0E reserved sectors (2), 0x10 number of FATs
(1), 0x11 root entries (2; 0 on FAT32), 0x13 total sectors 16 (2), 0x15 media (1),
0x16 sectors per FAT 16 (2; 0 on FAT32), 0x18 sectors per track (2), 0x1A heads (2),
0x1C hidden sectors (4), 0x20 total sectors 32 (4). FAT12/16 extended BPB: 0x24
drive, 0x26 boot signature (0x28/0x29), 0x27 volume id, 0x2B label (11), 0x36 type
(8); boot code from 0x3E. FAT32: 0x24 sectors per FAT 32 (4), ..., 0x40 drive, 0x42
boot signature, 0x43 volume id, 0x47 label, 0x52 type; boot code from 0x5A.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class BiosParameterBlock:
    """The fields of a FAT BPB that decide the layout (``fat32`` when the root
    directory and 16-bit FAT size are both zero), and the EBPB's file-system type."""

    oem: bytes
    bytes_per_sector: int
    sectors_per_cluster: int
    reserved_sectors: int
    fats: int
    root_entries: int
    total_sectors_16: int
    media: int
    sectors_per_fat_16: int
    total_sectors_32: int
    sectors_per_fat_32: int
    fs_type: bytes

    @property
    def fat32(self) -> bool:
        """The BPB describes a FAT32 volume."""
        return self.root_entries == 0 and self.sectors_per_fat_16 == 0

    @property
    def plausible(self) -> bool:
        """The fields hold values a formatter writes (fatgen103's ranges)."""
        spc = self.sectors_per_cluster
        return (
            self.bytes_per_sector in (512, 1024, 2048, 4096)
            and spc != 0
            and spc & (spc - 1) == 0
            and self.reserved_sectors >= 1
            and self.fats in (1, 2)
            and (self.media == 0xF0 or self.media >= 0xF8)
            and (self.total_sectors_16 != 0 or self.total_sectors_32 != 0)
            and (self.sectors_per_fat_16 != 0 or self.sectors_per_fat_32 != 0)
        )


def bpb_jump_target(sector: bytes) -> int | None:
    """The sector offset the first instruction jumps to when it is the jump over a
    BPB: ``EB xx 90`` (short jump + NOP) or ``E9 xx xx`` (near jump); else None."""
    if len(sector) >= 3 and sector[0] == 0xEB and sector[2] == 0x90:
        return 2 + sector[1] if sector[1] < 0x80 else None
    if len(sector) >= 3 and sector[0] == 0xE9:
        target = 3 + struct.unpack_from("<h", sector, 1)[0]
        return target if 0 <= target < 512 else None
    return None


def decode_bpb(sector: bytes) -> BiosParameterBlock | None:
    """The BPB of ``sector``, or None when the sector is shorter than the FAT32
    extended BPB (0x5A bytes)."""
    if len(sector) < 0x5A:
        return None
    (bps, spc, rsv, fats, root, tot16, media, spf16) = struct.unpack_from("<HBHBHHBH", sector, 0x0B)
    (tot32,) = struct.unpack_from("<I", sector, 0x20)
    (spf32,) = struct.unpack_from("<I", sector, 0x24)
    fs_type = sector[0x52:0x5A] if root == 0 and spf16 == 0 else sector[0x36:0x3E]
    return BiosParameterBlock(
        bytes(sector[3:0x0B]),
        bps,
        spc,
        rsv,
        fats,
        root,
        tot16,
        media,
        spf16,
        tot32,
        spf32,
        bytes(fs_type),
    )


def vbr_layout(sector: bytes) -> str | None:
    """``fat16-vbr`` or ``fat32-vbr`` when ``sector`` starts with a BPB jump and holds
    a plausible BPB; else None."""
    if bpb_jump_target(sector) is None:
        return None
    bpb = decode_bpb(sector)
    if bpb is None or not bpb.plausible:
        return None
    return "fat32-vbr" if bpb.fat32 else "fat16-vbr"
