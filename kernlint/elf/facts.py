"""Facts about an :class:`~kernlint.elf.model.Image` that several rules share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernlint.elf.constants import ET_DYN, ET_EXEC

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Section, Segment


def is_executable_file(image: Image) -> bool:
    """ET_EXEC or ET_DYN: a file with an entry point and program headers that a loader
    maps (gABI "ELF Header", ``e_type``)."""
    return image.e_type in (ET_EXEC, ET_DYN)


def entry_symbols(image: Image) -> list[str]:
    """Names of symbols defined at ``e_entry`` (the ``ENTRY()`` symbol among them),
    sorted, without duplicates."""
    if not is_executable_file(image):
        return []
    return sorted({s.name for s in image.symbols.defined_at(image.e_entry)})


def function_names(image: Image, section: Section, limit: int = 3) -> list[str]:
    """Up to ``limit`` names of ``STT_FUNC`` symbols defined in ``section``."""
    indexes = image.symbols.functions_by_section.get(section.index, [])
    return [image.symbols.symbol(i).name for i in indexes[:limit]]


def sections_in(image: Image, seg: Segment) -> list[str]:
    """Names of the allocated, non-empty sections whose address lies in ``seg``'s
    virtual range ``[p_vaddr, p_vaddr + p_memsz)``, in section header order (gABI
    "Program Header": the sections a segment holds)."""
    return [
        s.name
        for s in image.sections
        if s.is_alloc and s.sh_size and seg.p_vaddr <= s.sh_addr < seg.vend
    ]


def quoted(names: list[str]) -> str:
    """```a`, `b``` for messages."""
    return ", ".join(f"`{n}`" for n in names)
