import os
import shutil
import subprocess

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, lint_script, sample

RULE = "KL205"
GOOD = ("good-no-phdrs.ld", "good-phdrs.ld", "good-region.ld")


def lint(tmp_path, text: str, config: Config | None = None, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, config=config, **others)


def where(findings) -> list[tuple[int, int]]:
    return [(f.location.line, f.location.column) for f in findings]


def test_no_phdrs():
    found = findings_of(sample("kl205", "bad-no-phdrs.ld"), RULE)
    assert where(found) == [(11, 5), (12, 5)]
    rodata, data = found
    assert rodata.location.end_column == 12
    assert "`.rodata` (read-only data) follows `.text` (code)" in rodata.message
    assert "no page boundary between them" in rodata.message
    assert "the 4096-byte page where `.text` ends is also where `.rodata` begins" in rodata.message
    assert "one R E segment" in rodata.message and "KL106" in rodata.message
    assert "`.data` (writable data) follows `.rodata` (read-only data)" in data.message
    assert "one RW segment" in data.message
    assert data.fix == (
        "put `. = ALIGN(CONSTANT(MAXPAGESIZE));` before `.data`, or write"
        " `.data : ALIGN(CONSTANT(MAXPAGESIZE)) {`"
    )


def test_phdrs():
    found = findings_of(sample("kl205", "bad-phdrs.ld"), RULE)
    assert where(found) == [(18, 5), (19, 5)]


def test_region():
    found = findings_of(sample("kl205", "bad-region.ld"), RULE)
    assert where(found) == [(25, 5), (27, 5)]
    for f in found:
        assert "> ram`" in f.fix
        assert "does not move a section placed in a MEMORY region" in f.fix


def test_fixed_twins_trigger_nothing():
    for name in GOOD:
        path = sample("kl205", name)
        assert run([str(path)], select_rules()).findings == [], name


def two(between: str = "", second: str = ".data :", first_body: str = "*(.text .text.*)") -> str:
    return (
        "SECTIONS {\n"
        "  . = 0x100000;\n"
        f"  .text : {{ {first_body} }}\n"
        f"  {between}\n"
        f"  {second} {{ *(.data .data.*) }}\n"
        "}\n"
    )


@pytest.mark.parametrize(
    "between",
    [
        ". = ALIGN(4K);",
        ". = ALIGN(0x1000);",
        ". = ALIGN(0x200000);",
        ". = ALIGN(CONSTANT(MAXPAGESIZE));",
        ". = ALIGN(., 0x1000);",
        ". = BLOCK(0x1000);",
        ". = 0x200000;",
        ". = (. + 0xfff) & ~0xfff;",
        ". = ALIGN(0x1000) + 0x10;",
        ". = ALIGN(0x1000); . += 0x10;",
        ". += 0x1000;",
        ". = . + 0x2000;",
        ". += 0xfff;",  # the byte before `.` is at most 0xfff below a page boundary
        ". = DATA_SEGMENT_ALIGN(CONSTANT(MAXPAGESIZE), CONSTANT(COMMONPAGESIZE));",
        "PAGE = 0x1000; . = ALIGN(PAGE);",
        ". = ALIGN(16); . = ALIGN(4K); sym = .;",
    ],
)
def test_page_boundary_between(tmp_path, between):
    assert lint(tmp_path, two(between)) == []


@pytest.mark.parametrize(
    "second",
    [
        ".data : ALIGN(4K)",
        ".data : ALIGN(CONSTANT(MAXPAGESIZE))",
        ".data ALIGN(0x1000) :",
        ".data 0x200000 :",
        ".data (0x200000 + 0x1000) :",
    ],
)
def test_page_aligned_second_section(tmp_path, second):
    assert lint(tmp_path, two(second=second)) == []


def test_page_aligned_end_of_the_first_section(tmp_path):
    assert lint(tmp_path, two(first_body="*(.text .text.*) . = ALIGN(4K); _etext = .;")) == []
    # ALIGN(., 4K) aligns the offset; the start is 0x100000, a page multiple.
    assert lint(tmp_path, two(first_body="*(.text .text.*) . = ALIGN(., 4K);")) == []
    # An input section after the alignment undoes it.
    text = two(first_body="*(.text) . = ALIGN(4K); *(.text.*)")
    assert where(lint(tmp_path, text)) == [(5, 3)]


@pytest.mark.parametrize(
    "between",
    [
        "",
        ". = ALIGN(16);",
        ". = ALIGN(., 8);",
        ". += 0x10;",
        ". = . + 0xffe;",
        "_etext = .;",
        ".comment 0 : { *(.comment) }",  # not allocated: no boundary
        ".info (INFO) : { LONG(0) }",
        "/DISCARD/ : { *(.eh_frame) }",
    ],
)
def test_no_page_boundary(tmp_path, between):
    (f,) = lint(tmp_path, two(between))
    assert "`.data` (writable data) follows `.text` (code)" in f.message
    assert "one RWE segment" in f.message


