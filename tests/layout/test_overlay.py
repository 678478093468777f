"""``OVERLAY`` against GNU ld 2.40 (issue #7): each case links with the real ld,
compares everything with kernlint's prediction (sections' VMA/LMA/size, the PT_LOAD
table, the symbols the script assigns and the ``__load_start_*``/``__load_stop_*``
symbols ld provides) and then asserts the fact that makes the case worth having."""

from __future__ import annotations

import shutil

import pytest

from tests.layout.harness import Case, ld_symbols, run_case, script_symbols

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

START = '.section .text,"ax",@progbits\n.globl _start\n_start: .fill 0x11,1,0x90\n'


def _section(name: str, flags: str, size: int, align: int = 1) -> str:
    return f'.section {name},"{flags}",@progbits\n.balign {align}\n.fill {size},1,0x90\n'


#: three overlay inputs: 0x30 bytes aligned 4, 0x45 aligned 16, 7 aligned 8
CODE = (
    START
    + _section(".ov1", "ax", 0x30, 4)
    + _section(".ov2", "ax", 0x45, 16)
    + _section(".ov3", "ax", 0x7, 8)
    + _section(".data", "aw", 8)
)
#: the same with a writable third input
MIXED = CODE.replace('.ov3,"ax"', '.ov3,"aw"')
LOAD_NAMES = {f"__load_{k}_{n}" for k in ("start", "stop") for n in ("o1", "o2", "o3", "o4")}
BODY = ".o1 { *(.ov1) } .o2 { *(.ov2) } .o3 { *(.ov3) }"


def _link(tmp_path, script: str, sources: dict[str, str], ld_fails: bool = False, **options):
    """Link, compare, and compare the symbols too, with the overlay's load symbols
    (which the harness does not list: the script does not spell them out)."""
    outcome = run_case(Case(script, sources, symbols=False, **options), tmp_path)
    if ld_fails:
        assert outcome.ld_error is not None and outcome.layout.errors
        return outcome
    assert outcome.ld_error is None, outcome.ld_error
    assert outcome.agree, "\n".join(outcome.differences)
    names = script_symbols(tmp_path / "script.ld") | LOAD_NAMES
    mask = 0xFFFFFFFF if options.get("bits") == 32 else (1 << 64) - 1
    ours = {n: v & mask for n, v in outcome.layout.symbols.items()}
    assert ld_symbols(tmp_path / "out.elf", names) == ours
    return outcome


def _sections(outcome) -> dict[str, tuple[int, int, int]]:
    return {s.name: (s.vma, s.lma, s.size) for s in outcome.layout.sections}


def _loads(outcome) -> list:
    return [s for s in outcome.layout.segments if s.p_type == 1]


@pytest.mark.parametrize("bits", [64, 32])
def test_members_share_the_start_and_load_one_after_another(tmp_path, bits):
    """Every member starts at the overlay's start, not aligned to its inputs (.o2's
    are 16-aligned); the LMAs follow each other from AT(), unaligned
    (lang_size_sections_1: "set the current lma to that at the end of the previous
    section"); `.` after the overlay is the start plus the largest member; each
    member gets its own PT_LOAD."""
    script = (
        f"SECTIONS {{ . = 0x1000; .text : {{ *(.text) }} OVERLAY 0x5001 : AT(0x8001)"
        f" {{ {BODY} }} after = .; .data : {{ *(.data) }} }}"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, bits=bits)
    sections = _sections(outcome)
    assert sections[".o1"] == (0x5001, 0x8001, 0x33)
    assert sections[".o2"] == (0x5001, 0x8034, 0x54)
    assert sections[".o3"] == (0x5001, 0x8088, 0xE)
    assert outcome.layout.symbols["after"] == 0x5001 + 0x54
    assert sections[".data"][0] == 0x5055
    assert len(_loads(outcome)) == 5
    assert not outcome.layout.unsupported


