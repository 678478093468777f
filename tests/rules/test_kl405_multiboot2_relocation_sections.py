"""KL405: relocation sections in a Multiboot 2 image (GRUB refuses any SHT_REL/SHT_RELA)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, kernlint, needs_toolchain, sample

FOLDER = "kl405"
OUTPUTS = ("bad-pie-rela-dyn.elf", "bad-emit-relocs.elf", "good.elf", "good-pie-no-relocs.elf")


def findings(path: Path, protocol: str | None = None, rule: str = "KL405") -> list:
    return run([str(path)], select_rules([rule]), Config(boot_protocol=protocol)).findings


# -- the samples ----------------------------------------------------------------------


def test_pie_with_rela_dyn():
    (f,) = findings(sample(FOLDER, "bad-pie-rela-dyn.elf"))
    assert f.message.startswith("ET_DYN image with 1 relocation section: .rela.dyn (SHT_RELA,")
    assert "1 entry, allocated: dynamic relocations of a position-independent link" in f.message
    assert 'GRUB: "ELF files with relocs are not supported yet."' in f.message
    assert f.location.section == ".rela.dyn" and f.location.address == 0x101048
    assert f.location.offset == 0x2048
    assert "-pie" in f.fix and "--emit-relocs" not in f.fix


def test_emit_relocs_keeps_non_allocated_sections():
    (f,) = findings(sample(FOLDER, "bad-emit-relocs.elf"))
    assert f.message.startswith("ET_EXEC image with 2 relocation sections")
    assert ".rela.data (SHT_RELA, 1 entry, not allocated: kept by --emit-relocs for .data)" in (
        f.message
    )
    assert ".rela.note.Xen (SHT_RELA, 1 entry" in f.message
    assert f.location.section == ".rela.note.Xen" and f.location.address is None
    assert "objcopy --remove-relocations='*'" in f.fix


def test_fixed_twins_are_silent():
    """A static link, and an ET_DYN without relocation sections: e_type proves nothing."""
    assert findings(sample(FOLDER, "good.elf")) == []
    assert findings(sample(FOLDER, "good-pie-no-relocs.elf")) == []


def test_boot_protocol_none_silences_it():
    assert findings(sample(FOLDER, "bad-pie-rela-dyn.elf"), protocol="none") == []
    out = kernlint(
        "check",
        "--format",
        "json",
        "--boot-protocol",
        "none",
        str(sample(FOLDER, "bad-pie-rela-dyn.elf")),
    )
    assert out.code == 0 and out.report["findings"] == []


def test_other_protocols_do_not_care():
    """Multiboot 1 and PVH loaders load the file (KL502 warns about it instead)."""
    assert findings(sample(FOLDER, "bad-pie-rela-dyn.elf"), protocol="multiboot1") == []
    assert findings(sample(FOLDER, "bad-pie-rela-dyn.elf"), protocol="pvh") == []


def test_explicit_multiboot2_makes_it_fire_without_a_header():
    """KL502's Multiboot 1 PIE has no Multiboot 2 header; asked about multiboot2, KL405
    still knows GRUB would refuse its .rel.dyn (REL this time)."""
    path = next(SAMPLES.glob("kl502-*/bad-mb1-pie-rel.elf"))
    assert findings(path) == []
    (f,) = findings(path, protocol="multiboot2")
    assert ".rel.dyn (SHT_REL, 1 entry, allocated" in f.message


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_agrees_that_every_header_is_valid():
    """grub-file checks magic and checksum only: all four pass, the loader refuses two."""
    from kernlint.boot.headers import read_headers
    from kernlint.elf.reader import read_image

    for name in OUTPUTS:
        path = sample(FOLDER, name)
        image = read_image(str(path))
        try:
            headers = read_headers(image)
            valid = (headers.grub_multiboot1 is not None, headers.grub_multiboot2 is not None)
        finally:
            image.reader.close()
        mb1 = subprocess.run(["grub-file", "--is-x86-multiboot", str(path)]).returncode
        mb2 = subprocess.run(["grub-file", "--is-x86-multiboot2", str(path)]).returncode
        assert (mb1 == 0, mb2 == 0) == valid == (False, True), name


# -- targeted builds -------------------------------------------------------------------


def _assemble(tmp_path: Path, text: str, *flags: str) -> Path:
    src, obj = tmp_path / "k.s", tmp_path / "k.o"
    src.write_text(text)
    subprocess.run(["as", *flags, "-o", str(obj), str(src)], check=True)
    return obj


@needs_toolchain
def test_relocatable_object_needs_an_explicit_protocol(tmp_path):
    """ET_REL gets no boot protocol of its own; under --boot-protocol multiboot2 it is
    GRUB's "this ELF file is not of the right type."."""
    obj = _assemble(
        tmp_path,
        '.section .multiboot2, "a"\n.balign 8\n'
        ".long 0xE85250D6, 0, 24, -(0xE85250D6 + 24)\n.short 0, 0\n.long 8\n"
        ".text\n.globl _start\n_start: movl $_start, %eax\n",
        "--32",
    )
    assert findings(obj) == []
    (f,) = findings(obj, protocol="multiboot2")
    assert f.message.startswith("e_type is ET_REL")
    assert '"this ELF file is not of the right type."' in f.message
    assert findings(obj, protocol="multiboot1") == []


