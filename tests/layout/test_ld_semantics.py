"""Regression cases for GNU ld 2.40 behaviours the generated set found (issue #7,
item 3), one per behaviour: each links with the real ld, compares everything with
kernlint's prediction (sections' VMA/LMA/size, the PT_LOAD table, the symbols the
script assigns) and then asserts the fact that makes the case worth having, so a
case that stops exercising its behaviour fails too."""

from __future__ import annotations

import shutil

import pytest

from tests.layout.harness import Case, run_case

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

START = '.section .text,"ax",@progbits\n.globl _start\n_start: .fill 0x11,1,0x90\n'


def _section(name: str, flags: str, size: int, align: int = 1, kind: str = "@progbits") -> str:
    fill = f".zero {size}" if kind == "@nobits" else f".fill {size},1,0x90"
    return f'.section {name},"{flags}",{kind}\n.balign {align}\n{fill}\n'


def _link(tmp_path, script: str, sources: dict[str, str], **options):
    outcome = run_case(Case(script, sources, **options), tmp_path)
    assert outcome.ld_error is None, outcome.ld_error
    assert outcome.agree, "\n".join(outcome.differences)
    return outcome


def _section_of(outcome, name: str):
    return next(s for s in outcome.layout.sections if s.name == name)


def test_missing_section_address_moves_sizing_dot_not_symbols(tmp_path):
    """A section ld never creates (nothing matched) still evaluates its address while
    sizing (lang_size_sections_1), but lang_do_assignments, which gives the symbols
    their values, skips it: `after_e` is the end of .text, while the `. += 0x10`
    that follows (sizing's `.`) puts .data 0x110 past it."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .e . + 0x100 : { *(.none) }"
        " after_e = .; . += 0x10; .data : { *(.data) } after_data = .; }"
    )
    outcome = _link(tmp_path, script, {"a": START + _section(".data", "aw", 8)})
    assert outcome.layout.symbols["after_e"] == 0x1011
    assert _section_of(outcome, ".data").vma == 0x1011 + 0x100 + 0x10


def test_empty_section_address_leaves_symbol_dot(tmp_path):
    """The same for a section stripped as empty without a symbol assignment inside
    (``ignored``): its address does not reach the symbol after it."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .e 0x9000 : { *(.zero) }"
        " after = .; .data : { *(.data) } }"
    )
    sources = {"a": START + _section(".data", "aw", 8), "z": _section(".zero", "aw", 0)}
    outcome = _link(tmp_path, script, sources)
    assert outcome.layout.symbols["after"] == 0x1011


def test_symbol_assignment_sets_region_next_address(tmp_path):
    """Every top-level assignment, to a symbol too, sets the default region's next
    address to `.`: after an uncreated `.e ALIGN(0x1000)`, `mark = .;` makes .data
    start on the aligned address; without it .data follows .text."""
    sources = {"a": START + _section(".data", "aw", 8)}
    with_mark = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .e ALIGN(0x1000) : { *(.none) }"
        " mark = .; .data : { *(.data) } }"
    )
    outcome = _link(tmp_path / "mark", with_mark, sources)
    assert _section_of(outcome, ".data").vma == 0x2000
    assert outcome.layout.symbols["mark"] == 0x1011
    without = with_mark.replace(" mark = .;", "")
    outcome = _link(tmp_path / "plain", without, sources)
    assert _section_of(outcome, ".data").vma == 0x1011


def test_subalign_keeps_the_inputs_own_alignment_for_the_output(tmp_path):
    """SUBALIGN(1) places the inputs unaligned, but the output section is still
    aligned to its inputs' own alignment (lang_add_section raised it first)."""
    script = "SECTIONS { . = 0x1000; .text : { *(.text) } .data : SUBALIGN(1) { *(.data*) } }"
    sources = {"a": START + _section(".data", "aw", 0x33, 256) + _section(".data.b", "aw", 8, 16)}
    outcome = _link(tmp_path, script, sources)
    data = _section_of(outcome, ".data")
    assert data.vma == 0x1100 and data.size == 0x3B


