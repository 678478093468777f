"""Relocation tables read as numpy arrays.

``Elf32_Rel``/``Elf32_Rela``/``Elf64_Rel``/``Elf64_Rela`` records (gABI "Relocation")
are fixed-size, and a debug vmlinux has 13.8 M of them: they are read with
``numpy.frombuffer`` (no per-record Python object). numpy is imported only here, and
only when a rule or the graph asks for relocations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernlint.elf.constants import SHT_RELA
from kernlint.elf.model import Image, Section
from kernlint.errors import InputError

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class RelocationTable:
    """The records of one ``SHT_REL``/``SHT_RELA`` section as parallel arrays:
    ``r_offset`` (uint64), ``r_sym`` (symbol index), ``r_type`` and ``r_addend`` (int64;
    zeros for ``SHT_REL``). ``section`` is the relocation section, ``target`` the
    section it applies to (``sh_info``; None for dynamic relocations, which apply by
    address)."""

    section: Section
    target: Section | None
    r_offset: np.ndarray
    r_sym: np.ndarray
    r_type: np.ndarray
    r_addend: np.ndarray

    def __len__(self) -> int:
        return len(self.r_offset)

    def records(self) -> Iterator[tuple[int, int, int, int]]:
        """``(r_offset, r_sym, r_type, r_addend)`` of each record, in table order, as
        Python ints."""
        return zip(
            self.r_offset.tolist(),
            self.r_sym.tolist(),
            self.r_type.tolist(),
            self.r_addend.tolist(),
            strict=True,
        )


def _dtype(ei_class: int, little: bool, rela: bool):
    import numpy as np

    e = "<" if little else ">"
    word = "u4" if ei_class == 32 else "u8"
    sword = "i4" if ei_class == 32 else "i8"
    fields = [("r_offset", e + word), ("r_info", e + word)]
    if rela:
        fields.append(("r_addend", e + sword))
    return np.dtype(fields)


def read_relocations(image: Image, section: Section) -> RelocationTable:
    """Decode ``section`` (``SHT_REL`` or ``SHT_RELA``). Raises InputError when its size
    is not a whole number of records."""
    import numpy as np

    h = image.header
    rela = section.sh_type == SHT_RELA
    dtype = _dtype(h.ei_class, h.ei_data == "little", rela)
    if section.sh_size % dtype.itemsize:
        raise InputError(
            image.path,
            f"malformed ELF: {section.label()} is {section.sh_size}"
            f" bytes, not a multiple of its {dtype.itemsize}-byte records",
        )
    data = image.reader.read_bytes(section.sh_offset, section.sh_size)
    recs = np.frombuffer(data, dtype=dtype)
    info = recs["r_info"].astype(np.uint64)
    if h.ei_class == 32:
        r_sym, r_type = info >> np.uint64(8), info & np.uint64(0xFF)
    else:
        r_sym, r_type = info >> np.uint64(32), info & np.uint64(0xFFFFFFFF)
    addend = recs["r_addend"].astype(np.int64) if rela else np.zeros(len(recs), np.int64)
    target = None
    if section.sh_info and section.sh_info < len(image.sections):
        target = image.sections[section.sh_info]
    return RelocationTable(
        section, target, recs["r_offset"].astype(np.uint64), r_sym, r_type, addend
    )


def relocation_tables(image: Image) -> list[RelocationTable]:
    """Every relocation section of ``image``, decoded."""
    return [read_relocations(image, s) for s in image.sections if s.is_relocation and s.sh_size]
