"""KL411: the Xen PVH entry note, as QEMU -kernel (and Xen) read it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, kernlint, needs_toolchain, sample

FOLDER = "kl411"
GOOD = ("good-pvh.elf", "good-higher-half.elf", "good-pvh-elf64.elf")


def findings(path: Path, protocol: str | None = None) -> list:
    return run([str(path)], select_rules(["KL411"]), Config(boot_protocol=protocol)).findings


def _open(path: Path):
    from kernlint.elf.reader import read_image

    return read_image(str(path))


# -- the samples ----------------------------------------------------------------------


def test_virtual_entry_in_a_higher_half_kernel():
    (f,) = findings(sample(FOLDER, "bad-entry-virtual.elf"))
    assert f.message.startswith("the Xen PVH note in .note.Xen (type 18, entry 0xc0100000):")
    assert (
        "0xc0100000 is a virtual address, inside segment 0 (PT_LOAD 0xc0100000-0xc01002ec R E),"
        " whose bytes are loaded at physical 0x100000" in f.message
    )
    assert f.location.section == ".note.Xen" and f.location.segment == 2
    assert "0x100000" in f.fix and "PVH_ENTRY = pvh_start - KERNEL_VMA" in f.fix


def test_note_outside_every_pt_note():
    (f,) = findings(sample(FOLDER, "bad-note-not-in-pt-note.elf"))
    assert "is in no PT_NOTE program header" in f.message
    assert '"Error loading uncompressed kernel without PVH ELF Note"' in f.message
    assert f.location.segment is None and f.location.offset == 0x2000
    assert "note PT_NOTE;" in f.fix


def test_pt_note_aligned_to_8_is_misread_by_qemu():
    (f,) = findings(sample(FOLDER, "bad-note-align-8.elf"))
    assert f.message.startswith("segment 2 (PT_NOTE, holding .notes, p_align 8) holds")
    assert (
        "reads the descriptor at file offset 0x2014 (+4 bytes from where it is) as 8 bytes:"
        " 0x400000000, and enters at 0x0, not 0x100000" in f.message
    )
    assert ".note.gnu.property" in f.fix


def test_qemu_reading_is_reproduced():
    from kernlint.boot.pvh import find_pvh, qemu_pvh

    image = _open(sample(FOLDER, "bad-note-align-8.elf"))
    try:
        note, seen = find_pvh(image), qemu_pvh(image)
    finally:
        image.reader.close()
    assert (note.entry, note.desc_size, note.section, note.segment) == (0x100000, 4, ".notes", 2)
    assert (seen.value, seen.entry, seen.align, seen.refused) == (0x400000000, 0, 8, False)
    image = _open(sample(FOLDER, "good-pvh-elf64.elf"))
    try:
        assert qemu_pvh(image).entry == find_pvh(image).entry == 0x100000
    finally:
        image.reader.close()


def test_fixed_twins_are_silent():
    for name in GOOD:
        assert findings(sample(FOLDER, name)) == [], name


def test_boot_protocol_none_silences_it():
    bad = sample(FOLDER, "bad-entry-virtual.elf")
    assert findings(bad, protocol="none") == []
    assert findings(bad, protocol="multiboot1") == []
    out = kernlint("check", "--select", "KL411", "--boot-protocol", "none", str(bad))
    assert out.code == 0 and "KL411" not in out.stdout


def test_explicit_pvh_reports_a_missing_note():
    path = next(SAMPLES.glob("kl409-*/good.elf"))
    assert findings(path) == []
    (f,) = findings(path, protocol="pvh")
    assert f.message.startswith('no Xen PVH entry note (name "Xen", type 18')
    assert "Error loading uncompressed kernel without PVH ELF Note" in f.message


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_finds_no_multiboot_header():
    folder = next(SAMPLES.glob("kl411-*"))
    for path in sorted(folder.glob("*.elf")):
        for option in ("--is-x86-multiboot", "--is-x86-multiboot2"):
            assert subprocess.run(["grub-file", option, str(path)]).returncode == 1


# -- targeted builds -------------------------------------------------------------------

NOTE = """\
.pushsection .note.Xen, "a", @{kind}
.balign 4
.long 4, {descsz}, {type}
.asciz "Xen"
.balign 4
{desc}
.balign 4
.popsection
"""

SOURCE = """\
.text
.code32
.globl pvh_start
pvh_start:
    cli
