"""Log lines split into tool, prefix and message, for every prefix form the tools print.

Lines are as GNU ld 2.40, LLD 14, rust-lld, NASM 2.16, GRUB 2.06, QEMU 7.2, Limine and
rustc print them (the cross-toolchain prefixes and the Windows path are typed after
GNU ld's rule: the program name as invoked)."""

from __future__ import annotations

import pytest

from kernlint.explain.prefixes import clean, split


@pytest.mark.parametrize(
    "line, tool, body, prefix",
    [
        ("ld: warning: k.elf has a LOAD segment", "ld", "k.elf has a LOAD segment", {}),
        ("ld.bfd: warning: x", "ld", "x", {"program": "ld.bfd", "severity": "warning"}),
        ("x86_64-linux-gnu-ld: warning: x", "ld", "x", {"program": "x86_64-linux-gnu-ld"}),
        ("arm-none-eabi-ld: region `ROM' overflowed", "ld", "region `ROM' overflowed", {}),
        ("/usr/bin/ld: pie.o: relocation R_X86_64_32", "ld", "pie.o: relocation R_X86_64_32", {}),
        (r"C:\msys64\bin\ld.exe: warning: x", "ld", "x", {}),
        (
            "ld:boot.ld:6 cannot move location counter backwards (from 7e00 to 7dfe)",
            "ld",
            "cannot move location counter backwards (from 7e00 to 7dfe)",
            {"file": "boot.ld", "line": "6"},
        ),
        (
            "ld:und.ld:2: warning: memory region `FLASH' not declared",
            "ld",
            "memory region `FLASH' not declared",
            {"file": "und.ld", "line": "2", "severity": "warning"},
        ),
        ("ld.lld: error: a.o:(.text+0x1): reloc", "lld", "a.o:(.text+0x1): reloc", {}),
        (
            "ld.lld: error: syn.ld:4: : expected, but got }",
            "lld",
            ": expected, but got }",
            {"file": "syn.ld", "line": "4", "severity": "error"},
        ),
        ("rust-lld: error: boot too big", "lld", "boot too big", {"program": "rust-lld"}),
        ("  = note: rust-lld: error: boot too big", "lld", "boot too big", {}),
        ("          rust-lld: error: next one", "lld", "next one", {}),
        ("note: ld.lld: error: old rustc", "lld", "old rustc", {}),
        (
            "bs.asm:5: error: TIMES value -12 is negative",
            "nasm",
            "TIMES value -12 is negative",
            {"file": "bs.asm", "line": "5"},
        ),
        ("boot.s:3: Error: junk at end of line", "as", "junk at end of line", {}),
        ("error: no multiboot header found.", "grub", "no multiboot header found.", {}),
        (
            "qemu-system-x86_64: Cannot load x86-64 image, give a 32bit one.",
            "qemu",
            "Cannot load x86-64 image, give a 32bit one.",
            {"program": "qemu-system-x86_64"},
        ),
        ("qemu: invalid kernel header", "qemu", "invalid kernel header", {}),
        ("\x1b[31mPANIC\x1b[37;1m\x1b[0m: elf: oops", "limine", "elf: oops", {}),
        ("Boot failed: not a bootable disk", "seabios", "Boot failed: not a bootable disk", {}),
        ("error: linking with `rust-lld` failed: exit status: 1", "cargo", None, {}),
        ("(.text+0x1): relocation truncated to fit", None, "(.text+0x1): relocation", {}),
        ("cc -c -o main.o main.c", None, "cc -c -o main.o main.c", {}),
    ],
)
def test_split(line, tool, body, prefix):
    got = split(7, line)
    assert got.number == 7 and got.kind == "message"
    assert got.tool == tool
    if body is not None:
        assert got.body.startswith(body)
    assert prefix.items() <= got.prefix.items()


def test_lld_is_not_taken_for_gnu_ld():
    assert split(1, "ld.lld: error: x").tool == "lld"
    assert split(1, "build: x").tool is None
    assert split(1, "old: x").tool is None


@pytest.mark.parametrize(
    "line, kind",
    [
        ("", "blank"),
        ("   \r", "blank"),
        (">>> defined in a.o", "detail"),
        ("          >>> referenced by pie.o:(.text+0x1)", "detail"),
        ("a.o: in function `_start':", "context"),
        ("/usr/bin/ld: boot.o: in function `start32':", "context"),
        ("collect2: error: ld returned 1 exit status", "noise"),
    ],
)
def test_line_kinds(line, kind):
    assert split(1, line).kind == kind


def test_context_line_gives_object_and_function():
    got = split(1, "/usr/bin/ld: boot.o: in function `start32':")
    assert got.prefix["object"] == "boot.o" and got.prefix["function"] == "start32"


def test_clean_removes_escapes_and_control_characters():
    assert clean("\x1b[1;31merror:\x1b[0m no\x00 header\r\n") == "error: no header"
