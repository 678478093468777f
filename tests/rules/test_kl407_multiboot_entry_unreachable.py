"""KL407: GRUB's (and QEMU's) translation of e_entry through the program headers."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, kernlint, needs_toolchain, sample

FOLDER = "kl407"
OUTPUTS = ("bad-higher-half-no-at.elf", "bad-entry-outside.elf", "good-higher-half-at.elf")


def findings(path: Path, protocol: str | None = None, rule: str = "KL407") -> list:
    return run([str(path)], select_rules([rule]), Config(boot_protocol=protocol)).findings


# -- the samples ----------------------------------------------------------------------


def test_higher_half_without_at_crosses_4_gib():
    (f,) = findings(sample(FOLDER, "bad-higher-half-no-at.elf"))
    assert (
        "segment 0 (PT_LOAD 0xffffffff80100000-0xffffffff80100610 R E) is loaded at physical"
        " 0xffffffff80100000-0xffffffff80100610 (p_paddr = p_vaddr: no AT(); holds .text,"
        " .note.Xen)" in f.message
    )
    assert "segment 1 (PT_LOAD 0xffffffff80101000-0xffffffff80101008 RW)" in f.message
    assert f.message.endswith('"segment crosses 4 GiB border."')
    assert f.location.segment == 0 and f.location.address == 0xFFFFFFFF80100000
    assert "AT(ADDR(.text) - KERNEL_VMA)" in f.fix and "0xffffffff80000000" in f.fix


def test_physical_entry_is_in_no_segment():
    (f,) = findings(sample(FOLDER, "bad-entry-outside.elf"))
    assert f.message.startswith("e_entry 0x100018 is in no program header's [p_vaddr,")
    assert "it is a physical address, inside segment 0" in f.message
    assert "load range 0x100000-0x100610" in f.message
    assert 'GRUB: "entry point isn\'t in a segment."' in f.message
    assert f.location.address == 0x100018
    assert "0xffffffff80100018" in f.fix


def test_kl104_accepts_what_grub_refuses():
    """The vmlinux convention: a physical e_entry inside a p_paddr range is fine for
    KL104 (a loader that uses p_paddr), not for GRUB (KL407)."""
    assert findings(sample(FOLDER, "bad-entry-outside.elf"), rule="KL104") == []


def test_fixed_twin_is_silent():
    assert findings(sample(FOLDER, "good-higher-half-at.elf")) == []


def test_boot_protocol_none_and_pvh_silence_it():
    bad = sample(FOLDER, "bad-higher-half-no-at.elf")
    assert findings(bad, protocol="none") == []
    assert findings(bad, protocol="pvh") == []
    out = kernlint("check", "--select", "KL407", "--boot-protocol", "none", str(bad))
    assert out.code == 0


def test_explicit_protocol_makes_it_fire_without_a_header():
    """KL104's vmlinux-style sample has no Multiboot header: silent unless asked."""
    path = next(SAMPLES.glob("kl104-*/good-phys-entry.elf"))
    assert findings(path) == []
    (f,) = findings(path, protocol="multiboot1")
    assert "it is a physical address" in f.message


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_agrees_that_the_headers_are_valid():
    from kernlint.boot.headers import read_headers
    from kernlint.elf.reader import read_image

    for name in OUTPUTS:
        path = sample(FOLDER, name)
        image = read_image(str(path))
        try:
            assert read_headers(image).grub_multiboot2 is not None, name
        finally:
            image.reader.close()
        assert subprocess.run(["grub-file", "--is-x86-multiboot2", str(path)]).returncode == 0
        assert subprocess.run(["grub-file", "--is-x86-multiboot", str(path)]).returncode == 1


# -- patched and targeted builds -------------------------------------------------------


def _phdrs(data: bytearray) -> tuple[int, int, int]:
    """(e_phoff, e_phentsize, e_phnum) of an ELF64."""
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return phoff, phentsize, phnum


