"""KL208 overlapping-memory-regions: samples, the constant evaluator, and GNU ld /
ld.lld as ground truth (neither checks regions; GNU ld stops only when sections
collide)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import findings_of, lint_script, sample

RULE = "KL208"
HAVE_GNU = bool(shutil.which("as") and shutil.which("ld"))
HAVE_LLD = bool(shutil.which("as") and shutil.which("ld.lld"))


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, must_parse=True, **others)


def memory(*regions: str, before: str = "") -> str:
    body = "".join(f"  {r}\n" for r in regions)
    return (
        f"ENTRY(_start)\n{before}MEMORY\n{{\n{body}}}\n"
        "SECTIONS\n{\n  .text : { *(.text .text.*) } > ram\n}\n"
    )


RAM = "ram (rwx) : ORIGIN = 0x100000, LENGTH = 1M"

# ----------------------------------------------------------------------------- samples


def test_stack_region_inside_ram():
    (f,) = findings_of(sample("kl208", "bad-stack.ld"), RULE)
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (7, 5, 7, 10)
    assert f.message.startswith(
        "MEMORY region `stack` [0x1f0000, 0x210000) overlaps region `ram` [0x100000,"
        " 0x200000) (line 6) in [0x1f0000, 0x200000), 64 KiB"
    )
    assert "neither GNU ld nor ld.lld checks regions" in f.message
    assert f.fix == (
        "start `stack` at ORIGIN = 0x200000 (the end of `ram`), or shrink `ram` to LENGTH = 0xf0000"
    )


def test_data_region_inside_code():
    (f,) = findings_of(sample("kl208", "bad-regions.ld"), RULE)
    assert (f.location.line, f.location.column) == (7, 5)
    assert "`data` [0x108000, 0x118000) overlaps region `code` [0x100000, 0x110000)" in (f.message)
    assert "in [0x108000, 0x110000), 32 KiB" in f.message


def test_fixed_twins():
    for name in ("good-stack.ld", "good-regions.ld"):
        assert findings_of(sample("kl208", name), RULE) == [], name


def test_committed_log_holds_ld_s_words():
    log = sample("kl208", "linked-bad-regions-grown.log")
    if not log.is_file():
        pytest.skip("sample not built (make -C samples/kl208-overlapping-memory-regions)")
    assert "section .data LMA [0000000000108000,0000000000108007] overlaps section .text" in (
        log.read_text()
    )


# ----------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    "second",
    [
        "hi (rw) : ORIGIN = 0x200000, LENGTH = 1M",  # adjacent
        "hi (rw) : ORIGIN = ORIGIN(ram) + LENGTH(ram), LENGTH = 1M",
        "hi (rw) : ORIGIN = 2M, LENGTH = 1M",
        "hi (rw) : ORIGIN = (1 << 21), LENGTH = 0x100000",
        "hi (rw) : ORIGIN = 0x100000 + 1024K, LENGTH = 1M",
        "hi (rw) : org = 0x300000, len = 1M",
        "hi (rw) : o = 0, l = 1M",
        "hi (rw) : ORIGIN = 0x1000000 - 16M, LENGTH = 1M",  # 0
        "hi (rw) : ORIGIN = 0x1F0000, LENGTH = 0",  # empty
        "hi (rw) : ORIGIN = DEFINED(hi_base) ? hi_base : 0x1F0000, LENGTH = 1M",  # unknown
        'hi (rw) : ORIGIN = SEGMENT_START("hi", 0x1F0000), LENGTH = 16M',  # unknown
        "hi (rw) : ORIGIN = ORIGIN(later), LENGTH = 1M",  # not declared yet: unknown
    ],
)
def test_no_overlap(tmp_path, second):
    assert lint(tmp_path, memory(RAM, second)) == []


@pytest.mark.parametrize(
    ("second", "shared"),
    [
        ("hi (rw) : ORIGIN = 0x1FF000, LENGTH = 1M", "[0x1ff000, 0x200000), 4 KiB"),
        ("hi (rw) : ORIGIN = ORIGIN(ram) + LENGTH(ram) - 4K, LENGTH = 1M", "4 KiB"),
        ("hi (rw) : ORIGIN = 0, LENGTH = 0x100001", "[0x100000, 0x100001), 1 byte"),
        ("hi (rw) : ORIGIN = ram_end - 0x10, LENGTH = 1M", "0x10 bytes"),
        ("hi (rw) : ORIGIN = 0x1FFFF0 > 5 ? 0x1FFFF0 : 0, LENGTH = 1M", "0x10 bytes"),
        ("hi (rw) : ORIGIN = (0x2FFFFF & ~0xFFFFF) - 1, LENGTH = 1M", "1 byte"),
        ("hi (rw) : ORIGIN = 0x200000 - CONSTANT(MAXPAGESIZE), LENGTH = 1M", "4 KiB"),
        ("hi (rw) : ORIGIN = DEFINED(ram_end) ? ram_end - 1 : 0, LENGTH = 1M", "1 byte"),
    ],
)
def test_overlap(tmp_path, second, shared):
    text = memory(RAM, second, before="ram_end = 0x200000;\n")
    (f,) = lint(tmp_path, text)
    assert shared in f.message
    assert (f.location.line, f.location.column) == (6, 3)


def test_symbol_assigned_twice_is_not_constant(tmp_path):
    before = "ram_end = 0x200000;\nram_end = 0x100000;\n"
    text = memory(RAM, "hi (rw) : ORIGIN = ram_end - 0x10, LENGTH = 1M", before=before)
    assert lint(tmp_path, text) == []


def test_identical_regions_suggest_an_alias(tmp_path):
    (f,) = lint(tmp_path, memory(RAM, "dma (rw) : ORIGIN = 0x100000, LENGTH = 1M"))
    assert f.severity == "info" and "lies inside region" in f.message


@pytest.mark.parametrize(
    ("second", "inner", "outer"),
    [
        ("hi (rw) : ORIGIN = 0x100000, LENGTH = 4K", "hi", "ram"),
        ("hi (rw) : ORIGIN = 0, LENGTH = 16M", "ram", "hi"),
        ("dma (rw) : ORIGIN = 0x100000, LENGTH = 64K", "dma", "ram"),
    ],
)
def test_containment_is_only_a_note(tmp_path, second, inner, outer):
    """A region inside another (micropython's `FLASH` and its `FLASH_FS` sectors) is
    usually deliberate: info, not a warning."""
    (f,) = lint(tmp_path, memory(RAM, second))
    assert f.severity == "info"
    assert f"region `{inner}` [" in f.message and f"lies inside region `{outer}`" in f.message


def test_a_region_that_is_the_union_of_others_is_fine(tmp_path):
    """TI MSP430: INFOMEM is exactly INFOA + INFOB (+ INFOC + INFOD): deliberate."""
    text = (
        "MEMORY {\n  INFOA : ORIGIN = 0x1980, LENGTH = 0x80\n"
        "  INFOB : ORIGIN = 0x1900, LENGTH = 0x80\n"
        "  INFOMEM : ORIGIN = 0x1900, LENGTH = 0x100\n}\n"
    )
    assert lint(tmp_path, text) == []
    # A gap between the parts: INFOMEM is more than their union, so each is a note.
    gap = text.replace("ORIGIN = 0x1900, LENGTH = 0x100", "ORIGIN = 0x1880, LENGTH = 0x180")
    assert [f.severity for f in lint(tmp_path, gap)] == ["info", "info"]
    # A partial overlap stays the mistake it is.
    partial = text.replace(
        "INFOMEM : ORIGIN = 0x1900, LENGTH = 0x100", "X : ORIGIN = 0x19c0, LENGTH = 0x80"
    )
    assert [f.severity for f in lint(tmp_path, partial)] == ["warning"]


def test_second_region_starting_first(tmp_path):
    (f,) = lint(tmp_path, memory(RAM, "low (rw) : ORIGIN = 0xF0000, LENGTH = 128K"))
    assert f.fix == (
        "shrink `low` to LENGTH = 0x10000 (up to `ram`), or start `ram` at ORIGIN = 0x110000"
    )


def test_three_regions_report_each_pair(tmp_path):
    text = memory(
        RAM,
        "a (rw) : ORIGIN = 0x1F0000, LENGTH = 64K",
        "b (rw) : ORIGIN = 0x1F8000, LENGTH = 64K",
    )
    found = lint(tmp_path, text)
    pairs = [(f.message.split("`")[1], f.message.split("`")[3]) for f in found]
    assert pairs == [("a", "ram"), ("b", "a"), ("b", "ram")]


def test_redeclared_region_is_not_compared_with_itself(tmp_path):
    assert lint(tmp_path, memory(RAM, RAM)) == []


def test_regions_in_an_included_file(tmp_path):
    inc = "ram (rwx) : ORIGIN = 0x100000, LENGTH = 1M\n"
    text = memory("INCLUDE ram.inc", "hi (rw) : ORIGIN = 0x1F0000, LENGTH = 1M")
    (f,) = lint(tmp_path, text, **{"ram.inc": inc})
    assert f"({tmp_path / 'ram.inc'}:1)" in f.message
    inc2 = "hi (rw) : ORIGIN = 0x1F0000, LENGTH = 1M\n"
    (f,) = lint(tmp_path, memory(RAM, "INCLUDE hi.inc"), **{"hi.inc": inc2})
    assert (f.location.line, f.location.column) == (5, 3)  # the INCLUDE
    assert f"(in {tmp_path / 'hi.inc'}:1:1, included here)" in f.message


# ----------------------------------------------------------------------------- ground truth

KERNEL = ".text\n.globl _start\n_start: hlt\n.fill {size}, 1, 0x90\n.data\n.quad 1\n"
LDFLAGS = ["-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]
REGIONS = """ENTRY(_start)
MEMORY
{
  code (rx) : ORIGIN = 0x100000, LENGTH = 64K
  data (rw) : ORIGIN = 0x108000, LENGTH = 64K
}
SECTIONS
{
  .text : { *(.text .text.*) } > code
  .data : ALIGN(4K) { *(.data .data.*) } > data
}
"""


def link(tmp_path, linker: str, size: int) -> subprocess.CompletedProcess:
    (tmp_path / "k.s").write_text(KERNEL.format(size=size))
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text(REGIONS)
    return subprocess.run(
        [linker, *LDFLAGS, "-T", "s.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )


@pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
def test_gnu_ld_is_silent_until_sections_collide(tmp_path):
    assert len(lint(tmp_path, REGIONS)) == 1
    small = link(tmp_path, "ld", 0x100)
    assert small.returncode == 0 and small.stderr == ""
    grown = link(tmp_path, "ld", 0x9000)
    assert grown.returncode != 0
    assert "section .data LMA [0000000000108000,0000000000108007] overlaps section .text" in (
        grown.stderr
    )


@pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")
def test_lld_is_silent_until_sections_collide(tmp_path):
    small = link(tmp_path, "ld.lld", 0x100)
    assert small.returncode == 0 and small.stderr == ""
    grown = link(tmp_path, "ld.lld", 0x9000)
    assert grown.returncode != 0
    assert "section .text virtual address range overlaps with .data" in grown.stderr


def test_containment_of_the_same_kind_is_info(tmp_path):
    """A bank inside the region that names the whole memory, with sections in both
    (ChibiOS's `ram0` = SRAM1 + SRAM2 over `ram1` and `ram2`): a choice of regions for
    the application, not a mistake (judged on ChibiOS's startup scripts)."""
    text = (
        "MEMORY {\n  ram0 (wx) : ORIGIN = 0x20000000, LENGTH = 128K\n"
        "  ram1 (wx) : ORIGIN = 0x20000000, LENGTH = 112K\n}\n"
        "SECTIONS {\n  .a : { *(.a) } > ram0\n  .b : { *(.b) } > ram1\n}\n"
    )
    assert [f.severity for f in lint(tmp_path, text)] == ["info"]
    unnamed = text.replace(" (wx)", "").replace("ram0", "RAM").replace("ram1", "SRAM1")
    assert [f.severity for f in lint(tmp_path, unnamed)] == ["info"]


def test_ram_declared_over_rom_with_sections_in_both_is_a_warning(tmp_path):
    """ChibiOS's RP2040 `ram1` declared at 0x0, over the boot ROM `flash0`, sections in
    both: a wrong ORIGIN (judged true)."""
    text = (
        "MEMORY {\n  flash0 (rx) : ORIGIN = 0x0, LENGTH = 16K\n"
        "  ram1 (wx) : ORIGIN = 0x0, LENGTH = 256K\n}\n"
        "SECTIONS {\n  .a : { *(.a) } > flash0\n  .b : { *(.b) } > ram1\n}\n"
    )
    (f,) = lint(tmp_path, text)
    assert f.severity == "warning" and "overlaps region `flash0`" in f.message
    only_inner = text.replace("> ram1", "> flash0")
    assert [f.severity for f in lint(tmp_path, only_inner)] == ["info"]
    by_name = text.replace(" (rx)", "").replace(" (wx)", "")
    assert [f.severity for f in lint(tmp_path, by_name)] == ["warning"]


def test_partial_overlap_with_an_unused_region_is_info(tmp_path):
    """NuttX's stm32f7 scripts declare `dtcm` 128K over `sram1` and place nothing in
    `dtcm` (judged false): nothing can collide in this script. Once a section goes
    into it, or an expression reads its bounds, it is a warning again."""
    memory = (
        "MEMORY {\n  dtcm (rwx) : ORIGIN = 0x20000000, LENGTH = 128K\n"
        "  sram1 (rwx) : ORIGIN = 0x20010000, LENGTH = 368K\n}\n"
    )
    sections = "SECTIONS {{\n  .data : {{ *(.data) }} > sram1\n{}}}\n"
    (f,) = lint(tmp_path, memory + sections.format(""))
    assert f.severity == "info" and "nothing in this script uses `dtcm`" in f.message
    placed = memory + sections.format("  .fast : { *(.fast) } > dtcm\n")
    assert [f.severity for f in lint(tmp_path, placed)] == ["warning"]
    read = memory + sections.format("  __stack = ORIGIN(dtcm) + LENGTH(dtcm);\n")
    assert [f.severity for f in lint(tmp_path, read)] == ["warning"]
    # MEMORY alone (a memory.x the main script INCLUDEs): the includer uses them.
    assert [f.severity for f in lint(tmp_path, memory)] == ["warning"]


def test_a_memory_x_that_aliases_regions_is_judged_as_it_stands(tmp_path):
    """embassy's nrf54l15 `memory.x`: `REGION_HEAP` overlaps `RAM`, and riscv-rt's
    `link.x`, which INCLUDEs it, places the heap there (judged true)."""
    text = (
        "MEMORY {\n  RAM : ORIGIN = 0x20020000, LENGTH = 128K - 512\n"
        "  REGION_HEAP : ORIGIN = 0x2003f000, LENGTH = 0xf000\n}\n"
        'REGION_ALIAS("REGION_TEXT", RAM);\nREGION_ALIAS("REGION_BSS", RAM);\n'
    )
    assert [f.severity for f in lint(tmp_path, text)] == ["warning"]


def test_a_memory_file_is_judged_by_the_scripts_linked_with_it(tmp_path):
    """NuttX's stm32f769i-disco `scripts/memory.ld` declares `dtcm` over `xsram`; the
    build links it as `-T memory.ld -T kernel-space.ld`, and the scripts beside it place
    nothing in `dtcm` (judged false): info. In a repository where a sibling uses `dtcm`,
    a warning."""
    from kernlint.engine import run, select_rules

    repo = tmp_path / "repo"
    scripts = repo / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "memory.ld").write_text(
        "MEMORY {\n  xsram (rwx) : ORIGIN = 0x20012000, LENGTH = 360K\n"
        "  dtcm (rwx) : ORIGIN = 0x20000000, LENGTH = 128K\n}\n"
    )
    (scripts / "kernel-space.ld").write_text("SECTIONS {\n  .data : { *(.data) } > xsram\n}\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    found = run([str(scripts / "memory.ld")], select_rules([RULE])).findings
    assert [f.severity for f in found] == ["info"]
    assert "scripts linked with it" in found[0].message
    (scripts / "fast.ld").write_text("SECTIONS {\n  .fast : { *(.fast) } > dtcm\n}\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    found = run([str(scripts / "memory.ld")], select_rules([RULE])).findings
    assert [f.severity for f in found] == ["warning"]