@needs_toolchain
def test_several_sections_are_all_named(tmp_path):
    """--emit-relocs over an object with relocations in .text, .data and .rodata."""
    obj = _assemble(
        tmp_path,
        '.section .multiboot2, "a"\n.balign 8\nh:\n'
        ".long 0xE85250D6, 0, 24, -(0xE85250D6 + 24)\n.short 0, 0\n.long 8\n"
        ".text\n.globl _start\n_start: movl $msg, %eax\nmovl $ptr, %ebx\n"
        '.section .rodata, "a"\nmsg: .asciz "x"\n.data\nptr: .long msg\n',
        "--32",
    )
    script = tmp_path / "k.ld"
    script.write_text(
        "ENTRY(_start)\nSECTIONS {\n . = 1M;\n .text : { KEEP(*(.multiboot2)) *(.text) }\n"
        " .rodata : { *(.rodata) }\n .data : { *(.data) }\n}\n"
    )
    image = tmp_path / "k.elf"
    subprocess.run(
        ["ld", "-m", "elf_i386", "-nostdlib", "--build-id=none", "--emit-relocs",
         "--no-warn-rwx-segments", "-T", str(script), "-o", str(image), str(obj)],
        check=True,
    )  # fmt: skip
    (f,) = findings(image)
    assert "ET_EXEC image with 2 relocation sections" in f.message
    assert ".rel.text (SHT_REL, 2 entries, not allocated: kept by --emit-relocs for .text)" in (
        f.message
    )
    assert ".rel.data (SHT_REL, 1 entry" in f.message


@needs_toolchain
def test_an_address_tag_means_grub_reads_no_section_header(tmp_path):
    """With an address tag (and its entry tag) GRUB's multiboot2 copies the file as the
    tag says and never looks at the ELF (multiboot_mbi2.c): relocation sections are
    harmless then."""
    header = (
        '.section .multiboot2, "a"\n.balign 8\nh:\n'
        ".long 0xE85250D6, 0, e - h, -(0xE85250D6 + (e - h))\n"
        "{tags}"
        ".short 0, 0\n.long 8\ne:\n"
        ".text\n.globl _start\n_start: movl $value, %eax\n.data\nvalue: .long 1\n"
    )
    address = (
        ".short 2, 0\n.long 24\n.long h, 0x100000, _edata, _end\n"
        ".short 3, 0\n.long 12\n.long _start\n.balign 8\n"
    )
    script = tmp_path / "k.ld"
    script.write_text(
        "ENTRY(_start)\nSECTIONS {\n . = 1M;\n .text : { KEEP(*(.multiboot2)) *(.text) }\n"
        " .data : { *(.data) }\n _edata = .;\n .bss : { *(.bss) }\n _end = .;\n}\n"
    )
    for tags, expected in (("", 1), (address, 0)):
        obj = _assemble(tmp_path, header.format(tags=tags), "--32")
        image = tmp_path / "k.elf"
        subprocess.run(
            ["ld", "-m", "elf_i386", "-nostdlib", "--build-id=none", "--emit-relocs",
             "--no-warn-rwx-segments", "-T", str(script), "-o", str(image), str(obj)],
            check=True,
        )  # fmt: skip
        assert len(findings(image)) == expected, tags
