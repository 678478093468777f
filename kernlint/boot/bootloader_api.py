"""The rust-osdev ``bootloader`` crate's contract with a kernel (v0.11+, "bootloader-api").

A kernel built against ``bootloader_api`` carries its configuration in an ELF section:
the ``entry_point!`` macro serializes a ``BootloaderConfig`` at compile time into a
static ``__BOOTLOADER_CONFIG: [u8; SERIALIZED_LEN]`` with ``#[link_section =
".bootloader-config"]`` (``api/src/lib.rs``). The bootloader finds that section *by
name*, through the section header table, and deserializes it before anything else; any
mismatch is a panic before the kernel runs. Then it maps the ``PT_LOAD`` segments
(at an offset it chooses for an ``ET_DYN`` kernel) and applies the dynamic relocations
of every ``PT_DYNAMIC`` segment itself, which it can do only for ``R_X86_64_RELATIVE``.

Sources, rust-osdev/bootloader (line numbers at the commit named):

- ``api/src/config.rs`` @ aee3504: ``BootloaderConfig::UUID`` l.41, ``SERIALIZED_LEN =
  133`` l.46, ``serialize`` l.65-157 (the layout below), ``deserialize`` l.165 on:
  ``"invalid len"`` l.167, ``"invalid UUID"`` l.174, ``"invalid pre version"`` l.185,
  then one error string per field (:data:`FIELDS`); ``Mapping::deserialize``:
  ``"invalid mapping value"``. (An earlier 0.11 layout, api/src/config.rs @ 008a382,
  is 118 bytes: no ``kernel_base``/``ramdisk_memory``, three log settings at the end.)
- ``common/src/lib.rs`` @ 2e9fe88, ``Kernel::parse`` l.106-110:
  ``find_section_by_name(".bootloader-config").expect("bootloader config section not
  found; kernel must be compiled against bootloader_api")``, then
  ``BootloaderConfig::deserialize(raw).expect("kernel was compiled with incompatible
  bootloader_api version")``; ``set_up_mappings`` l.207: ``load_kernel(...)
  .expect("no entry point")`` (every ``Err`` of the loader below ends there).
- ``common/src/load_kernel.rs`` @ b970f7d: ``load_segments`` l.118 ``"multiple TLS
  segments not supported"``; ``handle_dynamic_segment`` l.531-603 (``"expected
  Dynamic64 segment"`` l.540; one ``DT_RELA``/``DT_RELASZ``/``DT_RELAENT`` each,
  l.554/561/568; ``"Rela entry is missing but RelaSize or RelaEnt have been provided"``
  l.580; ``"RelaSize entry is missing"`` l.585, ``"RelaEnt entry is missing"`` l.586;
  ``assert_eq!(entry_size, 24, "unsupported entry size: {entry_size}")`` l.589-593);
  ``read_relocation`` l.606-622 reads the table through the kernel's own mapping
  (``copy_from`` l.314: ``"address is not mapped to the kernel's memory space"``);
  ``apply_relocation`` l.624-659: ``assert_eq!(symbol_idx, 0, "relocations using the
  symbol table are not supported")`` l.630-633, type 8 (``R_X86_64_RELATIVE``) only,
  else ``unimplemented!("relocation type {:x} not supported", ty)`` l.655;
  ``check_is_in_load`` l.701-713: the offset must lie in a ``PT_LOAD``'s
  ``[p_vaddr, p_vaddr + p_memsz)``, else ``"offset is not in load segment"``. Only
  ``DT_RELA`` is read: ``DT_REL``, ``DT_RELR`` and ``DT_JMPREL`` tables are ignored.

Serialized configuration, 133 bytes (``serialize``; integers little-endian; a
``Mapping`` is 9 bytes, ``00`` + 8 zero bytes = dynamic, ``01`` + u64 = fixed address;
an ``Option`` adds a leading ``00`` (None, rest zero) or ``01`` (Some))::

    off  size  field
      0   16   UUID 74 3C A9 61 09 36 46 A0 BB 55 5C 15 89 15 25 3D
     16    6   api version: major, minor, patch (u16 each)
     22    1   pre-release (0 or 1)
     23    8   kernel_stack_size (bytes)
     31    9   mappings.kernel_stack          Mapping
     40    9   mappings.kernel_base           Mapping
     49    9   mappings.boot_info             Mapping
     58    9   mappings.framebuffer           Mapping
     67   10   mappings.physical_memory       Option<Mapping>
     77   10   mappings.page_table_recursive  Option<Mapping>
     87    1   mappings.aslr                  bool
     88    9   mappings.dynamic_range_start   Option<u64>
     97    9   mappings.dynamic_range_end     Option<u64>
    106    9   mappings.ramdisk_memory        Mapping
    115    9   frame_buffer.minimum_framebuffer_height  Option<u64>
    124    9   frame_buffer.minimum_framebuffer_width   Option<u64>

Nothing here imports pyelftools; :func:`decode_config` takes bytes, the relocation
functions read through :class:`~kernlint.elf.model.Image`'s reader.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Section, Segment

#: The section the bootloader looks for, and the static the ``entry_point!`` macro puts
#: in it.
SECTION = ".bootloader-config"
SYMBOL = "__BOOTLOADER_CONFIG"
#: ``BootloaderConfig::UUID`` (api/src/config.rs l.41).
UUID = bytes(
    (0x74, 0x3C, 0xA9, 0x61, 0x09, 0x36, 0x46, 0xA0, 0xBB, 0x55, 0x5C, 0x15, 0x89, 0x15, 0x25, 0x3D)
)
#: The same UUID as a Microsoft GUID struct stores it (first three fields
#: little-endian): what one gets by writing it with a GUID type or macro.
UUID_GUID_ORDER = UUID[3::-1] + UUID[5:3:-1] + UUID[7:5:-1] + UUID[8:]
#: ``BootloaderConfig::SERIALIZED_LEN`` (api/src/config.rs l.46).
SERIALIZED_LEN = 133
#: Lengths of other ``bootloader_api`` layouts, with what they are.
OTHER_LENGTHS = {
    118: "the length of an earlier bootloader_api 0.11 layout, without the kernel_base"
    " and ramdisk_memory mappings and with log settings at the end: api/src/config.rs"
    " @ 008a382",
}

#: The panics of ``Kernel::parse`` (common/src/lib.rs l.107 and l.110).
PANIC_NO_SECTION = (
    "bootloader config section not found; kernel must be compiled against bootloader_api"
)
PANIC_INCOMPATIBLE = "kernel was compiled with incompatible bootloader_api version"
#: The ``expect`` every loader ``Err`` ends in (common/src/lib.rs l.207).
PANIC_NO_ENTRY = "no entry point"

MAPPING, OPTION_MAPPING, BOOL, OPTION_U64 = "Mapping", "Option<Mapping>", "bool", "Option<u64>"
_SIZES = {MAPPING: 9, OPTION_MAPPING: 10, BOOL: 1, OPTION_U64: 9}

#: (field, offset, kind, the ``deserialize`` error for a bad value), in byte order,
#: which is also the order ``deserialize`` checks them in.
FIELDS = (
    ("mappings.kernel_stack", 31, MAPPING, "invalid mapping value"),
    ("mappings.kernel_base", 40, MAPPING, "invalid mapping value"),
    ("mappings.boot_info", 49, MAPPING, "invalid mapping value"),
    ("mappings.framebuffer", 58, MAPPING, "invalid mapping value"),
    ("mappings.physical_memory", 67, OPTION_MAPPING, "invalid phys memory value"),
    ("mappings.page_table_recursive", 77, OPTION_MAPPING, "invalid page table recursive value"),
    ("mappings.aslr", 87, BOOL, "invalid aslr value"),
    ("mappings.dynamic_range_start", 88, OPTION_U64, "invalid dynamic range start value"),
    ("mappings.dynamic_range_end", 97, OPTION_U64, "invalid dynamic range end value"),
    ("mappings.ramdisk_memory", 106, MAPPING, "invalid mapping value"),
    (
        "frame_buffer.minimum_framebuffer_height",
        115,
        OPTION_U64,
        "minimum_framebuffer_height invalid",
    ),
    (
        "frame_buffer.minimum_framebuffer_width",
        124,
        OPTION_U64,
        "minimum_framebuffer_width invalid",
    ),
)


@dataclass(frozen=True)
class ApiVersion:
    """The ``bootloader_api`` version a config was serialized by (bytes 16-22)."""

    major: int
    minor: int
    patch: int
    pre_release: int

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        return text + " (pre-release)" if self.pre_release == 1 else text


@dataclass(frozen=True)
class Mapping:
    """``Mapping::Dynamic`` (``address`` None) or ``Mapping::FixedAddress(address)``."""

    address: int | None = None

    def __str__(self) -> str:
        return "dynamic" if self.address is None else f"fixed at {self.address:#x}"


@dataclass(frozen=True)
class ConfigProblem:
    """Why ``deserialize`` refuses the bytes: ``offset`` in the section (bytes),
    ``field``, ``error`` (its ``Err`` string, which the panic quotes) and ``detail``
    (what the bytes hold)."""

    offset: int
    field: str
    error: str
    detail: str


@dataclass(frozen=True)
class DecodedConfig:
    """A ``.bootloader-config`` section's bytes, decoded as ``deserialize`` does.
    ``version`` is set when the UUID is right (or in GUID byte order, ``guid_order``)
    and the bytes reach it; ``values`` maps each :data:`FIELDS` name (and
    ``kernel_stack_size``) to its decoded value (:class:`Mapping`, ``Mapping | None``,
    ``bool``, ``int | None``) when the length and UUID are right; ``problems`` are in
    the order ``deserialize`` meets them (the first is the one the bootloader panics
    with)."""

    length: int
    uuid_ok: bool
    guid_order: bool
    version: ApiVersion | None
    values: dict[str, object] = field(default_factory=dict)
    problems: tuple[ConfigProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """The bootloader would accept it."""
        return not self.problems


def decode_config(data: bytes) -> DecodedConfig:
    """Decode ``data`` (the section's bytes) as ``BootloaderConfig::deserialize``
    (api/src/config.rs l.165) does; never raises."""
    problems: list[ConfigProblem] = []
    n = len(data)
    if n != SERIALIZED_LEN:
        what = OTHER_LENGTHS.get(n, "")
        problems.append(
            ConfigProblem(
                0,
                "length",
                "invalid len",
                f"the section is {n} bytes, not {SERIALIZED_LEN}" + (f" ({what})" if what else ""),
            )
        )
    head = data[:16]
    uuid_ok = head == UUID
    guid = head == UUID_GUID_ORDER
    if not uuid_ok:
        detail = f"it starts with {head.hex(' ').upper() or 'nothing'}, not the UUID"
        if guid:
            detail += (
                " (these are the UUID's bytes in GUID order: the first three fields byte-swapped)"
            )
        problems.append(ConfigProblem(0, "UUID", "invalid UUID", detail))
    version = None
    if (uuid_ok or guid) and n >= 23:
        major, minor, patch = struct.unpack_from("<3H", data, 16)
        version = ApiVersion(major, minor, patch, data[22])
        if data[22] not in (0, 1):
            problems.append(
                ConfigProblem(
                    22,
                    "pre-release",
                    "invalid pre version",
                    f"the pre-release byte is {data[22]:#04x}, not 0 or 1",
                )
            )
    values: dict[str, object] = {}
    if n == SERIALIZED_LEN and uuid_ok:
        values["kernel_stack_size"] = struct.unpack_from("<Q", data, 23)[0]
        for name, offset, kind, error in FIELDS:
            raw = data[offset : offset + _SIZES[kind]]
            value, bad = _field(raw, kind)
            if bad:
                problems.append(ConfigProblem(offset, name, error, f"{name} is {bad}"))
            else:
                values[name] = value
    return DecodedConfig(n, uuid_ok, guid, version, values, tuple(problems))


def _mapping(raw: bytes) -> tuple[Mapping | None, str]:
    """A 9-byte ``Mapping``; (value, "") or (None, why it is invalid)."""
    if raw[0] == 0 and not any(raw[1:]):
        return Mapping(), ""
    if raw[0] == 1:
        return Mapping(struct.unpack_from("<Q", raw, 1)[0]), ""
    return None, f"{raw.hex(' ')} (variant byte {raw[0]:#04x}: 0 = dynamic with zeros, 1 = fixed)"


def _field(raw: bytes, kind: str) -> tuple[object, str]:
    """Decode one field; (value, "") or (None, why ``deserialize`` refuses it)."""
    if kind == MAPPING:
        return _mapping(raw)
    if kind == BOOL:
        return (raw[0] == 1, "") if raw[0] in (0, 1) else (None, f"{raw[0]:#04x}, not 0 or 1")
    if raw[0] == 0 and not any(raw[1:]):
        return None, ""
    if raw[0] == 1:
        if kind == OPTION_MAPPING:
            value, bad = _mapping(raw[1:])
            return (value, "") if not bad else (None, f"Some({bad})")
        return struct.unpack_from("<Q", raw, 1)[0], ""
    return None, f"{raw.hex(' ')} (tag byte {raw[0]:#04x}: 0 = None with zeros, 1 = Some)"


# -- dynamic relocations (common/src/load_kernel.rs) ------------------------------------

R_X86_64_RELATIVE = 8
#: Size of an ``Elf64_Rela`` record, the only one the loader reads (``Rela<u64>``).
RELA_ENTRY_SIZE = 24
DT_NULL = 0
DT_PLTRELSZ = 2
DT_RELA = 7
DT_RELASZ = 8
DT_RELAENT = 9
DT_REL = 17
DT_RELSZ = 18
DT_JMPREL = 23
DT_RELRSZ = 35
DT_RELR = 36
DT_NAMES = {
    DT_RELA: "DT_RELA",
    DT_RELASZ: "DT_RELASZ",
    DT_RELAENT: "DT_RELAENT",
    DT_REL: "DT_REL",
    DT_JMPREL: "DT_JMPREL",
    DT_RELR: "DT_RELR",
}
#: Tables the loader never reads, with the tag that gives their size in bytes.
IGNORED_TABLES = ((DT_REL, DT_RELSZ), (DT_RELR, DT_RELRSZ), (DT_JMPREL, DT_PLTRELSZ))

#: Relocation type names for messages (psABI x86-64 "Relocation Types").
X86_64_RELOC_NAMES = {
    0: "R_X86_64_NONE",
    1: "R_X86_64_64",
    2: "R_X86_64_PC32",
    5: "R_X86_64_COPY",
    6: "R_X86_64_GLOB_DAT",
    7: "R_X86_64_JUMP_SLOT",
    8: "R_X86_64_RELATIVE",
    10: "R_X86_64_32",
    11: "R_X86_64_32S",
    16: "R_X86_64_DTPMOD64",
    17: "R_X86_64_DTPOFF64",
    18: "R_X86_64_TPOFF64",
    37: "R_X86_64_IRELATIVE",
}


def reloc_name(r_type: int) -> str:
    """``R_X86_64_64`` for 1; ``type 0x2a`` for one without a name here."""
    return X86_64_RELOC_NAMES.get(r_type, f"type {r_type:#x}")


@dataclass(frozen=True)
class DynamicSegment:
    """One ``PT_DYNAMIC`` segment: its program header and its ``(d_tag, d_val)``
    entries up to ``DT_NULL`` (Elf64_Dyn, 16 bytes each)."""

    segment: Segment
    entries: tuple[tuple[int, int], ...]

    def values(self, tag: int) -> list[int]:
        """Every ``d_val`` of ``tag``, in table order."""
        return [v for t, v in self.entries if t == tag]


def dynamic_segments(image: Image) -> list[DynamicSegment]:
    """The ``PT_DYNAMIC`` segments of an ELF64 image with their entries read from the
    file (empty for ELF32: see :func:`loader_problems`)."""
    from kernlint.elf.constants import PT_DYNAMIC

    out = []
    if image.header.ei_class != 64:
        return out
    fmt = "<qQ" if image.header.ei_data == "little" else ">qQ"
    for seg in image.segments:
        if seg.p_type != PT_DYNAMIC:
            continue
        size = min(seg.p_filesz, max(0, image.size - seg.p_offset)) // 16 * 16
        data = image.reader.read_bytes(seg.p_offset, size) if size else b""
        entries = []
        for tag, val in struct.iter_unpack(fmt, data):
            if tag == DT_NULL:
                break
            entries.append((tag, val))
        out.append(DynamicSegment(seg, tuple(entries)))
    return out


#: Most zero bytes :func:`read_memory` makes up past a segment's file bytes (bytes).
MAX_ZERO_FILL = 64 << 20


def read_memory(image: Image, vaddr: int, size: int) -> bytes | None:
    """``size`` bytes at virtual address ``vaddr`` as the loader maps them: the file
    bytes of the ``PT_LOAD`` holding the range, zeros past its ``p_filesz`` (or past the
    end of a truncated file); None when no single ``PT_LOAD`` holds the whole range, or
    when more than :data:`MAX_ZERO_FILL` of it would be made-up zeros."""
    for seg in image.load_segments:
        if seg.p_vaddr <= vaddr and vaddr + size <= seg.vend:
            start = vaddr - seg.p_vaddr
            avail = max(0, min(size, seg.p_filesz - start, image.size - seg.p_offset - start))
            if size - avail > MAX_ZERO_FILL:
                return None  # a smashed size: no real kernel asks for this much
            data = image.reader.read_bytes(seg.p_offset + start, avail) if avail else b""
            return data + bytes(size - len(data))
    return None


@dataclass(frozen=True)
class LoaderProblem:
    """One way the bootloader fails on this image's relocations or TLS.

    ``kind`` names the check (``tls``, ``dynamic32``, ``duplicate``, ``rela-missing``,
    ``relasz-missing``, ``relaent-missing``, ``relaent``, ``table-unmapped``,
    ``symbol``, ``type``, ``outside-load``, ``ignored-table``); ``panic`` is what the
    bootloader prints (the panic message, or the ``Err`` string that ends in
    ``"no entry point"``); ``detail`` says what kernlint found, with numbers;
    ``count`` how many relocations it concerns; ``address``, ``section`` and
    ``segment`` locate it: a relocation's ``r_offset`` and the relocation section for
    the per-relocation kinds (the first one of its kind), else the table's address and
    the ``PT_DYNAMIC`` (or ``PT_TLS``) program header index."""

    kind: str
    panic: str
    detail: str
    count: int = 1
    address: int | None = None
    section: str | None = None
    segment: int | None = None


def _rela_section(image: Image, vaddr: int) -> Section | None:
    return next(
        (s for s in image.sections if s.is_relocation and s.is_alloc and s.sh_addr == vaddr),
        None,
    )


def _symbol_name(image: Image, section: Section | None, index: int) -> str:
    """The name of dynamic symbol ``index`` (through the relocation section's
    ``sh_link``), or ``#index``."""
    if section is None or not 0 < section.sh_link < len(image.sections):
        return f"#{index}"
    symtab = image.sections[section.sh_link]
    if not 0 < symtab.sh_link < len(image.sections) or not symtab.sh_size:
        return f"#{index}"
    try:
        table = image.reader.symbol_table(symtab)
    except Exception:  # a smashed .dynsym only costs the name
        return f"#{index}"
    if index >= len(table):
        return f"#{index}"
    return table.symbol(index).name or f"#{index}"


def loader_problems(image: Image) -> list[LoaderProblem]:
    """What ``load_kernel.rs`` (@ b970f7d) would stop at in ``image``: more than one
    ``PT_TLS``, and per ``PT_DYNAMIC`` segment the ``DT_RELA`` table checks and each
    relocation it cannot apply, grouped by kind (first one located, all counted); plus
    relocation tables it never reads. In the loader's order; empty when it would load
    the image."""
    from kernlint.elf.constants import PT_DYNAMIC, PT_TLS

    out: list[LoaderProblem] = []
    tls = [s for s in image.segments if s.p_type == PT_TLS]
    if len(tls) > 1:
        out.append(
            LoaderProblem(
                "tls",
                f'{PANIC_NO_ENTRY}: "multiple TLS segments not supported"',
                f"{len(tls)} PT_TLS program headers (segments"
                f" {', '.join(str(s.index) for s in tls)}); the loader takes one",
                count=len(tls),
                segment=tls[1].index,
                address=tls[1].p_vaddr,
            )
        )
    if image.header.ei_class != 64:
        dyn = next((s for s in image.segments if s.p_type == PT_DYNAMIC), None)
        if dyn is not None:
            out.append(
                LoaderProblem(
                    "dynamic32",
                    "expected Dynamic64 segment",
                    "an ELF32 image with a PT_DYNAMIC segment; the loader reads only"
                    " Elf64_Dyn entries",
                    segment=dyn.index,
                    address=dyn.p_vaddr,
                )
            )
        return out
    for dyn in dynamic_segments(image):
        out.extend(_dynamic_problems(image, dyn))
    return out


def _dynamic_problems(image: Image, dyn: DynamicSegment) -> list[LoaderProblem]:
    import numpy as np

    out: list[LoaderProblem] = []
    seg = dyn.segment.index
    for tag, name in ((DT_RELA, "Rela"), (DT_RELASZ, "RelaSize"), (DT_RELAENT, "RelaEnt")):
        vals = dyn.values(tag)
        if len(vals) > 1:
            out.append(
                LoaderProblem(
                    "duplicate",
                    f'{PANIC_NO_ENTRY}: "Dynamic section contains more than one {name} entry"',
                    f"PT_DYNAMIC (segment {seg}) has {len(vals)} {DT_NAMES[tag]} entries",
                    segment=seg,
                )
            )
            return out
    for tag, size_tag in IGNORED_TABLES:
        for addr in dyn.values(tag):
            size = next(iter(dyn.values(size_tag)), 0)
            section = next(
                (s for s in image.sections if s.is_alloc and s.sh_addr == addr and s.sh_size),
                None,
            )
            out.append(
                LoaderProblem(
                    "ignored-table",
                    "(nothing: the table is never read)",
                    f"{DT_NAMES[tag]} {addr:#x} ({size} bytes"
                    f"{', section ' + section.name if section else ''}): the bootloader"
                    " reads only DT_RELA, so these relocations are never applied",
                    address=addr,
                    section=section.name if section else None,
                    segment=seg,
                )
            )
    rela, relasz, relaent = (
        next(iter(dyn.values(t)), None) for t in (DT_RELA, DT_RELASZ, DT_RELAENT)
    )
    if rela is None:
        if relasz is not None or relaent is not None:
            out.append(
                LoaderProblem(
                    "rela-missing",
                    f'{PANIC_NO_ENTRY}: "Rela entry is missing but RelaSize or RelaEnt have'
                    ' been provided"',
                    f"PT_DYNAMIC (segment {seg}) has DT_RELASZ/DT_RELAENT but no DT_RELA",
                    segment=seg,
                )
            )
        return out
    section = _rela_section(image, rela)
    where = f"DT_RELA {rela:#x}" + (f" ({section.name})" if section else "")
    if relasz is None:
        out.append(
            LoaderProblem(
                "relasz-missing",
                f'{PANIC_NO_ENTRY}: "RelaSize entry is missing"',
                f"PT_DYNAMIC (segment {seg}) has {where} but no DT_RELASZ",
                address=rela,
                section=section.name if section else None,
                segment=seg,
            )
        )
        return out
    if relaent is None:
        out.append(
            LoaderProblem(
                "relaent-missing",
                f'{PANIC_NO_ENTRY}: "RelaEnt entry is missing"',
                f"PT_DYNAMIC (segment {seg}) has {where} but no DT_RELAENT",
                address=rela,
                section=section.name if section else None,
                segment=seg,
            )
        )
        return out
    if relaent != RELA_ENTRY_SIZE:
        out.append(
            LoaderProblem(
                "relaent",
                f"unsupported entry size: {relaent}",
                f"DT_RELAENT is {relaent}, not {RELA_ENTRY_SIZE} (Elf64_Rela)",
                address=rela,
                section=section.name if section else None,
                segment=seg,
            )
        )
        return out
    count = relasz // RELA_ENTRY_SIZE
    data = read_memory(image, rela, count * RELA_ENTRY_SIZE) if count else b""
    if data is None:
        out.append(
            LoaderProblem(
                "table-unmapped",
                "address is not mapped to the kernel's memory space",
                f"the {count} relocations at {where}, {relasz} bytes, are not inside one"
                " PT_LOAD: the loader reads the table through the kernel's own mapping",
                count=count,
                address=rela,
                section=section.name if section else None,
                segment=seg,
            )
        )
        return out
    little = image.header.ei_data == "little"
    e = "<" if little else ">"
    recs = np.frombuffer(
        data, dtype=np.dtype([("off", e + "u8"), ("info", e + "u8"), ("add", e + "i8")])
    )
    sym = recs["info"] >> np.uint64(32)
    typ = recs["info"] & np.uint64(0xFFFFFFFF)
    offs = recs["off"]
    label = section.name if section else None
    found: list[tuple[int, LoaderProblem]] = []
    with_sym = np.nonzero(sym != 0)[0]
    if len(with_sym):
        i = int(with_sym[0])
        types = sorted({reloc_name(int(t)) for t in typ[with_sym]})
        found.append(
            (
                i,
                LoaderProblem(
                    "symbol",
                    "relocations using the symbol table are not supported",
                    f"{len(with_sym)} of the {count} relocations at {where} name a symbol"
                    f" ({', '.join(types)}); the first, entry {i}, is"
                    f" {reloc_name(int(typ[i]))} at {int(offs[i]):#x} against"
                    f" `{_symbol_name(image, section, int(sym[i]))}`"
                    f"{_addend(int(recs['add'][i]))}",
                    count=len(with_sym),
                    address=int(offs[i]),
                    section=label,
                ),
            )
        )
    bad_type = np.nonzero((sym == 0) & (typ != R_X86_64_RELATIVE))[0]
    if len(bad_type):
        i = int(bad_type[0])
        types = sorted({reloc_name(int(t)) for t in typ[bad_type]})
        found.append(
            (
                i,
                LoaderProblem(
                    "type",
                    f"not implemented: relocation type {int(typ[i]):x} not supported",
                    f"{len(bad_type)} of the {count} relocations at {where} are not"
                    f" R_X86_64_RELATIVE ({', '.join(types)}); the first, entry {i}, is"
                    f" {reloc_name(int(typ[i]))} at {int(offs[i]):#x}",
                    count=len(bad_type),
                    address=int(offs[i]),
                    section=label,
                ),
            )
        )
    relative = np.nonzero((sym == 0) & (typ == R_X86_64_RELATIVE))[0]
    mapped = np.zeros(len(offs), dtype=bool)
    for load in image.load_segments:
        mapped |= (offs >= np.uint64(load.p_vaddr)) & (offs < np.uint64(load.vend))
    outside = [int(i) for i in relative if not mapped[i]]
    if outside:
        i = outside[0]
        found.append(
            (
                i,
                LoaderProblem(
                    "outside-load",
                    f'{PANIC_NO_ENTRY}: "offset is not in load segment"',
                    f"{len(outside)} of the {count} relocations at {where} patch an address"
                    f" in no PT_LOAD; the first, entry {i}, R_X86_64_RELATIVE at"
                    f" {int(offs[i]):#x}",
                    count=len(outside),
                    address=int(offs[i]),
                    section=label,
                ),
            )
        )
    # The loader stops at the first bad entry of the table: keep its order.
    out.extend(p for _, p in sorted(found, key=lambda item: item[0]))
    return out


def _addend(addend: int) -> str:
    if not addend:
        return ""
    return f" + {addend:#x}" if addend > 0 else f" - {-addend:#x}"
