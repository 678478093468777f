"""The symbol table, read as fixed-size records.

A symbol table is an array of ``Elf32_Sym`` (16 bytes) or ``Elf64_Sym`` (24 bytes)
records (gABI "Symbol Table"). pyelftools builds one Python object per symbol, which
costs seconds on a vmlinux's 130 k symbols; reading the array with
``struct.iter_unpack`` costs tens of milliseconds. Names are decoded only for the
symbols a rule asks about.
"""

from __future__ import annotations

import re
import struct
from collections import defaultdict
from collections.abc import Iterator
from functools import cached_property

from kernlint.elf.constants import SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, STT_FUNC
from kernlint.elf.model import Section, Symbol
from kernlint.errors import InputError

#: struct formats of one symbol record without the byte-order prefix, and the order
#: in which they yield (st_name, st_value, st_size, st_info, st_other, st_shndx).
_FORMATS = {32: ("IIIBBH", (0, 1, 2, 3, 4, 5)), 64: ("IBBHQQ", (0, 4, 5, 1, 2, 3))}


class SymbolTable:
    """Symbols of one ``SHT_SYMTAB``/``SHT_DYNSYM`` section.

    ``records`` holds ``(st_name, st_value, st_size, st_info, st_other, st_shndx)`` tuples
    with ``st_shndx`` resolved through ``SHT_SYMTAB_SHNDX``. Index 0 is the null symbol.
    """

    def __init__(
        self,
        records: list[tuple[int, int, int, int, int, int]],
        strtab: bytes,
        section: Section | None,
    ) -> None:
        self.records = records
        self._strtab = strtab
        self.section = section

    @classmethod
    def empty(cls, ei_class: int) -> SymbolTable:
        """A table with no symbols (the file has no symbol table)."""
        return cls([], b"", None)

    @classmethod
    def from_bytes(
        cls,
        *,
        ei_class: int,
        little_endian: bool,
        data: bytes,
        strtab: bytes,
        shndx: bytes | None,
        section: Section,
        path: str,
    ) -> SymbolTable:
        """Decode ``data`` (the symbol section's bytes). Raises InputError when the
        section's size is not a whole number of records."""
        fmt, order = _FORMATS[ei_class]
        prefix = "<" if little_endian else ">"
        entsize = struct.calcsize(prefix + fmt)
        if section.sh_entsize not in (0, entsize) or len(data) % entsize:
            raise InputError(
                path,
                f"malformed ELF: {section.label()} has sh_entsize {section.sh_entsize}"
                f" and {len(data)} bytes; symbols are {entsize} bytes each",
            )
        unpacked = struct.iter_unpack(prefix + fmt, data)
        if order == (0, 1, 2, 3, 4, 5):
            records = list(unpacked)
        else:
            records = [(r[0], r[4], r[5], r[1], r[2], r[3]) for r in unpacked]
        if shndx is not None:
            extended = struct.unpack(f"{prefix}{len(shndx) // 4}I", shndx[: len(shndx) // 4 * 4])
            records = [
                (*r[:5], extended[i]) if r[5] == SHN_XINDEX and i < len(extended) else r
                for i, r in enumerate(records)
            ]
        return cls(records, strtab, section)

    def __len__(self) -> int:
        return len(self.records)

    def name_of(self, st_name: int) -> str:
        """The string at ``st_name`` in the linked string table ('' when out of range)."""
        if st_name >= len(self._strtab):
            return ""
        end = self._strtab.find(b"\0", st_name)
        return self._strtab[st_name : end if end >= 0 else None].decode("utf-8", "replace")

    def symbol(self, index: int) -> Symbol:
        """The symbol at ``index`` as a :class:`Symbol`."""
        st_name, value, size, info, other, shndx = self.records[index]
        return Symbol(
            index, self.name_of(st_name), value, size, info & 0xF, info >> 4, other, shndx
        )

    def __iter__(self) -> Iterator[Symbol]:
        return (self.symbol(i) for i in range(len(self.records)))

    @cached_property
    def functions_by_section(self) -> dict[int, list[int]]:
        """Indexes of ``STT_FUNC`` symbols defined in a section, keyed by ``st_shndx``
        (undefined, absolute and common symbols left out)."""
        out: dict[int, list[int]] = defaultdict(list)
        for i, r in enumerate(self.records):
            if r[3] & 0xF == STT_FUNC and SHN_UNDEF < r[5] < SHN_LORESERVE:
                out[r[5]].append(i)
        return dict(out)

    def defined_at(self, address: int) -> list[Symbol]:
        """Named symbols defined in a section whose ``st_value`` equals ``address``."""
        return [
            self.symbol(i)
            for i, r in enumerate(self.records)
            if r[1] == address and r[0] and SHN_UNDEF < r[5] < SHN_LORESERVE
        ]

    def search_names(self, pattern: re.Pattern[bytes]) -> bool:
        """Does ``pattern`` match in the symbol string table (one regex search over the
        table's bytes: no name is decoded)?"""
        return pattern.search(self._strtab) is not None

    def named(self, name: str) -> list[Symbol]:
        """Every symbol called ``name`` (a static table may hold several locals). Finds
        the name's offsets in the string table first (suffix sharing included), so that
        no other name is decoded."""
        needle = name.encode() + b"\0"
        offsets = set()
        pos = self._strtab.find(needle)
        while pos >= 0:
            offsets.add(pos)
            pos = self._strtab.find(needle, pos + 1)
        return [self.symbol(i) for i, r in enumerate(self.records) if r[0] in offsets]
