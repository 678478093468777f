"""The Multiboot 2 header and its tags (Multiboot2 Specification 2.0, §3.1 "OS image
format"; GRUB 2.06 ``include/multiboot2.h``, ``grub-core/loader/multiboot_mbi2.c``).

Header, little-endian u32 fields at an 8-byte-aligned offset within the first
:data:`SEARCH` bytes: ``magic`` = ``0xE85250D6``, ``architecture`` (0 = i386 protected
mode, 4 = MIPS32), ``header_length`` (bytes, the fields above included), ``checksum``
with magic + architecture + header_length + checksum = 0 (mod 2**32). Then tags, each
``u16 type, u16 flags, u32 size`` (size in bytes including these 8), each starting
8-byte aligned (GRUB advances by ``ALIGN_UP(size, 8)``), ending with type 0 size 8.
Flags bit 0 marks a tag optional.

GRUB 2.06 matches a header only when magic, architecture (0 on x86) and checksum
are all right ("no multiboot header found." otherwise), then walks the tags:

- an unknown tag type without the optional flag: "unsupported tag: 0x%x";
- an information request (type 1) without the optional flag that asks for an MBI
  tag type GRUB 2.06 does not produce (13, SMBIOS, or above 21):
  "unsupported information tag: 0x%x";
- an address tag (2) without an entry address tag (3):
  "load address tag without entry address tag";
- a relocatable tag (10) whose range cannot hold the image's load size:
  "invalid min/max address and/or load size" (checked against the image by the rule).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = 0xE85250D6
#: The header must be inside the first SEARCH bytes (``MULTIBOOT_SEARCH``).
SEARCH = 32768
#: ... at an offset that is a multiple of ALIGN (``MULTIBOOT_HEADER_ALIGN``).
ALIGN = 8
#: Tags start at multiples of TAG_ALIGN from the header (``MULTIBOOT_TAG_ALIGN``).
TAG_ALIGN = 8
#: Magic handed over in EAX (``MULTIBOOT2_BOOTLOADER_MAGIC``).
BOOTLOADER_MAGIC = 0x36D76289
ARCH_I386 = 0
ARCH_MIPS32 = 4
FLAG_OPTIONAL = 1

#: Header tag types (spec §3.1.3-§3.1.12), with their fixed sizes in bytes where the
#: spec gives one (the information request and framebuffer tags vary or are fixed as
#: shown; None = variable).
TAG_NAMES = {
    0: "end",
    1: "information request",
    2: "address",
    3: "entry address",
    4: "console flags",
    5: "framebuffer",
    6: "module alignment",
    7: "EFI boot services",
    8: "EFI i386 entry address",
    9: "EFI amd64 entry address",
    10: "relocatable",
}
TAG_SIZES = {0: 8, 1: None, 2: 24, 3: 12, 4: 12, 5: 20, 6: 8, 7: 8, 8: 12, 9: 12, 10: 24}
#: MBI tag types GRUB 2.06 can supply on request (0-12, 14-21; 13 SMBIOS came later).
GRUB_INFO_TYPES = frozenset(range(0, 13)) | frozenset(range(14, 22))

_MAGIC_BYTES = struct.pack("<I", MAGIC)


@dataclass(frozen=True)
class Tag:
    """One header tag at file ``offset`` (bytes): ``type``, ``flags``, ``size`` (bytes,
    including the 8-byte tag header) and its payload as little-endian u32 ``fields``
    (the information request's requested MBI types; the address tag's header_addr,
    load_addr, load_end_addr, bss_end_addr; the relocatable tag's min_addr, max_addr,
    align, preference; ...)."""

    offset: int
    type: int
    flags: int
    size: int
    fields: tuple[int, ...]

    @property
    def optional(self) -> bool:
        """Flags bit 0: the loader may ignore the tag if it does not support it."""
        return bool(self.flags & FLAG_OPTIONAL)

    @property
    def name(self) -> str:
        """The spec's name of the tag type, or ``tag type N``."""
        return TAG_NAMES.get(self.type, f"tag type {self.type}")


@dataclass(frozen=True)
class Multiboot2Header:
    """A Multiboot 2 header at file ``offset`` (bytes), with its tags as far as they
    could be walked. ``defects`` are the problems found in the header itself, each one
    sentence that quotes GRUB's message where GRUB has one (the relocatable tag's range
    is checked by the rule against the image)."""

    offset: int
    architecture: int
    header_length: int
    checksum: int
    tags: tuple[Tag, ...]
    defects: tuple[str, ...]

    @property
    def checksum_ok(self) -> bool:
        """magic + architecture + header_length + checksum is 0 modulo 2**32."""
        total = MAGIC + self.architecture + self.header_length + self.checksum
        return total & 0xFFFFFFFF == 0

    @property
    def matches(self) -> bool:
        """What GRUB 2.06 needs to call it a header at all: zero sum and architecture 0
        (``MULTIBOOT2_ARCHITECTURE_CURRENT`` on x86)."""
        return self.checksum_ok and self.architecture == ARCH_I386

    @property
    def in_window(self) -> bool:
        """Where GRUB 2.06 looks: an 8-aligned offset with the first 12 bytes inside the
        first :data:`SEARCH` bytes (``multiboot_mbi2.c``, ``header <= buffer + len -
        12``)."""
        return self.offset % ALIGN == 0 and self.offset + 12 <= SEARCH

    def tag(self, type_: int) -> Tag | None:
        """The first tag of this type, or None."""
        return next((t for t in self.tags if t.type == type_), None)


