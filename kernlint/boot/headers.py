"""Boot headers of an ELF image, found the way loaders find them.

GRUB 2.06 reads the first 8192 (Multiboot 1) or 32768 (Multiboot 2) bytes of the
*file* and takes the first aligned magic with a zero checksum (and, for Multiboot 2,
architecture 0); ``grub-file --is-x86-multiboot``/``--is-x86-multiboot2`` check the
same offsets for magic and checksum only. QEMU 7.2 ``-kernel`` scans the first
8192 - 48 bytes for a Multiboot 1 header. :func:`read_headers` scans the windows, and,
on first use of :attr:`BootHeaders.beyond_window`, the rest of the file's loaded
bytes, so that a rule can say "found at offset N, beyond the window, placed there by
output section X" instead of only "missing".
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
    from kernlint.finding import Location

#: Bytes read from the file's start: the larger of the two search windows.
WINDOW = max(multiboot1.SEARCH, multiboot2.SEARCH)
#: Non-allocated sections not worth scanning for a header (and possibly huge).
_SKIP_PREFIXES = (".debug", ".zdebug", ".gnu.debug", ".comment", ".symtab", ".strtab")


@dataclass
class BootHeaders:
    """The boot headers of ``image``. ``multiboot1``/``multiboot2`` hold every aligned
    magic within the loaders' search windows (decoded, bad checksums included), in file
    order; ``beyond_window`` the valid-looking ones (zero checksum) further into the
    file, read on first use; ``pvh`` the Xen PVH notes. All offsets are file offsets
    in bytes."""

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

    @property
    def qemu_multiboot1(self) -> Multiboot1Header | None:
        """The header QEMU 7.2 ``-kernel`` takes: the first one at an offset below
        8192 - 48 with a zero checksum; None when QEMU does not see a Multiboot image
        (it then tries the PVH note)."""
        return next((h for h in self.multiboot1 if h.in_qemu_window and h.checksum_ok), None)

    @property
    def grub_file_multiboot2(self) -> bool:
        """What ``grub-file --is-x86-multiboot2`` answers: a magic with a zero checksum
        in the window, whatever its architecture (``grub-core/commands/file.c``). For
        Multiboot 1 ``grub-file`` and the loader agree: ``grub_multiboot1 is not
        None``."""
        return any(h.in_window and h.checksum_ok for h in self.multiboot2)

    def claimed_multiboot1(self, requested: bool = False) -> tuple[Multiboot1Header, ...]:
        """The Multiboot 1 magics in GRUB's window that are headers someone wrote: those
        with a zero checksum, and those whose checksum fails where the build says a
        header is meant (:meth:`meant_as_header`). With ``requested`` (the protocol was
        named with ``--boot-protocol``/``boot-protocol``) every magic in the window
        counts, as GRUB's ``multiboot`` command tries each."""
        return tuple(
            h
            for h in self.multiboot1
            if h.in_window and (requested or h.checksum_ok or self.meant_as_header(h.offset))
        )

    def claimed_multiboot2(self, requested: bool = False) -> tuple[Multiboot2Header, ...]:
        """As :meth:`claimed_multiboot1`, for the Multiboot 2 magics in the 32 KiB
        window (a zero checksum with another ``architecture`` is a header too: for
        another machine)."""
        return tuple(
            h
            for h in self.multiboot2
            if h.in_window and (requested or h.checksum_ok or self.meant_as_header(h.offset))
        )

    def meant_as_header(self, offset: int) -> bool:
        """Does the build say that the magic at file ``offset`` starts a header, whatever
        its checksum? Yes when the section holding it is named like a header
        (``.multiboot``, ``.mb1``, ``.boot.header``: :data:`kernlint.boot.protocol.
        HEADER_NAME`), when a data symbol defined at its address is (``multiboot_header``,
        ``mboot``, ``mb_header``), or when it is where a header must be: the first byte
        of the first allocated section with file bytes (notes aside, as ld may put
        ``.note.gnu.build-id`` first) or of the first ``PT_LOAD`` that does not start
        with the ELF header. Anything else is a constant that happens to hold the
        magic: a loader's ``cmp $0x1BADB002, %eax``, a table in ``.rodata`` (the
        Multiboot Specification 0.6.96 §3.1.2 makes only the checksum tell a header)."""
        from kernlint.boot.protocol import names_a_header
        from kernlint.elf.constants import SHT_NOBITS, SHT_NOTE, STT_FUNC

        section = self.section_at(offset)
        if section is not None and names_a_header(section.name):
            return True
        if section is not None and section.is_alloc:
            address = section.sh_addr + (offset - section.sh_offset)
            if any(
                names_a_header(y.name) and y.st_type != STT_FUNC
                for y in self.image.symbols.defined_at(address)
            ):
                return True
        loaded = [
            s
            for s in self.image.sections
            if s.is_alloc and s.sh_size and s.sh_type not in (SHT_NOBITS, SHT_NOTE)
        ]
        if loaded and offset == min(s.sh_offset for s in loaded):
            return True
        starts = [s.p_offset for s in self.image.load_segments if s.p_filesz and s.p_offset]
        return bool(starts) and offset == min(starts)

    @cached_property
    def beyond_window(self) -> tuple[tuple[Multiboot1Header, ...], tuple[Multiboot2Header, ...]]:
        """(Multiboot 1, Multiboot 2) headers with a zero checksum found at aligned file
        offsets past the search windows, in the file bytes of a ``PT_LOAD`` or of a
        non-allocated section (a header section declared without ``"a"``), searched
        in the file's memory map."""
        mb1: dict[int, Multiboot1Header] = {}
        mb2: dict[int, Multiboot2Header] = {}
        for start, end in self._scan_ranges():
            for h in _scan_range(self.image, start, end, multiboot1.scan):
                if h.checksum_ok and not h.in_window:
                    mb1.setdefault(h.offset, h)
            for h in _scan_range(self.image, start, end, multiboot2.scan):
                if h.checksum_ok and not h.in_window:
                    mb2.setdefault(h.offset, h)
        return tuple(mb1[k] for k in sorted(mb1)), tuple(mb2[k] for k in sorted(mb2))

    def _scan_ranges(self) -> list[tuple[int, int]]:
        """Merged file ranges worth scanning past the 8 KiB window."""
        from kernlint.elf.constants import SHT_NOBITS

        size = self.image.size
        ranges = [
            (seg.p_offset, seg.p_offset + seg.p_filesz)
            for seg in self.image.load_segments
            if seg.p_filesz
        ]
        ranges += [
            (s.sh_offset, s.sh_offset + s.sh_size)
            for s in self.image.sections
            if not s.is_alloc
            and s.sh_type not in (SHT_NOBITS, 0)
            and s.sh_size
            and not s.name.startswith(_SKIP_PREFIXES)
        ]
        merged: list[list[int]] = []
        for start, end in sorted((max(a, multiboot1.SEARCH - 11), min(b, size)) for a, b in ranges):
            if end - start < 12:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [(a, b) for a, b in merged]

    def section_at(self, offset: int) -> Section | None:
        """The section whose file bytes hold ``offset`` (not ``SHT_NOBITS``), or None:
        the output section that put a header there."""
        from kernlint.elf.constants import SHT_NOBITS

        for s in self.image.sections:
            if s.sh_type != SHT_NOBITS and s.sh_offset <= offset < s.sh_offset + s.sh_size:
                return s
        return None

    def sections_before(self, offset: int) -> list[tuple[Section, int]]:
        """The sections whose file bytes come before ``offset`` — what pushed a header
        there — as ``(section, bytes before offset)``, largest first (ties by file
        order). A section holding ``offset`` counts with its bytes before it."""
        from kernlint.elf.constants import SHT_NOBITS

        out = [
            (s, min(s.sh_size, offset - s.sh_offset))
            for s in self.image.sections
            if s.sh_type not in (SHT_NOBITS, 0) and s.sh_size and s.sh_offset < offset
        ]
        return sorted(out, key=lambda p: (-p[1], p[0].sh_offset))


