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


# -- how the project boots the image decides the severity ------------------------------


def _project(tmp_path: Path, files: dict[str, str]) -> None:
    """A git work tree (so the build-file walk stops at it) holding ``files``."""
    from kernlint.buildfacts import _facts_of_folder

    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    if not (tmp_path / ".git").exists():
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _facts_of_folder.cache_clear()  # the facts of a folder are cached for the process


@needs_toolchain
def test_a_multiboot2_kernel_booted_through_grub_is_info(tmp_path):
    """Dreamos64's shape: Multiboot 2 only, a grub.cfg with `multiboot2` at the top,
    `grub-mkrescue` and `qemu -cdrom` in the Makefile. GRUB boots it; QEMU -kernel
    refuses it, but the project never runs that: info. A run script that does run
    `qemu -kernel` on it makes it a warning; with nothing around it, info that says
    what it assumes."""
    from tests.boot.kernels import MB2_HEADER, MB2_MAGIC, assemble, entry

    (tmp_path / "dist").mkdir()
    elf = assemble(
        "kernel", MB2_HEADER + entry(f"KERNLINT_BOOT_OK {MB2_MAGIC:#x}"), tmp_path / "dist",
        elf64=True,
    )  # fmt: skip
    _project(tmp_path, {})
    (f,) = findings(elf)
    assert f.severity == "info" and "it is assumed to be through GRUB" in f.message
    _project(
        tmp_path,
        {
            "grub.cfg": 'menuentry "k" {\n  multiboot2 /boot/kernel.elf\n  boot\n}\n',
            "Makefile": "iso:\n\tgrub-mkrescue -o os.iso iso\nrun: iso\n\tqemu-system-x86_64"
            " -cdrom os.iso\n",
        },
    )
    (f,) = findings(elf)
    assert f.severity == "info"
    assert "the project boots it through GRUB (../grub.cfg: `multiboot2 .../kernel.elf`)" in (
        f.message
    )
    _project(tmp_path, {"run.sh": "qemu-system-x86_64 -kernel dist/kernel.elf -serial stdio\n"})
    (f,) = findings(elf)
    assert f.severity == "warning" and "../run.sh runs it with QEMU -kernel" in f.message

    from tests.support import boot

    boot.require(grub=True)
    result = boot.grub_boot(elf, "multiboot2")
    assert result.outcome() == "booted", result.describe()
    refused = boot.qemu_kernel(elf)
    assert "without PVH ELF Note" in (refused.loader_error or ""), refused.describe()


@needs_toolchain
def test_an_elf64_multiboot1_kernel_in_a_grub_project_is_info(tmp_path):
    from tests.boot.kernels import MB1_HEADER, MB1_MAGIC, assemble, entry

    elf = assemble(
        "kernel", MB1_HEADER + entry(f"KERNLINT_BOOT_OK {MB1_MAGIC:#x}"), tmp_path, elf64=True
    )
    _project(tmp_path, {})
    (f,) = findings(elf)
    assert f.severity == "warning"  # the quickest way to run a Multiboot 1 kernel fails
    _project(tmp_path, {"boot/grub/grub.cfg": "menuentry k {\n multiboot /boot/kernel.elf\n}\n"})
    (f,) = findings(elf)
    assert f.severity == "info" and "boots it through GRUB (boot/grub/grub.cfg" in f.message
