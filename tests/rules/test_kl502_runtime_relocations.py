"""KL502: dynamic relocations in an image whose loader applies none."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, kernlint, needs_toolchain, sample

FOLDER = "kl502"
OUTPUTS = ("bad-mb1-pie-rela.elf", "bad-mb1-pie-rel.elf", "good.elf")


def findings(path: Path, protocol: str | None = None) -> list:
    return run([str(path)], select_rules(["KL502"]), Config(boot_protocol=protocol)).findings


# -- the samples ----------------------------------------------------------------------


def test_rela_targets_left_zero_by_lld():
    (f,) = findings(sample(FOLDER, "bad-mb1-pie-rela.elf"))
    assert f.message.startswith(
        ".rela.dyn holds 1 dynamic relocation (1 R_386_RELATIVE) patching .data (1):"
        " Multiboot 1 loaders (GRUB's multiboot, QEMU -kernel) apply none"
    )
    assert (
        "the file holds 0x0 at 0x102068 (.data, banner_ptr) where R_386_RELATIVE puts"
        " 0x101000 (1 of 1 such words), and the kernel reads 0x0" in f.message
    )
    assert "--apply-dynamic-relocs" in f.message
    assert f.location.section == ".rela.dyn" and f.location.address == 0x101048
    assert "-no-pie" in f.fix


def test_rel_targets_hold_link_time_values():
    (f,) = findings(sample(FOLDER, "bad-mb1-pie-rel.elf"))
    assert f.message.startswith(".rel.dyn holds 1 dynamic relocation (1 R_386_RELATIVE)")
    assert "the file already holds the link-time values (REL keeps the addend in place)" in (
        f.message
    )


def test_fixed_twin_is_silent():
    assert findings(sample(FOLDER, "good.elf")) == []


def test_boot_protocol_none_silences_it():
    bad = sample(FOLDER, "bad-mb1-pie-rela.elf")
    assert findings(bad, protocol="none") == []
    out = kernlint("check", "--select", "KL502", "--boot-protocol", "none", str(bad))
    assert out.code == 0 and "KL502" not in out.stdout
    warn = kernlint("check", "--select", "KL502", "--fail-on", "warning", str(bad))
    assert warn.code == 1 and "KL502" in warn.stdout


def test_loaders_that_relocate_are_not_its_business():
    """The bootloader crate applies R_X86_64_RELATIVE itself (KL413 judges that)."""
    assert findings(sample(FOLDER, "bad-mb1-pie-rela.elf"), protocol="bootloader-api") == []


def test_multiboot2_points_at_kl405():
    path = next(SAMPLES.glob("kl405-*/bad-pie-rela-dyn.elf"))
    (f,) = findings(path)
    assert "Multiboot 2 loaders and PVH loaders (QEMU -kernel, Xen) apply none" in f.message
    assert "GRUB's multiboot2 refuses the file outright (KL405)" in f.message
    assert "the file holds 0x0 at 0x1020d0 (.data, banner_ptr)" in f.message


def test_bios_wording():
    (f,) = findings(sample(FOLDER, "bad-mb1-pie-rela.elf"), protocol="bios")
    assert ": the BIOS applies none;" in f.message


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_agrees_that_the_header_is_valid():
    from kernlint.boot.headers import read_headers
    from kernlint.elf.reader import read_image

    for name in OUTPUTS:
        path = sample(FOLDER, name)
        image = read_image(str(path))
        try:
            assert read_headers(image).grub_multiboot1 is not None, name
        finally:
            image.reader.close()
        assert subprocess.run(["grub-file", "--is-x86-multiboot", str(path)]).returncode == 0


# -- targeted builds -------------------------------------------------------------------


def _build(tmp_path: Path, source: str, linker: list[str], asflags: list[str]) -> Path:
    src, obj, image = tmp_path / "k.s", tmp_path / "k.o", tmp_path / "k.elf"
    src.write_text(source)
    subprocess.run(["as", *asflags, "-o", str(obj), str(src)], check=True)
    subprocess.run([*linker, "-nostdlib", "-o", str(image), str(obj)], check=True)
    return image


@needs_toolchain
def test_got_entries_and_symbol_relocations(tmp_path):
    """x86-64 code that loads a global through the GOT, linked -shared (the symbol is
    preemptible): the .got slot needs a GLOB_DAT that only a dynamic linker resolves."""
    source = (
        ".text\n.globl _start\n_start:\n movq counter@GOTPCREL(%rip), %rax\n ret\n"
        ".data\n.globl counter\ncounter: .quad 0\n"
    )
    image = _build(
        tmp_path,
        source,
        ["ld.lld", "-shared", "--build-id=none", "-z", "noexecstack"],
        ["--64", "-mrelax-relocations=no"],
    )
    assert findings(image) == []  # no header: no protocol
    (f,) = findings(image, protocol="multiboot1")
    assert "1 R_X86_64_GLOB_DAT" in f.message
    assert "patching .got (1)" in f.message
    assert "1 of them fill GOT/PLT entries, which stay as the file has them" in f.message
    assert "1 name a symbol, which only a dynamic linker looks up" in f.message


@needs_toolchain
def test_text_relocations(tmp_path):
    """GNU ld -pie with an absolute address in i386 code: "creating DT_TEXTREL in a PIE"."""
    source = ".text\n.globl _start\n_start:\n movl $value, %eax\n ret\n.data\nvalue: .long 1\n"
    image = _build(
        tmp_path,
        source,
        ["ld", "-m", "elf_i386", "-pie", "--build-id=none", "-z", "noexecstack"],
        ["--32"],
    )
    (f,) = findings(image, protocol="multiboot1")
    assert "R_386_RELATIVE" in f.message
    assert "text relocations (DT_TEXTREL and DF_TEXTREL) patch .text" in f.message
