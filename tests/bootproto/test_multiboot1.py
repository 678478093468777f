"""The Multiboot 1 decoder (kernlint/boot/multiboot1.py) on hand-built headers."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from kernlint.boot import multiboot1 as m1
from tests.bootproto.build import mb1


def test_plain_header():
    (h,) = m1.scan(bytes(8) + mb1(3) + bytes(8))
    assert (h.offset, h.flags, h.checksum_ok, h.size) == (8, 3, True, 12)
    assert h.aout is None and h.video is None and not h.truncated
    assert h.expected_checksum == h.checksum == 0xE4524FFB
    assert h.unsupported_flags == 0 and h.grub_refusal is None


def test_bad_checksum_is_decoded_not_dropped():
    (h,) = m1.scan(mb1(3, checksum=0xE4524FF7))
    assert not h.checksum_ok and h.expected_checksum == 0xE4524FFB


def test_aout_and_video_fields():
    aout = (0x100000, 0x100000, 0x100400, 0x102000, 0x100020)
    (h,) = m1.scan(mb1(0x10007, aout=aout, video=(1, 80, 25, 0)))
    assert h.aout == m1.AoutKludge(*aout)
    assert h.video == (1, 80, 25, 0) and h.size == 48
    (h,) = m1.scan(mb1(0x10003, aout=aout))
    assert h.size == 32 and h.video is None


def test_fields_cut_off_set_truncated():
    (h,) = m1.scan(mb1(0x10003))  # flags announce the kludge, the bytes stop at 12
    assert h.truncated and h.aout is None and h.checksum_ok


def test_alignment_is_judged_on_file_offsets():
    data = bytes(2) + mb1(0) + bytes(2)
    assert m1.scan(data) == []
    (h,) = m1.scan(data, base=2)  # data[0] is file offset 2: the magic is at 4
    assert h.offset == 4


def test_limit_bounds_the_search():
    data = bytes(8192) + mb1(0)
    assert m1.scan(data, limit=8192) == []
    assert [h.offset for h in m1.scan(data)] == [8192]


def test_windows_of_grub_and_qemu():
    def at(offset):
        return m1.Multiboot1Header(offset, 0, -m1.MAGIC & 0xFFFFFFFF)

    assert at(8180).in_window and not at(8184).in_window  # 12 bytes within 8192
    assert at(8140).in_qemu_window and not at(8144).in_qemu_window  # i < 8192 - 48
    assert not at(6).in_window


def test_grub_refusals():
    (h,) = m1.scan(mb1(0xB))
    assert h.unsupported_flags == 8
    assert h.grub_refusal == "unsupported flag: 0xb"
    (h,) = m1.scan(mb1(0x10000 | 0xFFF8))
    assert h.unsupported_flags == 0xFFF8
    (h,) = m1.scan(mb1(0x4, video=(2, 0, 0, 0)))
    assert h.grub_refusal == "unsupported graphical mode type 2"
    (h,) = m1.scan(mb1(0x4, video=(0, 1024, 768, 32)))
    assert h.grub_refusal is None
    (h,) = m1.scan(mb1(0xFFFF0003))  # optional bits: fine
    assert h.grub_refusal is None


K = m1.AoutKludge


def test_aout_layout():
    k = K(0x100000, 0x100000, 0x100400, 0x102000, 0x100020)
    lay = m1.aout_layout(k, 0x1000, 0x2000)
    assert (lay.text_offset, lay.load_addr, lay.load_size, lay.memory_size) == (
        0x1000,
        0x100000,
        0x400,
        0x2000,
    )
    assert lay.load_end == 0x100400
    # load_end_addr 0: the rest of the file; bss_end_addr 0: nothing more to zero
    lay = m1.aout_layout(K(0x100010, 0x100000, 0, 0, 0x100020), 0x1010, 0x1800)
    assert (lay.text_offset, lay.load_size, lay.memory_size) == (0x1000, 0x800, 0x800)


def test_aout_consistent_fields_have_no_problem():
    k = K(0x100000, 0x100000, 0x100400, 0x102000, 0x100020)
    assert m1.aout_problems(k, 0x1000, 0x2000) == []


def test_aout_problems_in_qemus_order():
    def problems(k, offset=0x1000, size=0x2000):
        return m1.aout_problems(k, offset, size)

    (p,) = problems(K(0x100000, 0x100020, 0x100400, 0, 0x100020))
    assert "header_addr 0x100000 is below load_addr 0x100020" in p
    assert '"invalid load_addr address"' in p
    (p,) = problems(K(0x102000, 0x100000, 0x100400, 0, 0x100020))
    assert "0x2000, more than the header's file offset 0x1000" in p
    assert "0x1000 bytes before the start of the file" in p
    assert '"invalid header_addr address"' in p
    (p,) = problems(K(0x100000, 0x100000, 0xFF000, 0, 0x100020))
    assert "load_end_addr 0xff000 is below load_addr 0x100000" in p
    assert '"invalid load_end_addr address"' in p
    (p,) = problems(K(0xFFFFF000, 0xFFFFF000, 0, 0, 0xFFFFF010), 0x1000, 0x3000)
    assert "run past 4 GiB" in p and '"kernel does not fit in address space"' in p
    (p,) = problems(K(0x100000, 0x100000, 0x101800, 0, 0x100020))
    assert "0x1800 bytes from file offset 0x1000 run 0x800 bytes past the end" in p
    assert '"fread() failed"' in p
    (p,) = problems(K(0x100000, 0x100000, 0x100400, 0x100200, 0x100020))
    assert "bss_end_addr 0x100200 is below the end of the loaded bytes 0x100400" in p
    assert '"invalid bss_end_addr address"' in p
    (p,) = problems(K(0x100000, 0x100000, 0x100400, 0x102000, 0x101000))
    assert "entry_addr 0x101000 is not inside the loaded bytes" in p and "bss" in p
    (p,) = problems(K(0x100000, 0x100000, 0x100400, 0, 0x200000))
    assert "outside the image" in p


def test_parse_rejects_what_is_not_a_header():
    assert m1.parse(bytes(16), 0) is None
    assert m1.parse(mb1(0)[:8], 0) is None
    assert m1.parse(mb1(0), -4) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=256), st.integers(0, 16))
def test_random_bytes_never_raise(data, base):
    for h in m1.scan(data, base=base):
        assert h.offset % m1.ALIGN == 0
        _ = (h.checksum_ok, h.size, h.grub_refusal, h.in_window, h.in_qemu_window)
        if h.aout is not None:
            m1.aout_problems(h.aout, h.offset, len(data))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 0xFFFFFFFF),
    st.tuples(*[st.integers(0, 0xFFFFFFFF)] * 5),
    st.tuples(*[st.integers(0, 0xFFFFFFFF)] * 4),
    st.integers(0, 48),
)
def test_truncations_never_raise(flags, aout, video, cut):
    data = (mb1(flags, aout=aout, video=video) + bytes(4))[: 12 + cut]
    found = m1.scan(data)
    assert found[0].offset == 0 and found[0].flags == flags  # flags may be a magic too
    for h in found:
        if h.aout is not None:
            for problem in m1.aout_problems(h.aout, h.offset, 1 << 20):
                assert isinstance(problem, str)
    assert struct.unpack_from("<I", data)[0] == m1.MAGIC
