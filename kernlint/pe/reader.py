"""Read a PE32/PE32+ file into :class:`kernlint.pe.model.PeImage` with LIEF (imported
here, only when a PE file is read: DESIGN.md, "Readers"), and walk its base relocation
table from the bytes the firmware would see in memory.

LIEF gives the headers and the section table (PE/COFF spec 3.3, 3.4, 4). The base
relocation blocks (spec 6.6) are walked here, not taken from LIEF, because LIEF
repairs or skips what a firmware refuses: the walk follows EDK2's
``PeCoffLoaderRelocateImage`` (``MdePkg/Library/BasePeCoffLib/BasePeCoff.c``) and
reads the table through the image as loaded (headers, each section's raw data, zeros
for the rest of its ``VirtualSize`` and for gaps, nothing past ``SizeOfImage``).
"""

from __future__ import annotations

import contextlib
import os
import struct

from kernlint.errors import InputError
from kernlint.pe import pe_signature_offset
from kernlint.pe.model import (
    BLOCK_HEADER_SIZE,
    IMAGE_DIRECTORY_ENTRY_BASERELOC,
    PeImage,
    RelocationBlock,
    Section,
)

#: Largest PE file read (bytes); EFI images are kilobytes to tens of megabytes.
MAX_PE_BYTES = 512 << 20


def read_pe(path: str) -> PeImage:
    """Read the PE image at ``path``; raises :class:`InputError` (one line) when it
    cannot be read, LIEF is missing, or LIEF cannot parse it."""
    try:
        with open(path, "rb") as f:
            lfanew = pe_signature_offset(f)
            if lfanew is None:
                raise InputError(path, "not a PE/COFF image (no MZ header and PE signature)")
            size = os.fstat(f.fileno()).st_size
            if size > MAX_PE_BYTES:
                raise InputError(path, f"larger than {MAX_PE_BYTES >> 20} MiB: not an EFI image")
            f.seek(0)
            data = f.read()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        import lief
    except ImportError:
        raise InputError(
            path,
            "reading PE/COFF images needs LIEF, a dependency of kernlint that is missing"
            " here: reinstall kernlint (pip install kernlint)",
        ) from None
    _quiet(lief)
    binary = lief.PE.parse(path)
    if binary is None:
        raise InputError(path, "malformed PE/COFF image (LIEF cannot parse its headers)")
    header, opt = binary.header, binary.optional_header
    sections = tuple(
        Section(
            Name=s.name,
            VirtualAddress=s.virtual_address,
            VirtualSize=s.virtual_size,
            PointerToRawData=s.pointerto_raw_data,
            SizeOfRawData=s.sizeof_raw_data,
            Characteristics=int(s.characteristics),
        )
        for s in binary.sections
    )
    rva_count = int(opt.numberof_rva_and_size)
    reloc_rva = reloc_size = 0
    if rva_count > IMAGE_DIRECTORY_ENTRY_BASERELOC:
        # The data directories follow the fixed optional-header fields (spec 3.4.3):
        # read entry 5 from the bytes, as the firmware does.
        magic = int(_magic(opt))
        fixed = 96 if magic == 0x10B else 112
        at = lfanew + 4 + 20 + fixed + 8 * IMAGE_DIRECTORY_ENTRY_BASERELOC
        if at + 8 <= len(data):
            reloc_rva, reloc_size = struct.unpack_from("<II", data, at)
    image = PeImage(
        path=path,
        e_lfanew=lfanew,
        Machine=int(header.machine),
        Characteristics=int(header.characteristics),
        Magic=int(_magic(opt)),
        AddressOfEntryPoint=int(opt.addressof_entrypoint),
        ImageBase=int(opt.imagebase),
        SectionAlignment=int(opt.section_alignment),
        FileAlignment=int(opt.file_alignment),
        SizeOfImage=int(opt.sizeof_image),
        SizeOfHeaders=int(opt.sizeof_headers),
        Subsystem=int(opt.subsystem),
        DllCharacteristics=int(opt.dll_characteristics),
        NumberOfRvaAndSizes=rva_count,
        reloc_rva=reloc_rva,
        reloc_size=reloc_size,
        sections=sections,
        relocation_blocks=(),
        file_size=len(data),
    )
    if not image.has_relocation_table:
        return image
    blocks, error = walk_relocation_table(image, data)
    from dataclasses import replace

    return replace(image, relocation_blocks=blocks, relocation_table_error=error)


