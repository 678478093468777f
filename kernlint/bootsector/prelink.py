"""A BIOS boot sector as a linker script will lay it out, before anything is linked.

From the layout GNU ld 2.40 would give a script's objects (:mod:`kernlint.layout`),
:func:`planned_boot_sector` puts together the sector the link would produce: the
allocated output sections with contents, by address, their bytes taken from the
objects' input sections (as assembled: relocations not applied) and from output
sections made only of data statements with constant values (``SHORT(0xaa55)``,
``QUAD(0)``; little-endian, as on x86), the signature last so that it wins where it
overlaps code. The layout of the sector is decided by the same logic as for a linked
ELF (:func:`kernlint.bootsector.elf.choose_layout`), and where the code ends by
:func:`kernlint.bootsector.elf.code_extent`, uncapped: code that runs past the
sector is the overflow to report.

The script lays out a boot sector when its lowest allocated output section with
contents is at 0x7C00 (or at 0 and its first bytes load segment 0x07C0), and the
sector carries the ``55 AA`` signature at offset 510 or a section named like a
partition table, disk signature or signature word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernlint.bootsector import BootSector
from kernlint.bootsector.elf import (
    DISK_SIGNATURE_NAME,
    PARTITION_NAME,
    SETUP_WINDOW,
    SectorPart,
    choose_layout,
    code_extent,
    is_reserved_name,
    segment_setup,
)
from kernlint.bootsector.layout import (
    LOAD_ADDRESS,
    SECTOR_SIZE,
    SIGNATURE,
    SIGNATURE_OFFSET,
)

if TYPE_CHECKING:
    from kernlint.layout.model import InputSection, Layout, OutputSection
    from kernlint.ldscript import LoadedScript, ast

SHT_NOBITS = 8


@dataclass(frozen=True)
class InputPart:
    """An input section in the sector: ``section`` (its ``file`` and ``name`` say
    which), ``offset`` its sector offset, ``size`` in bytes, ``output`` the name of
    the output section that holds it."""

    section: InputSection
    offset: int
    size: int
    output: str

    def __str__(self) -> str:
        return f"{self.section.label()} ({self.size} bytes at {self.offset:#x})"


@dataclass(frozen=True)
class PlannedSector:
    """The boot sector a predicted layout makes: ``sector`` (``path`` the script,
    ``data`` the predicted bytes, ``origin`` the address of offset 0, ``layout`` the
    sector layout and how it was decided), ``end`` the sector offset where its boot
    code and data end (uncapped: may exceed 512), ``held`` the output sections that
    hold them, and ``inputs`` their input sections with contents, largest first."""

    sector: BootSector
    end: int
    held: tuple[OutputSection, ...]
    inputs: tuple[InputPart, ...]

    @property
    def overflow(self) -> int:
        """Bytes past the layout's budget (0 when the code fits)."""
        return max(0, self.end - self.sector.layout.code_end)

    def crossing(self) -> OutputSection:
        """The output section that holds the first byte past the budget (else the last
        one holding code)."""
        boundary = (self.sector.origin or 0) + self.sector.layout.code_end
        return next((s for s in self.held if s.vma <= boundary < s.end), self.held[-1])


def _content_sections(result: Layout) -> list[OutputSection]:
    return sorted(
        (s for s in result.sections if s.is_alloc and s.size and s.sh_type != SHT_NOBITS),
        key=lambda s: s.vma,
    )


def _input_bytes(result: Layout, section: InputSection, limit: int) -> bytes:
    """The first ``limit`` bytes of an input section as the object holds them."""
    if section.sh_type == SHT_NOBITS or section.index < 0 or not result.objects:
        return b""
    obj = next((o for o in result.objects if o.index == section.file_index), None)
    if obj is None:
        return b""
    header = next((s for s in obj.image.sections if s.index == section.index), None)
    if header is None:
        return b""
    return obj.image.reader.read_bytes(header.sh_offset, min(section.size, limit))


