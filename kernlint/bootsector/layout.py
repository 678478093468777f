"""Boot-sector layouts: where the boot code may go in a 512-byte BIOS sector, and
what the rest of the sector is reserved for.

Offsets are bytes from the start of the sector. Sources (see
``research/anchors-binary.md`` §2.8):

- ``mbr``: the classic master boot record. Boot code at 0x000-0x1BD (446 bytes),
  four 16-byte partition entries at 0x1BE/0x1CE/0x1DE/0x1EE, signature ``55 AA`` at
  0x1FE. (Wikipedia "Master boot record", structure of a classical generic MBR;
  rust-osdev/bootloader ``bios/boot_sector/boot-sector-link.ld``: ``. = 0x7c00 + 446;
  _partition_table = .;``.)
- ``mbr-disk-signature``: the "modern" MBR. Boot code at 0x000-0x1B7 (440 bytes), a
  32-bit disk signature at 0x1B8, a 16-bit word (normally 0, ``5A 5A`` when
  copy-protected) at 0x1BC, then the partition table (osfree.org wiki, MBR table;
  Microsoft's "disk signature").
- ``fat16-vbr``: a FAT12/FAT16 volume boot record. Jump (3 bytes) + OEM name (8) +
  BPB (25) + extended BPB (26) = 0x00-0x3D, boot code 0x3E-0x1FD (448 bytes; the
  figure bootloaders quote: rust-osdev/bootloader ``boot_code: [u8; 448]``,
  file-recovery.com FAT boot sector table).
- ``fat32-vbr``: a FAT32 volume boot record. The FAT32 extended BPB runs to 0x59,
  boot code 0x5A-0x1FD (420 bytes; d3s.mff.cuni.cz FAT boot sector, rust-fatfs).
- ``raw``: no structure but the signature: code 0x000-0x1FD (510 bytes).

The BIOS loads sector 0 at 0000:7C00 and jumps there; it checks only ``55 AA`` at
0x1FE (little-endian word 0xAA55).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Size of a BIOS boot sector, bytes.
SECTOR_SIZE = 512
#: Offset of the two signature bytes ``55 AA``.
SIGNATURE_OFFSET = 0x1FE
SIGNATURE = b"\x55\xaa"
#: Where the BIOS loads the sector (linear address 0000:7C00).
LOAD_ADDRESS = 0x7C00
#: The real-mode segment whose offset 0 is the load address.
LOAD_SEGMENT = 0x07C0


@dataclass(frozen=True)
class Layout:
    """One sector layout: ``name``, the boot code range ``[code_start, code_end)``
    (``budget`` bytes), and the other fields as ``(start, end, what)`` ranges."""

    name: str
    code_start: int
    code_end: int
    reserved: tuple[tuple[int, int, str], ...]
    source: str

    @property
    def budget(self) -> int:
        """Bytes available for boot code and its data."""
        return self.code_end - self.code_start

    def describe_reserved(self) -> str:
        """What follows the boot code: ``partition table at 0x1be``."""
        after = [r for r in self.reserved if r[0] >= self.code_end]
        if not after:
            return f"signature at {SIGNATURE_OFFSET:#x}"
        return f"{after[0][2]} at {after[0][0]:#x}"


_SIG = (SIGNATURE_OFFSET, SECTOR_SIZE, "signature")
_PART = (0x1BE, 0x1FE, "partition table")

LAYOUTS: dict[str, Layout] = {
    "mbr": Layout(
        "mbr", 0, 0x1BE, (_PART, _SIG), "classic MBR: 446 bytes of code, partition table at 0x1be"
    ),
    "mbr-disk-signature": Layout(
        "mbr-disk-signature",
        0,
        0x1B8,
        ((0x1B8, 0x1BC, "disk signature"), (0x1BC, 0x1BE, "reserved word"), _PART, _SIG),
        "MBR with a disk signature: 440 bytes of code, disk signature at 0x1b8",
    ),
    "fat16-vbr": Layout(
        "fat16-vbr",
        0x3E,
        0x1FE,
        ((0, 3, "jump"), (3, 0x0B, "OEM name"), (0x0B, 0x3E, "BPB"), _SIG),
        "FAT12/FAT16 volume boot record: BPB to 0x3d, 448 bytes of code at 0x3e-0x1fd",
    ),
    "fat32-vbr": Layout(
        "fat32-vbr",
        0x5A,
        0x1FE,
        ((0, 3, "jump"), (3, 0x0B, "OEM name"), (0x0B, 0x5A, "FAT32 BPB"), _SIG),
        "FAT32 volume boot record: BPB to 0x59, 420 bytes of code at 0x5a-0x1fd",
    ),
    "raw": Layout("raw", 0, SIGNATURE_OFFSET, (_SIG,), "no partition table or BPB: 510 bytes"),
}

#: Layout names, in the order documentation lists them (values of the
#: ``boot-sector-layout`` setting and of ``--boot-sector-layout``).
LAYOUT_NAMES = tuple(LAYOUTS)
