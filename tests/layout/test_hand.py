"""Hand-written layout cases, one per behaviour, each linked with GNU ld 2.40 and
compared with kernlint's prediction (sections' VMA/LMA/size, the PT_LOAD table, the
symbols the script assigns). Target: every case agrees."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.layout.harness import Case, ld_facts, run_case

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

BASIC = """\
.section .text,"ax",@progbits
.globl _start
_start: .fill 0x30,1,0x90
.section .text.b,"ax",@progbits
.balign 16
.fill 0x11,1,0x90
.section .rodata,"a",@progbits
.balign 8
.fill 0x20,1,1
.section .data,"aw",@progbits
.balign 4
.fill 0x10,1,2
.section .bss,"aw",@nobits
.balign 32
.zero 0x40
"""
SECOND = """\
.section .text,"ax",@progbits
.globl helper
helper: .fill 0x7,1,0x90
.section .text.a,"ax",@progbits
.balign 64
.fill 0x9,1,0x90
.section .data,"aw",@progbits
.balign 8
.fill 0x18,1,3
.section .boot,"ax",@progbits
.fill 0x5,1,0x90
.comm big_common,0x100,32
"""

FULL = (
    "*(.text .text.*) } .rodata : { *(.rodata) } .data : { *(.data) } .bss : { *(.bss) *(COMMON) }"
)

CASES = {
    "location-counter": f"SECTIONS {{ . = 0x100000; .text : {{ {FULL} }}",
    "headers-in-first-load": (f"SECTIONS {{ . = 0x400000 + SIZEOF_HEADERS; .text : {{ {FULL} }}"),
    "align-between": (
        "SECTIONS { . = 0x1000; .text : { *(.text .text.*) } . = ALIGN(0x1000);"
        " .data : { *(.data) } .bss : { *(.bss) *(COMMON) } }"
    ),
    "address-and-align-attribute": (
        "SECTIONS { .text 0x2001 : { *(.text*) } .data 0x5000 : ALIGN(0x100) { *(.data) }"
        " .bss : ALIGN(64) { *(.bss) *(COMMON) } }"
    ),
    "subalign": "SECTIONS { . = 0x1000; .text : SUBALIGN(4) { *(.text*) } .data : { *(.data) } }",
    "higher-half-at": (
        "SECTIONS { . = 0xffffffff80100000; .text : AT(0x100000) { *(.text*) }"
        " .rodata : { *(.rodata) } .data : { *(.data) } .bss : { *(.bss) *(COMMON) } }"
    ),
    "at-addr-expression": (
        "KVMA = 0xffffffff80000000; SECTIONS { . = KVMA + 0x100000;"
        " .text : AT(ADDR(.text) - KVMA) { *(.text*) }"
        " .data ALIGN(0x1000) : AT(ADDR(.data) - KVMA) { *(.data) } }"
    ),
    "memory-regions": (
        "MEMORY { rom (rx) : ORIGIN = 0x8000, LENGTH = 64K"
        " ram (rwx) : ORIGIN = 0x20000000, LENGTH = 16K }"
        " SECTIONS { .text : { *(.text*) *(.boot) } > rom .rodata : { *(.rodata) } > rom"
        " .data : { _sdata = .; *(.data) _edata = .; } > ram AT> rom"
        " .bss : { *(.bss) *(COMMON) } > ram _sidata = LOADADDR(.data); }"
    ),
    "discard": (
        "SECTIONS { . = 0x1000; .text : { *(.text*) } /DISCARD/ : { *(.boot) *(.rodata) }"
        " .data : { *(.data) } .bss : { *(.bss) *(COMMON) } }"
    ),
    "provide-and-symbols": (
        "SECTIONS { . = 0x1000; PROVIDE(unused_sym = .); PROVIDE(_stext = .);"
        " .text : { *(.text*) _etext = .; } _after = . + 0x10; . = ALIGN(16);"
        " .data : { *(.data) } _size = SIZEOF(.text) + SIZEOF(.data); x = _stext; }"
    ),
    "orphans-by-flags": (
        "SECTIONS { . = 0x1000; .text : { *(.text) } _etext = .; . = ALIGN(0x100);"
        " .data : { *(.data) } }"
    ),
    "orphan-joins-same-name": "SECTIONS { . = 0x1000; .text : { *(.text) } .text.b : { LONG(7) } }",
    "sort-by-name-and-alignment": (
        "SECTIONS { . = 0x1000; .text : { *(SORT_BY_NAME(.text.*)) *(.text) }"
        " .data : { *(SORT_BY_ALIGNMENT(.data) SORT_BY_ALIGNMENT(.rodata)) } }"
    ),
    "exclude-file": (
        "SECTIONS { . = 0x1000; .text : { EXCLUDE_FILE(b.o) *(.text*) } .other : { *(.text*) }"
        " .data : { *(.data) } }"
    ),
    "file-pattern-first-match": (
        "SECTIONS { . = 0x1000; .first : { b.o(.text) } .text : { *(.text*) }"
        " .data : { *(.data) } }"
    ),
    "empty-sections-removed": (
        "SECTIONS { . = 0x1000; .text : { *(.text*) } .empty 0x9000 : { *(.nothing) }"
        " .kept : { . = ALIGN(8); } .data : { *(.data) } }"
    ),
    "data-statements": (
        "SECTIONS { . = 0x7c00; .boot : { *(.text) . = 0x1fe; SHORT(0xaa55) }"
        " .rest : { *(.text.*) *(.rodata) QUAD(1) BYTE(2) } }"
    ),
    "phdrs": (
        "PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }"
        " SECTIONS { . = 0x100000; .text : { *(.text*) *(.rodata) } :text"
        " . = ALIGN(0x1000); .data : { *(.data) } :data .bss : { *(.bss) *(COMMON) } }"
    ),
    "phdrs-filehdr": (
        "PHDRS { all PT_LOAD FILEHDR PHDRS; }"
        " SECTIONS { . = 0x400000 + SIZEOF_HEADERS; .text : { *(.text*) } :all"
        " .data : { *(.data) } }"
    ),
    "nobits-then-progbits-splits": (
        "SECTIONS { . = 0x1000; .text : { *(.text*) } .bss : { *(.bss) } .data : { *(.data) } }"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("separate_code", [False, True], ids=["noseparate", "separate"])
def test_hand_case_agrees_with_ld(name, separate_code, tmp_path, agreement):
    script = CASES[name]
    if not script.rstrip().endswith("}") or script.count("{") != script.count("}"):
        script += " }"
    case = Case(script, {"a": BASIC, "b": SECOND}, separate_code=separate_code)
    outcome = run_case(case, tmp_path)
    agreement.record("hand", outcome.agree)
    assert outcome.agree, "\n".join(outcome.differences)


@pytest.mark.parametrize("name", ["location-counter", "higher-half-at", "memory-regions", "phdrs"])
def test_hand_case_i386(name, tmp_path, agreement):
    script = CASES[name]
    if script.count("{") != script.count("}"):
        script += " }"
    script = script.replace("0xffffffff80100000", "0xc0100000")
    outcome = run_case(Case(script, {"a": BASIC, "b": SECOND}, bits=32), tmp_path)
    agreement.record("hand", outcome.agree)
    assert outcome.agree, "\n".join(outcome.differences)


def test_gc_sections_keep_and_entry(tmp_path, agreement):
    script = (
        "ENTRY(_start) SECTIONS { . = 0x1000; .text : { KEEP(*(.boot)) *(.text*) }"
        " .data : { *(.data) } .bss : { *(.bss) *(COMMON) } }"
    )
    outcome = run_case(Case(script, {"a": BASIC, "b": SECOND}, gc_sections=True), tmp_path)
    agreement.record("hand", outcome.agree)
    assert outcome.agree, "\n".join(outcome.differences)
    dropped = {(s.file, s.name) for s, why in outcome.layout.discarded if why == "--gc-sections"}
    assert ("a.o", ".text.b") in dropped
    assert ("b.o", ".boot") not in dropped


@pytest.mark.parametrize(
    "script, message",
    [
        (
            "SECTIONS { . = 0x1000; .text : { *(.text*) } .data : AT(0x1000) { *(.data) } }",
            "LMA",
        ),
        ("SECTIONS { .text 0x1000 : { *(.text*) . = 0x10; } }", "backwards"),
        (
            "MEMORY { tiny : ORIGIN = 0x1000, LENGTH = 0x20 }"
            " SECTIONS { .text : { *(.text*) } > tiny .data : { *(.data) } > tiny }",
            "overflowed",
        ),
    ],
    ids=["lma-overlap", "dot-backwards", "region-overflow"],
)
def test_ld_errors_are_predicted(script, message, tmp_path, agreement):
    outcome = run_case(Case(script, {"a": BASIC, "b": SECOND}), tmp_path)
    agreement.record("hand", outcome.agree)
    assert outcome.ld_error is not None and message in outcome.ld_error
    assert any(message in e for e in outcome.layout.errors), outcome.layout.errors


def test_reader_facts_match_readelf(tmp_path):
    """The harness reads ld's output with kernlint's ELF reader; check it once
    against `readelf -SlW`."""
    script = "SECTIONS { . = 0xffffffff80100000; .text : AT(0x100000) { " + FULL + " }"
    run_case(Case(script, {"a": BASIC, "b": SECOND}), tmp_path)
    sections, loads = ld_facts(tmp_path / "out.elf")
    text = subprocess.run(
        ["readelf", "-SlW", str(tmp_path / "out.elf")], capture_output=True, text=True, check=True
    ).stdout
    for line in text.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 6 and fields[0].startswith("[") and fields[1] in sections:
            addr, size = int(fields[3], 16), int(fields[5], 16)
            assert sections[fields[1]][0] == addr and sections[fields[1]][2] == size
    readelf_loads = [
        tuple(int(x, 16) for x in line.split()[2:6])
        for line in text.splitlines()
        if line.strip().startswith("LOAD")
    ]
    assert [(v, p, f, m) for v, p, f, m, _ in loads] == readelf_loads
