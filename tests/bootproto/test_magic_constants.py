"""A Multiboot magic that is a program's constant is no header (issue #12, item 5).

A loader that checks for a Multiboot kernel (syslinux's ``mboot.c32``, GRUB's
multiboot loader) holds ``0x1BADB002`` / ``0xE85250D6`` in its constants: an
immediate of ``cmp $0x1BADB002, %eax``, a table in ``.rodata``. Followed by whatever
bytes come next, its "checksum" fails. In ``auto`` mode such a magic is evidence of a
header only where the build says one is meant (a header-like section or symbol name,
or the first byte of the first loaded section); elsewhere kernlint sees no header and
says nothing. With ``--boot-protocol multiboot1``/``multiboot2`` named, every magic in
the window is a header attempt, as before.

Each reproduction is assembled and linked here with GNU as/ld; ``grub-file`` (GRUB's
own scan) confirms that none of them holds a valid header.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.boot.headers import read_headers
from kernlint.elf.reader import read_image
from tests.bootproto.build import findings, run
from tests.conftest import kernlint, needs_toolchain

pytestmark = needs_toolchain

SCRIPT = """\
ENTRY(_start)
SECTIONS {
  . = 1M;
  .text : { *(.text) }
  .rodata : { *(.rodata) }
  .data : { *(.data) }
  /DISCARD/ : { *(.note.GNU-stack) }
}
"""

#: A loader's check of a kernel's header: the immediates sit 4- and 8-aligned in the
#: file (``cmp $imm32, %eax`` is ``3D imm32``: the opcode goes at 3 mod 4 and 7 mod 8),
#: followed by more code: no zero checksum after them.
CODE = """\
        .text
        .globl _start
_start: movl (%ebx), %eax
        .balign 4
        .byte 0x90, 0x90, 0x90
        cmpl $0x1BADB002, %eax
        je 1f
        .balign 8
        .fill 7, 1, 0x90
        cmpl $0xE85250D6, %eax
        je 1f
        cmpl $0x2BADB002, %ecx
1:      hlt
        jmp 1b
"""

#: The same magics as data: a table of the magics a loader knows, then other words.
RODATA = """\
        .text
        .globl _start
_start: movl known_magics, %eax
        hlt
        .section .rodata
        .balign 8
known_magics:
        .long 0xE85250D6, 0x12345678, 0x44, 0x1111
        .long 0x1BADB002, 0x12345678, 0xdeadbeef, 0
"""


def link(tmp_path: Path, name: str, source: str, script: str = SCRIPT) -> Path:
    """Assemble ``source`` (32-bit) and link it with ``script``; the ELF's path."""
    (tmp_path / f"{name}.s").write_text(source)
    (tmp_path / f"{name}.ld").write_text(script)
    run(["as", "--32", "-o", f"{name}.o", f"{name}.s"], tmp_path)
    ld = ["ld", "-m", "elf_i386", "--build-id=none", "-T", f"{name}.ld"]
    run([*ld, "-o", f"{name}.elf", f"{name}.o"], tmp_path)
    return tmp_path / f"{name}.elf"


def magics(path: Path) -> tuple[list[int], list[int]]:
    """File offsets of the Multiboot 1 and 2 magics in the loaders' windows."""
    image = read_image(str(path))
    try:
        headers = read_headers(image)
        return [h.offset for h in headers.multiboot1], [h.offset for h in headers.multiboot2]
    finally:
        image.reader.close()


def grub_file(kind: str, path: Path) -> bool | None:
    if shutil.which("grub-file") is None:
        return None
    return subprocess.run(["grub-file", f"--is-x86-{kind}", str(path)]).returncode == 0


def kl4(path: Path, *args: str) -> list[tuple[str, str]]:
    """(rule, severity) of the KL4 findings of ``kernlint check ARGS PATH``."""
    out = kernlint("check", "--format", "json", "--select", "KL4", *args, str(path))
    assert out.code in (0, 1), out.stderr
    return [(f["rule"], f["severity"]) for f in out.report["findings"]]


@pytest.mark.parametrize("name", ["code", "rodata"])
def test_magic_constants_are_no_header(tmp_path, name):
    path = link(tmp_path, name, CODE if name == "code" else RODATA)
    mb1, mb2 = magics(path)
    assert mb1 and mb2, "the reproduction must hold both magics at aligned offsets"
    assert grub_file("multiboot", path) in (False, None)
    assert grub_file("multiboot2", path) in (False, None)
    assert kl4(path) == []


@pytest.mark.parametrize("name", ["code", "rodata"])
def test_named_protocol_still_reports_them(tmp_path, name):
    """``--boot-protocol multiboot1`` says the file is a Multiboot kernel: the magic in
    the window is its header attempt, with a checksum GRUB refuses."""
    path = link(tmp_path, name, CODE if name == "code" else RODATA)
    assert ("KL404", "error") in kl4(path, "--boot-protocol", "multiboot1")
    assert ("KL402", "error") in kl4(path, "--boot-protocol", "multiboot2")


JUNK = ".long 0x1BADB002, 3, 0x12345678\n"


@pytest.mark.parametrize(
    ("where", "source"),
    [
        # a header section, placed after .text (not first)
        (
            "section",
            '.text\n.globl _start\n_start: hlt\n.section .multiboot, "a"\n.balign 4\n' + JUNK,
        ),
        # a header symbol in .data
        (
            "symbol",
            ".text\n.globl _start\n_start: hlt\n.data\n.long 7\n.balign 4\nmboot:\n" + JUNK,
        ),
        # the first bytes of the first loaded section: where a header must be
        ("first", ".text\n.balign 4\n" + JUNK + ".globl _start\n_start: hlt\n"),
    ],
)
def test_a_header_the_build_means_is_still_reported(tmp_path, where, source):
    path = link(tmp_path, where, source)
    assert grub_file("multiboot", path) in (False, None)
    (f,) = findings(path, "KL404")
    assert "has checksum 0x12345678, should be 0xe4524ffb" in f.message


def test_multiboot2_header_section_with_bad_checksum_is_reported(tmp_path):
    source = (
        ".text\n.globl _start\n_start: hlt\n"
        '.section .multiboot2, "a"\n.balign 8\n'
        ".long 0xE85250D6, 0, 24, 0x1111\n.short 0, 0\n.long 8\n"
    )
    path = link(tmp_path, "mb2", source)
    (f,) = findings(path, "KL402")
    assert "checksum is 0x00001111" in f.message
    assert findings(path, "KL401") == []
