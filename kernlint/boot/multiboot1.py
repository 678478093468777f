"""The Multiboot 1 header (Multiboot Specification 0.6.96, §3.1 "OS image format").

Layout, all fields little-endian u32 at the header's offset:

====  ================  ==========================================================
off   field             notes
====  ================  ==========================================================
0     magic             ``0x1BADB002``
4     flags             bits 0-15 required (the loader must refuse unknown ones),
                        16-31 optional; bit 0 page-align modules, 1 memory info,
                        2 video mode, 16 address fields valid ("a.out kludge")
8     checksum          magic + flags + checksum = 0 (mod 2**32)
12    header_addr       \\
16    load_addr          | physical addresses, present when flags bit 16 is set
20    load_end_addr      |
24    bss_end_addr       |
28    entry_addr        /
32    mode_type         \\
36    width              | present when flags bit 2 is set
40    height             |
44    depth             /
====  ================  ==========================================================

The header must lie wholly in the first :data:`SEARCH` bytes of the file, at a
:data:`ALIGN`-byte-aligned offset. GRUB 2.06 refuses required flag bits it does not
know, ``flags & 0x0000fff8`` (``grub-core/loader/i386/multiboot_mbi.c``,
``MULTIBOOT_UNSUPPORTED``): "unsupported flag: 0x%x".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = 0x1BADB002
#: The header must be inside the first SEARCH bytes (``MULTIBOOT_SEARCH``).
SEARCH = 8192
#: ... at an offset that is a multiple of ALIGN (``MULTIBOOT_HEADER_ALIGN``).
ALIGN = 4
#: Magic handed over in EAX (``MULTIBOOT_BOOTLOADER_MAGIC``).
BOOTLOADER_MAGIC = 0x2BADB002

FLAG_PAGE_ALIGN = 1 << 0
FLAG_MEMORY_INFO = 1 << 1
FLAG_VIDEO_MODE = 1 << 2
FLAG_AOUT_KLUDGE = 1 << 16
#: Required bits GRUB 2.06 does not implement (``MULTIBOOT_UNSUPPORTED``).
GRUB_UNSUPPORTED = 0x0000FFF8

_MAGIC_BYTES = struct.pack("<I", MAGIC)


@dataclass(frozen=True)
class AoutKludge:
    """The address fields (flags bit 16), physical addresses in bytes."""

    header_addr: int
    load_addr: int
    load_end_addr: int
    bss_end_addr: int
    entry_addr: int


@dataclass(frozen=True)
class Multiboot1Header:
    """A Multiboot 1 header found at file ``offset`` (bytes). ``aout`` is set when flags
    bit 16 is and the file holds the address fields; ``video`` is ``(mode_type, width,
    height, depth)`` when flags bit 2 is and the file holds them. ``truncated`` is True
    when a field the flags announce runs past the end of the data scanned."""

    offset: int
    flags: int
    checksum: int
    aout: AoutKludge | None = None
    video: tuple[int, int, int, int] | None = None
    truncated: bool = False

    @property
    def checksum_ok(self) -> bool:
        """magic + flags + checksum is 0 modulo 2**32."""
        return (MAGIC + self.flags + self.checksum) & 0xFFFFFFFF == 0

    @property
    def size(self) -> int:
        """Bytes the header occupies: 12, 32 with the a.out fields, 48 with video."""
        if self.flags & FLAG_VIDEO_MODE:
            return 48
        if self.flags & FLAG_AOUT_KLUDGE:
            return 32
        return 12

    @property
    def in_window(self) -> bool:
        """Where GRUB 2.06 looks: an aligned offset with the 12 bytes of magic, flags
        and checksum inside the first :data:`SEARCH` bytes (``multiboot.c``,
        ``header <= buffer + len - 12``)."""
        return self.offset % ALIGN == 0 and self.offset + 12 <= SEARCH

    @property
    def unsupported_flags(self) -> int:
        """Required flag bits GRUB 2.06 refuses (``flags & 0x0000fff8``)."""
        return self.flags & GRUB_UNSUPPORTED


def parse(data: bytes, offset: int, base: int = 0) -> Multiboot1Header | None:
    """The header at index ``offset`` of ``data``, whose first byte is at file offset
    ``base`` (the result's ``offset`` is a file offset), or None when the magic is not
    there. Never raises on short data: missing optional fields set ``truncated``."""
    if data[offset : offset + 4] != _MAGIC_BYTES or offset + 12 > len(data):
        return None
    _, flags, checksum = struct.unpack_from("<3I", data, offset)
    aout = video = None
    truncated = False
    if flags & FLAG_AOUT_KLUDGE:
        if offset + 32 <= len(data):
            aout = AoutKludge(*struct.unpack_from("<5I", data, offset + 12))
        else:
            truncated = True
    if flags & FLAG_VIDEO_MODE:
        if offset + 48 <= len(data):
            video = struct.unpack_from("<4I", data, offset + 32)
        else:
            truncated = True
    return Multiboot1Header(base + offset, flags, checksum, aout, video, truncated)


def scan(data: bytes, base: int = 0, limit: int | None = None) -> list[Multiboot1Header]:
    """Every :data:`ALIGN`-aligned occurrence of the magic in ``data``, decoded, with
    ``offset`` = ``base`` + its index (``base`` is the file offset of ``data[0]``;
    alignment is judged on file offsets). ``limit`` bounds the file offsets searched.
    Occurrences with a wrong checksum are included: the caller decides (KL404)."""
    found: list[Multiboot1Header] = []
    end = len(data) if limit is None else max(0, min(len(data), limit - base))
    i = data.find(_MAGIC_BYTES, 0, end)
    while i >= 0:
        if (base + i) % ALIGN == 0:
            header = parse(data, i, base)
            if header is not None:
                found.append(header)
        i = data.find(_MAGIC_BYTES, i + 1, end)
    return found
