"""KL408: Multiboot kernels that GRUB loads and QEMU -kernel does not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, kernlint, needs_toolchain, sample

FOLDER = "kl408"
GOOD = (
    "good-mb1-elf32.elf",
    "good-mb1-elf64-aout-kludge.elf",
    "good-mb2-pvh.elf",
)


def findings(path: Path, protocol: str | None = None) -> list:
    return run([str(path)], select_rules(["KL408"]), Config(boot_protocol=protocol)).findings


# -- the samples ----------------------------------------------------------------------


def test_multiboot1_in_an_elf64():
    (f,) = findings(sample(FOLDER, "bad-mb1-elf64.elf"))
    assert f.message.startswith(
        "ELF64 image for EM_X86_64 with a Multiboot 1 header at file offset 0x1000"
        " (flags 0x0, no a.out kludge)"
    )
    assert '"Cannot load x86-64 image, give a 32bit one."' in f.message
    assert "GRUB's multiboot command loads it" in f.message
    assert "PVH note" not in f.message
    assert f.location.offset == 0x1000 and f.location.section == ".text"
    assert "objcopy -O elf32-i386" in f.fix and "flag 16" in f.fix


def test_multiboot2_only():
    (f,) = findings(sample(FOLDER, "bad-mb2-only.elf"))
    assert f.message.startswith(
        "Multiboot 2 header at file offset 0x1000 and neither a Multiboot 1 header nor a Xen"
        " PVH note"
    )
    assert '"Error loading uncompressed kernel without PVH ELF Note"' in f.message
    assert "GRUB's multiboot2 command loads it" in f.message
    assert "type 18 (XEN_ELFNOTE_PHYS32_ENTRY)" in f.fix


def test_fixed_twins_are_silent():
    for name in GOOD:
        assert findings(sample(FOLDER, name)) == [], name


def test_boot_protocol_none_and_pvh_silence_it():
    bad = sample(FOLDER, "bad-mb1-elf64.elf")
    assert findings(bad, protocol="none") == []
    assert findings(bad, protocol="pvh") == []
    out = kernlint("check", "--select", "KL408", "--boot-protocol", "none", str(bad))
    assert out.code == 0 and "KL408" not in out.stdout


def test_any_multiboot_protocol_checks_the_image():
    """QEMU takes the Multiboot 1 header whatever protocol the user means to boot
    with; a Multiboot 2 kernel is judged when Multiboot 2 is among the protocols."""
    assert len(findings(sample(FOLDER, "bad-mb1-elf64.elf"), protocol="multiboot2")) == 1
    assert len(findings(sample(FOLDER, "bad-mb2-only.elf"), protocol="multiboot2")) == 1
    assert findings(sample(FOLDER, "bad-mb2-only.elf"), protocol="multiboot1") == []


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_agrees_with_the_header_verdicts():
    from kernlint.boot.headers import read_headers
    from kernlint.elf.reader import read_image

    folder = next(SAMPLES.glob("kl408-*"))
    for path in sorted(folder.glob("*.elf")):
        image = read_image(str(path))
        try:
            headers = read_headers(image)
            want = (headers.grub_multiboot1 is not None, headers.grub_multiboot2 is not None)
        finally:
            image.reader.close()
        got = tuple(
            subprocess.run(["grub-file", option, str(path)]).returncode == 0
            for option in ("--is-x86-multiboot", "--is-x86-multiboot2")
        )
        assert got == want, path.name
        assert any(got), path.name


# -- targeted builds -------------------------------------------------------------------


@needs_toolchain
def test_a_pvh_note_does_not_save_an_elf64_multiboot1_kernel(tmp_path):
    """QEMU tries Multiboot 1 before the PVH note, and exits on the ELF64 check."""
    folder = next(SAMPLES.glob("kl408-*"))
    for name in ("kernel.s", "kernel-pvh.ld"):
        shutil.copy(folder / name, tmp_path / name)
    work = tmp_path / "kl408"
    work.mkdir()
    for inc in SAMPLES.glob("*.inc"):
        shutil.copy(inc, tmp_path / inc.name)
    obj, image = work / "k.o", work / "k.elf"
    subprocess.run(
        ["as", "--64", "--defsym", "MB1=1", "--defsym", "PVH=1", "-o", str(obj),
         str(tmp_path / "kernel.s")],
        check=True, cwd=work,
    )  # fmt: skip
    subprocess.run(
        ["ld", "-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack",
         "-T", str(tmp_path / "kernel-pvh.ld"), "-o", str(image), str(obj)],
        check=True,
    )  # fmt: skip
    (f,) = findings(image)
    assert "its PVH note does not help: QEMU tries Multiboot 1 first" in f.message