def _magic(opt) -> int:
    magic = opt.magic
    value = getattr(magic, "value", magic)
    return int(value)


def _quiet(lief) -> None:
    """LIEF logs warnings about odd images on stderr (kernlint reports them itself),
    and LIEF >= 0.16 prints nanobind "leaked instance" lines at interpreter exit."""
    with contextlib.suppress(AttributeError):  # very old LIEF
        lief.logging.disable()
    with contextlib.suppress(AttributeError):  # LIEF < 0.16
        lief.disable_leak_warning()


def memory_bytes(image: PeImage, data: bytes, rva: int, size: int) -> bytes | None:
    """The ``size`` bytes at ``rva`` of the image as loaded (spec 4: each section's
    raw data at its ``VirtualAddress``, zero-filled up to ``VirtualSize``; the headers
    at RVA 0 up to ``SizeOfHeaders``), or None when any of them lies at or past
    ``SizeOfImage`` (EDK2 ``PeCoffLoaderImageAddress`` returns NULL there)."""
    if rva < 0 or size < 0 or rva + size > image.SizeOfImage:
        return None
    out = bytearray(size)
    spans = [(0, image.SizeOfHeaders, 0, image.SizeOfHeaders)]
    spans += [
        (s.VirtualAddress, s.end, s.PointerToRawData, min(s.SizeOfRawData, s.memory_size))
        for s in image.sections
    ]
    for start, end, offset, raw in spans:
        lo, hi = max(start, rva), min(end, rva + size, start + raw)
        if lo < hi:
            chunk = data[offset + lo - start : offset + hi - start]
            out[lo - rva : lo - rva + len(chunk)] = chunk
    return bytes(out)


def walk_relocation_table(
    image: PeImage, data: bytes
) -> tuple[tuple[RelocationBlock, ...], str | None]:
    """The blocks of the base relocation table (spec 6.6.1), walked as EDK2's
    ``PeCoffLoaderRelocateImage`` does: from the directory's RVA, each block's
    ``SizeOfBlock`` leads to the next, until the directory's ``Size`` is used up. The
    walk stops after a block the firmware refuses (``SizeOfBlock`` 0, or running past
    the directory): that block is the last one returned. The second value says why
    the table could not be read at all (it lies past ``SizeOfImage``), or is None."""
    table = memory_bytes(image, data, image.reloc_rva, image.reloc_size)
    if table is None:
        return (), (
            f"the base relocation directory (RVA {image.reloc_rva:#x}, {image.reloc_size}"
            f" bytes) ends past SizeOfImage ({image.SizeOfImage:#x})"
        )
    blocks: list[RelocationBlock] = []
    pos = 0
    while pos < len(table):
        if pos + BLOCK_HEADER_SIZE > len(table):
            va = int.from_bytes(table[pos : pos + 4].ljust(4, b"\0"), "little")
            blocks.append(RelocationBlock(pos, va, 0, truncated=True))
            break
        va, size = struct.unpack_from("<II", table, pos)
        entries: tuple[tuple[int, int], ...] = ()
        if size >= BLOCK_HEADER_SIZE:
            body = table[pos + BLOCK_HEADER_SIZE : min(pos + size, len(table))]
            body = body[: len(body) - len(body) % 2]
            entries = tuple((w >> 12, w & 0xFFF) for (w,) in struct.iter_unpack("<H", body))
        blocks.append(RelocationBlock(pos, va, size, entries))
        if size == 0 or pos + size > len(table):
            break
        pos += size
    return tuple(blocks), None