@dataclass(frozen=True)
class Placement:
    """Where a header sits in the file and who put it there: the ``section`` holding
    file ``offset`` (None when no section does), ``into`` bytes into it, its virtual
    ``address`` (None for a non-allocated section), a ``symbol`` defined there, and
    ``pushers``, the sections whose file bytes come before it, largest first, as
    ``(name, bytes)``."""

    offset: int
    section: str | None
    into: int
    address: int | None
    symbol: str | None
    pushers: tuple[tuple[str, int], ...]

    def describe_pushers(self, limit: int = 3, exclude: str | None = None) -> str:
        """``.text (40960 bytes), .rodata (512 bytes)`` — the largest few (without the
        section named ``exclude``)."""
        pushers = [p for p in self.pushers if p[0] != exclude]
        parts = [f"{name} ({size} bytes)" for name, size in pushers[:limit]]
        if len(pushers) > limit:
            parts.append(f"{len(pushers) - limit} more")
        return ", ".join(parts) or "nothing but the ELF header"

    def describe(self) -> str:
        """Who put it there, for a message: ``output section .multiboot2 put it there,
        after .text (42464 bytes)``, or ``output section .text put it there, 40000
        bytes into it`` (plus what comes before that section)."""
        if self.section is None:
            return f"no section holds it; before it: {self.describe_pushers()}"
        if not self.into:
            return f"output section {self.section} put it there, after {self.describe_pushers()}"
        others = [p for p in self.pushers if p[0] != self.section]
        after = f", after {self.describe_pushers(exclude=self.section)}" if others else ""
        return f"output section {self.section} put it there, {self.into} bytes into it{after}"

    def location(self) -> Location:
        """The finding location of the header: section, address, file offset, symbol."""
        from kernlint.finding import Location

        return Location(
            section=self.section, address=self.address, offset=self.offset, symbol=self.symbol
        )

    def place_first_fix(self, default_name: str) -> str:
        """The fix for a header that the search window misses: ``KEEP()`` its input
        section first in the first output section (named after the header's own section,
        or ``default_name`` when it sits in a generic one such as ``.text``)."""
        generic = (".text", ".data", ".rodata", ".boot", None)
        name = default_name if self.section in generic else self.section
        return (
            f"place the header first: `KEEP(*({name}))` as the first statement of the first"
            f" output section (`.text : {{ KEEP(*({name})) *(.text .text.*) }}`), so it sits"
            " at the start of the loaded bytes; keep the KEEP(), or --gc-sections drops it"
            " (KL202)"
        )