def test_without_start_the_first_member_takes_the_location_counter(tmp_path):
    """No start address: the first member is placed like any section (aligned to
    its inputs), the others at ADDR(first); with no AT() the first keeps the
    previous section's LMA-VMA offset and the others follow it. The load symbols
    are PROVIDEd: defined when the script reads them."""
    script = (
        "SECTIONS { . = 0x1000; .text : AT(0x200000) { *(.text) }"
        f" OVERLAY : {{ {BODY} }} after = .;"
        " x1 = __load_start_o1; x2 = __load_stop_o2; .data : { *(.data) } }"
    )
    outcome = _link(tmp_path, script, {"a": CODE})
    sections = _sections(outcome)
    assert sections[".o1"] == (0x1014, 0x200014, 0x30)
    assert sections[".o2"] == (0x1014, 0x200044, 0x51)  # its input padded to 0x1020
    assert outcome.layout.symbols["x1"] == 0x200014
    assert outcome.layout.symbols["x2"] == 0x200044 + 0x51
    assert "__load_start_o3" not in outcome.layout.symbols
    assert outcome.layout.symbols["after"] == 0x1014 + 0x51


def test_subalign_applies_to_every_member(tmp_path):
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) }"
        f" OVERLAY : AT(0x7003) SUBALIGN(32) {{ {BODY} }} after = .; .data : {{ *(.data) }} }}"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, bits=32)
    sections = _sections(outcome)
    assert sections[".o1"] == (0x1020, 0x7003, 0x30)
    assert sections[".o2"] == (0x1020, 0x7033, 0x45)


def test_orphan_between_members_ends_the_lma_chain(tmp_path):
    """The created .rela.dyn goes after the last read-only output section, here
    .o2, so between .o2 and the writable .o3: .o3's `.` is then below that
    orphan's address and ld takes it for a backward move ("dot moved backwards
    before `.o3'"): .o3's LMA is its VMA."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) }"
        f" OVERLAY 0x5000 : AT(0x8001) {{ {BODY} }} after = .; .data : {{ *(.data) }} }}"
    )
    outcome = _link(tmp_path, script, {"a": MIXED})
    sections = _sections(outcome)
    assert sections[".o2"] == (0x5000, 0x8031, 0x45)
    assert sections[".o3"] == (0x5000, 0x5000, 0x7)


def test_lma_overlaps_are_checked_but_not_vmas(tmp_path):
    """Members share VMAs (overlays: not checked), but the LMAs are: after the
    backward move above without AT(), .o3's LMA lands on .o1's and ld fails."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) }"
        f" OVERLAY : {{ {BODY} }} after = .; .data : {{ *(.data) }} }}"
    )
    outcome = _link(tmp_path, script, {"a": MIXED}, ld_fails=True)
    assert "section .o3 LMA [0000000000001014,000000000000101e] overlaps section .o1" in (
        outcome.ld_error
    )
    assert any(e.startswith("section .o3 LMA [0000000000001014,") for e in outcome.layout.errors)
    assert not any("VMA" in e for e in outcome.layout.errors)


def test_empty_members_keep_an_output_section(tmp_path):
    """The load symbols' LOADADDR/SIZEOF give every member an output section
    (exp_init_os), so an empty first member still carries AT() to the next one's
    LMA; an empty last member still sets `.` to start + largest; the load address
    of an empty member is its VMA."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } OVERLAY 0x5000 : AT(0x9000)"
        " { .o0 { *(.none) } .o1 { *(.ov1) } .o2 { *(.ov2) } .o4 { *(.none) } }"
        " after = .; x = __load_stop_o4; .data : { *(.data) *(.ov3) } }"
    )
    outcome = _link(tmp_path, script, {"a": CODE})
    sections = _sections(outcome)
    assert ".o0" not in sections and ".o4" not in sections
    assert sections[".o1"] == (0x5000, 0x9000, 0x30)
    assert sections[".o2"] == (0x5000, 0x9030, 0x45)
    assert outcome.layout.symbols["after"] == 0x5045
    assert outcome.layout.symbols["x"] == 0x5000


def test_load_symbol_names_keep_letters_digits_and_underscores(tmp_path):
    """`.o-1` gives `__load_start_o1`; a symbol an object references is provided,
    one an object defines is the object's."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text*) } OVERLAY 0x5000 : AT(0x8000)"
        " { .o-1 { *(.ov1) } .o.2 { *(.ov2) } } .data : { *(.data) } }"
    )
    refs = '.section .text.r,"ax",@progbits\n.quad __load_start_o1\n.quad __load_stop_o2\n'
    outcome = _link(tmp_path / "ref", script, {"a": CODE + refs})
    assert outcome.layout.symbols["__load_start_o1"] == 0x8000
    assert outcome.layout.symbols["__load_stop_o2"] == 0x8075
    defines = ".data\n.globl __load_start_o1\n__load_start_o1: .quad 0\n"
    outcome = run_case(Case(script, {"a": CODE + defines}, symbols=False), tmp_path / "def")
    assert outcome.agree, "\n".join(outcome.differences)
    assert "__load_start_o1" not in outcome.layout.symbols