def test_first_program_header_of_any_type_decides(tmp_path):
    """GRUB takes the first program header of any type that holds e_entry (observed:
    this file gets "invalid entry point for ELF64." from GRUB 2.06): a PT_NOTE copied
    over the text PT_LOAD's virtual range with p_paddr + 4 GiB, placed first."""
    data = bytearray(sample(FOLDER, "good-higher-half-at.elf").read_bytes())
    phoff, size, count = _phdrs(data)
    ph = [struct.unpack_from("<IIQQQQQQ", data, phoff + i * size) for i in range(count)]
    text, note = list(ph[0]), list(ph[2])
    assert text[0] == 1 and note[0] == 4
    note[2:7] = text[2], text[3], text[4] + (1 << 32), text[5], text[6]
    for i, entry in enumerate([note, ph[0], ph[1]]):
        struct.pack_into("<IIQQQQQQ", data, phoff + i * size, *entry)
    path = tmp_path / "entry-4g.elf"
    path.write_bytes(bytes(data))
    (f,) = findings(path)
    assert "e_entry 0xffffffff80100018 is first found in segment 0 (PT_NOTE" in f.message
    assert "GRUB takes the first program header of any type that holds it" in f.message
    assert "translates it to 0x100100018" in f.message
    assert f.message.endswith('"invalid entry point for ELF64."')


def _patch_entry(path: Path, entry: int, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    if data[4] == 2:  # ELFCLASS64
        struct.pack_into("<Q", data, 0x18, entry)
    else:
        struct.pack_into("<I", data, 0x18, entry)
    out.write_bytes(bytes(data))
    return out


def test_aout_kludge_means_grub_does_not_read_the_elf(tmp_path):
    """With flag 16 GRUB loads the file as the a.out-kludge fields say and jumps to
    entry_addr: e_entry no longer matters."""
    kl408 = next(SAMPLES.glob("kl408-*"))
    kludge = _patch_entry(
        kl408 / "good-mb1-elf64-aout-kludge.elf", 0x5000000, tmp_path / "kludge.elf"
    )
    assert findings(kludge) == []
    plain = _patch_entry(kl408 / "good-mb1-elf32.elf", 0x5000000, tmp_path / "plain.elf")
    (f,) = findings(plain)
    assert "e_entry 0x5000000 is in no program header's" in f.message
    assert "no PT_LOAD covers it" in f.message


QEMU_SOURCE = """\
.section .multiboot, "a"
.balign 4
.long 0x1BADB002, 0, -0x1BADB002
.section .boot, "{flags}"
.code32
.globl _start
_start:
    cli
1:  hlt
    jmp 1b
"""

QEMU_SCRIPT = """\
ENTRY(_start)
KERNEL_VMA = 0xC0000000;
PHDRS {{ text PT_LOAD FLAGS({phdr}); }}
SECTIONS {{
    . = KERNEL_VMA + 1M;
    .text : AT(ADDR(.text) - KERNEL_VMA) {{ KEEP(*(.multiboot)) *(.boot) }} :text
}}
"""


def _build_higher_half(tmp_path: Path, phdr: int) -> Path:
    src, obj = tmp_path / "hh.s", tmp_path / "hh.o"
    script, image = tmp_path / f"hh{phdr}.ld", tmp_path / f"hh{phdr}.elf"
    src.write_text(QEMU_SOURCE.format(flags="ax"))
    script.write_text(QEMU_SCRIPT.format(phdr=phdr))
    subprocess.run(["as", "--32", "-o", str(obj), str(src)], check=True)
    subprocess.run(
        ["ld", "-m", "elf_i386", "-nostdlib", "--build-id=none", "-z", "noexecstack",
         "-T", str(script), "-o", str(image), str(obj)],
        check=True,
    )  # fmt: skip
    return image


@needs_toolchain
def test_qemu_needs_pf_x_to_translate_the_entry(tmp_path):
    """An ELF32 Multiboot 1 higher-half kernel whose entry segment is R only: GRUB
    translates e_entry, QEMU -kernel jumps to it untranslated (observed: hangs)."""
    (f,) = findings(_build_higher_half(tmp_path, 4))
    assert f.message.startswith(
        "QEMU -kernel translates a virtual e_entry only through an executable PT_LOAD"
    )
    assert "segment 0 (PT_LOAD 0xc0100000-0xc0100010 R) lacks PF_X (R)" in f.message
    assert "it jumps to 0xc010000c, the virtual address" in f.message
    assert "(GRUB jumps to 0x10000c)" in f.message
    assert "FLAGS(5)" in f.fix
    assert findings(_build_higher_half(tmp_path, 5)) == []
    # Multiboot 2 is GRUB only: no QEMU translation to judge.
    assert findings(_build_higher_half(tmp_path, 4), protocol="multiboot2") == []
