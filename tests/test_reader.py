"""The ELF reader agrees with independent readers — binutils' readelf and LIEF — on
every architecture and byte order kernlint claims, for ET_EXEC and ET_REL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.elf.constants import sh_flags_text
from kernlint.elf.reader import read_image
from tests.conftest import ROOT, elf_files, kernlint
from tests.support.readelf import readelf

# (name, assembler command, linker command, EI_CLASS, byte order)
ARCHES = [
    ("i386", ["as", "--32"], ["ld", "-m", "elf_i386"], 32, "little"),
    ("x86_64", ["as", "--64"], ["ld", "-m", "elf_x86_64"], 64, "little"),
    ("aarch64", ["aarch64-linux-gnu-as"], ["aarch64-linux-gnu-ld"], 64, "little"),
    ("arm", ["arm-none-eabi-as"], ["arm-none-eabi-ld"], 32, "little"),
    ("riscv64", ["riscv64-linux-gnu-as"], ["riscv64-linux-gnu-ld"], 64, "little"),
    (
        "riscv32",
        ["riscv64-linux-gnu-as", "-march=rv32i", "-mabi=ilp32"],
        ["riscv64-linux-gnu-ld", "-m", "elf32lriscv"],
        32,
        "little",
    ),
    (
        "ppc32-be",
        ["powerpc64-linux-gnu-as", "-a32", "-mbig"],
        ["powerpc64-linux-gnu-ld", "-m", "elf32ppc"],
        32,
        "big",
    ),
    (
        "ppc64-be",
        ["powerpc64-linux-gnu-as", "-a64", "-mbig"],
        ["powerpc64-linux-gnu-ld", "-m", "elf64ppc"],
        64,
        "big",
    ),
]

SOURCE = """\
    .section .bootcode{flags}
    .global _start
    .type _start, %function
_start:
    nop
    .text
    .global kmain
    .type kmain, %function
kmain:
    nop
"""

SCRIPT = """\
ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .bootcode : { *(.bootcode) }
  .text : { *(.text) }
  /DISCARD/ : { *(.note*) *(.ARM.attributes) *(.riscv.attributes) }
}
"""


def _build(tmp: Path, arch: tuple, flags: str) -> tuple[Path, Path]:
    name, as_cmd, ld_cmd, _, _ = arch
    if not (shutil.which(as_cmd[0]) and shutil.which(ld_cmd[0])):
        pytest.skip(f"{as_cmd[0]} is not installed (sh tests/setup.sh)")
    src = tmp / f"{name}.S"
    src.write_text(SOURCE.format(flags=flags))
    (tmp / "link.ld").write_text(SCRIPT)
    obj, elf = tmp / f"{name}.o", tmp / f"{name}.elf"
    subprocess.run([*as_cmd, "-o", str(obj), str(src)], check=True)
    subprocess.run([*ld_cmd, "-T", str(tmp / "link.ld"), "-o", str(elf), str(obj)], check=True)
    return obj, elf


def assert_agrees_with_readelf(path: Path) -> None:
    image = read_image(str(path))
    truth = readelf(path)
    assert image.e_entry == truth.entry
    assert image.header.e_phnum == len(truth.program_headers)
    assert [s.name for s in image.sections] == [s.name for s in truth.sections]
    for ours, theirs in zip(image.sections, truth.sections, strict=True):
        assert (ours.sh_addr, ours.sh_offset, ours.sh_size) == (
            theirs.addr,
            theirs.offset,
            theirs.size,
        ), ours.name
        assert set(sh_flags_text(ours.sh_flags)) == set(theirs.flags) & set("WAXT"), ours.name
    for ours, theirs in zip(image.segments, truth.program_headers, strict=True):
        assert (
            ours.p_offset,
            ours.p_vaddr,
            ours.p_paddr,
            ours.p_filesz,
            ours.p_memsz,
            ours.p_align,
        ) == (theirs.offset, theirs.vaddr, theirs.paddr, theirs.filesz, theirs.memsz, theirs.align)
        letters = {"R": 4, "W": 2, "E": 1}
        assert ours.p_flags & 7 == sum(letters[c] for c in theirs.flags)


@pytest.mark.parametrize("arch", ARCHES, ids=[a[0] for a in ARCHES])
def test_every_architecture_reads_like_readelf_and_triggers_kl101(tmp_path, arch):
    obj, elf = _build(tmp_path, arch, "")
    _, _, _, ei_class, order = arch
    image = read_image(str(elf))
    assert (image.header.ei_class, image.header.ei_data) == (ei_class, order)
    for path in (obj, elf):
        assert_agrees_with_readelf(path)
        run = kernlint("check", "--format", "json", str(path))
        assert [f["rule"] for f in run.report["findings"]] == ["KL101"], run.report
    kmain = read_image(str(elf)).symbols.named("kmain")
    assert len(kmain) == 1 and kmain[0].st_type == 2  # STT_FUNC, decoded in either byte order


@pytest.mark.parametrize("arch", ARCHES, ids=[a[0] for a in ARCHES])
def test_every_architecture_fixed_twin_is_clean(tmp_path, arch):
    obj, elf = _build(tmp_path, arch, ', "ax"')
    for path in (obj, elf):
        run = kernlint("check", "--format", "json", str(path))
        assert run.report["findings"] == [], run.report


SAMPLE_FILES = elf_files()
SYSTEM_FILES = [Path(p) for p in ("/usr/bin/ls", "/usr/bin/readelf") if Path(p).exists()]


@pytest.mark.parametrize(
    "path",
    SAMPLE_FILES + SYSTEM_FILES,
    ids=lambda p: str(p.relative_to(ROOT)) if ROOT in p.parents else str(p),
)
def test_samples_read_like_readelf(path):
    assert_agrees_with_readelf(path)


@pytest.mark.parametrize(
    "path",
    SAMPLE_FILES + SYSTEM_FILES,
    ids=lambda p: str(p.relative_to(ROOT)) if ROOT in p.parents else str(p),
)
def test_samples_read_like_lief(path):
    lief = pytest.importorskip("lief")
    theirs = lief.ELF.parse(str(path))
    ours = read_image(str(path))
    assert ours.e_entry == theirs.header.entrypoint
    assert [s.name for s in ours.sections] == [s.name for s in theirs.sections]
    for a, b in zip(ours.sections, theirs.sections, strict=True):
        assert (a.sh_addr, a.sh_size, a.sh_flags) == (b.virtual_address, b.size, int(b.flags))
    for a, b in zip(ours.segments, theirs.segments, strict=True):
        assert (a.p_vaddr, a.p_paddr, a.p_memsz, a.p_filesz, a.p_flags) == (
            b.virtual_address,
            b.physical_address,
            b.virtual_size,
            b.physical_size,
            int(b.flags),
        )
    syms = {s.name for s in ours.symbols if s.name}
    assert syms == {s.name for s in theirs.symtab_symbols if s.name} or syms == {
        s.name for s in theirs.dynamic_symbols if s.name
    }
