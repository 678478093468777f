"""KL102/KL104 (an entry segment without PF_X), KL105 (RWX segment), KL106 (mixed
permission page) and KL109 (W+X section) by the loader that maps the image
(:mod:`kernlint.loaders`): Multiboot 1/2 and PVH loaders copy bytes and enter with
paging off, so the flags reach no CPU (info); a Limine or bootloader-api kernel, or one
whose loader is unknown, keeps the old severity. Kernels assembled and linked here with
GNU as/ld 2.40; the Multiboot ones are booted under GRUB 2.06 and QEMU 7.2, the RISC-V
one under QEMU's `-machine virt -bios none -kernel`."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.boot.kernels import MB1_HEADER, MB1_MAGIC, MB2_HEADER, MB2_MAGIC, assemble
from tests.conftest import findings_of, kernlint, needs_toolchain
from tests.support.readelf import readelf

pytestmark = needs_toolchain

HEADERS = {"multiboot": (MB1_HEADER, MB1_MAGIC), "multiboot2": (MB2_HEADER, MB2_MAGIC)}

#: The entry in `.boot`, an `"a"` section (NASM's `section .multiboot.text` of
#: Dreamos64 is the same: alloc, noexec).
ENTRY_IN_A = """\
.section .boot, "a"
.code32
.globl _start
.type _start, @function
_start:
\tKERNLINT_BOOT_OK {magic:#x}
.size _start, . - _start
.text
\thlt
"""
#: `.boot` and the headers in a read-only PT_LOAD of their own, `.text` in R E.
READ_ONLY = """\
ENTRY(_start)
PHDRS { boot PT_LOAD FLAGS(4); text PT_LOAD FLAGS(5); }
SECTIONS { . = 1M; .boot : { KEEP(*(.mbhdr1)) KEEP(*(.mbhdr2)) *(.boot) } :boot
  .limine_requests : { KEEP(*(.limine_requests)) } :boot
  . = ALIGN(4K); .text : { *(.text) } :text }
"""
#: A `.limine_requests` section holding Limine's base-revision marker (`limine.h`
#: `LIMINE_BASE_REVISION(3)`).
LIMINE_REQUESTS = """\
.section .limine_requests, "aw"
.balign 8
.quad 0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 3
"""

#: Code and a writable counter in one PT_LOAD that GNU ld makes RWE (`FLAGS(7)`).
RWX_KERNEL = """\
.code32
.text
.globl _start
_start:
\tincl counter
\tKERNLINT_BOOT_OK {magic:#x}
.data
counter: .long 0
"""
RWX_SCRIPT = """\
ENTRY(_start)
PHDRS { all PT_LOAD FLAGS(7); }
SECTIONS { . = 1M; .text : { KEEP(*(.mbhdr1)) KEEP(*(.mbhdr2)) *(.text) } :all
  .data : { *(.data) } :all .limine_requests : { KEEP(*(.limine_requests)) } :all }
"""
#: A `"awx"` section in an `R E` segment, and `.data` starting in the page `.text` ends
#: in (KL109 and KL106).
AWX_KERNEL = """\
.code32
.section .tramp, "awx", @progbits
.globl _start
_start:
\tincl counter
\tKERNLINT_BOOT_OK {magic:#x}
.data
counter: .long 0
"""
SHARED_PAGE_SCRIPT = """\
ENTRY(_start)
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
SECTIONS { . = 1M; .tramp : { KEEP(*(.mbhdr1)) KEEP(*(.mbhdr2)) *(.tramp) } :text
  .data : { *(.data) } :data }
"""


def _segment(elf: Path, section: str):
    (seg,) = [p for p in readelf(elf).program_headers if p.is_load and section in p.sections]
    return seg


def _check(elf: Path, rule: str, *args: str) -> list[dict]:
    run = kernlint("check", "--format", "json", "--select", rule, *args, str(elf))
    assert run.code in (0, 1), run.stderr
    return run.report["findings"]


def _boots(elf: Path, protocol: str) -> None:
    from tests.support import boot

    boot.require(grub=True)
    results = [boot.grub_boot(elf, protocol)]
    if protocol == "multiboot":
        results.append(boot.qemu_kernel(elf))
    for result in results:
        assert result.outcome() == "booted", result.describe()


# ------------------------------------------------------ KL102/KL104: entry segment R


@pytest.mark.parametrize("protocol", ["multiboot", "multiboot2"])
def test_entry_in_a_read_only_segment_boots_under_multiboot(tmp_path, protocol):
    """Dreamos64's shape: the entry in an `"a"` section in an `R` PT_LOAD. GRUB (and
    QEMU -kernel for Multiboot 1) copy the bytes and jump with paging off: it boots, so
    KL104 and KL102 are info, saying what they assume."""
    header, magic = HEADERS[protocol]
    elf = assemble(
        f"ro-{protocol}", header + ENTRY_IN_A.format(magic=magic), tmp_path, script=READ_ONLY
    )
    assert _segment(elf, ".boot").flags == "R"
    (f104,) = findings_of(elf, "KL104")
    name = "Multiboot 1" if protocol == "multiboot" else "Multiboot 2"
    assert f104.severity == "info", f104.message
    assert "which lacks PF_X. Harmless as the image is loaded" in f104.message
    assert f"booted through {name}" in f104.message and "paging off" in f104.message
    assert "would fault on the entry" in f104.message
    (f102,) = findings_of(elf, "KL102")
    assert f102.severity == "info" and "would fault on this code" in f102.message
    _boots(elf, protocol)


def test_entry_in_a_read_only_segment_of_a_limine_kernel_is_an_error(tmp_path):
    """The same image with Limine requests: Limine maps the segment without execute
    permission (`common/protos/limine.c`), so the entry faults: an error."""
    header, magic = HEADERS["multiboot2"]
    src = header + ENTRY_IN_A.format(magic=magic) + LIMINE_REQUESTS
    elf = assemble("ro-limine", src, tmp_path, script=READ_ONLY)
    assert _segment(elf, ".boot").flags == "R"
    (f104,) = findings_of(elf, "KL104")
    assert f104.severity == "error"
    assert "Limine-protocol kernel (section .limine_requests" in f104.message
    (f102,) = findings_of(elf, "KL102")
    assert f102.severity == "error"


def test_a_configured_protocol_that_maps_by_flags_keeps_the_error(tmp_path):
    header, magic = HEADERS["multiboot"]
    elf = assemble("ro-cfg", header + ENTRY_IN_A.format(magic=magic), tmp_path, script=READ_ONLY)
    (f,) = _check(elf, "KL104", "--boot-protocol", "bootloader-api")
    assert f["severity"] == "error" and "rust-osdev bootloader maps each PT_LOAD" in f["message"]
    (f,) = _check(elf, "KL104", "--boot-protocol", "multiboot1")
    assert f["severity"] == "info"


# -------------------------------------------------------------------- KL105 RWX


def _link(name: str, source: str, script: str, out: Path, *, elf64: bool = False):
    """``assemble`` plus what GNU ld printed (its RWX warning)."""
    elf = assemble(name, source, out, script=script, elf64=elf64)
    obj, lds = out / f"{name}.o", out / f"{name}.ld"
    mode = "elf_x86_64" if elf64 else "elf_i386"
    proc = subprocess.run(
        ["ld", "-m", mode, "-n", "-T", str(lds), "-o", str(out / f"{name}.again"), str(obj)],
        capture_output=True,
        text=True,
        check=True,
    )
    return elf, proc.stderr


@pytest.mark.parametrize("protocol", ["multiboot", "multiboot2"])
def test_rwx_segment_under_multiboot_is_info(tmp_path, protocol):
    """mkernel's shape: one RWE PT_LOAD. GNU ld warns itself; GRUB ignores p_flags and
    the kernel boots, so KL105 is info with the reason."""
    header, magic = HEADERS[protocol]
    elf, ld_said = _link(
        f"rwx-{protocol}", header + RWX_KERNEL.format(magic=magic), RWX_SCRIPT, tmp_path
    )
    assert "has a LOAD segment with RWX permissions" in ld_said
    assert _segment(elf, ".text").flags == "RWE"
    (f,) = findings_of(elf, "KL105")
    assert f.severity == "info" and "Harmless as the image is loaded" in f.message
    assert "would map its code writable and its data executable" in f.message
    _boots(elf, protocol)


def test_rwx_segment_without_a_protocol_or_under_limine_is_a_warning(tmp_path):
    elf, _ = _link("rwx-none", RWX_KERNEL.format(magic=0), RWX_SCRIPT, tmp_path)
    assert _segment(elf, ".text").flags == "RWE"
    (f,) = findings_of(elf, "KL105")
    assert f.severity == "warning" and "Harmless" not in f.message
    header, magic = HEADERS["multiboot2"]
    src = header + RWX_KERNEL.format(magic=magic) + LIMINE_REQUESTS
    elf, _ = _link("rwx-limine", src, RWX_SCRIPT, tmp_path)
    (f,) = findings_of(elf, "KL105")
    assert f.severity == "warning"
    header, magic = HEADERS["multiboot"]
    elf, _ = _link("rwx-cfg", header + RWX_KERNEL.format(magic=magic), RWX_SCRIPT, tmp_path)
    (f,) = _check(elf, "KL105", "--boot-protocol", "bootloader-api")
    assert f["severity"] == "warning"


def test_limine_base_revision_magic_alone_is_evidence(tmp_path):
    """An ELF64 kernel with `LIMINE_BASE_REVISION` in `.data` (no named section) and a
    Multiboot 2 header: Limine would load it through its own protocol, by flags."""
    header, magic = HEADERS["multiboot2"]
    src = (
        header
        + RWX_KERNEL.format(magic=magic)
        + LIMINE_REQUESTS.replace(".section .limine_requests", ".data\n#")
    )
    elf, _ = _link("rwx-magic", src, RWX_SCRIPT, tmp_path, elf64=True)
    assert ".limine_requests" not in {s.name for s in readelf(elf).sections}
    (f,) = findings_of(elf, "KL105")
    assert f.severity == "warning"
    from kernlint.elf.reader import read_image
    from kernlint.loaders import limine_evidence

    assert limine_evidence(read_image(str(elf))).startswith("Limine's base-revision magic")


# ----------------------------------------------------------------- KL106, KL109


def test_awx_section_and_shared_page_under_multiboot_are_info(tmp_path):
    header, magic = HEADERS["multiboot"]
    elf = assemble(
        "awx-mb1", header + AWX_KERNEL.format(magic=magic), tmp_path, script=SHARED_PAGE_SCRIPT
    )
    info = readelf(elf)
    assert info.section(".tramp").flags == "WAX"
    text, data = (p for p in info.program_headers if p.is_load)
    assert (text.flags, data.flags) == ("RE", "RW") and data.vaddr >> 12 == text.vaddr >> 12
    (f109,) = findings_of(elf, "KL109")
    assert f109.severity == "info" and "booted through Multiboot 1" in f109.message
    (f106,) = findings_of(elf, "KL106")
    assert f106.severity == "info" and "Limine refuses the image" in f106.message
    _boots(elf, "multiboot")
    bare = assemble("awx-none", AWX_KERNEL.format(magic=0), tmp_path, script=SHARED_PAGE_SCRIPT)
    assert [f.severity for f in findings_of(bare, "KL109")] == ["warning"]
    assert [f.severity for f in findings_of(bare, "KL106")] == ["warning"]


# ------------------------------------------------ QEMU -kernel named by the build

RISCV = """\
.section .text
.globl _start
_start:
    li t0, 0x10000000          # virt's NS16550A UART
    la t1, message
1:  lbu t2, 0(t1)
    beqz t2, 2f
    sb t2, 0(t0)
    addi t1, t1, 1
    j 1b
2:  li t0, 0x100000            # virt's SiFive test device: 0x5555 powers off
    li t1, 0x5555
    sw t1, 0(t0)
3:  j 3b
.section .data
message: .asciz "KERNLINT-BOOT-OK\\n"
"""
RISCV_SCRIPT = """\
ENTRY(_start)
SECTIONS { . = 0x80000000; .text : { *(.text) } .data : { *(.data) } }
"""


def _riscv_kernel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "k.s").write_text(RISCV)
    (folder / "k.ld").write_text(RISCV_SCRIPT)
    for cmd in (
        ["riscv64-linux-gnu-as", "-march=rv64imac", "-o", "k.o", "k.s"],
        ["riscv64-linux-gnu-ld", "-N", "-T", "k.ld", "-o", "kernel", "k.o"],
    ):
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
    return folder / "kernel"


@pytest.mark.skipif(not shutil.which("riscv64-linux-gnu-as"), reason="no RISC-V binutils")
def test_qemu_kernel_in_the_makefile_decides_a_kernel_without_protocol(tmp_path):
    """xv6-riscv's shape: a RISC-V kernel with an RWE segment, run by its Makefile with
    `qemu-system-riscv64 -bios none -kernel $K/kernel`: QEMU's ELF loader copies bytes
    (it boots), so KL105 is info naming the Makefile; the same image elsewhere, with no
    build file, is a warning."""
    project = tmp_path / "proj"
    elf = _riscv_kernel(project / "kernel")
    (project / "Makefile").write_text(
        "K=kernel\nQEMU = qemu-system-riscv64\n"
        "QEMUOPTS = -machine virt -bios none -kernel $K/kernel -m 128M -nographic\n"
        "qemu: $K/kernel\n\t$(QEMU) $(QEMUOPTS)\n"
    )
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    assert _segment(elf, ".text").flags == "RWE"
    (f,) = findings_of(elf, "KL105")
    assert f.severity == "info" and "../Makefile runs it with QEMU -kernel" in f.message
    alone = tmp_path / "alone"
    alone.mkdir()
    subprocess.run(["git", "init", "-q", str(alone)], check=True)
    copy = alone / "kernel"
    shutil.copy(elf, copy)
    assert [x.severity for x in findings_of(copy, "KL105")] == ["warning"]
    if not shutil.which("qemu-system-riscv64"):
        pytest.skip("qemu-system-riscv64 is not installed")
    proc = subprocess.run(
        [
            "qemu-system-riscv64",
            "-machine",
            "virt",
            "-bios",
            "none",
            "-kernel",
            str(elf),
            "-m",
            "128M",
            "-display",
            "none",
            "-serial",
            "stdio",
            "-monitor",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "KERNLINT-BOOT-OK" in proc.stdout, (proc.returncode, proc.stdout, proc.stderr)


def test_magics_match_limine_h():
    """The byte strings kernlint searches for are `limine.h`'s u64 pairs, little-endian."""
    from kernlint.loaders import LIMINE_BASE_REVISION_MAGIC, LIMINE_COMMON_MAGIC

    assert struct.unpack("<QQ", LIMINE_COMMON_MAGIC) == (0xC7B1DD30DF4C8B88, 0x0A82E883A194F07B)
    assert struct.unpack("<QQ", LIMINE_BASE_REVISION_MAGIC)[0] == 0xF9562B2D5C95A6C8


# ------------------------------------------------------ a CMSIS-Pack flash algorithm

FLASH_ALGORITHM = """\
.syntax unified
.thumb
.section PrgCode, "ax"
.globl Init
.type Init, %function
Init:
    ldr r1, =state
    str r0, [r1]
    movs r0, #0
    bx lr
.ltorg
.section PrgData, "aw"
state: .word 0
.section DevDscr, "a"
.globl FlashDevice
FlashDevice: .short 0x0101
.asciz "kernlint test flash"
"""
#: The layout of a `.FLM`: PrgCode and PrgData in one RWE PT_LOAD from 0, DevDscr after.
FLASH_ALGORITHM_SCRIPT = """\
PHDRS { prg PT_LOAD; dev PT_LOAD; }
SECTIONS { PrgCode 0 : { *(PrgCode) } :prg PrgData : { *(PrgData) } :prg
  DevDscr : { *(DevDscr) } :dev }
"""


@pytest.mark.skipif(not shutil.which("arm-none-eabi-as"), reason="no arm-none-eabi binutils")
def test_flash_algorithm_rwx_segment_is_info(tmp_path):
    """micropython's PSE84_SMIF.FLM shape: the debug probe copies PrgCode+PrgData to
    the microcontroller's RAM (no MMU), so the RWE segment GNU ld makes of them, and
    the page it shares with DevDscr, are info."""
    (tmp_path / "flm.s").write_text(FLASH_ALGORITHM)
    (tmp_path / "flm.ld").write_text(FLASH_ALGORITHM_SCRIPT)
    subprocess.run(
        ["arm-none-eabi-as", "-mcpu=cortex-m4", "-o", "flm.o", "flm.s"], cwd=tmp_path, check=True
    )
    # arm-none-eabi ld 2.40 warns about RWX segments only when asked (its --help:
    # "--no-warn-rwx-segments ... (default)"), unlike the x86 linkers
    link = subprocess.run(
        ["arm-none-eabi-ld", "--warn-rwx-segments", "-T", "flm.ld", "-o", "algo.FLM", "flm.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "has a LOAD segment with RWX permissions" in link.stderr
    elf = tmp_path / "algo.FLM"
    assert _segment(elf, "PrgCode").flags == "RWE"
    (f,) = findings_of(elf, "KL105")
    assert f.severity == "info" and "CMSIS-Pack flash algorithm" in f.message
    (f,) = findings_of(elf, "KL106")
    assert f.severity == "info"
