"""Read an ELF file into the model (:mod:`kernlint.elf.model`), lazily and defensively.

Headers are pyelftools' (its ``ELFStructs`` say what every field is; kernlint does not
lay any header out itself): the ELF header and program headers are parsed by it, and
the section header table, tens of thousands of records in a kernel's objects, is
decoded in one ``struct.iter_unpack`` pass with the format of pyelftools' ``Elf_Shdr``
(~2 µs a header instead of ~12 µs for one construct parse each). Before any table is
walked, its extent is checked against the file size, so that a truncated or smashed
file gives one :class:`~kernlint.errors.InputError` naming what is wrong (rule KL001)
instead of a traceback, a huge allocation or a long loop. The symbol table is read as
fixed-size records (:mod:`kernlint.elf.symbols`), relocations as arrays
(:mod:`kernlint.elf.relocations`), both only on first use.

The file is opened read-only and never written.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from functools import lru_cache
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Any

from kernlint.elf.constants import (
    SHT_DYNSYM,
    SHT_NOBITS,
    SHT_NOTE,
    SHT_SYMTAB,
    SHT_SYMTAB_SHNDX,
    is_elf,
)
from kernlint.elf.model import ElfHeader, Image, Note, Section, Segment
from kernlint.errors import InputError

if TYPE_CHECKING:
    from kernlint.elf.symbols import SymbolTable

#: Sizes (bytes) of the ELF header, a program header and a section header, by EI_CLASS
#: (gABI "ELF Header": Elf32_Ehdr/Elf64_Ehdr, Elf32_Phdr/Elf64_Phdr, Elf32_Shdr/Elf64_Shdr).
EHDR_SIZE = {1: 52, 2: 64}
PHDR_SIZE = {1: 32, 2: 56}
SHDR_SIZE = {1: 40, 2: 64}


def _enum_int(struct: Any, field: str, value: Any) -> int:
    """pyelftools decodes enumerated fields (``e_type``, ``sh_type``, ``p_type``) to names;
    map a name back to its number through the same struct's mapping."""
    if isinstance(value, int):
        return value
    adapter = next(sc for sc in struct.subcons if sc.name == field)
    return int(adapter.encoding[value])


#: The section header fields in :class:`Section` order (after ``index`` and ``name``),
#: with ``sh_name`` first; ``_SH_OFFSET``/``_SH_SIZE`` are positions in such a row.
_SHDR_FIELDS = (
    "sh_name",
    "sh_type",
    "sh_flags",
    "sh_addr",
    "sh_offset",
    "sh_size",
    "sh_link",
    "sh_info",
    "sh_addralign",
    "sh_entsize",
)
_SH_OFFSET = _SHDR_FIELDS.index("sh_offset")
_SH_SIZE = _SHDR_FIELDS.index("sh_size")


def _record_struct(construct: Any) -> tuple[struct.Struct, list[str]] | None:
    """One ``struct.Struct`` for a pyelftools record description (``Elf_Shdr``): its
    fields' own formats, byte order and order, so that a whole table is decoded with
    ``iter_unpack`` instead of one construct parse per record (pyelftools still says
    what the record is; nothing is laid out by hand). Enumerated fields come out as
    numbers. None when a field is not a plain fixed-size number, or the sizes disagree."""
    fields = []
    formats = []
    for sub in construct.subcons:
        packer = getattr(sub, "packer", None)
        if packer is None:  # an enumeration: MappingAdapter over a FormatField
            packer = getattr(getattr(sub, "subcon", None), "packer", None)
        fmt = getattr(packer, "format", None)
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if not isinstance(fmt, str) or len(fmt) != 2 or fmt[0] not in "<>=":
            return None
        fields.append(sub.name)
        formats.append(fmt)
    if len({f[0] for f in formats}) != 1 or not set(_SHDR_FIELDS) <= set(fields):
        return None
    unpack = struct.Struct(formats[0][0] + "".join(f[1] for f in formats))
    if unpack.size != construct.sizeof():
        return None
    return unpack, fields


@lru_cache(maxsize=64)
def _structs(
    ei_class: int, little: bool, e_type: Any = None, e_machine: Any = None, osabi: Any = None
) -> Any:
    """pyelftools' ``ELFStructs`` for a class and byte order (the ELF header's), and,
    given the header's ``e_type``, ``e_machine`` and ``EI_OSABI``, the rest, exactly as
    ``ELFFile`` builds them for such a file; built once per kind of file, not per file."""
    from elftools.elf.structs import ELFStructs

    structs = ELFStructs(little_endian=little, elfclass=32 * ei_class)
    structs.create_basic_structs()
    if e_type is not None:
        structs.create_advanced_structs(e_type, e_machine, osabi)
    return structs