def _data_bytes(loaded: LoadedScript, node: ast.OutputSection) -> bytes | None:
    """The bytes of an output section made only of constant data statements, else
    None."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import constant

    out = bytearray()
    for stmt in loaded.statements(node.statements):
        if not isinstance(stmt, ast.Data):
            return None
        value = constant(stmt.value)
        if value is None:
            return None
        out += (value & ((1 << (8 * stmt.width)) - 1)).to_bytes(stmt.width, "little")
    return bytes(out) or None


def planned_boot_sector(
    result: Layout, loaded: LoadedScript, path: str, configured: str | None = None
) -> PlannedSector | None:
    """The boot sector ``result`` (the layout of ``loaded``, the script at ``path``)
    makes, or None when the script does not lay out a boot sector (see the module
    docstring). ``configured`` is the sector layout to use (``boot-sector-layout``),
    else it is inferred as for a linked ELF. Reads the objects' section bytes (the
    first 512 of each input section at most)."""
    from kernlint.ldscript import ast

    sections = _content_sections(result)
    if not sections:
        return None
    first = sections[0]
    base = first.vma
    if base != LOAD_ADDRESS:
        head = b""
        if base == 0 and first.inputs and first.inputs[0].offset == 0:
            head = _input_bytes(result, first.inputs[0].section, SETUP_WINDOW)
        if not segment_setup(head):
            return None
    nodes: dict[str, ast.OutputSection] = {}
    for node in loaded.walk():
        if isinstance(node, ast.OutputSection):
            nodes.setdefault(node.name, node)
    code = bytearray(SECTOR_SIZE)
    data_statements: list[tuple[int, bytes]] = []
    own_signature: set[str] = set()
    for out in sections:
        start = out.vma - base
        if not -out.size < start < SECTOR_SIZE:
            continue
        mine = bytearray(SECTOR_SIZE)
        for placed in out.inputs:
            at = start + placed.offset
            if not 0 <= at < SECTOR_SIZE:
                continue
            raw = _input_bytes(result, placed.section, SECTOR_SIZE - at)
            code[at : at + len(raw)] = raw
            mine[at : at + len(raw)] = raw
        if mine[SIGNATURE_OFFSET:] == SIGNATURE:
            own_signature.add(out.name)
        node = nodes.get(out.name)
        raw = _data_bytes(loaded, node) if node is not None and not out.inputs else None
        if raw is not None and start >= 0:
            data_statements.append((start, raw[: SECTOR_SIZE - start]))
    data = bytearray(code)
    for start, raw in data_statements:
        data[start : start + len(raw)] = raw
    data = bytes(data)
    in_sector = [s for s in sections if 0 <= s.vma - base < SECTOR_SIZE]
    if data[SIGNATURE_OFFSET:] != SIGNATURE and not any(
        is_reserved_name(s.name) for s in in_sector
    ):
        return None
    symbols, fixed = _named_symbols(result, loaded, nodes)
    layout, how = choose_layout([s.name for s in in_sector], symbols, data, configured)
    parts = [
        SectorPart(
            s,
            s.name,
            s.vma - base,
            s.end - base,
            tuple(v - base for v in fixed.get(s.name, ())),
            s.name in own_signature,
        )
        for s in in_sector
    ]
    end, held = code_extent(parts, layout.code_end, limit=None)
    if not held:
        return None
    origin_from = f"lowest output section {first.name} is at {base:#x}"
    sector = BootSector(
        path,
        data,
        SECTOR_SIZE,
        layout,
        how,
        origin=base,
        origin_from=origin_from,
        origin_ok=True,
    )
    inputs = sorted(
        (
            InputPart(p.section, s.vma - base + p.offset, p.section.size, s.name)
            for s in held
            for p in s.inputs
            if p.section.size and p.section.sh_type != SHT_NOBITS
        ),
        key=lambda i: (-i.size, i.offset, i.section.label()),
    )
    return PlannedSector(sector, end, tuple(held), tuple(inputs))


def _named_symbols(
    result: Layout, loaded: LoadedScript, nodes: dict[str, ast.OutputSection]
) -> tuple[list[tuple[str, int]], dict[str, list[int]]]:
    """The partition-table and disk-signature symbols, ``(name, address)`` — those
    the script assigns and those the objects define in sections that are laid out —
    and, by output section name, the addresses of those defined inside one."""
    from kernlint.ldscript import ast

    def wanted(name: str) -> bool:
        return bool(PARTITION_NAME.match(name) or DISK_SIGNATURE_NAME.match(name))

    symbols: list[tuple[str, int]] = []
    fixed: dict[str, list[int]] = {}
    inside = {
        stmt.target: name
        for name, node in nodes.items()
        for stmt in loaded.statements(node.statements)
        if isinstance(stmt, ast.Assignment)
    }
    for name, value in result.symbols.items():
        if wanted(name):
            symbols.append((name, value))
            if name in inside:
                fixed.setdefault(inside[name], []).append(value)
    for obj in result.objects:
        by_index = None
        for sym in obj.symbols:
            if not sym.name or not wanted(sym.name) or sym.shndx <= 0 or sym.shndx >= 0xFF00:
                continue
            by_index = by_index or obj.by_index()
            section = by_index.get(sym.shndx)
            address = None if section is None else result.address_of(section)
            if address is None:
                continue
            symbols.append((sym.name, address + sym.value))
            where = result.placement.get(section.key)
            if where is not None:
                fixed.setdefault(where[0], []).append(address + sym.value)
    return symbols, fixed
