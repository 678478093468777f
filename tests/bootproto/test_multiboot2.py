"""The Multiboot 2 decoder (kernlint/boot/multiboot2.py) on hand-built headers: every
tag type 0-10, every defect, and junk that must never raise."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernlint.boot import multiboot2 as m2
from tests.bootproto.build import END, mb2, tag

#: One well-formed tag of each type 1-10 (the end tag, 0, closes every header), with
#: the payload the decoder must give back as ``fields``.
TAGS = {
    1: (tag(1, 4, 6, 21), (4, 6, 21)),  # information request: meminfo, mmap, load base
    2: (tag(2, 0x100000, 0x100000, 0x100400, 0x102000), (0x100000, 0x100000, 0x100400, 0x102000)),
    3: (tag(3, 0x10000C), (0x10000C,)),  # entry address
    4: (tag(4, 3), (3,)),  # console flags: console required, EGA text supported
    5: (tag(5, 1024, 768, 32), (1024, 768, 32)),  # framebuffer
    6: (tag(6), ()),  # module alignment
    7: (tag(7), ()),  # EFI boot services
    8: (tag(8, 0x100020, flags=1), (0x100020,)),  # EFI i386 entry (optional: GRUB 2.06)
    9: (tag(9, 0x100040), (0x100040,)),  # EFI amd64 entry
    10: (tag(10, 0x200000, 0x400000, 4096, 1), (0x200000, 0x400000, 4096, 1)),
}


def one(data: bytes) -> m2.Multiboot2Header:
    (h,) = m2.scan(data)
    return h


def kinds(h: m2.Multiboot2Header) -> list[str]:
    return [d.kind for d in h.defects]


def test_minimal_header():
    h = one(mb2())
    assert (h.offset, h.architecture, h.header_length) == (0, 0, 24)
    assert h.checksum_ok and h.matches and h.in_window and h.defects == ()
    assert [(t.type, t.size, t.offset) for t in h.tags] == [(0, 8, 16)]
    assert h.expected_checksum == h.checksum == 0x17ADAF12


@pytest.mark.parametrize("type_", sorted(TAGS), ids=lambda t: m2.TAG_NAMES[t])
def test_every_tag_type_decodes(type_):
    raw, fields = TAGS[type_]
    h = one(mb2(raw, TAGS[3][0]) if type_ == 2 else mb2(raw))  # 2 needs 3 (GRUB)
    assert h.defects == (), h.defects
    t = h.tag(type_)
    assert t is not None and t.offset == 16 and t.fields == fields
    assert t.name == m2.TAG_NAMES[type_]
    assert t.size == (8 + 4 * len(fields) if type_ == 1 else m2.TAG_SIZES[type_])
    assert t.next_offset == 16 + len(raw)
    assert h.tags[-1].type == 0 and h.tags[-1].offset == h.header_length - 8


def test_all_tags_together():
    h = one(mb2(*(raw for raw, _ in TAGS.values())))
    assert h.defects == ()
    assert [t.type for t in h.tags] == [*TAGS, 0]
    assert h.tag(10).field(3) == 1 and h.tag(10).field(4) is None


def test_checksum_and_architecture():
    h = one(mb2(checksum=0x17ADAF2A))
    assert kinds(h) == [m2.CHECKSUM] and not h.matches
    assert "should be 0x17adaf12" in h.defects[0] and "no multiboot header found." in h.defects[0]
    h = one(mb2(arch=4))
    assert kinds(h) == [m2.ARCHITECTURE] and h.checksum_ok and not h.matches
    assert "architecture is 4 (MIPS32)" in h.defects[0]
    assert "not a defined architecture" in one(mb2(arch=7)).defects[0]


def test_header_length():
    h = one(mb2(length=32) + bytes(8))
    assert kinds(h) == [m2.HEADER_LENGTH]
    assert "header_length is 32 bytes but the end tag ends 24 bytes" in h.defects[0]
    h = one(mb2(length=16, end=True))
    assert m2.HEADER_LENGTH in kinds(h) and "too short" in h.defects[0]


def test_tag_size_overrun_padding_and_zero():
    h = one(mb2(tag(3, 0x100000, 0)))  # entry address tag of 16 bytes
    assert kinds(h) == [m2.TAG_SIZE] and "has size 16, the spec defines 12" in h.defects[0]
    h = one(mb2(tag(1, 6, size=14)))  # information request: not 8 + 4n
    assert kinds(h) == [m2.TAG_SIZE] and "8 + 4 per requested type" in h.defects[0]
    h = one(mb2(tag(6), length=24))  # header_length stops inside the list
    assert m2.TAG_OVERRUN in kinds(h)
    h = one(mb2(tag(3, 0x100000, pad=False) + tag(6, pad=False) + END, end=False))
    assert kinds(h)[0] == m2.TAG_PADDING
    assert "a tag header sits unaligned right after it, at 0x1c" in h.defects[0]
    assert "without `.balign 8`" in h.defects[0]
    # padding that is not zero is fine: GNU as pads code sections with NOPs (Xen does)
    nops = tag(4, 3, pad=False) + b"\x90" * 4 + tag(6)
    assert one(mb2(nops)).defects == ()
    assert "what GRUB reads as a tag at offset 0x20" in h.defects[1]
    assert m2.UNSUPPORTED_TAG in kinds(h)  # the size field 8 read as type 8
    h = one(mb2(tag(6, size=0)))
    assert kinds(h) == [m2.TAG_SIZE, m2.TAG_SIZE] and "loops on it forever" in h.defects[-1]
    assert [t.type for t in h.tags] == [6]  # the walk stops there, as GRUB would not


def test_unsupported_tags():
    h = one(mb2(tag(11, 1, 2)))
    assert kinds(h) == [m2.UNSUPPORTED_TAG] and 'GRUB: "unsupported tag: 0xb."' in h.defects[0]
    assert "which GRUB does not know" in h.defects[0]
    h = one(mb2(tag(8, 0x100020)))  # spec type GRUB 2.06 has no case for
    assert kinds(h) == [m2.UNSUPPORTED_TAG] and "unsupported tag: 0x8." in h.defects[0]
    assert "the spec defines but GRUB 2.06 does not handle" in h.defects[0]
    assert one(mb2(tag(11, 1, 2, flags=1))).defects == ()  # optional: GRUB skips it
    # an unknown tag of size 0 stops GRUB with an error, not a hang
    h = one(mb2(tag(12, size=0)))
    assert kinds(h) == [m2.UNSUPPORTED_TAG]


def test_information_requests():
    h = one(mb2(tag(1, 6, 13, 22)))
    assert kinds(h) == [m2.INFO_REQUEST, m2.INFO_REQUEST]
    assert 'GRUB: "unsupported information tag: 0xd."' in h.defects[0]
    assert "0x16." in h.defects[1]
    assert one(mb2(tag(1, 13, flags=1))).defects == ()  # optional request


def test_end_tag():
    h = one(mb2(tag(6), end=False) + tag(11, flags=1) * 600)  # optional tags, no end
    assert kinds(h) == [m2.TAG_OVERRUN, m2.END_TAG]  # the overrun is said once
    assert "runs more than 4096 bytes past header_length 24" in h.defects[-1]
    h = one(mb2(tag(6), end=False, length=32))  # the data stops right after
    assert kinds(h) == [m2.END_TAG] and "reaches the end of the data" in h.defects[0]
    h = one(mb2(tag(6), tag(0, size=16, pad=False) + bytes(8), end=False))
    assert kinds(h) == [m2.TAG_SIZE]


def test_address_tag_without_entry():
    h = one(mb2(TAGS[2][0]))
    assert kinds(h) == [m2.ADDRESS_WITHOUT_ENTRY]
    assert h.defects[0].offset == 16 and h.defects[0].grub_refuses
    assert "load address tag without entry address tag." in h.defects[0]
    assert one(mb2(TAGS[2][0], TAGS[3][0])).defects == ()


def test_defects_are_strings_with_kind_and_offset():
    d = one(mb2(tag(11))).defects[0]
    assert isinstance(d, str) and d.kind == m2.UNSUPPORTED_TAG and d.offset == 16
    for clone in (copy.deepcopy(d), pickle.loads(pickle.dumps(d))):
        assert clone == d and clone.kind == d.kind and clone.offset == d.offset


def test_relocatable_problem():
    t = one(mb2(TAGS[10][0])).tag(10)  # [2 MiB, 4 MiB]
    assert m2.relocatable_problem(t, 0x200000) is None
    assert m2.relocatable_problem(t, 0x1FFFFF) is None
    p = m2.relocatable_problem(t, 0x200001)
    assert "allows [min_addr 0x200000, max_addr 0x400000], 0x200000 bytes" in p
    assert "needs 0x200001 bytes" in p and "invalid min/max address and/or load size" in p
    t = one(mb2(tag(10, 0x200000, 0x100000, 0, 0))).tag(10)  # max below min
    assert m2.relocatable_problem(t, 1) is not None
    t = one(mb2(tag(10, 0, 0x1000, 0, 0))).tag(10)
    assert m2.relocatable_problem(t, 0x1001) is not None  # load_size > max_addr
    short = m2.Tag(0, 10, 0, 12, (0x200000,))
    assert m2.relocatable_problem(short, 1 << 40) is None  # no max_addr: nothing to say


def test_scan_alignment_window_and_base():
    data = bytes(4) + mb2() + bytes(4)
    assert m2.scan(data) == []  # offset 4: not 8-aligned
    (h,) = m2.scan(data, base=4)
    assert h.offset == 8 and h.tags[0].offset == 24
    far = bytes(32768) + mb2()
    assert m2.scan(far, limit=32768) == []
    (h,) = m2.scan(far)
    assert h.offset == 32768 and not h.in_window
    assert m2.Multiboot2Header(32752, 0, 24, 0, (), ()).in_window
    assert not m2.Multiboot2Header(32760, 0, 24, 0, (), ()).in_window


def test_parse_rejects_what_is_not_a_header():
    assert m2.parse(mb2()[:15], 0) is None
    assert m2.parse(bytes(24), 0) is None
    assert m2.parse(mb2(), -8) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512), st.sampled_from([0, 8, 16, 4096]))
def test_random_bytes_never_raise(data, base):
    for h in m2.scan(b"\xd6\x50\x52\xe8" + data, base=base):
        for d in h.defects:
            assert isinstance(d, str) and d.kind and d.offset >= base
        for t in h.tags:
            _ = (t.name, t.optional, t.next_offset)
            if t.type == 10:
                m2.relocatable_problem(t, 0x1000)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 3), st.lists(st.integers(0, 2**32 - 1))),
        max_size=6,
    ),
    st.integers(0, 200),
    st.integers(0, 8),
)
def test_truncated_tag_lists_never_raise(tags, cut, arch):
    data = mb2(*(tag(t, *f, flags=fl) for t, fl, f in tags), arch=arch)
    for h in m2.scan(data[: 16 + cut]):
        assert h.offset == 0 or h.offset % 8 == 0
        assert all(isinstance(d, str) for d in h.defects)
