"""KL105, KL106 and KL109 on images whose permission flags nothing reads: BIOS boot
sectors and real-mode/flat i386 code linked below 1 MiB (objcopy'd and loaded raw).
Each image is linked here with GNU as/ld 2.40, which warns about the RWX segment;
kernlint stays silent, and still reports the same link at 1 MiB or with a header."""

from __future__ import annotations

import subprocess

import pytest

from tests.bootsector import shapes
from tests.conftest import findings_of, needs_toolchain

pytestmark = needs_toolchain

RULES = ("KL105", "KL106", "KL109")

#: 16-bit code and a writable variable in one section: `ld -N` gives one RWE segment.
STAGE2 = """\
\t.code16
\t.globl start
start:\tmovw $0x1234, counter
\tint $0x19
counter: .word 0
"""
#: The same in 32-bit code, which can be linked at 1 MiB.
FLAT32 = STAGE2.replace(".code16", ".code32").replace("int $0x19", "hlt")


def warn_rwx(tmp_path, *ld_args: str, source: str = STAGE2) -> tuple:
    """Link ``source`` and return (elf, ld's stderr)."""
    src, obj, elf = tmp_path / "s2.s", tmp_path / "s2.o", tmp_path / "s2.elf"
    src.write_text(source)
    shapes.run("as", "--32", "-o", str(obj), str(src))
    proc = subprocess.run(
        ["ld", "-m", "elf_i386", *ld_args, "-o", str(elf), str(obj)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return elf, proc.stderr


def all_findings(elf) -> list:
    return [f for rule in RULES for f in findings_of(elf, rule)]


def test_boot_sector_linked_at_7c00(tmp_path):
    elf, _ = shapes.xv6_sector(tmp_path, 100)
    proc = subprocess.run(["readelf", "-lSW", str(elf)], capture_output=True, text=True)
    assert " RWE " in proc.stdout and " WAX " in proc.stdout
    assert all_findings(elf) == []


@pytest.mark.parametrize("address", ["0x7e00", "0x8000", "0xf000"])
def test_stage2_below_1mib(tmp_path, address):
    elf, stderr = warn_rwx(tmp_path, "-N", "-e", "start", f"-Ttext={address}")
    assert "has a LOAD segment with RWX permissions" in stderr
    assert all_findings(elf) == []


def test_linux_setup_shapes(tmp_path):
    for elf in (shapes.setup(tmp_path), shapes.setup(tmp_path, legacy=True)):
        assert all_findings(elf) == [], elf.name


def test_same_link_at_1mib_is_reported(tmp_path):
    elf, stderr = warn_rwx(tmp_path, "-N", "-e", "start", "-Ttext=0x100000", source=FLAT32)
    assert "has a LOAD segment with RWX permissions" in stderr
    assert {f.rule for f in all_findings(elf)} == {"KL105", "KL109"}


def test_multiboot_header_below_1mib_is_reported(tmp_path):
    """A loader protocol in the image: the flags may be honoured; keep the findings."""
    src = FLAT32 + '\t.section .multiboot, "a"\n\t.balign 4\n\t.long 0x1BADB002, 0, -0x1BADB002\n'
    (tmp_path / "mb.s").write_text(src)
    shapes.run("as", "--32", "-o", str(tmp_path / "mb.o"), str(tmp_path / "mb.s"))
    elf = tmp_path / "mb.elf"
    shapes.run(
        "ld",
        "-m",
        "elf_i386",
        "-N",
        "-e",
        "start",
        "-Ttext=0x8000",
        "-o",
        str(elf),
        str(tmp_path / "mb.o"),
    )
    assert "KL105" in {f.rule for f in all_findings(elf)}