MEMORY = (
    "MEMORY { rom (rx) : ORIGIN = 0x10000, LENGTH = 0x1000"
    " ram (w) : ORIGIN = 0x20000, LENGTH = 0x1000 }"
)


@pytest.mark.parametrize("bits", [64, 32])
def test_run_time_and_load_regions(tmp_path, bits):
    """`>ram AT>rom`: the first member at ram's next address, the LMAs one after
    another in rom, which the section after the overlay continues."""
    script = (
        f"{MEMORY} SECTIONS {{ .text : {{ *(.text) }} >rom OVERLAY : {{ {BODY} }} >ram AT>rom"
        " after = .; .data : { *(.data) } >ram AT>rom }"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, bits=bits)
    sections = _sections(outcome)
    assert sections[".o1"] == (0x20000, 0x10011, 0x30)
    assert sections[".o2"] == (0x20000, 0x10041, 0x45)
    assert sections[".o3"] == (0x20000, 0x10086, 0x7)
    assert sections[".data"] == (0x20045, 0x1008D, 0x8)


def test_load_region_alone_is_the_run_time_region(tmp_path):
    """`AT>rom` without `>region` makes rom the members' run-time region too
    (lang_get_regions with have_vma false, even with a start address): ld stops
    with "not within region" for each member."""
    script = (
        f"{MEMORY} SECTIONS {{ .text : {{ *(.text) }} >rom OVERLAY 0x20200 : {{ {BODY} }} AT>rom"
        " .data : { *(.data) } >ram AT>rom }"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, ld_fails=True)
    for name, address in ((".o1", 0x20230), (".o2", 0x20245)):
        message = f"address {address:#x} of section `{name}' is not within region `rom'"
        assert message in outcome.layout.errors
        assert message.replace("section", "out.elf section") in outcome.ld_error


def test_overlay_overflowing_its_region(tmp_path):
    """The members after the first have an address (ADDR(first)): ram's overflow
    is "not within region" for them, "will not fit" for the .data orphan."""
    script = (
        "MEMORY { rom (rx) : ORIGIN = 0x10000, LENGTH = 0x1000"
        " ram (w) : ORIGIN = 0x20000, LENGTH = 0x40 }"
        f" SECTIONS {{ .text : {{ *(.text) }} >rom OVERLAY : {{ {BODY} }} >ram AT>rom }}"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, ld_fails=True)
    ld_says = outcome.ld_error.replace("out.elf section", "section").splitlines()
    assert set(outcome.layout.errors) == {line.removeprefix("ld: ") for line in ld_says}
    assert "address 0x20045 of section `.o2' is not within region `ram'" in ld_says[0]


PHDRS = "PHDRS { text PT_LOAD; ov1 PT_LOAD; ov2 PT_LOAD; data PT_LOAD; }"


@pytest.mark.parametrize(
    "members, overlay",
    [
        (".o1 { *(.ov1) } :ov1 .o2 { *(.ov2) *(.ov3) } :ov2", ""),
        (".o1 { *(.ov1) } .o2 { *(.ov2) *(.ov3) } :ov2", ":ov1"),
    ],
)
def test_members_in_their_own_program_headers(tmp_path, members, overlay):
    """A member's `:phdr`, else the overlay's."""
    script = (
        f"{PHDRS} SECTIONS {{ . = 0x1000; .text : {{ *(.text) }} :text"
        f" OVERLAY 0x5000 : AT(0x8000) {{ {members} }} {overlay} .data : {{ *(.data) }} :data }}"
    )
    outcome = _link(tmp_path, script, {"a": CODE})
    loads = [(s.p_vaddr, s.p_paddr, s.p_filesz) for s in _loads(outcome)]
    assert loads[1:3] == [(0x5000, 0x8000, 0x30), (0x5000, 0x8030, 0x4F)]


