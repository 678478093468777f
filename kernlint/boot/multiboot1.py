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
:data:`ALIGN`-byte-aligned offset. What the loaders do with it:

- GRUB 2.06 (``grub-core/loader/i386/multiboot_mbi.c``) takes the first aligned magic
  whose 12 bytes lie in the first 8192 bytes of the file and whose checksum is zero
  ("no multiboot header found." otherwise); refuses required flag bits it does not
  know, ``flags & 0x0000fff8`` ("unsupported flag: 0x%x", printing the whole flags
  word); with flags bit 2, refuses a ``mode_type`` other than 0 (linear graphics) or 1
  (EGA text) ("unsupported graphical mode type %d"). With flags bit 16 it loads the
  file as the a.out kludge says and never parses the ELF: ``load_end_addr -
  load_addr`` bytes (the rest of the file when ``load_end_addr`` is 0) from file
  offset ``offset - (header_addr - load_addr)`` to ``load_addr``, zeroes up to
  ``bss_end_addr`` and jumps to ``entry_addr``. It checks none of these values.
- QEMU 7.2 ``-kernel`` (``hw/i386/multiboot.c``) scans offsets ``i < 8192 - 48`` in
  steps of 4, so it misses a header in the window's last 48 bytes. It checks the
  a.out-kludge fields and exits with ``invalid load_addr address``, ``invalid
  header_addr address``, ``invalid load_end_addr address``, ``kernel does not fit in
  address space``, ``fread() failed`` or ``invalid bss_end_addr address``
  (:func:`aout_problems`; all observed with 7.2.22).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from kernlint.boot.magic import aligned_hits

MAGIC = 0x1BADB002
#: The header must be inside the first SEARCH bytes (``MULTIBOOT_SEARCH``).
SEARCH = 8192
#: ... at an offset that is a multiple of ALIGN (``MULTIBOOT_HEADER_ALIGN``).
ALIGN = 4
#: Magic handed over in EAX (``MULTIBOOT_BOOTLOADER_MAGIC``).
BOOTLOADER_MAGIC = 0x2BADB002
#: QEMU 7.2 ``-kernel`` looks at offsets below this (``i < 8192 - 48``).
QEMU_SEARCH = SEARCH - 48

