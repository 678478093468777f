"""Boot headers of an ELF image, found the way loaders find them.

GRUB 2.06 reads the first 8192 (Multiboot 1) or 32768 (Multiboot 2) bytes of the
*file* and takes the first aligned magic with a zero checksum (and, for Multiboot 2,
architecture 0). :func:`read_headers` scans that window, and, when asked, the file
bytes of every ``PT_LOAD`` beyond it, so that a rule can say "found at offset N,
beyond the window, placed there by output section X" instead of only "missing".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from kernlint.boot import multiboot1, multiboot2
from kernlint.boot.multiboot1 import Multiboot1Header
from kernlint.boot.multiboot2 import Multiboot2Header
from kernlint.boot.pvh import PvhNote, find_pvh

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Section

#: Bytes read from the file's start: the larger of the two search windows.
WINDOW = max(multiboot1.SEARCH, multiboot2.SEARCH)


@dataclass
class BootHeaders:
    """The boot headers of ``image``. ``multiboot1``/``multiboot2`` hold every aligned
    magic within the loaders' search windows (decoded, bad checksums included), in file
    order; ``beyond_window`` the valid-looking ones (zero checksum) in the file bytes of
    ``PT_LOAD`` segments past the windows, read on first use; ``pvh`` the Xen PVH
    notes. All offsets are file offsets in bytes."""

    image: Image
    multiboot1: tuple[Multiboot1Header, ...]
    multiboot2: tuple[Multiboot2Header, ...]

    @cached_property
    def pvh(self) -> PvhNote | None:
        """The Xen PVH notes, or None (see :func:`kernlint.boot.pvh.find_pvh`)."""
        return find_pvh(self.image)

    @property
    def grub_multiboot1(self) -> Multiboot1Header | None:
        """The header GRUB's ``multiboot`` command takes: the first one in the 8 KiB
        window with a zero checksum; None when GRUB says "no multiboot header found."."""
        return next((h for h in self.multiboot1 if h.in_window and h.checksum_ok), None)

    @property
    def grub_multiboot2(self) -> Multiboot2Header | None:
        """The header GRUB's ``multiboot2`` command takes: the first one in the 32 KiB
        window with a zero checksum and architecture 0; None when GRUB says "no
        multiboot header found."."""
        return next((h for h in self.multiboot2 if h.in_window and h.matches), None)

    @cached_property
    def beyond_window(self) -> tuple[tuple[Multiboot1Header, ...], tuple[Multiboot2Header, ...]]:
        """(Multiboot 1, Multiboot 2) headers with a zero checksum found at aligned file
        offsets past the search windows, inside the file bytes of a ``PT_LOAD``."""
        mb1: list[Multiboot1Header] = []
        mb2: list[Multiboot2Header] = []
        reader = self.image.reader
        for seg in self.image.load_segments:
            start = max(seg.p_offset, multiboot1.SEARCH - 11)
            end = min(seg.p_offset + seg.p_filesz, self.image.size)
            if end - start < 12:
                continue
            data = reader.read_bytes(start, end - start)
            mb1.extend(
                h for h in multiboot1.scan(data, base=start) if h.checksum_ok and not h.in_window
            )
            mb2.extend(
                h for h in multiboot2.scan(data, base=start) if h.checksum_ok and not h.in_window
            )
        return _unique(mb1), _unique(mb2)

    def section_at(self, offset: int) -> Section | None:
        """The section whose file bytes hold ``offset`` (not ``SHT_NOBITS``), or None:
        the output section that put a header there."""
        from kernlint.elf.constants import SHT_NOBITS

        for s in self.image.sections:
            if s.sh_type != SHT_NOBITS and s.sh_offset <= offset < s.sh_offset + s.sh_size:
                return s
        return None


def read_headers(image: Image) -> BootHeaders:
    """Scan the first :data:`WINDOW` bytes of ``image``'s file for Multiboot headers.
    Raises :class:`kernlint.errors.InputError` only if the file cannot be read."""
    data = image.reader.read_bytes(0, min(image.size, WINDOW))
    return BootHeaders(
        image,
        tuple(multiboot1.scan(data, limit=multiboot1.SEARCH)),
        tuple(multiboot2.scan(data, limit=multiboot2.SEARCH)),
    )


def _unique(headers: list) -> tuple:
    seen: dict[int, object] = {}
    for h in headers:
        seen.setdefault(h.offset, h)
    return tuple(seen[k] for k in sorted(seen))
