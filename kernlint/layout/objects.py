"""Read ET_REL objects into what the linker sees: input sections, symbols, relocations.

Sections ld does not treat as input sections are left out: the null section, symbol
and string tables, relocation tables (they belong to their target), ``SHT_GROUP``
(``SEC_GROUP|SEC_EXCLUDE``), ``SHF_EXCLUDE`` sections and ``.note.GNU-stack`` (ld turns
it into the ``PT_GNU_STACK`` header). Common symbols become one ``COMMON`` section per
file (ld manual "Input Section Common").
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernlint.errors import InputError
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_DATA,
    SEC_DEBUGGING,
    SEC_EXCLUDE,
    SEC_HAS_CONTENTS,
    SEC_LOAD,
    SEC_READONLY,
    SEC_THREAD_LOCAL,
    SHF_ALLOC,
    SHF_EXCLUDE,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHT_NOBITS,
    InputSection,
)

if TYPE_CHECKING:
    from kernlint.elf.model import Image

ET_REL = 1
SHN_UNDEF = 0
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_LORESERVE = 0xFF00
STB_LOCAL = 0
STT_SECTION = 3
#: NULL SYMTAB STRTAB RELA REL DYNSYM GROUP SYMTAB_SHNDX: not input sections to ld.
_SKIP_TYPES = frozenset({0, 2, 3, 4, 9, 11, 17, 18})
_DEBUG_PREFIXES = (".debug", ".zdebug", ".gnu.linkonce.wi.", ".line", ".stab")


def bfd_flags(name: str, sh_type: int, sh_flags: int) -> int:
    """BFD flags of an ELF section (bfd/elf.c ``_bfd_elf_make_section_from_shdr``)."""
    flags = 0
    if sh_type != SHT_NOBITS:
        flags |= SEC_HAS_CONTENTS
    if sh_flags & SHF_ALLOC:
        flags |= SEC_ALLOC
        if sh_type != SHT_NOBITS:
            flags |= SEC_LOAD
    if not sh_flags & SHF_WRITE:
        flags |= SEC_READONLY
    if sh_flags & SHF_EXECINSTR:
        flags |= SEC_CODE
    elif flags & SEC_LOAD:
        flags |= SEC_DATA
    if sh_flags & SHF_TLS:
        flags |= SEC_THREAD_LOCAL
    if sh_flags & SHF_EXCLUDE:
        flags |= SEC_EXCLUDE
    if not sh_flags & SHF_ALLOC and name.startswith(_DEBUG_PREFIXES):
        flags |= SEC_DEBUGGING
    return flags


@dataclass(frozen=True, slots=True)
class ObjSymbol:
    """A symbol of an object: ``shndx`` its section index (or SHN_*), ``local``."""

    name: str
    value: int
    size: int
    shndx: int
    local: bool
    st_type: int


@dataclass
class ObjectFile:
    """One input object: ``path`` as given, its sections as ld sees them, its
    symbols (index order), and the ELF ``image`` for relocations (read on demand)."""

    path: str
    index: int
    ei_class: int
    e_machine: int
    sections: list[InputSection]
    symbols: list[ObjSymbol]
    image: Image = field(repr=False)
    skipped: list[str] = field(default_factory=list)

    def by_index(self) -> dict[int, InputSection]:
        return {s.index: s for s in self.sections}

    def relocations(self):
        """``(target section index, r_offset, r_type, r_sym, r_addend)`` arrays per
        relocation table, read with numpy."""
        from kernlint.elf.relocations import relocation_tables

        return relocation_tables(self.image)


def read_object(path: str, index: int, name: str | None = None) -> ObjectFile:
    """Read one ET_REL object; ``name`` is the file name ld knows it by (as written in
    ``INPUT``; default ``path``). Raises InputError for anything else."""
    from kernlint.elf.reader import read_image

    image = read_image(path)
    path = name or path
    if image.e_type != ET_REL:
        raise InputError(
            path, f"not a relocatable object (ELF type {image.header.e_type_name}, not ET_REL)"
        )
    sections: list[InputSection] = []
    skipped: list[str] = []
    for s in image.sections:
        if s.index == 0 or s.sh_type in _SKIP_TYPES or s.name == ".note.GNU-stack":
            continue
        flags = bfd_flags(s.name, s.sh_type, s.sh_flags)
        if flags & SEC_EXCLUDE:
            skipped.append(s.name)
            continue
        sections.append(
            InputSection(
                file=path,
                index=s.index,
                name=s.name,
                sh_type=s.sh_type,
                sh_flags=s.sh_flags,
                size=s.sh_size,
                align=max(1, s.sh_addralign),
                flags=flags,
                file_index=index,
            )
        )
    table = image.symbols
    name_of = table.name_of
    # straight from the table's records (st_name, st_value, st_size, st_info, st_other,
    # st_shndx): no intermediate Symbol per entry
    symbols = [
        ObjSymbol(name_of(st_name), value, size, shndx, info >> 4 == STB_LOCAL, info & 0xF)
        for st_name, value, size, info, _other, shndx in table.records
    ]
    commons = [s for s in symbols if s.shndx == SHN_COMMON and not s.local]
    if commons:
        offset = 0
        align = 1
        for sym in commons:  # ld allocates in hash-table order; symbol order here
            a = max(1, sym.value)
            offset = -(-offset // a) * a + sym.size
            align = max(align, a)
        sections.append(
            InputSection(
                file=path,
                index=-1,
                name="COMMON",
                sh_type=SHT_NOBITS,
                sh_flags=SHF_ALLOC | SHF_WRITE,
                size=offset,
                align=align,
                flags=SEC_ALLOC,
                file_index=index,
            )
        )
    return ObjectFile(
        path,
        index,
        image.header.ei_class,
        image.header.e_machine,
        sections,
        symbols,
        image,
        skipped,
    )


def script_inputs(loaded) -> tuple[str, ...]:
    """The object files a script's ``INPUT``/``GROUP`` commands name (ld manual "File
    Commands"), looked up next to the script (ld looks in the working directory
    first; kernlint does not depend on where it runs). Libraries (``-lname``) and
    files that do not exist are left out."""
    return tuple(path for path, _ in script_input_names(loaded))


def script_input_names(loaded) -> list[tuple[str, str]]:
    """(path to read, name as written) of each object :func:`script_inputs` finds."""
    import os

    from kernlint.ldscript import ast

    folder = os.path.dirname(loaded.script.path)
    out = []
    for statement in loaded.statements():
        if isinstance(statement, ast.Input | ast.Group):
            for f in statement.files:
                if f.library:
                    continue
                path = f.name if os.path.isabs(f.name) else os.path.join(folder, f.name)
                if os.path.isfile(path):
                    out.append((path, f.name))
    return out


def read_objects(paths: list[str], names: list[str] | None = None) -> list[ObjectFile]:
    """Read ``paths`` in command-line order (``names``: the names ld knows them by)."""
    with collector_paused():
        return [read_object(p, i, names[i] if names else None) for i, p in enumerate(paths)]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (as the script parser does): reading
    and laying out a kernel's objects makes hundreds of thousands of small objects and
    no cycles worth collecting, and the collector would only rescan them, again and
    again, as they pile up (0.5 s of 1.4 s on ``bench/layout.py``'s 320 objects)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


__all__ = [
    "SEC_ALLOC",
    "SEC_CODE",
    "SEC_DATA",
    "SEC_DEBUGGING",
    "SEC_HAS_CONTENTS",
    "SEC_LOAD",
    "SEC_READONLY",
    "SEC_THREAD_LOCAL",
    "SHN_ABS",
    "SHN_COMMON",
    "SHN_LORESERVE",
    "SHN_UNDEF",
    "ObjSymbol",
    "ObjectFile",
    "read_object",
    "read_objects",
]
