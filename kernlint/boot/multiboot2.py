"""The Multiboot 2 header and its tags (Multiboot2 Specification 2.0, §3.1 "OS image
format"; GRUB 2.06 ``include/multiboot2.h``, ``grub-core/loader/multiboot_mbi2.c``).

Header, little-endian u32 fields at an 8-byte-aligned offset within the first
:data:`SEARCH` bytes: ``magic`` = ``0xE85250D6``, ``architecture`` (0 = i386 protected
mode, 4 = MIPS32), ``header_length`` (bytes, the fields above included), ``checksum``
with magic + architecture + header_length + checksum = 0 (mod 2**32). Then tags, each
``u16 type, u16 flags, u32 size`` (size in bytes including these 8), each starting
8-byte aligned (GRUB advances by ``ALIGN_UP(size, 8)``), ending with type 0 size 8.
Flags bit 0 marks a tag optional. Tag types (spec §3.1.4-§3.1.13):

====  ======================  ====  =========================================
type  tag                     size  payload (u32 unless stated)
====  ======================  ====  =========================================
0     end                     8     -
1     information request     8+4n  the MBI tag types wanted
2     address                 24    header_addr, load_addr, load_end_addr,
                                    bss_end_addr
3     entry address           12    entry_addr
4     console flags           12    console_flags
5     framebuffer             20    width, height, depth
6     module alignment        8     -
7     EFI boot services       8     -
8     EFI i386 entry address  12    entry_addr
9     EFI amd64 entry address 12    entry_addr
10    relocatable             24    min_addr, max_addr, align, preference
====  ======================  ====  =========================================

GRUB 2.06 matches a header only when magic, architecture (0 on x86) and checksum
are all right ("no multiboot header found." otherwise; ``grub-file
--is-x86-multiboot2`` checks magic and checksum only, not the architecture), then
walks the tags until one has type 0, reading neither ``header_length`` nor the tag
sizes beyond ``ALIGN_UP(size, 8)`` (a tag of size 0 makes it loop forever). It
fails with:

- an unknown tag type without the optional flag: "unsupported tag: 0x%x" — type 8
  (EFI i386 entry address) included: GRUB 2.06 has no case for it (observed on
  i386-pc: "unsupported tag: 0x8.");
- an information request (type 1) without the optional flag that asks for an MBI
  tag type GRUB 2.06 does not produce (13, SMBIOS, or above 21):
  "unsupported information tag: 0x%x" (observed for 0xd and 0x16);
- an address tag (2) without an entry address tag (3):
  "load address tag without entry address tag";
- a relocatable tag (10) whose range cannot hold the image's load size:
  "invalid min/max address and/or load size" (:func:`relocatable_problem`, which
  needs the load size from the image).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from kernlint.boot.magic import aligned_hits

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

TAG_END = 0
TAG_INFORMATION_REQUEST = 1
TAG_ADDRESS = 2
TAG_ENTRY_ADDRESS = 3
TAG_CONSOLE_FLAGS = 4
TAG_FRAMEBUFFER = 5
TAG_MODULE_ALIGN = 6
TAG_EFI_BS = 7
TAG_ENTRY_ADDRESS_EFI32 = 8
TAG_ENTRY_ADDRESS_EFI64 = 9
TAG_RELOCATABLE = 10

#: Header tag types of the spec (§3.1.4-§3.1.13).
TAG_NAMES = {
    TAG_END: "end",
    TAG_INFORMATION_REQUEST: "information request",
    TAG_ADDRESS: "address",
    TAG_ENTRY_ADDRESS: "entry address",
    TAG_CONSOLE_FLAGS: "console flags",
    TAG_FRAMEBUFFER: "framebuffer",
    TAG_MODULE_ALIGN: "module alignment",
    TAG_EFI_BS: "EFI boot services",
    TAG_ENTRY_ADDRESS_EFI32: "EFI i386 entry address",
    TAG_ENTRY_ADDRESS_EFI64: "EFI amd64 entry address",
    TAG_RELOCATABLE: "relocatable",
}
#: Their sizes in bytes (None: the information request, 8 + 4 per requested type).
TAG_SIZES = {0: 8, 1: None, 2: 24, 3: 12, 4: 12, 5: 20, 6: 8, 7: 8, 8: 12, 9: 12, 10: 24}
#: Tag types GRUB 2.06's ``multiboot2`` command handles (``multiboot_mbi2.c``): all of
#: the spec's but 8, which falls to "unsupported tag" unless marked optional.
GRUB_TAG_TYPES = frozenset(TAG_SIZES) - {TAG_ENTRY_ADDRESS_EFI32}
#: MBI tag types GRUB 2.06 can supply on request (0-12, 14-21; 13 SMBIOS came later).
GRUB_INFO_TYPES = frozenset(range(0, 13)) | frozenset(range(14, 22))

_MAGIC_BYTES = struct.pack("<I", MAGIC)
#: Tags past the declared length walked before giving up on finding the end tag.
_WALK_SLACK = 4096


#: Kinds of :class:`Defect`.
CHECKSUM = "checksum"
ARCHITECTURE = "architecture"
HEADER_LENGTH = "header-length"
TAG_SIZE = "tag-size"
TAG_OVERRUN = "tag-overrun"
TAG_PADDING = "tag-padding"
UNSUPPORTED_TAG = "unsupported-tag"
INFO_REQUEST = "information-request"
END_TAG = "end-tag"
ADDRESS_WITHOUT_ENTRY = "address-without-entry"
#: Kinds for which GRUB 2.06 refuses the image with a message of its own.
GRUB_REFUSES = frozenset(
    {CHECKSUM, ARCHITECTURE, UNSUPPORTED_TAG, INFO_REQUEST, ADDRESS_WITHOUT_ENTRY}
)


class Defect(str):
    """One problem of a header: the sentence itself (a ``str``), plus its ``kind`` (one
    of the constants above) and the file ``offset`` it concerns (the header's or a
    tag's), so that a rule can point at it and name the fix."""

    kind: str
    offset: int

    def __new__(cls, kind: str, offset: int, text: str) -> Defect:
        obj = super().__new__(cls, text)
        obj.kind = kind
        obj.offset = offset
        return obj

    def __reduce__(self):  # keep kind and offset through pickling and copying
        return (Defect, (self.kind, self.offset, str(self)))

    @property
    def grub_refuses(self) -> bool:
        """GRUB 2.06 stops loading with its own message (quoted in the text)."""
        return self.kind in GRUB_REFUSES


@dataclass(frozen=True)
class Tag:
    """One header tag at file ``offset`` (bytes): ``type``, ``flags``, ``size`` (bytes,
    including the 8-byte tag header) and its payload as little-endian u32 ``fields``
    (the information request's requested MBI types; the address tag's header_addr,
    load_addr, load_end_addr, bss_end_addr; the relocatable tag's min_addr, max_addr,
    align, preference; ...), as many as ``size`` covers and the data holds."""

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

    @property
    def next_offset(self) -> int:
        """Where the next tag starts: ``offset + ALIGN_UP(size, 8)``, as GRUB walks."""
        return self.offset + (self.size + TAG_ALIGN - 1) // TAG_ALIGN * TAG_ALIGN

    def field(self, index: int) -> int | None:
        """The payload's u32 number ``index``, or None when the tag is too short."""
        return self.fields[index] if index < len(self.fields) else None


@dataclass(frozen=True)
class Multiboot2Header:
    """A Multiboot 2 header at file ``offset`` (bytes), with its tags as far as they
    could be walked. ``defects`` are the problems found in the header itself, each one
    sentence with the numbers that quotes GRUB's message where GRUB has one (the
    relocatable tag's range is checked against the image by
    :func:`relocatable_problem`)."""

    offset: int
    architecture: int
    header_length: int
    checksum: int
    tags: tuple[Tag, ...]
    defects: tuple[Defect, ...]

    @property
    def checksum_ok(self) -> bool:
        """magic + architecture + header_length + checksum is 0 modulo 2**32."""
        total = MAGIC + self.architecture + self.header_length + self.checksum
        return total & 0xFFFFFFFF == 0

    @property
    def expected_checksum(self) -> int:
        """The checksum that makes the sum zero."""
        return -(MAGIC + self.architecture + self.header_length) & 0xFFFFFFFF

    @property
    def matches(self) -> bool:
        """What GRUB 2.06 needs to call it a header at all: zero sum and architecture 0
        (``MULTIBOOT2_ARCHITECTURE_CURRENT`` on x86)."""
        return self.checksum_ok and self.architecture == ARCH_I386

    @property
    def in_window(self) -> bool:
        """Where GRUB 2.06 looks: an 8-aligned offset with the first 12 bytes inside the
        first :data:`SEARCH` bytes (``multiboot_mbi2.c``, ``header <= buffer + len -
        12``). With 8-byte steps that is also where ``grub-file`` looks (16 bytes)."""
        return self.offset % ALIGN == 0 and self.offset + 12 <= SEARCH

    def tag(self, type_: int) -> Tag | None:
        """The first tag of this type, or None."""
        return next((t for t in self.tags if t.type == type_), None)


def parse(data: bytes, offset: int, base: int = 0) -> Multiboot2Header | None:
    """The header at index ``offset`` of ``data``, whose first byte is at file offset
    ``base``; offsets in the result are file offsets. None when the magic is not there
    or the 16 fixed bytes are cut off. Never raises."""
    if offset < 0 or data[offset : offset + 4] != _MAGIC_BYTES or offset + 16 > len(data):
        return None
    _, arch, length, checksum = struct.unpack_from("<4I", data, offset)
    at = base + offset
    defects: list[Defect] = []
    total = (MAGIC + arch + length + checksum) & 0xFFFFFFFF
    if total:
        want = (-(MAGIC + arch + length)) & 0xFFFFFFFF
        defects.append(
            Defect(
                CHECKSUM,
                at,
                f"checksum is {checksum:#010x}, should be {want:#010x} (magic + architecture"
                f" + header_length {length} + checksum must be 0 mod 2**32; the sum is"
                f' {total:#010x}); GRUB: "no multiboot header found."',
            )
        )
    if arch != ARCH_I386:
        what = "MIPS32" if arch == ARCH_MIPS32 else "not a defined architecture"
        defects.append(
            Defect(
                ARCHITECTURE,
                at,
                f"architecture is {arch} ({what}), not 0 (i386 protected mode), the only one"
                ' GRUB on x86 accepts; GRUB: "no multiboot header found."',
            )
        )
    tags, tag_defects = _walk_tags(data, offset, length, base)
    defects.extend(tag_defects)
    return Multiboot2Header(at, arch, length, checksum, tuple(tags), tuple(defects))


def _walk_tags(data: bytes, offset: int, length: int, base: int) -> tuple[list[Tag], list[Defect]]:
    """The tags from ``offset + 16`` as GRUB walks them, and their defects."""
    tags: list[Tag] = []
    defects: list[Defect] = []
    header_end = offset + length
    if length < 16 + 8:
        defects.append(
            Defect(
                HEADER_LENGTH,
                base + offset,
                f"header_length is {length}: too short for the 16 bytes of fields and an end tag",
            )
        )
    pos = offset + 16
    ended = False
    while pos + 8 <= len(data) and pos < header_end + _WALK_SLACK:
        type_, flags, size = struct.unpack_from("<HHI", data, pos)
        body = data[pos + 8 : pos + max(8, min(size, len(data) - pos))]
        fields = tuple(v for (v,) in struct.iter_unpack("<I", body[: len(body) // 4 * 4]))
        tag = Tag(base + pos, type_, flags, size, fields)
        tags.append(tag)
        misread = bool(defects) and defects[-1].kind == TAG_PADDING
        overrun = any(d.kind == TAG_OVERRUN for d in defects)  # said once is enough
        found = _tag_defects(tag, base + header_end, data, base, misread, overrun)
        defects.extend(found)
        if type_ == TAG_END:
            ended = True
            break
        if size == 0:
            if not any(d.grub_refuses for d in found):  # else GRUB stops before advancing
                defects.append(
                    Defect(
                        TAG_SIZE,
                        tag.offset,
                        f"the {tag.name} tag at offset {tag.offset:#x} has size 0: GRUB"
                        " advances by ALIGN_UP(size, 8) = 0 and loops on it forever (the"
                        " machine hangs)",
                    )
                )
            break
        pos = tag.next_offset - base
    if not ended and (not tags or tags[-1].size):
        how = (
            f"reaches the end of the data read at offset {base + pos:#x}"
            if pos + 8 > len(data)
            else f"runs more than {_WALK_SLACK} bytes past header_length {length}"
        )
        defects.append(
            Defect(
                END_TAG,
                base + offset,
                f"no end tag (type 0, size 8): the tag list, walked as GRUB walks it, {how}"
                " without one; GRUB reads on into whatever follows",
            )
        )
    end_at = tags[-1].offset + max(8, tags[-1].size) if ended else 0
    if ended and end_at != base + header_end:
        defects.append(
            Defect(
                HEADER_LENGTH,
                base + offset,
                f"header_length is {length} bytes but the end tag ends"
                f" {end_at - base - offset} bytes from the header's start",
            )
        )
    address = next((t for t in tags if t.type == TAG_ADDRESS), None)
    if address is not None and not any(t.type == TAG_ENTRY_ADDRESS for t in tags):
        defects.append(
            Defect(
                ADDRESS_WITHOUT_ENTRY,
                address.offset,
                f"an address tag (type 2, at offset {address.offset:#x}) without an entry"
                ' address tag (type 3); GRUB: "load address tag without entry address tag."',
            )
        )
    return tags, defects


def _tag_defects(
    tag: Tag,
    header_end: int,
    data: bytes,
    base: int,
    misread: bool = False,
    overrun_said: bool = False,
) -> list[Defect]:
    """The defects of one tag; ``misread``: the tag before it was not padded, so this
    is what GRUB reads from the middle of the next one; ``overrun_said``: a tag before
    it already ran past header_length."""
    out: list[Defect] = []
    where = (
        f"the {tag.name} tag at offset {tag.offset:#x}"
        if tag.type in TAG_NAMES
        else f"the tag at offset {tag.offset:#x}"
    )
    if misread:
        where = f"what GRUB reads as a tag at offset {tag.offset:#x}"
    want = TAG_SIZES.get(tag.type)
    if tag.type == TAG_INFORMATION_REQUEST:
        if tag.size < 8 or (tag.size - 8) % 4:
            out.append(
                Defect(
                    TAG_SIZE,
                    tag.offset,
                    f"{where} has size {tag.size}; the spec defines 8 + 4 per requested type",
                )
            )
    elif want is not None and tag.size != want:
        out.append(
            Defect(TAG_SIZE, tag.offset, f"{where} has size {tag.size}, the spec defines {want}")
        )
    if tag.offset + tag.size > header_end and not overrun_said:
        out.append(
            Defect(
                TAG_OVERRUN,
                tag.offset,
                f"{where} runs {tag.offset + tag.size - header_end} bytes past header_length",
            )
        )
    unaligned = tag.offset + tag.size - base
    if (
        tag.size % TAG_ALIGN
        and tag.type != TAG_END
        and _plausible_tag(data, unaligned)
        and not _plausible_tag(data, tag.next_offset - base)
    ):
        out.append(
            Defect(
                TAG_PADDING,
                tag.offset,
                f"{where} has size {tag.size}, so the next tag starts 8-byte aligned at"
                f" {tag.next_offset:#x}, but a tag header sits unaligned right after it, at"
                f" {base + unaligned:#x}: the next tag was written without `.balign 8`, and"
                " GRUB reads it from the wrong place",
            )
        )
    if tag.type not in GRUB_TAG_TYPES and not tag.optional:
        known = (
            "which the spec defines but GRUB 2.06 does not handle"
            if tag.type in TAG_NAMES
            else "which GRUB does not know"
        )
        out.append(
            Defect(
                UNSUPPORTED_TAG,
                tag.offset,
                f"{where} has type {tag.type}, {known}, and is not marked optional (flags"
                f' bit 0); GRUB: "unsupported tag: {tag.type:#x}."',
            )
        )
    if tag.type == TAG_INFORMATION_REQUEST and not tag.optional:
        for want_type in tag.fields[: max(0, tag.size - 8) // 4]:
            if want_type not in GRUB_INFO_TYPES:
                out.append(
                    Defect(
                        INFO_REQUEST,
                        tag.offset,
                        f"{where} requests MBI tag type {want_type}, which GRUB 2.06 does"
                        ' not provide, and is not marked optional; GRUB: "unsupported'
                        f' information tag: {want_type:#x}."',
                    )
                )
    return out


def _plausible_tag(data: bytes, pos: int) -> bool:
    """``data[pos:]`` starts like a tag someone wrote: a spec type with its size (the
    end tag: 8), flags 0 or 1. Padding (zeros, or the NOPs GNU as puts in code
    sections) does not, unless it is zeros followed by a size of 8."""
    if pos < 0 or pos + 8 > len(data):
        return False
    type_, flags, size = struct.unpack_from("<HHI", data, pos)
    if flags > FLAG_OPTIONAL or type_ not in TAG_SIZES:
        return False
    if type_ == TAG_INFORMATION_REQUEST:
        return 8 <= size <= 256 and (size - 8) % 4 == 0
    return size == TAG_SIZES[type_]


def scan(
    data: bytes, base: int = 0, limit: int | None = None, start: int = 0
) -> list[Multiboot2Header]:
    """Every :data:`ALIGN`-aligned occurrence of the magic in ``data``, decoded;
    ``base`` is the file offset of ``data[0]`` (alignment is judged on file offsets,
    and reported offsets are file offsets); ``start`` and ``limit`` bound the file
    offsets searched (magics starting in ``[start, limit)``; a header may extend past
    ``limit``).
    Occurrences with a wrong checksum or architecture are included (KL402)."""
    hits = aligned_hits(data, _MAGIC_BYTES, ALIGN, base, limit, start)
    return [h for h in (parse(data, i, base) for i in hits) if h is not None]


def relocatable_problem(tag: Tag, load_size: int) -> str | None:
    """Why GRUB 2.06 refuses the relocatable ``tag`` for an image of ``load_size``
    bytes (``highest p_paddr + p_memsz - lowest p_paddr`` over the ``PT_LOAD``s, or
    what the address tag says), or None. GRUB's test (``multiboot_elfxx.c``):
    ``load_size > max_addr || min_addr > max_addr - load_size`` → "invalid min/max
    address and/or load size"."""
    min_addr, max_addr = tag.field(0), tag.field(1)
    if min_addr is None or max_addr is None:
        return None
    if load_size > max_addr or min_addr > max_addr - load_size:
        room = max(0, max_addr - min_addr)
        return (
            f"the relocatable tag at offset {tag.offset:#x} allows [min_addr {min_addr:#x},"
            f" max_addr {max_addr:#x}], {room:#x} bytes, but the image needs {load_size:#x}"
            ' bytes; GRUB: "invalid min/max address and/or load size."'
        )
    return None