def test_linker_created_sections_take_orphan_places(tmp_path):
    """The x86 backend's empty .iplt (and .rela.dyn, .got, ...) are orphans of the
    first file, placed after its own: a later code orphan goes after .iplt, so a
    read-only orphan of the second file placed after .text comes before it."""
    script = "SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) } }"
    sources = {
        "a": START,
        "b": _section(".rodata.str", "a", 3) + _section(".text.b", "ax", 0x20, 4),
    }
    outcome = _link(tmp_path, script, sources)
    assert _section_of(outcome, ".rodata.str").vma == 0x1011
    assert _section_of(outcome, ".text.b").vma == 0x1014
    created = {o.section.name for o in outcome.layout.orphans}
    assert ".iplt" not in created  # not reported as the user's orphans


def test_data_statement_does_not_make_a_section_read_only(tmp_path):
    """QUAD() in a section that already has writable inputs adds contents, not
    SEC_READONLY: a read-only orphan then follows .text, not .data."""
    script = "SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) QUAD(0) } }"
    sources = {"a": START + _section(".data", "aw", 8), "b": _section(".rodata.str", "a", 3)}
    outcome = _link(tmp_path, script, sources)
    assert _section_of(outcome, ".rodata.str").vma == 0x1011


@pytest.mark.parametrize("bits", [64, 32])
def test_subalign_padding_keeps_an_empty_section(tmp_path, bits):
    """An empty input under SUBALIGN(64) pads the section in ld's first sizing pass
    (the output is not yet aligned to 64), so ld keeps a zero-size .bss. In that
    pass the empty linker-created .rela.dyn and .got are not stripped yet and
    still align `.`: .bss starts at 0x1020 (0x1018 for elf_i386), which
    SUBALIGN(32) leaves alone on x86-64 but not on i386."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) }"
        " .bss : SUBALIGN(64) { *(.bss) } }"
    )
    sources = {"a": START + _section(".data", "aw", 3)}
    outcome = _link(tmp_path / "64", script, sources, bits=bits)
    bss = _section_of(outcome, ".bss")
    assert bss.size == 0 and bss.vma == 0x1040
    outcome = _link(tmp_path / "32", script.replace("(64)", "(32)"), sources, bits=bits)
    kept = any(s.name == ".bss" for s in outcome.layout.sections)
    assert kept == (bits == 32)


@pytest.mark.parametrize("gc", [False, True])
def test_keep_keeps_an_empty_output_section(tmp_path, gc):
    """An input section a KEEP pattern matches carries SEC_KEEP to its output
    section, which ld writes even when empty (with or without --gc-sections)."""
    script = (
        "ENTRY(_start) SECTIONS { . = 0x1000; .text : { *(.text) }"
        " .e : { KEEP(*(.zero)) } .data : { *(.data) } }"
    )
    sources = {"a": START + _section(".data", "aw", 8), "z": _section(".zero", "a", 0, 16)}
    outcome = _link(tmp_path, script, sources, gc_sections=gc)
    e = _section_of(outcome, ".e")
    assert e.size == 0 and e.vma == 0x1020


def test_sections_starting_at_one_address_are_overlays(tmp_path):
    """Two non-empty sections at the same VMA are taken for overlays: ld checks
    their LMAs only, and links."""
    script = (
        "SECTIONS { .text 0x300000 : AT(0x200000) { *(.text) }"
        " .rodata 0x300000 : AT(0x210000) { *(.rodata) } }"
    )
    outcome = _link(tmp_path, script, {"a": START + _section(".rodata", "a", 0x100)})
    assert not outcome.layout.errors


def test_headers_size_keeps_the_larger_reservation(tmp_path):
    """With 4 headers .text and .extra share a PT_LOAD (3 headers); with 3 they do
    not (4): the count oscillates, and after four mappings ldelf_map_segments only
    lets it grow, so SIZEOF_HEADERS keeps 4 entries for a 3-entry table."""
    script = (
        "ENTRY(_start) SECTIONS { . = 0x400000 + SIZEOF_HEADERS;"
        " .text : AT(0x200000) { _start_text = .; *(.text) } . = ALIGN(0x1000);"
        " .data : { *(.data) } .bss : { *(COMMON) *(.bss) . = ALIGN(8); } }"
    )
    source = (
        '.section .text,"ax",@progbits\n.globl _start\n_start: nop\n'
        + _section(".stack", "aw", 0x100, 64, "@nobits")
        + _section(".extra", "aw", 0x1800, 16)
        + _section(".data.a", "aw", 0, 4)
    )
    outcome = _link(tmp_path, script, {"a": source})
    assert outcome.layout.headers_size == 64 + 4 * 56
    assert len(outcome.layout.segments) == 3


def test_separate_code_estimate_picks_the_first_stable_count(tmp_path):
    """Both 4 and 5 headers are self-consistent here (with 5, .init's aligned LMA
    breaks the LMA-VMA offset and needs a PT_LOAD of its own); ld starts from its
    estimate, 5 with -z separate-code, and keeps it."""
    script = (
        "ENTRY(_start) SECTIONS { . = 0x400000 + SIZEOF_HEADERS;"
        " .text : AT(0x200000) { *(.text) . = ALIGN(256); } . = ALIGN(0x200000);"
        " .data : AT(LOADADDR(.text) + 0x10000) { *(.data .data.*) } }"
    )
    source = (
        '.section .text,"ax",@progbits\n.globl _start\n_start: .fill 0x1008,1,0x90\n'
        + _section(".text.b", "ax", 0x10, 16)
        + _section(".text.a", "ax", 0x38, 8)
    )
    outcome = _link(
        tmp_path,
        script,
        {"a": source, "b": _section(".init", "ax", 0x1810, 16) + _section(".extra", "aw", 8)},
        separate_code=True,
    )
    assert outcome.layout.headers_size == 64 + 5 * 56


def test_empty_created_section_ends_the_lma_offset(tmp_path):
    """The created, empty .rela.dyn goes after the last read-only allocated output
    section (ldelf.c output_rel_find), here the .mb_header orphan. Ignored, it still
    becomes the region's last section (`.` has not moved below it); .data then sits
    below its 8-aligned address, ld's "dot moved backwards" case: .data's LMA is its
    VMA, not .text's AT() offset."""
    script = (
        "ENTRY(_start) SECTIONS { . = 0x7c00;"
        " .text : AT(0x200000) SUBALIGN(1) { *(.text .text.*) }"
        " .rodata : { *(.rodata .rodata.*) } .data : { *(.data .data.*) BYTE(1) } }"
    )
    source = '.section .text,"ax",@progbits\n.globl _start\n_start: nop\n' + _section(
        ".mb_header", "a", 0x333, 8
    )
    outcome = _link(tmp_path, script, {"a": source}, separate_code=True)
    data = _section_of(outcome, ".data")
    assert data.lma == data.vma == 0x7F3B


def test_data_only_bss_is_read_only_to_the_segment_map(tmp_path):
    """A .bss holding only QUAD(0) (its inputs collected) is SEC_READONLY to bfd,
    ELF `WA` by its name: it shares the code's PT_LOAD, which becomes RWX."""
    script = (
        "ENTRY(_start) SECTIONS { . = 0x100000; .rodata : { *(.rodata) }"
        " . = ALIGN(0x1000); .data : { *(.data) } .bss : { *(.bss) QUAD(0) } }"
    )
    source = '.section .text,"ax",@progbits\n.globl _start\n_start: nop\n' + _section(
        ".bss", "aw", 8, 8, "@nobits"
    )
    outcome = _link(tmp_path, script, {"a": source}, gc_sections=True)
    loads = [s for s in outcome.layout.segments if s.p_type == 1]
    assert len(loads) == 1 and loads[0].p_flags == 7