class ElfReader:
    """An open ELF file. ``read_image()`` returns the :class:`Image`; the image keeps the
    reader to fetch symbols, relocations and notes on demand.

    Raises :class:`InputError` (KL001) for a missing or unreadable path, a file that is
    not ELF, or one whose ELF header, program header table, section header table,
    section name string table or section contents lie past the end of the file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._stream: IO[bytes] = open(path, "rb")  # noqa: SIM115 (kept open for lazy reads)
            self.size = os.fstat(self._stream.fileno()).st_size
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        self._elf: Any = None
        self._map: bytes | mmap.mmap | None = None
        self.header: ElfHeader | None = None
        self._sections: tuple[Section, ...] = ()

    def close(self) -> None:
        """Close the underlying file (and its memory map)."""
        if isinstance(self._map, mmap.mmap):
            self._map.close()
        self._stream.close()

    def mapping(self) -> bytes | mmap.mmap:
        """The whole file as a read-only memory map (bytes for an empty file, or where
        mapping fails), made on first use: searching it copies nothing, so a scan of a
        large image touches only the pages it reads."""
        if self._map is None:
            try:
                self._map = mmap.mmap(self._stream.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                self._map = self.read_bytes(0, self.size)
        return self._map

    def read_bytes(self, offset: int, size: int) -> bytes:
        """``size`` bytes at file ``offset``; raises InputError when they run past EOF."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise InputError(
                self.path,
                f"{size} bytes at offset {offset:#x} run past the end of the file"
                f" ({self.size} bytes)",
            )
        self._stream.seek(offset)
        return self._stream.read(size)

    # -- header and tables ---------------------------------------------------------

    def read_image(self) -> Image:
        """Parse and validate the ELF header, program headers and section headers."""
        head = self.read_bytes(0, min(self.size, 64))
        if not is_elf(head):
            raise InputError(
                self.path, f"not an ELF file (starts with {head[:4].hex(' ') or 'nothing'})"
            )
        if len(head) < 6 or head[4] not in (1, 2) or head[5] not in (1, 2):
            raise InputError(self.path, "malformed ELF: EI_CLASS or EI_DATA is not 1 or 2")
        ei_class = head[4]
        if self.size < EHDR_SIZE[ei_class]:
            raise InputError(
                self.path,
                f"truncated ELF: the ELF{32 * ei_class} header needs"
                f" {EHDR_SIZE[ei_class]} bytes, the file has {self.size}",
            )
        try:
            return self._read_image(ei_class)
        except InputError:
            raise
        except Exception as exc:  # pyelftools/construct raise many types on smashed input
            raise InputError(self.path, f"malformed ELF: {_describe(exc)}") from None

    def elffile(self) -> Any:
        """pyelftools' ``ELFFile`` for this file, made on first use: program headers,
        notes and extended numbering need it; an object's section headers do not (its
        structures cost more to build than the headers take to read)."""
        if self._elf is None:
            from elftools.elf.elffile import ELFFile

            self._elf = ELFFile(self._stream)
        return self._elf

    def _read_image(self, ei_class: int) -> Image:
        from elftools.common.utils import struct_parse

        little = self.read_bytes(5, 1) == b"\x01"
        structs = _structs(ei_class, little)
        h = struct_parse(structs.Elf_Ehdr, self._stream, stream_pos=0)
        e_shoff = h["e_shoff"]
        e_type, e_machine = h["e_type"], h["e_machine"]
        if e_shoff and e_shoff + SHDR_SIZE[ei_class] > self.size:
            raise InputError(
                self.path,
                f"truncated ELF: section header table at e_shoff {e_shoff:#x}"
                f" lies past the end of the file ({self.size} bytes)",
            )
        shnum = h["e_shnum"] if e_shoff else 0
        shstrndx = h["e_shstrndx"]
        if e_shoff and (shnum == 0 or shstrndx == 0xFFFF):  # extended numbering
            shnum = self.elffile().num_sections()
            shstrndx = self.elffile().get_shstrndx() if shnum else 0
        phnum = h["e_phnum"]
        if phnum == 0xFFFF:  # PN_XNUM: the count is in section 0's sh_info
            phnum = self.elffile().num_segments()
        header = ElfHeader(
            ei_class=32 * ei_class,
            ei_data="little" if little else "big",
            e_type=_enum_int(structs.Elf_Ehdr, "e_type", e_type),
            e_machine=_enum_int(structs.Elf_Ehdr, "e_machine", e_machine),
            e_entry=h["e_entry"],
            e_phoff=h["e_phoff"],
            e_shoff=e_shoff,
            e_flags=h["e_flags"],
            e_ehsize=h["e_ehsize"],
            e_phentsize=h["e_phentsize"],
            e_phnum=phnum,
            e_shentsize=h["e_shentsize"],
            e_shnum=shnum,
            e_shstrndx=shstrndx if shnum else 0,
        )
        self.header = header
        segments = self._read_segments(header, ei_class)
        shdr = _structs(ei_class, little, e_type, e_machine, h["e_ident"]["EI_OSABI"]).Elf_Shdr
        sections = self._read_sections(header, ei_class, shdr)
        self._sections = sections
        return Image(self.path, self.size, header, sections, segments, self)

    def _check_table(self, what: str, offset: int, count: int, entsize: int, need: int) -> None:
        if count == 0:
            return
        if entsize < need:
            raise InputError(
                self.path, f"malformed ELF: {what} entry size is {entsize} bytes, expected {need}"
            )
        end = offset + count * entsize
        if end > self.size:
            raise InputError(
                self.path,
                f"truncated ELF: {what} ({count} entries at offset {offset:#x},"
                f" ending at {end:#x}) runs past the end of the file ({self.size} bytes)",
            )

    def _read_segments(self, header: ElfHeader, ei_class: int) -> tuple[Segment, ...]:
        self._check_table(
            "program header table",
            header.e_phoff,
            header.e_phnum,
            header.e_phentsize,
            PHDR_SIZE[ei_class],
        )
        if not header.e_phnum:
            return ()
        elf = self.elffile()
        out = []
        for i in range(header.e_phnum):
            p = elf._get_segment_header(i)
            seg = Segment(
                index=i,
                p_type=_enum_int(elf.structs.Elf_Phdr, "p_type", p["p_type"]),
                p_flags=p["p_flags"],
                p_offset=p["p_offset"],
                p_vaddr=p["p_vaddr"],
                p_paddr=p["p_paddr"],
                p_filesz=p["p_filesz"],
                p_memsz=p["p_memsz"],
                p_align=p["p_align"],
            )
            if seg.p_filesz and seg.p_offset + seg.p_filesz > self.size:
                raise InputError(
                    self.path,
                    f"truncated ELF: {seg.label()} (file bytes {seg.p_offset:#x}"
                    f"-{seg.p_offset + seg.p_filesz:#x}) runs past the end of the file"
                    f" ({self.size} bytes)",
                )
            out.append(seg)
        return tuple(out)

    def _read_sections(self, header: ElfHeader, ei_class: int, shdr: Any) -> tuple[Section, ...]:
        shnum = header.e_shnum
        self._check_table(
            "section header table", header.e_shoff, shnum, header.e_shentsize, SHDR_SIZE[ei_class]
        )
        if not shnum:
            return ()
        record = _record_struct(shdr)
        if record is None:  # a pyelftools whose Elf_Shdr is not plain fields: one by one
            elf = self.elffile()
            rows = [
                tuple(_enum_int(shdr, f, h[f]) if f == "sh_type" else h[f] for f in _SHDR_FIELDS)
                for h in (elf._get_section_header(i) for i in range(shnum))
            ]
        else:
            unpack, fields = record
            order = itemgetter(*(fields.index(f) for f in _SHDR_FIELDS))
            entsize = header.e_shentsize
            data = self.read_bytes(header.e_shoff, shnum * entsize)
            if entsize == unpack.size:
                rows = [order(r) for r in unpack.iter_unpack(data)]
            else:
                rows = [order(unpack.unpack_from(data, i * entsize)) for i in range(shnum)]
        names = self._section_names(header, rows)
        size = self.size
        out = []
        for i, (row, name) in enumerate(zip(rows, names, strict=True)):
            sec = Section(i, name, *row[1:])
            if i and sec.sh_type != SHT_NOBITS and sec.sh_offset + sec.sh_size > size:
                raise InputError(
                    self.path,
                    f"truncated ELF: {sec.label()} (file bytes {sec.sh_offset:#x}"
                    f"-{sec.sh_offset + sec.sh_size:#x}) runs past the end of the file"
                    f" ({self.size} bytes)",
                )
            out.append(sec)
        return tuple(out)

    def _section_names(self, header: ElfHeader, rows: list[tuple[int, ...]]) -> list[str]:
        """Names of the sections whose header fields (in ``_SHDR_FIELDS`` order) are
        ``rows``; the name string table is read once."""
        ndx = header.e_shstrndx
        if ndx == 0:  # SHN_UNDEF: the file has no section name table
            return [""] * len(rows)
        if ndx >= len(rows):
            raise InputError(
                self.path,
                f"malformed ELF: e_shstrndx {ndx} is not a section (the file has {len(rows)})",
            )
        strtab = rows[ndx]
        data = self.read_bytes(strtab[_SH_OFFSET], strtab[_SH_SIZE])
        size = len(data)
        names = []
        for i, s in enumerate(rows):
            off = s[0]
            if i == 0 and off == 0:
                names.append("")
                continue
            if off >= size:
                raise InputError(
                    self.path,
                    f"malformed ELF: section [{i}] name offset {off:#x} lies outside"
                    f" the section name string table ({size} bytes)",
                )
            end = data.find(b"\0", off)
            names.append(data[off : end if end >= 0 else size].decode("utf-8", "replace"))
        return names

    # -- lazily read facts -----------------------------------------------------------

    def symbol_table(self, symtab: Section | None = None) -> SymbolTable:
        """The symbols of section ``symtab`` (a ``.symtab`` or ``.dynsym``), by default
        the ``SHT_SYMTAB`` section's, else ``SHT_DYNSYM``'s, else an empty table. Raises
        InputError when the table or its string table is malformed."""
        from kernlint.elf.symbols import SymbolTable

        header = self.header
        if symtab is None:
            symtab = next((s for s in self._sections if s.sh_type == SHT_SYMTAB), None)
            symtab = symtab or next((s for s in self._sections if s.sh_type == SHT_DYNSYM), None)
        if symtab is None:
            return SymbolTable.empty(header.ei_class)
        if symtab.sh_link >= len(self._sections):
            raise InputError(
                self.path,
                f"malformed ELF: {symtab.label()} sh_link {symtab.sh_link} names no section",
            )
        strtab = self._sections[symtab.sh_link]
        shndx_sec = next(
            (
                s
                for s in self._sections
                if s.sh_type == SHT_SYMTAB_SHNDX and s.sh_link == symtab.index
            ),
            None,
        )
        return SymbolTable.from_bytes(
            ei_class=header.ei_class,
            little_endian=header.ei_data == "little",
            data=self.read_bytes(symtab.sh_offset, symtab.sh_size),
            strtab=self.read_bytes(strtab.sh_offset, strtab.sh_size),
            shndx=self.read_bytes(shndx_sec.sh_offset, shndx_sec.sh_size) if shndx_sec else None,
            section=symtab,
            path=self.path,
        )

    def iter_notes(self) -> Iterator[Note]:
        """Notes of every ``SHT_NOTE`` section, or of ``PT_NOTE`` segments when the file
        has no sections. Malformed notes raise InputError."""
        try:
            elf = self.elffile()
            if self._sections:
                for sec in self._sections:
                    if sec.sh_type == SHT_NOTE:
                        for n in elf.get_section(sec.index).iter_notes():
                            yield Note(n["n_name"], _note_type(n), _desc(n), section=sec.name)
            else:
                for i, seg in enumerate(elf.iter_segments()):
                    if seg["p_type"] == "PT_NOTE":
                        for n in seg.iter_notes():
                            yield Note(n["n_name"], _note_type(n), _desc(n), segment=i)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(self.path, f"malformed ELF note: {_describe(exc)}") from None


def _note_type(n: Any) -> int:
    t = n["n_type"]
    if isinstance(t, int):
        return t
    from elftools.elf import enums

    for table in (enums.ENUM_NOTE_N_TYPE, enums.ENUM_CORE_NOTE_N_TYPE):
        if t in table:
            return int(table[t])
    return -1


def _desc(n: Any) -> bytes:
    raw = n.get("n_descdata")
    return raw if isinstance(raw, bytes) else b""


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def read_image(path: str) -> Image:
    """Open ``path`` and return its :class:`Image`. Raises :class:`InputError`."""
    return ElfReader(path).read_image()