@pytest.mark.parametrize(
    ("between", "second"),
    [
        (". = SOMEWHERE;", ".data :"),  # unknown
        (". = 0x200010;", ".data :"),  # a jump to an unaligned address: unknown
        ("", ".data SOMEWHERE :"),
        ("", ".data 0x100800 :"),
        ("", ".data : ALIGN(SOMETHING)"),
        ("", ".data : ONLY_IF_RW"),
        ("", ".mystery :"),  # name without convention, but the patterns decide...
    ],
)
def test_unknown_stays_silent(tmp_path, between, second):
    found = lint(tmp_path, two(between, second))
    if second == ".mystery :":
        assert len(found) == 1  # ...its *(.data) patterns make it writable data
    else:
        assert found == []


def test_unknown_classes_stay_silent(tmp_path):
    text = "SECTIONS {\n  .boot : { *(.boot) }\n  .text : { *(.text) }\n  .x : { kernel.o }\n}\n"
    assert lint(tmp_path, text) == []


def test_same_class_is_fine(tmp_path):
    text = "SECTIONS {\n  .data : { *(.data) }\n  .bss : { *(.bss) *(COMMON) }\n}\n"
    assert lint(tmp_path, text) == []
    text = "SECTIONS {\n  .text : { *(.text) }\n  .init : { *(.init) }\n}\n"
    assert lint(tmp_path, text) == []


def test_noload_counts(tmp_path):
    text = "SECTIONS {\n  .text : { *(.text) }\n  .bss (NOLOAD) : { *(.bss) }\n}\n"
    assert where(lint(tmp_path, text)) == [(3, 3)]


def test_regions(tmp_path):
    memory = (
        "MEMORY {\n  low : ORIGIN = 1M, LENGTH = 256M\n"
        "  ram : ORIGIN = 0x40000000, LENGTH = 256M\n}\n"
    )
    # Different regions: not adjacent as far as the script says.
    text = memory + "SECTIONS {\n  .text : { *(.text) } > low\n  .data : { *(.data) } > ram\n}\n"
    assert lint(tmp_path, text) == []
    # Same region: only an alignment on the sections counts.
    same = (
        "SECTIONS {\n  .text : { *(.text) } > ram\n  . = ALIGN(4K);\n"
        "  .data : { *(.data) } > ram\n}\n"
    )
    assert where(lint(tmp_path, memory + same)) == [(8, 3)]
    fixed = "SECTIONS {\n  .text : { *(.text) } > ram\n  .data : ALIGN(4K) { *(.data) } > ram\n}\n"
    assert lint(tmp_path, memory + fixed) == []
    # A section without a region in a script with MEMORY: ld picks one; silent.
    loose = "SECTIONS {\n  .text : { *(.text) } > ram\n  .data : { *(.data) }\n}\n"
    assert lint(tmp_path, memory + loose) == []


def test_real_mode_code_is_not_judged(tmp_path):
    text = "SECTIONS {\n  . = 0x7c00;\n  .text : { *(.text) }\n  .data : { *(.data) }\n}\n"
    assert lint(tmp_path, text) == []
    # The same layout at 1 MiB is a paged kernel's.
    assert where(lint(tmp_path, text.replace("0x7c00", "0x100000"))) == [(4, 3)]
    # No known address at all: judged.
    assert where(lint(tmp_path, text.replace("  . = 0x7c00;\n", ""))) == [(3, 3)]
    corpus = sample("kl205", "kernel.s").parents[2] / "tests/ldscript/data/corpus"
    for name in ("bootloader-boot-sector-link.ld", "linux-x86-boot-setup.ld"):
        assert findings_of(corpus / name, RULE) == [], name


def test_page_size_from_config(tmp_path):
    text = two(". = ALIGN(0x1000);")
    assert lint(tmp_path, text) == []
    (f,) = lint(tmp_path, text, Config(page_size=0x4000))
    assert "the 16384-byte page" in f.message
    assert lint(tmp_path, two(". = ALIGN(CONSTANT(MAXPAGESIZE));"), Config(page_size=0x4000)) == []


def test_overlay_breaks_the_chain(tmp_path):
    text = (
        "SECTIONS {\n  .text : { *(.text) }\n  OVERLAY : { .a { *(.a) } }\n"
        "  .data : { *(.data) }\n}\n"
    )
    assert lint(tmp_path, text) == []