1:  hlt
    jmp 1b
.section .rodata, "a"
.globl table
table: .long 1, 2, 3
"""

SCRIPT = """\
ENTRY(pvh_start)
PHDRS { text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); note PT_NOTE; }
SECTIONS {
    . = 1M;
    .text : { *(.text) } :text
    . = ALIGN(4K);
    .rodata : { *(.rodata) } :rodata
    .note.Xen : { KEEP(*(.note.Xen)) } :rodata :note
}
"""


def build(
    tmp_path: Path, desc: str, descsz: int = 4, kind: str = "note", bits: int = 32, note_type=18
) -> Path:
    src, obj = tmp_path / "k.s", tmp_path / "k.o"
    script, image = tmp_path / "k.ld", tmp_path / "k.elf"
    note = NOTE.format(kind=kind, descsz=descsz, type=note_type, desc=desc)
    src.write_text(SOURCE + note)
    script.write_text(SCRIPT)
    subprocess.run(["as", f"--{bits}", "-o", str(obj), str(src)], check=True)
    emulation = "elf_i386" if bits == 32 else "elf_x86_64"
    subprocess.run(
        ["ld", "-m", emulation, "-nostdlib", "--build-id=none", "-z", "noexecstack",
         "-z", "max-page-size=0x1000", "-T", str(script), "-o", str(image), str(obj)],
        check=True,
    )  # fmt: skip
    return image


@needs_toolchain
def test_a_well_formed_note_is_silent(tmp_path):
    assert findings(build(tmp_path, ".long pvh_start")) == []


@needs_toolchain
def test_descriptor_too_short(tmp_path):
    (f,) = findings(build(tmp_path, ".short 0x1000", descsz=2))
    assert "has a 2-byte descriptor" in f.message
    assert "QEMU reads 4 bytes regardless" in f.message
    assert "n_descsz = 4" in f.fix


@needs_toolchain
def test_eight_byte_entry_above_4_gib(tmp_path):
    (f,) = findings(build(tmp_path, ".quad 0xffffffff80100000", descsz=8, bits=64))
    assert "entry 0xffffffff80100000" in f.message
    assert "the entry is above 4 GiB" in f.message
    assert "QEMU takes the low half, 0x80100000" in f.message


@needs_toolchain
def test_entry_in_a_segment_without_pf_x(tmp_path):
    (f,) = findings(build(tmp_path, ".long table"))
    assert "0x101000 in .rodata lies in segment 1 (PT_LOAD 0x101000-" in f.message
    assert "which lacks PF_X (R)" in f.message


@needs_toolchain
def test_entry_in_no_segment(tmp_path):
    (f,) = findings(build(tmp_path, ".long 0x4000000"))
    assert "0x4000000 is in no PT_LOAD's load range" in f.message


@needs_toolchain
def test_only_a_relocation_note(tmp_path):
    (f,) = findings(build(tmp_path, ".long 0x200000, 0, 0xffffffff", descsz=12, note_type=19))
    assert "is a PHYS32_RELOC note (type 19) but there is no PHYS32_ENTRY note" in f.message


@needs_toolchain
def test_note_in_a_progbits_section_is_found_through_pt_note(tmp_path):
    """A note section that is not SHT_NOTE (NASM's default for an unknown name) but
    sits in a PT_NOTE: loaders read it there, and so does find_pvh."""
    from kernlint.boot.pvh import find_pvh, qemu_pvh

    image_path = build(tmp_path, ".long pvh_start", kind="progbits")
    image = _open(image_path)
    try:
        note, seen = find_pvh(image), qemu_pvh(image)
    finally:
        image.reader.close()
    assert note is not None and note.section == ".note.Xen" and note.in_pt_note
    assert note.entry == seen.entry == 0x100000
    assert findings(image_path) == []
