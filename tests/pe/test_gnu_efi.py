"""KL712's ground truth: the sample's source linked the real gnu-efi way (Debian's
gnu-efi 3.0.15 crt0-efi-x86_64.o and libgnuefi, whose _relocate applies only
R_X86_64_RELATIVE), converted with objcopy and booted in OVMF 2022.11. Built here
and not committed: the outputs hold gnu-efi's code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, kernlint
from tests.support import ovmf

GNU_EFI = Path("/usr/lib")
CRT0 = GNU_EFI / "crt0-efi-x86_64.o"
LDS = GNU_EFI / "elf_x86_64_efi.lds"
CFLAGS = (
    "-fpic -ffreestanding -fno-stack-protector -fno-stack-check -fshort-wchar -mno-red-zone -O2"
)
LDFLAGS = ["ld", "-shared", "-Bsymbolic", "-nostdlib", "-znocombreloc", "--build-id=none"]
SECTIONS = [
    ".text",
    ".sdata",
    ".data",
    ".rodata",
    ".dynamic",
    ".dynsym",
    ".rel",
    ".rela",
    ".rela.*",
    ".reloc",
]


def _build(tmp: Path, name: str, defines: list[str]) -> tuple[Path, Path]:
    """(shared object, PE image) of the KL712 sample source linked with gnu-efi's crt0."""
    src = ROOT / "samples" / "kl712-efi-gnu-efi-relocation-unapplied" / "hello.c"
    obj, so, efi = tmp / f"{name}.o", tmp / f"{name}.so", tmp / f"{name}.efi"
    subprocess.run(
        ["gcc", *CFLAGS.split(), "-DGNU_EFI_CRT0", *defines, "-c", str(src), "-o", str(obj)],
        check=True,
    )
    subprocess.run(
        [*LDFLAGS, "-T", str(LDS), str(CRT0), str(obj), f"-L{GNU_EFI}", "-lgnuefi", "-o", str(so)],
        check=True,
    )
    keep = [a for s in SECTIONS for a in ("-j", s)]
    subprocess.run(
        ["objcopy", *keep, "--target", "efi-app-x86_64", "--subsystem=10", str(so), str(efi)],
        check=True,
    )
    return so, efi


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (CRT0.is_file() and LDS.is_file() and (GNU_EFI / "libgnuefi.a").is_file()):
        pytest.skip("gnu-efi is not installed (sh tests/setup.sh)")
    if not shutil.which("gcc"):
        pytest.skip("gcc is not installed")
    tmp = tmp_path_factory.mktemp("gnu-efi")
    return {
        "bad": _build(tmp, "undefined", []),
        "good": _build(tmp, "defined", ["-DDEFINE_BANNER"]),
    }


def test_undefined_symbol_is_left_unrelocated(built):
    so, efi = built["bad"]
    result = ovmf.ovmf_boot(efi)
    assert result.started and not result.booted and result.status is None, result.serial[-1500:]
    run = kernlint("check", "--format", "json", str(so))
    (finding,) = run.report["findings"]
    assert finding["rule"] == "KL712" and "against `banner`" in finding["message"]


def test_defined_symbol_boots(built):
    so, efi = built["good"]
    assert ovmf.ovmf_boot(efi).booted
    assert kernlint("check", "--format", "json", str(so)).report["findings"] == []
    assert kernlint("check", "--format", "json", str(efi)).report["findings"] == []