def test_included_files(tmp_path):
    main = "SECTIONS {\n  .text : { *(.text) }\n  INCLUDE data.ld\n}\n"
    (f,) = lint(tmp_path, main, **{"data.ld": "\n.data : { *(.data) }\n"})
    assert (f.location.line, f.location.column) == (3, 3)
    assert f.message.endswith("data.ld:2:1, included here)")


def _load_segments(path) -> list[tuple[int, int, str]]:
    text = subprocess.run(
        ["readelf", "-lW", path], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "LOAD":
            out.append((int(parts[2], 16), int(parts[5], 16), " ".join(parts[6:-1])))
    return out


def _link(tmp_path, script, out):
    obj = tmp_path / "kernel.o"
    if not obj.exists():
        subprocess.run(["as", "--64", "-o", obj, sample("kl205", "kernel.s")], check=True)
    return subprocess.run(
        [
            "ld",
            "-m",
            "elf_x86_64",
            "-nostdlib",
            "--build-id=none",
            "-z",
            "max-page-size=0x1000",
            "-z",
            "noexecstack",
            "-T",
            script,
            "-o",
            out,
            obj,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    ).stderr


@pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld") and shutil.which("readelf")),
    reason="needs GNU as/ld and readelf",
)
def test_gnu_ld_agrees(tmp_path):
    """Ground truth: the bad scripts give segments of different flags in one page
    (or one RWE segment); the fixed twins give one page per permission set."""
    folder = sample("kl205", "kernel.s").parent
    said = _link(tmp_path, folder / "bad-no-phdrs.ld", tmp_path / "a.elf")
    assert "has a LOAD segment with RWX permissions" in said
    assert [s[2] for s in _load_segments(tmp_path / "a.elf")] == ["RWE"]
    for name in ("bad-phdrs.ld", "bad-region.ld"):
        assert _link(tmp_path, folder / name, tmp_path / "b.elf") == ""
        segments = _load_segments(tmp_path / "b.elf")
        assert [s[2] for s in segments] == ["R E", "R", "RW"]
        assert len({vaddr // 0x1000 for vaddr, _, _ in segments}) == 1, name
    for name in GOOD:
        _link(tmp_path, folder / name, tmp_path / "g.elf")
        pages: dict[int, str] = {}
        for vaddr, memsz, flags in _load_segments(tmp_path / "g.elf"):
            for page in range(vaddr // 0x1000, (vaddr + max(memsz, 1) - 1) // 0x1000 + 1):
                assert pages.setdefault(page, flags) == flags, (name, hex(page * 0x1000))


# --------------------------------------------------------------- issue 12: exactness

NEEDS_LD = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld") and shutil.which("readelf")),
    reason="needs GNU as/ld and readelf",
)


def _sections(path) -> list[tuple[str, str]]:
    """(name, flags) of the allocated sections of ``path`` (readelf -SW)."""
    text = subprocess.run(
        ["readelf", "-SW", path], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for line in text.splitlines():
        line = line.split("]", 1)[-1].split()
        if len(line) >= 7 and line[0].startswith(".") and "A" in line[6]:
            out.append((line[0], line[6]))
    return out


def test_pedantic_group():
    from kernlint.rules import kl205_permission_boundary_unaligned as rule

    assert rule.GROUP == "pedantic"


@NEEDS_LD
def test_sections_of_one_phdrs_segment_share_its_flags(tmp_path):
    """`.text :text` and `.rodata :text` are one R E segment by construction: the
    permissions do not change at the boundary, whatever the page."""
    text = (
        "ENTRY(_start)\nPHDRS {\n  text PT_LOAD FLAGS(5);\n  data PT_LOAD FLAGS(6);\n}\n"
        "SECTIONS {\n  . = 0x100000;\n  .text : { *(.text) } :text\n"
        "  .rodata : { *(.rodata) } :text\n  .data : { *(.data) } :data\n"
        "  .bss : { *(.bss) }\n  /DISCARD/ : { *(.note.GNU-stack) }\n}\n"
    )
    (tmp_path / "one.ld").write_text(text)
    _link(tmp_path, tmp_path / "one.ld", tmp_path / "one.elf")
    assert [s[2] for s in _load_segments(tmp_path / "one.elf")] == ["R E", "RW"]
    # Only `.data`, the first section of another segment, starts in a shared page.
    assert where(lint(tmp_path, text)) == [(10, 3)]
    # `.bss` inherits `:data` from `.data` (ld manual "Output Section Phdr").
    same = text.replace(".data : { *(.data) } :data", ".data : { *(.data) } :text")
    assert lint(tmp_path, same.replace("  .bss : { *(.bss) }\n", "")) == []


@NEEDS_LD
def test_asserted_empty_and_linker_created_sections_separate_nothing(tmp_path):
    """A `.plt` the script ASSERTs empty, and `.rela.dyn`/`.got.plt` of a static link,
    are removed by GNU ld: the page boundaries around them are what counts."""
    text = (
        "ENTRY(_start)\nSECTIONS {\n  . = 0x100000;\n  .text : { *(.text) }\n"
        "  . = ALIGN(4K);\n  .plt : { *(.plt) }\n"
        '  ASSERT(SIZEOF(.plt) == 0, "unexpected PLT")\n'
        "  .rodata : { *(.rodata) }\n"
        "  .rela.dyn : { *(.rela .rela*) }\n  .got.plt : { *(.got.plt) }\n"
        "  . = ALIGN(4K);\n  .data : { *(.data) }\n  .bss : { *(.bss) }\n"
        "  /DISCARD/ : { *(.note.GNU-stack) }\n}\n"
    )
    (tmp_path / "e.ld").write_text(text)
    _link(tmp_path, tmp_path / "e.ld", tmp_path / "e.elf")
    names = [n for n, _ in _sections(tmp_path / "e.elf")]
    assert names == [".text", ".rodata", ".data", ".bss"]  # .plt, .rela.dyn, .got.plt gone
    assert lint(tmp_path, text) == []
    # `.plt` is linker-created (empty in a static link) even without the ASSERT; a
    # section of the objects' is empty only when the script says so.
    init = text.replace(".plt : { *(.plt) }", ".init : { *(.init) }")
    init = init.replace("SIZEOF(.plt)", "SIZEOF(.init)")
    assert lint(tmp_path, init) == []
    unasserted = init.replace('  ASSERT(SIZEOF(.init) == 0, "unexpected PLT")\n', "")
    assert where(lint(tmp_path, unasserted)) == [(7, 3)]


@NEEDS_LD
def test_sdata2_is_read_only(tmp_path):
    """PowerPC EABI's `.sdata2`/`.sbss2` are small *read-only* data: next to
    `.rodata` they change nothing (GNU as gives `.sdata2` no SHF_WRITE: flags `A`)."""
    (tmp_path / "s.s").write_text(
        '.section .text,"ax"\n.globl _start\n_start: ret\n'
        '.section .sdata2,"a"\n.long 1\n.section .rodata,"a"\n.long 2\n'
    )
    subprocess.run(["as", "--64", "-o", tmp_path / "s.o", tmp_path / "s.s"], check=True)
    text = (
        "SECTIONS {\n  . = 0x100000;\n  .text : { *(.text) }\n  . = ALIGN(4K);\n"
        "  .sdata2 : { *(.sdata2) }\n  .rodata : { *(.rodata) }\n"
        "  .sbss2 : { *(.sbss2) }\n}\n"
    )
    (tmp_path / "s.ld").write_text(text)
    subprocess.run(
        [
            "ld",
            "-nostdlib",
            "-z",
            "noexecstack",
            "-T",
            tmp_path / "s.ld",
            "-o",
            tmp_path / "s.elf",
            tmp_path / "s.o",
        ],
        check=True,
    )
    assert dict(_sections(tmp_path / "s.elf"))[".sdata2"] == "A"
    assert lint(tmp_path, text) == []


def test_memory_maps_of_microcontrollers_have_no_pages(tmp_path):
    sections = (
        "SECTIONS {\n  .text : { *(.text) } > FLASH\n  .rodata : { *(.rodata) } > FLASH\n"
        "  .data : { *(.data) } > RAM AT> FLASH\n}\n"
    )
    flash = (
        "MEMORY {\n  FLASH : ORIGIN = 0x08000000, LENGTH = 64M\n"
        "  RAM : ORIGIN = 0x20000000, LENGTH = 64M\n}\n"
    )
    assert lint(tmp_path, flash + sections) == []  # code runs from flash in place
    rx = flash.replace("FLASH :", "FLASH (rx) :").replace("FLASH", "CODE")
    assert lint(tmp_path, rx + sections.replace("FLASH", "CODE")) == []
    small = (
        "MEMORY {\n  ITCM : ORIGIN = 0, LENGTH = 1M\n"
        "  RAM : ORIGIN = 0x20000000, LENGTH = 128K\n}\n"
    )
    assert lint(tmp_path, small + sections.replace("FLASH", "ITCM")) == []
    # Regions declared in another file (cortex-m-rt's memory.x): a memory map too.
    assert lint(tmp_path, sections) == []
    # A paged kernel's one big RAM region is still judged.
    big = "MEMORY {\n  ram (rwx) : ORIGIN = 0x80000000, LENGTH = 256M\n}\n"
    paged = "SECTIONS {\n  .text : { *(.text) } > ram\n  .rodata : { *(.rodata) } > ram\n}\n"
    assert where(lint(tmp_path, big + paged)) == [(6, 3)]