def parse(data: bytes, offset: int, base: int = 0) -> Multiboot2Header | None:
    """The header at index ``offset`` of ``data``, whose first byte is at file offset
    ``base``; offsets in the result are file offsets. None when the magic is not there
    or the 16 fixed bytes are cut off. Never raises."""
    if data[offset : offset + 4] != _MAGIC_BYTES or offset + 16 > len(data):
        return None
    _, arch, length, checksum = struct.unpack_from("<4I", data, offset)
    defects: list[str] = []
    total = (MAGIC + arch + length + checksum) & 0xFFFFFFFF
    if total:
        want = (-(MAGIC + arch + length)) & 0xFFFFFFFF
        defects.append(
            f"checksum is {checksum:#010x}, should be {want:#010x} (magic + architecture +"
            ' header_length + checksum must be 0 mod 2**32); GRUB: "no multiboot header'
            ' found."'
        )
    if arch != ARCH_I386:
        what = "MIPS32" if arch == ARCH_MIPS32 else "not a defined architecture"
        defects.append(
            f"architecture is {arch} ({what}), not 0 (i386 protected mode), the only one"
            ' GRUB on x86 accepts; GRUB: "no multiboot header found."'
        )
    tags, tag_defects = _walk_tags(data, offset, length, base)
    defects.extend(tag_defects)
    return Multiboot2Header(base + offset, arch, length, checksum, tuple(tags), tuple(defects))


def _walk_tags(data: bytes, offset: int, length: int, base: int) -> tuple[list[Tag], list[str]]:
    tags: list[Tag] = []
    defects: list[str] = []
    header_end = offset + length
    if length < 16 + 8:
        defects.append(f"header_length is {length}: too short for the fields and an end tag")
    pos = offset + 16
    while True:
        if pos + 8 > len(data):
            defects.append(f"the tag list runs past the end of the data at offset {base + pos:#x}")
            break
        type_, flags, size = struct.unpack_from("<HHI", data, pos)
        if size < 8:
            defects.append(
                f"the {TAG_NAMES.get(type_, f'tag type {type_}')} tag at offset"
                f" {base + pos:#x}"
                f" has size {size}, less than its own 8-byte header; the list cannot be"
                " walked further"
            )
            break
        body = data[pos + 8 : pos + min(size, len(data) - pos)]
        fields = struct.unpack_from(f"<{len(body) // 4}I", body) if len(body) >= 4 else ()
        tag = Tag(base + pos, type_, flags, size, tuple(fields))
        tags.append(tag)
        defects.extend(_tag_defects(tag, base + header_end))
        if type_ == 0:
            break
        pos += (size + TAG_ALIGN - 1) // TAG_ALIGN * TAG_ALIGN
        if pos >= header_end + 4096:  # far past the declared length: no end tag
            defects.append(f"no end tag (type 0, size 8) within header_length {length} bytes")
            break
    if tags and tags[-1].type == 0 and tags[-1].offset + 8 != base + header_end:
        defects.append(
            f"header_length is {length} bytes but the end tag ends at"
            f" {tags[-1].offset + 8 - base - offset} bytes from the header"
        )
    if tags and tags[-1].type != 0 and not any("no end tag" in d for d in defects):
        defects.append("no end tag (type 0, size 8)")
    present = {t.type for t in tags}
    if 2 in present and 3 not in present:
        defects.append(
            'an address tag (type 2) without an entry address tag (type 3); GRUB: "load'
            ' address tag without entry address tag."'
        )
    return tags, defects


def _tag_defects(tag: Tag, header_end: int) -> list[str]:
    out: list[str] = []
    where = f"the {tag.name} tag at offset {tag.offset:#x}"
    if tag.type == 0 and tag.size != 8:
        out.append(f"{where} has size {tag.size}, should be 8")
    want = TAG_SIZES.get(tag.type)
    if tag.type in TAG_SIZES and want is not None and tag.type != 0 and tag.size != want:
        out.append(f"{where} has size {tag.size}, the spec defines {want}")
    if tag.offset + tag.size > header_end:
        out.append(f"{where} runs past header_length")
    if tag.type not in TAG_NAMES and not tag.optional:
        out.append(
            f"{where} has type {tag.type}, which GRUB does not know, and is not marked"
            f' optional (flags bit 0); GRUB: "unsupported tag: {tag.type:#x}."'
        )
    if tag.type == 1 and not tag.optional:
        for want_type in tag.fields:
            if want_type not in GRUB_INFO_TYPES:
                out.append(
                    f"{where} requests MBI tag type {want_type}, which GRUB 2.06 does not"
                    ' provide, and is not marked optional; GRUB: "unsupported'
                    f' information tag: {want_type:#x}."'
                )
    return out


def scan(data: bytes, base: int = 0, limit: int | None = None) -> list[Multiboot2Header]:
    """Every :data:`ALIGN`-aligned occurrence of the magic in ``data``, decoded;
    ``base`` is the file offset of ``data[0]`` (alignment is judged on file offsets,
    and reported offsets are file offsets); ``limit`` bounds the file offsets searched.
    Occurrences with a wrong checksum or architecture are included (KL402)."""
    found: list[Multiboot2Header] = []
    end = len(data) if limit is None else max(0, min(len(data), limit - base))
    i = data.find(_MAGIC_BYTES, 0, end)
    while i >= 0:
        if (base + i) % ALIGN == 0:
            header = parse(data, i, base)
            if header is not None:
                found.append(header)
        i = data.find(_MAGIC_BYTES, i + 1, end)
    return found
