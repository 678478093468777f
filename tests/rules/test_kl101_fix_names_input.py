"""KL101's fix names the input section to change (`.boot`, in the object that has it),
not the output section of the linked image (`.init_asm`) that collects it. Built here
with GNU as/ld 2.40."""

from __future__ import annotations

from tests.bootsector import shapes
from tests.conftest import kernlint, needs_toolchain
from tests.support.readelf import readelf

pytestmark = needs_toolchain

SOURCE = """\
\t.section .boot
\t.globl _start
_start:\thlt
\t.text
\t.globl kmain
kmain:\tret
"""
SCRIPT = """\
ENTRY(_start)
SECTIONS {
  .init_asm 0x100000 : { KEEP(*(.boot)) }
  .text 0x200000 : { *(.text) }
}
"""


def fixes(*args: str, suffix: str = ".elf") -> list[str]:
    """KL101's fixes on the files ending in ``suffix``."""
    run = kernlint("check", "--select", "KL101", "--format", "json", *args)
    return [f["fix"] for f in run.report["findings"] if f["path"].endswith(suffix)]


def test_fix_names_the_input_section(tmp_path):
    elf = shapes.link(tmp_path, "initasm", SOURCE, SCRIPT)
    init = next(s for s in readelf(elf).sections if s.name == ".init_asm")
    assert "A" not in init.flags  # ld left the output section unallocated
    lds, obj = tmp_path / "initasm.ld", tmp_path / "initasm.o"

    (with_script,) = fixes("--script", str(lds), str(elf))
    assert with_script.startswith("output section .init_asm collects input section(s) `.boot`")
    assert '`.section .boot, "ax", @progbits`' in with_script
    assert ".section .init_asm" not in with_script

    (with_objects,) = fixes("--script", str(lds), "--objects", str(obj), str(elf))
    assert "collects input .boot in " in with_objects and "initasm.o" in with_objects

    (planned,) = fixes("--script", str(lds), "--objects", str(obj), suffix=".ld")
    assert planned.startswith("declare input section ")
    assert "initasm.o(.boot) (not output section .init_asm) allocated" in planned
    assert '`.section .boot, "ax", @progbits`' in planned

    (alone,) = fixes(str(elf))
    assert alone.startswith("declare the input section(s) that output section .init_asm collects")
    assert "give it with --script" in alone
