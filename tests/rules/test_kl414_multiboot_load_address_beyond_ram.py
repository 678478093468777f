"""KL414: a Multiboot kernel loaded at a physical address where a PC has no RAM.

The samples are booted in tests/boot/test_samples_boot.py (GRUB: "error: out of
memory.", QEMU -kernel hangs); here the rule's edges, on kernels linked with GNU ld.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bootproto.build import run
from tests.conftest import kernlint, needs_toolchain, sample
from tests.support.readelf import readelf

FOLDER = "kl414"


def findings(path: Path, protocol: str | None = None, rule: str = "KL414") -> list:
    from kernlint.config import Config
    from kernlint.engine import run as run_rules
    from kernlint.engine import select_rules

    return run_rules([str(path)], select_rules([rule]), Config(boot_protocol=protocol)).findings


# -- the samples ----------------------------------------------------------------------


def test_higher_half_without_at_is_in_the_device_hole():
    (f,) = findings(sample(FOLDER, "bad-higher-half-no-at.elf"))
    assert f.severity == "error"
    assert (
        "segment 0 (PT_LOAD 0xc0100000-0xc01002f7 R E) is loaded at physical"
        " 0xc0100000-0xc01002f7 (p_paddr = p_vaddr: no AT(); holds .text)" in f.message
    )
    assert "segment 1 (PT_LOAD 0xc0101000-0xc0105000 RW)" in f.message
    assert 'GRUB stops with "out of memory."' in f.message
    assert f.location.segment == 0 and f.location.address == 0xC0100000
    assert "KERNEL_VMA = 0xc0000000;" in f.fix and "AT(ADDR(.text) - KERNEL_VMA)" in f.fix


def test_two_gib_split_without_at_is_a_warning():
    (f,) = findings(sample(FOLDER, "bad-higher-half-2g-no-at.elf"))
    assert f.severity == "warning"
    assert "asks to be loaded at 0x80100000" in f.message
    assert "more than 2 GiB of RAM" in f.message
    assert "KERNEL_VMA = 0x80000000;" in f.fix


def test_fixed_twin_is_silent():
    assert findings(sample(FOLDER, "good-higher-half-at.elf")) == []


def test_nothing_before_this_rule_saw_it():
    """The miss of issue #12 item 6: no other rule reports the kernel GRUB refuses,
    with or without the protocol named."""
    bad = sample(FOLDER, "bad-higher-half-no-at.elf")
    for args in ((), ("--boot-protocol", "multiboot1")):
        out = kernlint("check", "--format", "json", "--ignore", "KL414", *args, str(bad))
        assert out.code == 0, out.stdout
        out = kernlint("check", "--format", "json", *args, str(bad))
        assert out.code == 1
        assert [f["rule"] for f in out.report["findings"]] == ["KL414"]


def test_protocol_none_and_pvh_silence_it():
    bad = sample(FOLDER, "bad-higher-half-no-at.elf")
    assert findings(bad, protocol="none") == []
    assert findings(bad, protocol="pvh") == []
    assert len(findings(bad, protocol="multiboot2")) == 1  # GRUB's multiboot2 loads it alike


# -- built here -------------------------------------------------------------------------

HEADER = '.section .multiboot, "a"\n.balign 4\n.long 0x1BADB002, 0, -0x1BADB002\n'
ENTRY = ".text\n.globl _start\n_start: hlt\njmp _start\n.bss\n.skip 64\n"


def link(tmp_path: Path, name: str, script: str, source: str = HEADER + ENTRY, bits: int = 32):
    (tmp_path / f"{name}.s").write_text(source)
    (tmp_path / f"{name}.ld").write_text(script)
    run(["as", f"--{bits}", "-o", f"{name}.o", f"{name}.s"], tmp_path)
    emulation = "elf_i386" if bits == 32 else "elf_x86_64"
    ld = ["ld", "-m", emulation, "-nostdlib", "--build-id=none", "-z", "max-page-size=0x1000"]
    run([*ld, "-T", f"{name}.ld", "-o", f"{name}.elf", f"{name}.o"], tmp_path)
    return tmp_path / f"{name}.elf"


def script(origin: str, at: str = "") -> str:
    return (
        f"ENTRY(_start)\nSECTIONS {{\n  . = {origin};\n"
        f"  .text : {at} {{ KEEP(*(.multiboot)) *(.text) }}\n"
        "  .bss : { *(.bss) }\n  /DISCARD/ : { *(.note.GNU-stack) }\n}\n"
    )


@needs_toolchain
@pytest.mark.parametrize("origin", ["1M", "16M", "0x40000000", "0x7ff00000"])
def test_addresses_in_ram_are_silent(tmp_path, origin):
    """1 MiB, 16 MiB, and p_paddr = p_vaddr below 2 GiB: RAM on machines with enough
    of it (1 GiB, 2 GiB are ordinary sizes), not the higher-half mistake."""
    assert findings(link(tmp_path, "low", script(origin))) == []


@needs_toolchain
def test_explicit_at_into_the_hole_is_reported(tmp_path):
    """Linked at 1 MiB, loaded by AT() at 3 GiB + 1 MiB: the loaders use p_paddr."""
    path = link(tmp_path, "at", script("1M", "AT(0xC0100000)"))
    (seg, *_) = readelf(path).loads
    assert (seg.vaddr, seg.paddr) == (0x100000, 0xC0100000)
    (f,) = findings(path)
    assert f.severity == "error" and "(set by AT(); holds .text, .bss)" in f.message
    assert "drop the AT() (the kernel is linked at 0x100000)" in f.fix


@needs_toolchain
def test_a_segment_running_into_the_hole_is_reported(tmp_path):
    """p_paddr below 3 GiB, p_paddr + p_memsz above: the .bss runs into the hole."""
    source = HEADER + ".text\n.globl _start\n_start: hlt\n.bss\n.skip 0x200000\n"
    (f,) = findings(link(tmp_path, "run-in", script("0xBFF00000", "AT(0xBFF00000)"), source))
    assert f.severity == "error"


@needs_toolchain
def test_elf64_beyond_4_gib_is_kl407s(tmp_path):
    """An x86-64 kernel at 0xffffffff80100000 without AT(): GRUB's "segment crosses
    4 GiB border." (KL407), not this rule; the same kernel at 3 GiB + 1 MiB is."""
    high = link(tmp_path, "k64", script("0xffffffff80100000"), bits=64)
    assert findings(high) == [] and findings(high, rule="KL407")
    hole = link(tmp_path, "k64hole", script("0xC0100000"), bits=64)
    (f,) = findings(hole)
    assert f.severity == "error"