FLAG_PAGE_ALIGN = 1 << 0
FLAG_MEMORY_INFO = 1 << 1
FLAG_VIDEO_MODE = 1 << 2
FLAG_AOUT_KLUDGE = 1 << 16
#: Required bits GRUB 2.06 does not implement (``UNSUPPORTED_FLAGS``).
GRUB_UNSUPPORTED = 0x0000FFF8
#: ``mode_type`` values GRUB 2.06 accepts: 0 linear graphics, 1 EGA text.
VIDEO_MODE_TYPES = (0, 1)

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
    def expected_checksum(self) -> int:
        """The checksum that makes the sum zero: ``-(magic + flags)`` mod 2**32."""
        return -(MAGIC + self.flags) & 0xFFFFFFFF

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
        and checksum inside the first :data:`SEARCH` bytes (``multiboot_mbi.c``,
        ``header <= buffer + len - 12``). ``grub-file --is-x86-multiboot`` looks at
        the same offsets."""
        return self.offset % ALIGN == 0 and self.offset + 12 <= SEARCH

    @property
    def in_qemu_window(self) -> bool:
        """Where QEMU 7.2 ``-kernel`` looks: aligned offsets below 8192 - 48."""
        return self.offset % ALIGN == 0 and self.offset < QEMU_SEARCH

    @property
    def unsupported_flags(self) -> int:
        """Required flag bits GRUB 2.06 refuses (``flags & 0x0000fff8``)."""
        return self.flags & GRUB_UNSUPPORTED

    @property
    def grub_refusal(self) -> str | None:
        """GRUB 2.06's message (without ``error: `` and the final period) when its
        ``multiboot`` command refuses this header before loading anything, else None:
        unknown required flags, or an unknown video ``mode_type``."""
        if self.unsupported_flags:
            return f"unsupported flag: {self.flags:#x}"
        if self.video is not None and self.video[0] not in VIDEO_MODE_TYPES:
            return f"unsupported graphical mode type {self.video[0]}"
        return None


def parse(data: bytes, offset: int, base: int = 0) -> Multiboot1Header | None:
    """The header at index ``offset`` of ``data``, whose first byte is at file offset
    ``base`` (the result's ``offset`` is a file offset), or None when the magic is not
    there. Never raises on short data: missing optional fields set ``truncated``."""
    if offset < 0 or data[offset : offset + 4] != _MAGIC_BYTES or offset + 12 > len(data):
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


def scan(
    data: bytes, base: int = 0, limit: int | None = None, start: int = 0
) -> list[Multiboot1Header]:
    """Every :data:`ALIGN`-aligned occurrence of the magic in ``data``, decoded, with
    ``offset`` = ``base`` + its index (``base`` is the file offset of ``data[0]``;
    alignment is judged on file offsets). ``start`` and ``limit`` bound the file
    offsets searched (magics starting in ``[start, limit)``; a header may extend past
    ``limit``).
    Occurrences with a wrong checksum are included: the caller decides (KL404)."""
    hits = aligned_hits(data, _MAGIC_BYTES, ALIGN, base, limit, start)
    return [h for h in (parse(data, i, base) for i in hits) if h is not None]


@dataclass(frozen=True)
class AoutLayout:
    """What the a.out kludge of a header at file offset ``header_offset`` makes a loader
    do with a file of ``file_size`` bytes: copy ``load_size`` bytes from file offset
    ``text_offset`` to physical ``load_addr``, zero up to ``load_addr + memory_size``.
    Values are as QEMU 7.2 computes them (u32 arithmetic); ``text_offset`` may be
    negative when ``header_addr - load_addr`` exceeds the header's offset."""

    text_offset: int
    load_addr: int
    load_size: int
    memory_size: int

    @property
    def load_end(self) -> int:
        """First physical address past the bytes copied from the file."""
        return self.load_addr + self.load_size


def aout_layout(kludge: AoutKludge, header_offset: int, file_size: int) -> AoutLayout:
    """The load the a.out kludge describes (see :class:`AoutLayout`). GRUB 2.06 and
    QEMU 7.2 agree on it when the fields pass QEMU's checks (:func:`aout_problems`)."""
    text_offset = header_offset - (kludge.header_addr - kludge.load_addr)
    if kludge.load_end_addr:
        load_size = (kludge.load_end_addr - kludge.load_addr) & 0xFFFFFFFF
    else:
        load_size = max(0, file_size - text_offset)
    memory_size = (
        (kludge.bss_end_addr - kludge.load_addr) & 0xFFFFFFFF if kludge.bss_end_addr else load_size
    )
    return AoutLayout(text_offset, kludge.load_addr, load_size, memory_size)


def aout_problems(kludge: AoutKludge, header_offset: int, file_size: int) -> list[str]:
    """The a.out-kludge fields that cannot describe a load of this file, each one
    sentence with the numbers and the loaders' reactions: QEMU 7.2 ``-kernel`` refuses
    the image with the message quoted (it prints ``qemu-system-x86_64: MESSAGE`` and
    exits 1); GRUB 2.06 validates nothing, so it fails in its file or memory layer, or
    copies the wrong bytes and jumps (what it did here is quoted, observed with
    i386-pc). Checks, in QEMU's order: ``header_addr >= load_addr``; ``header_addr -
    load_addr`` at most the header's file offset (the load starts inside the file);
    ``load_end_addr`` 0 or ``>= load_addr``; the load fits below 4 GiB; the bytes to
    copy lie in the file; ``bss_end_addr`` 0 or ``>= load_end_addr``; ``entry_addr``
    inside ``[load_addr, load_addr + load_size)``."""
    k = kludge
    out: list[str] = []
    if k.header_addr < k.load_addr:
        return [
            f"header_addr {k.header_addr:#x} is below load_addr {k.load_addr:#x}, which"
            ' the spec forbids; QEMU: "invalid load_addr address" (GRUB loads it: the'
            " file-to-memory mapping is still one offset)"
        ]
    if k.header_addr - k.load_addr > header_offset:
        return [
            f"header_addr - load_addr = {k.header_addr - k.load_addr:#x}, more than the"
            f" header's file offset {header_offset:#x}: the load would start"
            f" {k.header_addr - k.load_addr - header_offset:#x} bytes before the start of"
            ' the file; QEMU: "invalid header_addr address"; GRUB: "attempt to seek'
            ' outside of the file."'
        ]
    text_offset = header_offset - (k.header_addr - k.load_addr)
    if k.load_end_addr and k.load_end_addr < k.load_addr:
        return [
            f"load_end_addr {k.load_end_addr:#x} is below load_addr {k.load_addr:#x}, a"
            ' negative size; QEMU: "invalid load_end_addr address"; GRUB: "address is'
            ' out of range."'
        ]
    layout = aout_layout(k, header_offset, file_size)
    if layout.load_size > 0xFFFFFFFF - k.load_addr:
        return [
            f"{layout.load_size:#x} bytes loaded at {k.load_addr:#x} run past 4 GiB;"
            ' QEMU: "kernel does not fit in address space"; GRUB: "address is out of'
            ' range."'
        ]
    if text_offset + layout.load_size > file_size:
        out.append(
            f"load_end_addr - load_addr = {layout.load_size:#x} bytes from file offset"
            f" {text_offset:#x} run {text_offset + layout.load_size - file_size:#x} bytes"
            f' past the end of the file ({file_size:#x} bytes); QEMU: "fread() failed"'
            " (GRUB loads what there is)"
        )
    if k.bss_end_addr and k.bss_end_addr < layout.load_end:
        out.append(
            f"bss_end_addr {k.bss_end_addr:#x} is below the end of the loaded bytes"
            f' {layout.load_end:#x}; QEMU: "invalid bss_end_addr address"; GRUB clears'
            f" a negative size ({k.bss_end_addr:#x} - {layout.load_end:#x}) and hangs"
        )
    if not layout.load_addr <= k.entry_addr < layout.load_end:
        where = (
            "in the zeroed bss"
            if layout.load_end <= k.entry_addr < layout.load_addr + layout.memory_size
            else "outside the image"
        )
        out.append(
            f"entry_addr {k.entry_addr:#x} is not inside the loaded bytes"
            f" [{layout.load_addr:#x}, {layout.load_end:#x}) but {where}: both loaders"
            " jump there and the machine runs whatever it finds"
        )
    return out