def placement(headers: BootHeaders, offset: int) -> Placement:
    """The :class:`Placement` of file ``offset`` in ``headers.image``."""
    section = headers.section_at(offset)
    into = offset - section.sh_offset if section else 0
    address = section.sh_addr + into if section is not None and section.is_alloc else None
    symbol = None
    if address is not None:
        names = sorted(
            y.name
            for y in headers.image.symbols.defined_at(address)
            if y.name and not y.name.startswith(".")
        )
        symbol = names[0] if names else None
    pushers = tuple(
        (s.name or f"[{s.index}]", size)
        for s, size in headers.sections_before(offset)
        if section is None or s.index != section.index
    )
    if section is not None and into:
        pushers = (*pushers, (section.name, into))
    h = headers.image.header
    if h.e_phnum and h.e_phoff < offset and h.e_phnum * h.e_phentsize >= 512:
        pushers = (*pushers, ("the program header table", h.e_phnum * h.e_phentsize))
    pushers = tuple(sorted(pushers, key=lambda p: -p[1]))
    return Placement(offset, section.name if section else None, into, address, symbol, pushers)


def load_span(image: Image) -> tuple[int, int] | None:
    """``(lowest p_paddr, highest p_paddr + p_memsz)`` over the ``PT_LOAD`` segments, as
    GRUB 2.06 computes the image's extent for a relocatable load
    (``multiboot_elfxx.c``), or None without ``PT_LOAD``."""
    segs = image.load_segments
    if not segs:
        return None
    return min(s.p_paddr for s in segs), max(s.p_paddr + s.p_memsz for s in segs)


def read_headers(image: Image) -> BootHeaders:
    """Scan the first :data:`WINDOW` bytes of ``image``'s file for Multiboot headers.
    A magic with a bad checksum (or, for Multiboot 2, a bad architecture) inside a
    symbol, string, relocation or debug section is left out: ``.set MB1_MAGIC,
    0x1BADB002`` puts the magic in ``.symtab`` as a symbol's value, and it is no header
    anyone wrote (one that checks out is kept: GRUB would take it). Raises
    :class:`kernlint.errors.InputError` only if the file cannot be read."""
    data = image.reader.read_bytes(0, min(image.size, WINDOW))
    tables = _table_ranges(image)

    def keep(offset: int, valid: bool) -> bool:
        return valid or not any(a <= offset < b for a, b in tables)

    return BootHeaders(
        image,
        tuple(
            h
            for h in multiboot1.scan(data, limit=multiboot1.SEARCH)
            if keep(h.offset, h.checksum_ok)
        ),
        tuple(
            h for h in multiboot2.scan(data, limit=multiboot2.SEARCH) if keep(h.offset, h.matches)
        ),
    )


#: Section types that hold tables, never a header someone wrote.
_TABLE_TYPES = frozenset({2, 3, 4, 5, 9, 11, 18})  # SYMTAB STRTAB RELA HASH REL DYNSYM SHNDX


def _table_ranges(image: Image) -> list[tuple[int, int]]:
    """File ranges of the symbol, string, relocation, hash and debug sections."""
    return [
        (s.sh_offset, s.sh_offset + s.sh_size)
        for s in image.sections
        if s.sh_size
        and (s.sh_type in _TABLE_TYPES or s.name.startswith((".debug", ".zdebug")))
        and s.sh_offset < WINDOW
    ]


def _scan_range(image: Image, start: int, end: int, scan) -> list:
    """``scan`` over the magics starting in file bytes ``[start, end)``, through the
    file's memory map (nothing is copied; a header's fields and tags may run past
    ``end``)."""
    return scan(image.reader.mapping(), limit=end, start=start)
