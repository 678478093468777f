"""Finding headers in ELF files (kernlint/boot/headers.py) and the protocols they
imply (kernlint/boot/protocol.py), on kernels linked by GNU as/ld."""

from __future__ import annotations

import pytest

from kernlint.boot import multiboot2
from kernlint.boot.headers import load_span, placement, read_headers
from kernlint.boot.protocol import MULTIBOOT1, MULTIBOOT2, PVH, detect
from kernlint.elf.reader import read_image
from tests.bootproto.build import kernel, mb1, mb2
from tests.conftest import needs_toolchain, sample

pytestmark = needs_toolchain


def headers_of(path):
    return read_headers(read_image(str(path)))


def test_headers_in_the_windows(tmp_path):
    h = headers_of(kernel(tmp_path, mb1(3) + bytes(4) + mb2(), align=8))
    (one,) = h.multiboot1
    (two,) = h.multiboot2
    assert one.offset == 0x1000 and two.offset == 0x1010
    assert h.grub_multiboot1 is one and h.qemu_multiboot1 is one
    assert h.grub_multiboot2 is two and h.grub_file_multiboot2
    assert h.beyond_window == ((), ())
    assert detect(h) == {MULTIBOOT1, MULTIBOOT2}


def test_grub_takes_the_first_valid_one(tmp_path):
    h = headers_of(kernel(tmp_path, mb1(3, checksum=1) + mb1(3)))
    assert [x.checksum_ok for x in h.multiboot1] == [False, True]
    assert h.grub_multiboot1.offset == 0x100C


def test_architecture_is_what_grub_file_does_not_check(tmp_path):
    h = headers_of(kernel(tmp_path, mb2(arch=4)))
    assert h.grub_multiboot2 is None and h.grub_file_multiboot2


def test_beyond_the_window_and_who_put_it_there(tmp_path):
    h = headers_of(kernel(tmp_path, mb2(), before=40000))
    assert h.multiboot2 == ()
    (far,) = h.beyond_window[1]
    assert far.offset == 0x1000 + 40000 and far.matches
    assert detect(h) == {MULTIBOOT2}
    where = placement(h, far.offset)
    assert (where.section, where.into, where.address) == (".text", 40000, 0x100000 + 40000)
    assert where.symbol == "hdr"
    assert where.pushers == ((".text", 40000),)
    assert where.describe_pushers() == ".text (40000 bytes)"


def test_a_pvh_note_does_not_hide_a_header_beyond_the_window(tmp_path):
    note = """
        .section .note.Xen, "a", @note
        .balign 4
        .long 4, 4, 18
        .asciz "Xen"
        .long _start
"""
    named = note + "\n        .globl multiboot_header\n        .set multiboot_header, hdr\n"
    h = headers_of(kernel(tmp_path, mb2(), before=40000, extra=named))
    assert detect(h) == {MULTIBOOT2, PVH}
    # Beside another protocol's signs, the loaded bytes are scanned only when a section
    # or symbol is named like a header (Linux's 60 MB with its PVH note is not).
    h = headers_of(kernel(tmp_path, mb2(), name="anon", before=40000, extra=note))
    assert detect(h) == {PVH}


def test_header_in_a_non_allocated_section(tmp_path):
    # `.section .hdr` without "a": not loaded, but its bytes are in the file; GRUB
    # reads the file, so in the window it counts, and further in it is still found.
    h = headers_of(kernel(tmp_path, mb1(3), section_flags="", placed=False))
    assert h.grub_multiboot1 is not None
    h = headers_of(
        kernel(tmp_path, mb1(3), section_flags="", placed=False, before=9000, name="far")
    )
    (far,) = h.beyond_window[0]
    assert placement(h, far.offset).section == ".hdr"
    assert placement(h, far.offset).address is None


def test_the_mapped_scan_finds_what_a_plain_scan_finds(tmp_path):
    """The scan beyond the windows searches the file's memory map in ranges: it finds
    the same headers as a scan of the whole file's bytes (those in loaded bytes)."""
    elf = kernel(tmp_path, mb2(), before=40000)
    data = elf.read_bytes()
    want = [h for h in multiboot2.scan(data) if h.checksum_ok and not h.in_window]
    assert want and list(headers_of(elf).beyond_window[1]) == want
    image = read_image(str(elf))
    assert bytes(image.reader.mapping()[:4]) == b"\x7fELF"
    image.reader.close()


def test_magic_in_the_symbol_table_is_no_header(tmp_path):
    # `.set MB1_MAGIC, 0x1BADB002` stores the magic as a symbol value in .symtab.
    extra = ".set MB1_MAGIC, 0x1BADB002\n.set MB2_MAGIC, 0xE85250D6\n.globl MB1_MAGIC, MB2_MAGIC"
    elf = kernel(tmp_path, b"", extra=extra)
    raw = elf.read_bytes()
    assert raw.find(bytes.fromhex("02b0ad1b")) > 0
    h = headers_of(elf)
    assert h.multiboot1 == () and h.multiboot2 == () and detect(h) == frozenset()


def test_load_span(tmp_path):
    image = read_image(str(kernel(tmp_path, mb2())))
    low, high = load_span(image)
    assert low == 0x100000 and high == max(s.p_paddr + s.p_memsz for s in image.load_segments)


def test_sample_placements():
    h = headers_of(sample("kl403", "bad-header-past-8k.elf"))
    where = placement(h, h.beyond_window[0][0].offset)
    assert (where.section, where.into, where.pushers) == (".multiboot", 0, ((".text", 13040),))
    assert where.symbol == "mb1_header"
    h = headers_of(sample("kl410", "bad-phdrs-far.elf"))  # hand-written, no .symtab
    assert h.grub_multiboot1.offset == 0x1000


def test_big_program_header_table_counts_as_a_pusher(tmp_path):
    entries = " ".join(f"n{i} PT_NULL;" for i in range(300))
    h = headers_of(kernel(tmp_path, mb1(3), phdrs=f"p0 PT_LOAD FLAGS(5); {entries}"))
    (far,) = h.beyond_window[0]
    assert ("the program header table", 301 * 32) in placement(h, far.offset).pushers


@pytest.mark.parametrize("elf64", [False, True])
def test_elf64_too(tmp_path, elf64):
    h = headers_of(kernel(tmp_path, mb2(), elf64=elf64))
    assert h.grub_multiboot2.offset == 0x1000


def test_protocol_names_match_the_bootloader_api_decoder():
    from kernlint.boot import bootloader_api, protocol

    assert protocol.BOOTLOADER_CONFIG_SECTION == bootloader_api.SECTION
    assert protocol.BOOTLOADER_CONFIG_SYMBOL == bootloader_api.SYMBOL
