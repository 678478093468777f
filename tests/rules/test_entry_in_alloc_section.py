"""KL102/KL104 on an entry in an allocated section without SHF_EXECINSTR (`"a"`):
the segment that holds it decides. Kernels linked here with GNU as/ld 2.40; the one
whose `"a"` entry sits in an `R E` segment boots under GRUB 2.06 and QEMU 7.2."""

from __future__ import annotations

import pytest

from tests.boot.kernels import MB1_HEADER, assemble
from tests.conftest import findings_of, needs_toolchain
from tests.support.readelf import readelf

pytestmark = needs_toolchain

#: `_start` (STT_FUNC) in `.boot`, declared `"a"` only.
BOOT_A = (
    MB1_HEADER
    + """\
.section .boot, "a"
.code32
.globl _start
.type _start, @function
_start:
\tKERNLINT_BOOT_OK 0x2BADB002
.size _start, . - _start
.text
\thlt
"""
)
#: One PT_LOAD: ld gives it the union of its sections' flags (R E).
ONE_SEGMENT = """\
ENTRY(_start)
SECTIONS { . = 1M; .boot : { KEEP(*(.mbhdr1)) *(.boot) } .text : { *(.text) } }
"""
#: `.boot` in a read-only PT_LOAD of its own.
READ_ONLY = """\
ENTRY(_start)
PHDRS { boot PT_LOAD FLAGS(4); text PT_LOAD FLAGS(5); }
SECTIONS { . = 1M; .boot : { KEEP(*(.mbhdr1)) *(.boot) } :boot
  . = ALIGN(4K); .text : { *(.text) } :text }
"""


def segment_of(elf, section: str):
    (seg,) = [p for p in readelf(elf).program_headers if p.is_load and section in p.sections]
    return seg


def test_alloc_entry_in_an_executable_segment_runs(tmp_path):
    elf = assemble("boot-a", BOOT_A, tmp_path, script=ONE_SEGMENT)
    assert segment_of(elf, ".boot").flags == "RE"
    (f104,) = findings_of(elf, "KL104")
    assert f104.severity == "info"
    assert "lacks SHF_EXECINSTR; but segment 0" in f104.message and "has PF_X" in f104.message
    (f102,) = findings_of(elf, "KL102")
    assert f102.severity == "info" and "`_start`" in f102.message
    assert "holds it and has PF_X, so the code runs" in f102.message
    from tests.support import boot

    boot.require(grub=True)
    for result in (boot.grub_boot(elf, "multiboot"), boot.qemu_kernel(elf)):
        assert result.outcome() == "booted", result.describe()


def test_alloc_entry_in_a_read_only_segment_is_an_error(tmp_path):
    """Without a boot-protocol header nothing says the loader ignores p_flags: an error.
    (With the Multiboot 1 header the same segment is info, since GRUB and QEMU enter
    with paging off: tests/rules/test_permissions_by_loader.py boots it.)"""
    elf = assemble("boot-r", BOOT_A.replace(MB1_HEADER, ""), tmp_path, script=READ_ONLY)
    assert segment_of(elf, ".boot").flags == "R"
    (f104,) = findings_of(elf, "KL104")
    assert f104.severity == "error" and "which lacks PF_X" in f104.message
    (f102,) = findings_of(elf, "KL102")
    assert f102.severity == "error"
    assert "the linker put it in segment 0" in f102.message and "which lacks PF_X" in f102.message


@pytest.mark.parametrize("kind", ["@object", "@function"])
def test_entry_at_a_data_object(tmp_path, kind):
    """ENTRY(boot_stack) on a `.type @object` in `.rodata` inside the R E segment: the
    loader jumps into data, an error; the same label as a function is info."""
    src = MB1_HEADER + (
        f'.section .rodata, "a"\n.globl boot_stack\n.type boot_stack, {kind}\n'
        "boot_stack: .long 0\n.size boot_stack, 4\n.text\n.code32\n.globl _start\n_start: hlt\n"
    )
    script = (
        "ENTRY(boot_stack)\nSECTIONS { . = 1M; .text : { KEEP(*(.mbhdr1)) *(.text) }"
        " .rodata : { *(.rodata) } }\n"
    )
    elf = assemble(f"obj-{kind[1:]}", src, tmp_path, script=script)
    assert segment_of(elf, ".rodata").flags == "RE"
    (f,) = findings_of(elf, "KL104")
    if kind == "@object":
        assert f.severity == "error" and "at data object `boot_stack` (STT_OBJECT)" in f.message
    else:
        assert f.severity == "info"
