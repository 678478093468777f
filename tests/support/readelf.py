"""An independent oracle for ELF facts: GNU ``readelf`` output, parsed.

kernlint reads ELF with pyelftools and its own array readers; these tests must
not check it against the same code, so this module runs binutils' ``readelf -hlSW``
(``LC_ALL=C``) in a subprocess and parses the text into plain dataclasses. It is
deliberately strict: any line in the program-header or section tables that does
not parse, or a count that disagrees with the ELF header, raises
:class:`ReadelfParseError` rather than silently dropping an entry (a dropped
``PT_LOAD`` would weaken every assertion built on it).

Formats handled (binutils 2.40, ``-W``): ELF32 and ELF64 program headers
(``Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align``; ``Flg`` is three
fixed columns ``R``/``W``/``E`` or blanks) and section headers
(``[Nr] Name Type Addr Off Size ES Flg Lk Inf Al``, flags possibly empty, names
possibly longer than the 17-column field).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ElfHeader",
    "ProgramHeader",
    "ReadelfError",
    "ReadelfInfo",
    "ReadelfParseError",
    "ReadelfUnavailable",
    "SectionHeader",
    "parse",
    "readelf",
]


class ReadelfError(Exception):
    """readelf ran but failed on the file."""


class ReadelfUnavailable(ReadelfError):
    """No readelf binary on this system."""


class ReadelfParseError(ReadelfError):
    """readelf printed something this parser does not understand."""


@dataclass(frozen=True)
class ElfHeader:
    elf_class: str  # "ELF32" | "ELF64"
    data: str  # "2's complement, little endian", ...
    type: str  # "EXEC" | "DYN" | "REL" | "CORE" | ...
    machine: str  # "Intel 80386", "Advanced Micro Devices X86-64", ...
    entry: int
    phoff: int
    shoff: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int


@dataclass(frozen=True)
class ProgramHeader:
    index: int  # position in the program header table
    type: str  # "LOAD", "NOTE", "GNU_STACK", "LOOS+0x..." ...
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    flags: str  # compact: "RWE", "RE", "RW", "R", "" (readelf's "Flg" without blanks)
    align: int
    sections: tuple[str, ...] = ()  # from "Section to Segment mapping"

    @property
    def is_load(self) -> bool:
        return self.type == "LOAD"

    @property
    def readable(self) -> bool:
        return "R" in self.flags

    @property
    def writable(self) -> bool:
        return "W" in self.flags

    @property
    def executable(self) -> bool:
        return "E" in self.flags

    @property
    def is_rwx(self) -> bool:
        return self.flags == "RWE"


@dataclass(frozen=True)
class SectionHeader:
    index: int
    name: str
    type: str  # "PROGBITS", "NOBITS", "REL", ...
    addr: int
    offset: int
    size: int
    entsize: int
    flags: str  # readelf letters: "WAX", "AMS", "I", "" ...
    link: int
    info: int
    align: int

    @property
    def alloc(self) -> bool:
        return "A" in self.flags

    @property
    def write(self) -> bool:
        return "W" in self.flags

    @property
    def execinstr(self) -> bool:
        return "X" in self.flags


@dataclass(frozen=True)
class ReadelfInfo:
    path: str
    header: ElfHeader
    program_headers: tuple[ProgramHeader, ...]
    sections: tuple[SectionHeader, ...]
    raw: str = field(repr=False, default="")

    @property
    def entry(self) -> int:
        return self.header.entry

    @property
    def loads(self) -> tuple[ProgramHeader, ...]:
        return tuple(p for p in self.program_headers if p.is_load)

    @property
    def rwx_load_indexes(self) -> frozenset[int]:
        """Indexes (into the program header table) of ``PT_LOAD``s readelf shows as RWE."""
        return frozenset(p.index for p in self.program_headers if p.is_load and p.is_rwx)

    def section(self, name: str) -> SectionHeader:
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(name)

    def describe_segments(self) -> str:
        """The program header table as compact text, for assertion messages."""
        lines = [
            f"[{p.index}] {p.type:<12} vaddr={p.vaddr:#x} paddr={p.paddr:#x} "
            f"memsz={p.memsz:#x} flags={p.flags or '-'}"
            for p in self.program_headers
        ]
        return "\n".join(lines) or "(no program headers)"


# ---------------------------------------------------------------------- parsing

_HEADER_FIELDS = {
    "Class": "elf_class",
    "Data": "data",
    "Type": "type",
    "Machine": "machine",
    "Entry point address": "entry",
    "Start of program headers": "phoff",
    "Start of section headers": "shoff",
    "Size of program headers": "phentsize",
    "Number of program headers": "phnum",
    "Size of section headers": "shentsize",
    "Number of section headers": "shnum",
    "Section header string table index": "shstrndx",
}
_TEXT_FIELDS = ("elf_class", "data", "type", "machine")
_INT_FIELDS = {f for f in _HEADER_FIELDS.values() if f not in _TEXT_FIELDS}

_PHDR = re.compile(
    r"^\s+(?P<type>\S+)\s+0x(?P<offset>[0-9a-f]+)\s+0x(?P<vaddr>[0-9a-f]+)"
    r"\s+0x(?P<paddr>[0-9a-f]+)\s+0x(?P<filesz>[0-9a-f]+)\s+0x(?P<memsz>[0-9a-f]+)"
    r" (?P<flags>[R ][W ][E ]) (?P<align>0x[0-9a-f]+|\d+)\s*$"
)
_MAPPING = re.compile(r"^\s+(?P<index>\d+)\s{2,}(?P<sections>.*?)\s*$")
# Hex fields are lowercase in readelf output; flag letters are upper case or
# non-hex lower case (x o p l), so the two cannot be confused.
_SHDR = re.compile(
    r"^\s+\[\s*(?P<index>\d+)\]\s(?P<name>.*?)\s+(?P<type>\S+)"
    r"\s+(?P<addr>[0-9a-f]+)\s+(?P<offset>[0-9a-f]+)\s+(?P<size>[0-9a-f]+)"
    r"\s+(?P<entsize>[0-9a-f]+)\s(?P<flags>[A-Za-z ]*?)\s*(?P<link>\d+)\s+(?P<info>\d+)"
    r"\s+(?P<align>\d+)\s*$"
)


def _int(text: str) -> int:
    text = text.strip()
    # "0 (65536)" for extended numbering: the real value is in parentheses
    m = re.search(r"\((\d+)\)", text)
    if m:
        return int(m.group(1))
    m = re.match(r"(0x[0-9a-fA-F]+|\d+)", text)
    if not m:
        raise ReadelfParseError(f"not a number: {text!r}")
    return int(m.group(1), 0)


def _parse_header(lines: list[str]) -> ElfHeader:
    values: dict[str, object] = {}
    for line in lines:
        key, sep, value = line.strip().partition(":")
        if not sep or key not in _HEADER_FIELDS:
            continue
        name = _HEADER_FIELDS[key]
        value = value.strip()
        if name in _INT_FIELDS:
            values[name] = _int(value)
        elif name == "type":
            values[name] = value.split()[0] if value else ""
        else:
            values[name] = value
    missing = set(_HEADER_FIELDS.values()) - set(values)
    if missing:
        raise ReadelfParseError(f"ELF header fields not found: {sorted(missing)}")
    return ElfHeader(**values)  # type: ignore[arg-type]


def _block(lines: list[str], title: str) -> list[str]:
    """Lines after the line *title* up to the next blank line (empty if absent)."""
    for i, line in enumerate(lines):
        if line.strip() == title:
            out = []
            for nxt in lines[i + 1 :]:
                if not nxt.strip():
                    break
                out.append(nxt)
            return out
    return []


def _parse_program_headers(lines: list[str]) -> list[ProgramHeader]:
    block = _block(lines, "Program Headers:")
    mapping_block = _block(lines, "Section to Segment mapping:")
    mapping: dict[int, tuple[str, ...]] = {}
    for line in mapping_block[1:]:  # first line is the "Segment Sections..." caption
        m = _MAPPING.match(line)
        if m:
            mapping[int(m.group("index"))] = tuple(m.group("sections").split())
    phdrs: list[ProgramHeader] = []
    for line in block[1:]:  # first line is the column caption
        stripped = line.strip()
        if stripped.startswith("[Requesting program interpreter"):
            continue
        m = _PHDR.match(line)
        if not m:
            raise ReadelfParseError(f"unparsed program header line: {line!r}")
        index = len(phdrs)
        phdrs.append(
            ProgramHeader(
                index=index,
                type=m.group("type"),
                offset=int(m.group("offset"), 16),
                vaddr=int(m.group("vaddr"), 16),
                paddr=int(m.group("paddr"), 16),
                filesz=int(m.group("filesz"), 16),
                memsz=int(m.group("memsz"), 16),
                flags=m.group("flags").replace(" ", ""),
                align=int(m.group("align"), 0),
                sections=mapping.get(index, ()),
            )
        )
    return phdrs


def _parse_sections(lines: list[str]) -> list[SectionHeader]:
    block = _block(lines, "Section Headers:")
    sections: list[SectionHeader] = []
    for line in block[1:]:
        if line.startswith("Key to Flags:"):
            break
        m = _SHDR.match(line)
        if not m:
            raise ReadelfParseError(f"unparsed section header line: {line!r}")
        sections.append(
            SectionHeader(
                index=int(m.group("index")),
                name=m.group("name").strip(),
                type=m.group("type"),
                addr=int(m.group("addr"), 16),
                offset=int(m.group("offset"), 16),
                size=int(m.group("size"), 16),
                entsize=int(m.group("entsize"), 16),
                flags=m.group("flags").replace(" ", ""),
                link=int(m.group("link")),
                info=int(m.group("info")),
                align=int(m.group("align")),
            )
        )
    return sections


def parse(text: str, path: str = "?") -> ReadelfInfo:
    """Parse the output of ``readelf -hlSW`` (``LC_ALL=C``)."""
    lines = text.splitlines()
    header = _parse_header(lines)
    phdrs = _parse_program_headers(lines)
    sections = _parse_sections(lines)
    if len(phdrs) != header.phnum:
        raise ReadelfParseError(
            f"{path}: parsed {len(phdrs)} program headers, ELF header says {header.phnum}"
        )
    if len(sections) != header.shnum:
        raise ReadelfParseError(
            f"{path}: parsed {len(sections)} section headers, ELF header says {header.shnum}"
        )
    if [s.index for s in sections] != list(range(len(sections))):
        raise ReadelfParseError(f"{path}: section indexes are not 0..{len(sections) - 1}")
    return ReadelfInfo(
        path=path,
        header=header,
        program_headers=tuple(phdrs),
        sections=tuple(sections),
        raw=text,
    )


@functools.lru_cache(maxsize=64)
def _readelf_cached(path: str, mtime_ns: int, size: int) -> ReadelfInfo:
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        proc = subprocess.run(
            ["readelf", "-hlSW", path],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
    except FileNotFoundError as exc:
        raise ReadelfUnavailable("readelf (binutils) is not installed") from exc
    if proc.returncode != 0:
        raise ReadelfError(
            f"readelf -hlSW {path} failed ({proc.returncode}): {proc.stderr.strip()}"
        )
    return parse(proc.stdout, path)


def readelf(path: str | os.PathLike[str]) -> ReadelfInfo:
    """Run ``readelf -hlSW`` on *path* and parse it (memoised per file version)."""
    p = Path(path)
    st = p.stat()
    return _readelf_cached(str(p), st.st_mtime_ns, st.st_size)