def test_two_members_in_one_program_header_are_unsupported(tmp_path):
    """ld sizes a segment holding two members over both LMAs (p_filesz 0x7f for
    0x30 + 0x4f bytes at one VMA); not modelled, so reported."""
    script = (
        f"{PHDRS} SECTIONS {{ . = 0x1000; .text : {{ *(.text) }} :text"
        " OVERLAY 0x5000 : AT(0x8000) { .o1 { *(.ov1) } .o2 { *(.ov2) *(.ov3) } } :ov1"
        " .data : { *(.data) } :data }"
    )
    outcome = run_case(Case(script, {"a": CODE}, symbols=False), tmp_path)
    assert outcome.ld_error is None
    assert outcome.ld_loads[1][:4] == (0x5000, 0x8000, 0x7F, 0x7F)
    assert [u.construct for u in outcome.layout.unsupported] == ["OVERLAY"]
    assert "program header `ov1'" in outcome.layout.unsupported[0].detail


def test_nocrossrefs_is_laid_out_and_its_check_reported(tmp_path):
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) }"
        f" OVERLAY 0x5000 : NOCROSSREFS AT(0x8000) {{ {BODY} }} .data : {{ *(.data) }} }}"
    )
    outcome = _link(tmp_path, script, {"a": CODE})
    assert [u.construct for u in outcome.layout.unsupported] == ["NOCROSSREFS"]


def test_gc_sections_and_keep_in_members(tmp_path):
    """--gc-sections collects unreferenced members' inputs (KEEP keeps .o1's)."""
    script = (
        "ENTRY(_start) SECTIONS { . = 0x1000; .text : { *(.text) } OVERLAY 0x5000 : AT(0x8000)"
        " { .o1 { KEEP(*(.ov1)) } .o2 { *(.ov2) } .o3 { *(.ov3) } } after = .;"
        " .data : { *(.data) } }"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, gc_sections=True, entry="_start")
    sections = _sections(outcome)
    assert sections[".o1"] == (0x5000, 0x8000, 0x30)
    assert ".o2" not in sections
    assert outcome.layout.symbols["after"] == 0x5030


def test_fills_and_a_program_header_at(tmp_path):
    """`=fill` on a member and on the overlay change no address; a member in a
    `PHDRS` segment with its own `AT()` loads there."""
    script = (
        "PHDRS { text PT_LOAD FILEHDR PHDRS; ov1 PT_LOAD AT(0x9000); ov2 PT_LOAD;"
        " data PT_LOAD; } SECTIONS { . = 0x1000 + SIZEOF_HEADERS; .text : { *(.text) } :text"
        " OVERLAY 0x5000 : AT(0x8000) { .o1 { *(.ov1) } :ov1"
        " .o2 { *(.ov2) *(.ov3) } :ov2 =0x90 } =0x11223344 .data : { *(.data) } :data }"
    )
    outcome = _link(tmp_path, script, {"a": CODE}, bits=32)
    loads = [(s.p_vaddr, s.p_paddr, s.p_filesz) for s in _loads(outcome)]
    assert loads[1:3] == [(0x5000, 0x9000, 0x30), (0x5000, 0x8030, 0x4F)]


def test_member_named_like_another_section_is_unsupported(tmp_path):
    """ld keeps two output sections named .o1, and ADDR(.o1), the next member's
    address, reads the first (ld 2.40 put .o2 at 0x1018, not 0x5000): reported."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .o1 : { *(.ov3) }"
        " OVERLAY 0x5000 : AT(0x8000) { .o1 { *(.ov1) } .o2 { *(.ov2) } } .data : { *(.data) } }"
    )
    outcome = run_case(Case(script, {"a": CODE}, symbols=False), tmp_path)
    assert {u.construct for u in outcome.layout.unsupported} == {"OVERLAY"}
