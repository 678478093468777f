"""The ELF model: frozen dataclasses with the gABI's field names.

Headers, sections and segments are read eagerly (they are small: tens to tens of
thousands of entries). Symbols, relocations and notes can be large (130 k symbols and
13.8 M relocations in a debug vmlinux) and are read only when asked for, through the
``Image``'s reader; see :mod:`kernlint.elf.reader`.

All addresses, offsets and sizes are in bytes. Field meanings are those of the gABI
("Object Files": ELF Header, Sections, Program Header, Symbol Table, Relocation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from kernlint.addrindex import AddressIndex
from kernlint.elf.constants import (
    E_TYPE_NAMES,
    PF_R,
    PF_W,
    PF_X,
    PT_LOAD,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHT_NOBITS,
    SHT_REL,
    SHT_RELA,
    p_flags_text,
    p_type_name,
)

if TYPE_CHECKING:
    from kernlint.elf.reader import ElfReader
    from kernlint.elf.symbols import SymbolTable


@dataclass(frozen=True)
class ElfHeader:
    """The ELF header (gABI "ELF Header"). ``ei_class`` is 32 or 64; ``ei_data`` is
    ``"little"`` or ``"big"``."""

    ei_class: int
    ei_data: str
    e_type: int
    e_machine: int
    e_entry: int
    e_phoff: int
    e_shoff: int
    e_flags: int
    e_ehsize: int
    e_phentsize: int
    e_phnum: int
    e_shentsize: int
    e_shnum: int
    e_shstrndx: int

    @property
    def e_type_name(self) -> str:
        """``ET_EXEC``, ``ET_DYN``, ``ET_REL``, ... or the number in hex."""
        return E_TYPE_NAMES.get(self.e_type, f"{self.e_type:#x}")


@dataclass(frozen=True)
class Section:
    """One section header (gABI "Sections"), with its index and resolved name."""

    index: int
    name: str
    sh_type: int
    sh_flags: int
    sh_addr: int
    sh_offset: int
    sh_size: int
    sh_link: int
    sh_info: int
    sh_addralign: int
    sh_entsize: int

    @property
    def is_alloc(self) -> bool:
        """``SHF_ALLOC`` is set: the section occupies memory at run time."""
        return bool(self.sh_flags & SHF_ALLOC)

    @property
    def is_exec(self) -> bool:
        """``SHF_EXECINSTR`` is set."""
        return bool(self.sh_flags & SHF_EXECINSTR)

    @property
    def is_write(self) -> bool:
        """``SHF_WRITE`` is set."""
        return bool(self.sh_flags & SHF_WRITE)

    @property
    def is_tbss(self) -> bool:
        """A ``SHF_TLS`` ``SHT_NOBITS`` section: it has an address but takes no space in
        the address space outside ``PT_TLS`` (gABI "Thread-Local Storage")."""
        return bool(self.sh_flags & SHF_TLS) and self.sh_type == SHT_NOBITS

    @property
    def is_relocation(self) -> bool:
        """``SHT_REL`` or ``SHT_RELA``."""
        return self.sh_type in (SHT_REL, SHT_RELA)

    @property
    def end(self) -> int:
        """First address past the section: ``sh_addr + sh_size``."""
        return self.sh_addr + self.sh_size

    def label(self) -> str:
        """``section .text`` with the name, or the index when the name is empty."""
        return f"section {self.name}" if self.name else f"section [{self.index}]"


@dataclass(frozen=True)
class Segment:
    """One program header (gABI "Program Header"), with its index in the table."""

    index: int
    p_type: int
    p_flags: int
    p_offset: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int
    p_align: int

    @property
    def is_load(self) -> bool:
        """``p_type == PT_LOAD``."""
        return self.p_type == PT_LOAD

    @property
    def is_exec(self) -> bool:
        """``PF_X`` is set."""
        return bool(self.p_flags & PF_X)

    @property
    def is_rwx(self) -> bool:
        """``PF_R``, ``PF_W`` and ``PF_X`` are all set."""
        return self.p_flags & (PF_R | PF_W | PF_X) == (PF_R | PF_W | PF_X)

    @property
    def vend(self) -> int:
        """First virtual address past the segment: ``p_vaddr + p_memsz``."""
        return self.p_vaddr + self.p_memsz

    @property
    def pend(self) -> int:
        """First physical address past the segment: ``p_paddr + p_memsz``."""
        return self.p_paddr + self.p_memsz

    def label(self) -> str:
        """``segment 1 (PT_LOAD)``: the index as ``readelf -l`` numbers it, and the type."""
        return f"segment {self.index} ({p_type_name(self.p_type)})"


@dataclass(frozen=True)
class Symbol:
    """One symbol table entry (gABI "Symbol Table"); ``st_type``/``st_bind`` are the
    halves of ``st_info``; ``st_shndx`` is already resolved through
    ``SHT_SYMTAB_SHNDX`` where the entry holds ``SHN_XINDEX``."""

    index: int
    name: str
    st_value: int
    st_size: int
    st_type: int
    st_bind: int
    st_other: int
    st_shndx: int


@dataclass(frozen=True)
class Note:
    """One ELF note (gABI "Note Section"): owner ``name``, ``n_type``, ``desc`` bytes,
    and where it was found (``section`` name or ``segment`` index)."""

    name: str
    n_type: int
    desc: bytes
    section: str | None = None
    segment: int | None = None


@dataclass(frozen=True)
class Image:
    """An ELF file: its header, section headers and program headers.

    Symbols, relocations and notes are read on first use through ``reader`` and cached,
    so that a run pays only for what its selected rules need. ``path`` is the file as
    given on the command line; ``size`` is its length in bytes.
    """

    path: str
    size: int
    header: ElfHeader
    sections: tuple[Section, ...]
    segments: tuple[Segment, ...]
    reader: ElfReader = field(repr=False, compare=False)

    @property
    def e_entry(self) -> int:
        """The entry point address, ``e_entry`` of the ELF header."""
        return self.header.e_entry

    @property
    def e_type(self) -> int:
        """``e_type`` of the ELF header."""
        return self.header.e_type

    @cached_property
    def load_segments(self) -> tuple[Segment, ...]:
        """The ``PT_LOAD`` program headers, in table order."""
        return tuple(s for s in self.segments if s.is_load)

    @cached_property
    def section_index(self) -> AddressIndex[Section]:
        """Allocated sections of non-zero size by ``[sh_addr, sh_addr + sh_size)``
        (``.tbss`` excluded: it overlaps what follows it by design)."""
        return AddressIndex(
            (s.sh_addr, s.end, s)
            for s in self.sections
            if s.is_alloc and s.sh_size and not s.is_tbss
        )

    @cached_property
    def vaddr_index(self) -> AddressIndex[Segment]:
        """``PT_LOAD`` segments by virtual range ``[p_vaddr, p_vaddr + p_memsz)``."""
        return AddressIndex((s.p_vaddr, s.vend, s) for s in self.load_segments if s.p_memsz)

    @cached_property
    def paddr_index(self) -> AddressIndex[Segment]:
        """``PT_LOAD`` segments by physical range ``[p_paddr, p_paddr + p_memsz)``."""
        return AddressIndex((s.p_paddr, s.pend, s) for s in self.load_segments if s.p_memsz)

    @cached_property
    def symbols(self) -> SymbolTable:
        """The static symbol table (``.symtab``; ``.dynsym`` when stripped), read on first
        use. Empty when the file has neither."""
        return self.reader.symbol_table()

    def notes(self) -> Iterator[Note]:
        """Every note in ``SHT_NOTE`` sections, or in ``PT_NOTE`` segments when the file
        has no section headers."""
        return self.reader.iter_notes()

    def section_by_name(self, name: str) -> Section | None:
        """The first section called ``name``, or None."""
        return next((s for s in self.sections if s.name == name), None)

    def sections_at(self, address: int) -> list[Section]:
        """Allocated sections whose address range holds ``address``."""
        return self.section_index.containing(address)

    def segment_label(self, segment: Segment) -> str:
        """``segment 1 (PT_LOAD 0x100000-0x101000 R E)``, for messages."""
        return (
            f"{segment.label()[:-1]} {segment.p_vaddr:#x}-{segment.vend:#x}"
            f" {p_flags_text(segment.p_flags)})"
        )
