"""Absolute references in the boot code of an image that a loader may move (KL406).

A Multiboot 2 header with a relocatable tag (type 10) lets GRUB load the image at
another base: GRUB copies the segments to ``base + (p_paddr - link_base)``, shifts the
entry point and patches no byte (``grub-core/loader/multiboot_elfxx.c``; the commit that
added the tag says "executable must cope with relocations itself";
research/anchors-binary.md §2.3 item 7). Every absolute address the code uses before it
has relocated itself still points at the link address. The linked image no longer
shows where those addresses are; its relocation records do:

- the **objects** it was linked from (``--objects FILE``, a config target's
  ``objects``): their ``SHT_REL``/``SHT_RELA`` sections, placed in the image by matching
  their symbols' values with the image's symbols of the same names;
- or an **``--emit-relocs``** build: the image's own non-allocated relocation sections,
  whose ``r_offset`` are image addresses.

Absolute types: ``R_386_32``, ``R_386_16``, ``R_386_8`` (i386 psABI), ``R_X86_64_64``,
``R_X86_64_32``, ``R_X86_64_32S``, ``R_X86_64_16``, ``R_X86_64_8`` (x86-64 psABI).
PC-relative and GOT-relative ones survive a move and are not reported.

Which code runs before the kernel relocates itself cannot be known without following
its control flow, so this is the documented approximation: the **boot code** is every
allocated executable section of the object that holds ``e_entry`` and is placed in
the ``PT_LOAD`` holding ``e_entry`` (with ``--emit-relocs``: every executable section in
that ``PT_LOAD``). Other objects, and sections in other segments (a higher-half kernel
reached through page tables), are assumed to run after the move is dealt with; data
words holding addresses (a GDT pointer's base) are not judged, since their use cannot be
told from the relocation alone. References inside the Multiboot 2 header itself (the
address and entry tags, which GRUB reads) are skipped.

Each reference is named with its object file, input section and offset, the
enclosing symbol (``_start+0x1d``), the source line when the object carries DWARF line
information (``as -g``), the relocation type, its target and the link-time address it
holds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from kernlint.elf.constants import (
    EM_386,
    EM_X86_64,
    ET_REL,
    SHN_LORESERVE,
    SHN_UNDEF,
    STT_FILE,
    STT_SECTION,
)
from kernlint.errors import InputError

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Section, Segment

#: Absolute relocation types: e_machine -> r_type -> (name, width in bytes).
ABSOLUTE_TYPES: dict[int, dict[int, tuple[str, int]]] = {
    EM_386: {1: ("R_386_32", 4), 20: ("R_386_16", 2), 22: ("R_386_8", 1)},
    EM_X86_64: {
        1: ("R_X86_64_64", 8),
        10: ("R_X86_64_32", 4),
        11: ("R_X86_64_32S", 4),
        12: ("R_X86_64_16", 2),
        14: ("R_X86_64_8", 1),
    },
}


@dataclass(frozen=True)
class AbsoluteRef:
    """One absolute relocation in boot code. ``origin`` is the object file (or the
    image, for ``--emit-relocs``), ``section``/``offset`` the input section and the
    offset in it (bytes) the relocation patches, ``type`` its name, ``target`` what it
    refers to (a symbol, or ``section+offset``), ``value`` the address the patched bytes
    hold in the linked image (None when it cannot be told), ``address`` where those
    bytes are in the image (virtual; None when the section could not be placed),
    ``image_section`` the output section holding them, ``symbol`` the enclosing symbol
    with its offset (``_start+0x1d``), ``line`` the source line (``boot.s:31``)."""

    origin: str
    section: str
    offset: int
    type: str
    target: str
    value: int | None = None
    address: int | None = None
    image_section: str | None = None
    symbol: str | None = None
    line: str | None = None


@dataclass
class Scan:
    """What was read: ``refs`` found, ``checked`` (``object: section`` of the boot code
    read), ``notes`` (objects skipped and why)."""

    refs: list[AbsoluteRef] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def entry_segment(image: Image) -> Segment | None:
    """The ``PT_LOAD`` whose ``[p_vaddr, p_vaddr + p_memsz)`` holds ``e_entry``."""
    return image.vaddr_index.first_containing(image.e_entry)


def static_relocation_sections(image: Image) -> list[Section]:
    """The relocation sections an ``--emit-relocs`` link keeps: ``SHT_REL``/``SHT_RELA``,
    not allocated, applying to a section (``sh_info``)."""
    return [
        s
        for s in image.sections
        if s.is_relocation and not s.is_alloc and s.sh_size and 0 < s.sh_info < len(image.sections)
    ]


def _in_segment(seg: Segment, start: int, size: int) -> bool:
    return seg.p_vaddr <= start and start + max(size, 1) <= seg.vend


def _skip(address: int | None, skip: tuple[int, int] | None) -> bool:
    return address is not None and skip is not None and skip[0] <= address < skip[1]


# -- the image's own relocations (--emit-relocs) ------------------------------------------


def from_image(image: Image, skip: tuple[int, int] | None = None) -> Scan | None:
    """Absolute references in the boot code of an ``--emit-relocs`` image, or None when
    it keeps no relocation sections. ``skip`` is an address range to ignore (the
    Multiboot 2 header)."""
    from kernlint.elf.relocations import read_relocations

    rel_sections = static_relocation_sections(image)
    if not rel_sections:
        return None
    scan = Scan()
    seg = entry_segment(image)
    types = ABSOLUTE_TYPES.get(image.header.e_machine, {})
    if seg is None or not types:
        return scan
    symbols = image.symbols
    lines = _line_finder(image)
    near = _Nearest(image)
    little = image.header.ei_data == "little"
    for rel in rel_sections:
        target = image.sections[rel.sh_info]
        if not (target.is_alloc and target.is_exec and _in_segment(seg, target.sh_addr, 0)):
            continue
        scan.checked.append(f"{image.path}: {target.name}")
        table = read_relocations(image, rel)
        for r_offset, r_sym, r_type, r_addend in table.records():
            if r_type not in types or _skip(r_offset, skip):
                continue
            name, width = types[r_type]
            value = None
            if target.sh_addr <= r_offset and r_offset + width <= target.end:
                raw = image.reader.read_bytes(target.sh_offset + r_offset - target.sh_addr, width)
                value = int.from_bytes(raw, "little" if little else "big")
            scan.refs.append(
                AbsoluteRef(
                    image.path,
                    target.name,
                    r_offset - target.sh_addr,
                    name,
                    _image_target(image, symbols, r_sym, r_addend, value),
                    value,
                    r_offset,
                    target.name,
                    near.label(target.index, r_offset),
                    lines(None, r_offset) if lines else None,
                )
            )
    return scan


def _image_target(image: Image, symbols, r_sym: int, addend: int, value: int | None) -> str:
    if 0 < r_sym < len(symbols):
        sym = symbols.symbol(r_sym)
        if sym.st_type != STT_SECTION and sym.name:
            return f"`{sym.name}`{_plus(addend)}"
    if value is not None:
        named = sorted(s.name for s in symbols.defined_at(value) if s.name)
        if named:
            return f"`{named[0]}`"
        held = image.sections_at(value)
        if held:
            return f"{held[0].name}+{value - held[0].sh_addr:#x}"
    return f"symbol #{r_sym}{_plus(addend)}"


# -- objects -------------------------------------------------------------------------------


def from_objects(image: Image, paths: tuple[str, ...], skip: tuple[int, int] | None = None) -> Scan:
    """Absolute references in the boot code found in the objects ``paths`` the image
    was linked from (see the module docstring for what counts as boot code). Objects
    that cannot be read or are not ET_REL are named in ``notes``."""
    from kernlint.elf.reader import read_image

    scan = Scan()
    seg = entry_segment(image)
    if seg is None:
        scan.notes.append(f"e_entry {image.e_entry:#x} is in no PT_LOAD")
        return scan
    by_name = _image_symbols_by_name(image)
    objects: list[tuple[str, Image, dict[int, int]]] = []
    try:
        for path in paths:
            try:
                obj = read_image(path)
            except InputError as err:
                scan.notes.append(f"{path}: {err.message}")
                continue
            if obj.e_type != ET_REL:
                scan.notes.append(f"{path}: {obj.header.e_type_name}, not a relocatable object")
                obj.reader.close()
                continue
            try:
                objects.append((path, obj, _placement(obj, by_name, image)))
            except InputError as err:
                scan.notes.append(f"{path}: {err.message}")
                obj.reader.close()
        entry = _entry_object(image, objects)
        if entry is None:
            if objects:
                scan.notes.append(
                    f"none of the {len(objects)} objects holds e_entry {image.e_entry:#x}"
                )
            return scan
        path, obj, placed = entry
        try:
            _scan_object(image, seg, path, obj, placed, by_name, skip, scan)
        except InputError as err:
            scan.notes.append(f"{path}: {err.message}")
        return scan
    finally:
        for _, obj, _ in objects:
            obj.reader.close()


def _image_symbols_by_name(image: Image) -> dict[str, list[int]]:
    """Defined, named, non-section symbols of the image: name -> values."""
    symbols = image.symbols
    out: dict[str, list[int]] = defaultdict(list)
    for st_name, value, _size, info, _other, shndx in symbols.records:
        if (
            st_name
            and SHN_UNDEF < shndx < SHN_LORESERVE
            and info & 0xF not in (STT_SECTION, STT_FILE)
        ):
            out[symbols.name_of(st_name)].append(value)
    return out


def _placement(obj: Image, by_name: dict[str, list[int]], image: Image) -> dict[int, int]:
    """Section index of ``obj`` -> its address in ``image``: the base most of its named
    symbols agree on (image value - object value), among bases that fall in an
    allocated image section."""
    votes: dict[int, Counter] = defaultdict(Counter)
    symbols = obj.symbols
    for st_name, value, _size, info, _other, shndx in symbols.records:
        if not st_name or not SHN_UNDEF < shndx < SHN_LORESERVE:
            continue
        if info & 0xF in (STT_SECTION, STT_FILE):
            continue
        for addr in by_name.get(symbols.name_of(st_name), ()):
            votes[shndx][addr - value] += 1
    placed = {}
    for shndx, counter in votes.items():
        if shndx >= len(obj.sections) or not obj.sections[shndx].is_alloc:
            continue
        for base, _ in counter.most_common():
            if image.sections_at(base):
                placed[shndx] = base
                break
    return placed


def _entry_object(image: Image, objects: list[tuple[str, Image, dict[int, int]]]):
    """The object whose placed executable section holds ``e_entry``; else the one that
    defines a global symbol at ``e_entry``."""
    entry = image.e_entry
    for item in objects:
        _, obj, placed = item
        for shndx, base in placed.items():
            sec = obj.sections[shndx]
            if sec.is_exec and base <= entry < base + sec.sh_size:
                return item
    from kernlint.elf.constants import STB_LOCAL
    from kernlint.elf.facts import entry_symbols

    names = set(entry_symbols(image))
    for item in objects:
        _, obj, _ = item
        for name in names:
            if any(
                s.st_bind != STB_LOCAL and SHN_UNDEF < s.st_shndx < SHN_LORESERVE
                for s in obj.symbols.named(name)
            ):
                return item
    return None


def _boot_sections(image: Image, seg: Segment, obj: Image, placed: dict[int, int]) -> list[Section]:
    out = []
    for sec in obj.sections:
        if not (sec.is_alloc and sec.is_exec and sec.sh_size):
            continue
        base = placed.get(sec.index)
        if base is not None:
            if _in_segment(seg, base, sec.sh_size):
                out.append(sec)
            continue
        # No symbol placed it: judge by the output section of the same name.
        same = image.section_by_name(sec.name)
        if same is not None and same.is_alloc and _in_segment(seg, same.sh_addr, same.sh_size):
            out.append(sec)
    return out


def _scan_object(
    image: Image,
    seg: Segment,
    path: str,
    obj: Image,
    placed: dict[int, int],
    by_name: dict[str, list[int]],
    skip: tuple[int, int] | None,
    scan: Scan,
) -> None:
    from kernlint.elf.relocations import read_relocations

    types = ABSOLUTE_TYPES.get(obj.header.e_machine, {})
    boot = {s.index: s for s in _boot_sections(image, seg, obj, placed)}
    if not boot:
        scan.notes.append(f"{path}: no executable section in the entry's PT_LOAD")
        return
    scan.checked.extend(f"{path}: {s.name}" for s in boot.values())
    symbols = obj.symbols
    lines = _line_finder(obj)
    near = _Nearest(obj)
    little = obj.header.ei_data == "little"
    for rel in obj.sections:
        if not (rel.is_relocation and rel.sh_info in boot and rel.sh_size):
            continue
        sec = boot[rel.sh_info]
        base = placed.get(sec.index)
        table = read_relocations(obj, rel)
        rela = rel.sh_type == 4  # SHT_RELA
        for r_offset, r_sym, r_type, r_addend in table.records():
            if r_type not in types:
                continue
            name, width = types[r_type]
            address = base + r_offset if base is not None else None
            if _skip(address, skip):
                continue
            if not rela and r_offset + width <= sec.sh_size:
                raw = obj.reader.read_bytes(sec.sh_offset + r_offset, width)
                r_addend = int.from_bytes(raw, "little" if little else "big", signed=True)
            target, value = _object_target(obj, symbols, placed, by_name, r_sym, r_addend, width)
            held = image.sections_at(address) if address is not None else []
            scan.refs.append(
                AbsoluteRef(
                    path,
                    sec.name,
                    r_offset,
                    name,
                    target,
                    value,
                    address,
                    held[0].name if held else None,
                    near.label(sec.index, r_offset),
                    lines(sec.index, r_offset) if lines else None,
                )
            )


def _object_target(obj: Image, symbols, placed, by_name, r_sym: int, addend: int, width: int):
    """(how to name the target, the address it resolves to in the image or None)."""
    if not 0 < r_sym < len(symbols):
        return f"symbol #{r_sym}", None
    sym = symbols.symbol(r_sym)
    mask = (1 << (8 * width)) - 1
    value = None
    if SHN_UNDEF < sym.st_shndx < SHN_LORESERVE:
        base = placed.get(sym.st_shndx)
        if base is not None:
            value = (base + sym.st_value + addend) & mask
    elif sym.name and len(by_name.get(sym.name, ())) == 1:
        value = (by_name[sym.name][0] + addend) & mask
    if sym.st_type == STT_SECTION and sym.st_shndx < len(obj.sections):
        sec = obj.sections[sym.st_shndx]
        named = [
            s.name
            for s in symbols
            if s.st_shndx == sec.index
            and s.st_value == addend
            and s.name
            and s.st_type not in (STT_SECTION, STT_FILE)
        ]
        return (f"`{named[0]}`" if named else f"{sec.name}{_plus(addend)}"), value
    return f"`{sym.name or f'#{r_sym}'}`{_plus(addend)}", value


def _plus(addend: int) -> str:
    if not addend:
        return ""
    return f"+{addend:#x}" if addend > 0 else f"-{-addend:#x}"


class _Nearest:
    """``symbol+offset`` for an address in a section, from the named non-section
    symbols defined in it (values are offsets in an ET_REL, addresses otherwise)."""

    def __init__(self, elf: Image) -> None:
        self._elf = elf
        self._by_section: dict[int, tuple[list[int], list[str]]] | None = None

    def label(self, shndx: int, value: int) -> str | None:
        if self._by_section is None:
            groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
            symbols = self._elf.symbols
            for st_name, val, _size, info, _other, sec in symbols.records:
                if (
                    st_name
                    and SHN_UNDEF < sec < SHN_LORESERVE
                    and info & 0xF
                    not in (
                        STT_SECTION,
                        STT_FILE,
                    )
                ):
                    name = symbols.name_of(st_name)
                    if name and not name.startswith(".L"):
                        groups[sec].append((val, name))
            self._by_section = {}
            for sec, items in groups.items():
                items.sort()
                self._by_section[sec] = ([v for v, _ in items], [n for _, n in items])
        values, names = self._by_section.get(shndx, ([], []))
        k = bisect_right(values, value) - 1
        if k < 0:
            return None
        delta = value - values[k]
        return names[k] + (f"+{delta:#x}" if delta else "")


# -- DWARF line information ----------------------------------------------------------------


def _line_finder(elf: Image) -> Callable[[int | None, int], str | None] | None:
    """A lookup ``(section index, offset) -> "file:line"`` for an ET_REL (whose line
    program addresses are section offsets: each sequence is tied to its section through
    the relocations of ``.debug_line``), or ``(None, address) -> "file:line"`` for a
    linked image; None when the file has no usable line information. Never raises."""
    if elf.section_by_name(".debug_line") is None:
        return None
    try:
        sequences = _line_sequences(elf.path)
    except Exception:  # pyelftools on odd DWARF: lines are a bonus, not a requirement
        return None
    if not sequences:
        return None
    if elf.e_type == ET_REL:
        owners = _sequence_sections(elf, len(sequences))
        if owners is None:
            return None
    else:
        owners = [None] * len(sequences)
    table: dict[int | None, list[list[tuple[int, str, int, bool]]]] = defaultdict(list)
    for owner, rows in zip(owners, sequences, strict=True):
        table[owner].append(rows)

    def lookup(section: int | None, offset: int) -> str | None:
        for rows in table.get(section, ()):
            for (address, name, line, end), nxt in pairwise(rows):
                if not end and address <= offset < nxt[0]:
                    return f"{name}:{line}"
        return None

    return lookup


def _line_sequences(path: str) -> list[list[tuple[int, str, int, bool]]]:
    """Every line-program sequence of ``path``: rows of (address, file, line,
    end_sequence), in order."""
    from elftools.elf.elffile import ELFFile

    sequences = []
    with open(path, "rb") as stream:
        elf = ELFFile(stream)
        if not elf.has_dwarf_info():
            return []
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            program = dwarf.line_program_for_CU(cu)
            if program is None:
                continue
            version = program["version"]
            files = [
                e.name.decode("utf-8", "replace") if isinstance(e.name, bytes) else str(e.name)
                for e in program["file_entry"]
            ]
            rows: list[tuple[int, str, int, bool]] = []
            for entry in program.get_entries():
                state = entry.state
                if state is None:
                    continue
                index = state.file if version >= 5 else state.file - 1
                name = files[index] if 0 <= index < len(files) else "?"
                rows.append((state.address, name, state.line, bool(state.end_sequence)))
                if state.end_sequence:
                    sequences.append(rows)
                    rows = []
    return sequences


def _sequence_sections(obj: Image, count: int) -> list[int] | None:
    """The section index of each of the ``count`` line-program sequences of an ET_REL:
    the relocations of ``.debug_line`` against allocated sections are, in file order,
    those of each sequence's ``DW_LNE_set_address``. None when they do not line up."""
    from kernlint.elf.relocations import read_relocations

    rel = next(
        (
            s
            for s in obj.sections
            if s.is_relocation
            and 0 < s.sh_info < len(obj.sections)
            and obj.sections[s.sh_info].name == ".debug_line"
        ),
        None,
    )
    execs = [s.index for s in obj.sections if s.is_alloc and s.is_exec and s.sh_size]
    if rel is None:
        return [execs[0]] * count if len(execs) == 1 else None
    table = read_relocations(obj, rel)
    symbols = obj.symbols
    owners = []
    for _r_offset, r_sym in sorted(zip(table.r_offset.tolist(), table.r_sym.tolist(), strict=True)):
        if not 0 < r_sym < len(symbols):
            continue
        shndx = symbols.records[r_sym][5]
        if SHN_UNDEF < shndx < len(obj.sections) and obj.sections[shndx].is_alloc:
            owners.append(shndx)
    if len(owners) == count:
        return owners
    return [execs[0]] * count if len(execs) == 1 else None


def header_range(image: Image, file_offset: int, length: int) -> tuple[int, int] | None:
    """The virtual address range of ``length`` bytes at ``file_offset`` (the Multiboot 2
    header), through the ``PT_LOAD`` whose file bytes hold them; None if none does."""
    for seg in image.load_segments:
        if seg.p_offset <= file_offset < seg.p_offset + seg.p_filesz:
            start = seg.p_vaddr + file_offset - seg.p_offset
            return start, start + max(length, 0)
    return None


__all__ = [
    "ABSOLUTE_TYPES",
    "AbsoluteRef",
    "Scan",
    "entry_segment",
    "from_image",
    "from_objects",
    "header_range",
    "static_relocation_sections",
]