@needs_toolchain
def test_aout_kludge_load_addr_in_the_hole(tmp_path):
    """With flags bit 16 the loaders copy the file to load_addr: that range counts, the
    program headers (at 1 MiB here) do not."""
    source = (
        '.section .multiboot, "a"\n.balign 4\nhdr:\n'
        ".long 0x1BADB002, 0x10000, -(0x1BADB002 + 0x10000)\n"
        ".long hdr + 0xC0000000, 0xC0100000, 0, 0, _start + 0xC0000000\n" + ENTRY
    )
    path = link(tmp_path, "kludge", script("1M"), source)
    (f,) = findings(path)
    assert "a.out kludge" in f.message and "0xc0100000" in f.message
    good = source.replace("0xC0000000", "0").replace("0xC0100000", "0x100000")
    assert findings(link(tmp_path, "kludge-ok", script("0x40000000", "AT(1M)"), good)) == []


@needs_toolchain
def test_relocatable_multiboot2_header_is_not_checked(tmp_path):
    """GRUB places a kernel with a relocatable tag itself, within [min_addr, max_addr]."""
    mb2 = (
        '.section .multiboot, "a"\n.balign 8\nh:\n'
        ".long 0xE85250D6, 0, e - h, -(0xE85250D6 + (e - h))\n"
        ".short 10, 0\n.long 24, 0x100000, 0x10000000, 0x1000, 0\n.short 0, 0\n.long 8\ne:\n"
    )
    path = link(tmp_path, "reloc", script("0xC0100000"), mb2 + ENTRY)
    assert findings(path) == []


@needs_toolchain
def test_a_firmware_rom_is_info(tmp_path):
    """A segment at the reset vector 0xfffffff0 (U-Boot's qemu-x86 build, coreboot):
    the image runs from flash, so its Multiboot header's load address is said at info."""
    source = HEADER + ENTRY + '.section .reset, "ax"\n.fill 8, 1, 0x90\n'
    rom = (
        "ENTRY(_start)\nSECTIONS {\n  . = 0xFFF00000;\n"
        "  .text : { KEEP(*(.multiboot)) *(.text) }\n  .bss : { *(.bss) }\n"
        "  .reset 0xFFFFFFF0 : { KEEP(*(.reset)) }\n  /DISCARD/ : { *(.note.GNU-stack) }\n}\n"
    )
    path = link(tmp_path, "rom", rom, source)
    assert any(p.paddr <= 0xFFFFFFF0 < p.paddr + p.memsz for p in readelf(path).loads)
    (f,) = findings(path)
    assert f.severity == "info" and "firmware ROM" in f.message


@needs_toolchain
def test_flat_kernel_with_kludge_in_the_hole(tmp_path):
    """A nasm -f bin kernel named with --boot-protocol multiboot1 (tests/bootproto/
    test_flat_kernel.py): its a.out kludge loads it at 3 GiB + 1 MiB."""
    source = (
        "bits 32\norg 0xC0100000\nFLAGS equ 1 << 16\n"
        "header: dd 0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)\n"
        "dd header, $$, end, end + 0x1000, entry\nentry: hlt\njmp entry\nend:\n"
    )
    (tmp_path / "high.asm").write_text(source)
    run(["nasm", "-f", "bin", "-o", "high.bin", "high.asm"], tmp_path)
    (f,) = findings(tmp_path / "high.bin", protocol="multiboot1")
    assert f.severity == "error" and "loads the kernel at physical 0xc0100000" in f.message
    assert findings(tmp_path / "high.bin") == []  # not named: not read as a kernel
