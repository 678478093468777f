"""DATA_SEGMENT_ALIGN, DATA_SEGMENT_RELRO_END, DATA_SEGMENT_END, ``-z relro``/``-z
norelro``, NEXT() and ONLY_IF_RO/ONLY_IF_RW (issue #7, item 2), checked against GNU ld
2.40 one behaviour at a time: each case links with the real ld, compares everything
with kernlint's prediction (sections' VMA/LMA/size, the PT_LOAD table, the symbols
the script assigns, and here the PT_GNU_RELRO header too), then asserts the fact that
makes the case worth having."""

from __future__ import annotations

import functools
import shutil
import subprocess

import pytest

from kernlint.elf.reader import read_image
from kernlint.layout.model import Options
from tests.layout import harness
from tests.layout.harness import Case, run_case

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

PT_GNU_RELRO = 0x6474E552


def _section(name: str, flags: str, size: int, align: int = 1, kind: str = "@progbits") -> str:
    fill = f".zero {size}" if kind == "@nobits" else f".fill {size},1,0x90"
    return f'.section {name},"{flags}",{kind}\n.balign {align}\n{fill}\n'


def _start(size: int) -> str:
    return f'.section .text,"ax",@progbits\n.globl _start\n_start: .fill {size:#x},1,0x90\n'


def _link(tmp_path, monkeypatch, script, sources, *, relro=True, **options):
    """Link with ``-z relro``/``-z norelro`` and lay out with ``Options(relro=...)``;
    everything must agree, PT_GNU_RELRO included."""
    monkeypatch.setattr(harness, "Options", functools.partial(Options, relro=relro))
    extra = ("-z", "relro" if relro else "norelro")
    outcome = run_case(Case(script, sources, extra=extra, **options), tmp_path)
    assert outcome.ld_error is None, outcome.ld_error
    assert outcome.agree, "\n".join(outcome.differences)
    assert not outcome.layout.unsupported, outcome.layout.unsupported
    image = read_image(str(tmp_path / "out.elf"))
    ld_relro = [
        (s.p_vaddr, s.p_paddr, s.p_filesz, s.p_memsz)
        for s in image.segments
        if s.p_type == PT_GNU_RELRO
    ]
    image.reader.close()
    mask = 0xFFFFFFFF if options.get("bits") == 32 else (1 << 64) - 1
    kl_relro = [
        (s.p_vaddr & mask, s.p_paddr & mask, s.p_filesz, s.p_memsz)
        for s in outcome.layout.segments
        if s.p_type == PT_GNU_RELRO
    ]
    assert ld_relro == kl_relro
    return outcome


def _vma(outcome, name: str) -> int:
    return next(s for s in outcome.layout.sections if s.name == name).vma


def _relro(outcome):
    return next((s for s in outcome.layout.segments if s.p_type == PT_GNU_RELRO), None)


RELRO = """SECTIONS { . = 0x400000 + SIZEOF_HEADERS; .text : { *(.text) }
  . = DATA_SEGMENT_ALIGN(0x1000, 0x1000);
  .data.rel.ro : { *(.data.rel.ro) }
  .got : { *(.got) }
  . = DATA_SEGMENT_RELRO_END(0, .);
  .data : { *(.data) }
  .bss : { *(.bss) }
  . = DATA_SEGMENT_END(.);
  end_sym = .;
}"""
RELRO_SOURCE = (
    _start(0x1234)
    + _section(".data.rel.ro", "aw", 0x30)
    + _section(".got", "aw", 0x18, 8)
    + _section(".data", "aw", 0x100)
    + _section(".bss", "aw", 0x40, 1, "@nobits")
)


def test_relro_moves_the_relro_sections_to_end_on_a_page(tmp_path, monkeypatch):
    """-z relro: DATA_SEGMENT_ALIGN aligns `.` to the page (0x402000); after the
    first pass lang_size_relro_segment moves the relro sections up, from the last,
    so that DATA_SEGMENT_RELRO_END falls on a page (0x403000), and sizes again;
    PT_GNU_RELRO covers them; SIZEOF_HEADERS counts it (4 headers)."""
    outcome = _link(tmp_path, monkeypatch, RELRO, {"a": RELRO_SOURCE})
    assert _vma(outcome, ".data.rel.ro") == 0x402FB8
    assert _vma(outcome, ".got") == 0x402FE8
    assert _vma(outcome, ".data") == 0x403000
    relro = _relro(outcome)
    assert (relro.p_vaddr, relro.p_memsz) == (0x402FB8, 0x48)
    assert outcome.layout.headers_size == 64 + 4 * 56


@pytest.mark.parametrize("bits", [64, 32])
def test_norelro_keeps_the_offset_in_the_page(tmp_path, monkeypatch, bits):
    """-z norelro: DATA_SEGMENT_ALIGN(max, common) is ALIGN(max) + (. & (max - 1)),
    and here no page can be saved (lang_size_segment leaves it): .data.rel.ro
    follows .text one page up, at the same offset in the page."""
    outcome = _link(tmp_path, monkeypatch, RELRO, {"a": RELRO_SOURCE}, relro=False, bits=bits)
    headers = 64 + 3 * 56 if bits == 64 else 52 + 3 * 32
    end_of_text = 0x400000 + headers + 0x1234
    assert _vma(outcome, ".data.rel.ro") == end_of_text + 0x1000
    assert _relro(outcome) is None


@pytest.mark.parametrize("maxpage, data", [(0x1000, 0x401000), (0x200000, 0x601000)])
def test_norelro_saves_a_page(tmp_path, monkeypatch, maxpage, data):
    """-z norelro, the "save a page" branch: the data segment would start at
    0x?01e00 and end at 0x?02100, two partial pages that fit in one; ld sizes again
    with DATA_SEGMENT_ALIGN = ALIGN(max) + ((. + common - 1) & (max - common))."""
    script = RELRO.replace("0x400000 + SIZEOF_HEADERS", "0x400000").replace(
        "(0x1000, 0x1000)", f"({maxpage:#x}, 0x1000)"
    )
    sources = {"a": _start(0xE00) + _section(".data", "aw", 0x300)}
    outcome = _link(tmp_path, monkeypatch, script, sources, relro=False)
    assert _vma(outcome, ".data") == data
    assert outcome.layout.symbols["end_sym"] == data + 0x300


def test_relro_reverts_when_the_padding_grows(tmp_path, monkeypatch):
    """A `. = ALIGN(0x100)` inside the relro region: moved up, the region would
    end past its page (0x403010), so lang_size_relro_segment goes back to the first
    base (0x402000) and sizes once more; DATA_SEGMENT_RELRO_END then pads to the
    page, where .data starts."""
    script = RELRO.replace(".got : {", ". = ALIGN(0x100); .got : {")
    sources = {
        "a": _start(0x1234)
        + _section(".data.rel.ro", "aw", 0x10)
        + _section(".got", "aw", 0x10, 8)
        + _section(".data", "aw", 0x20, 8)
    }
    outcome = _link(tmp_path, monkeypatch, script, sources)
    assert _vma(outcome, ".data.rel.ro") == 0x402000
    assert _vma(outcome, ".got") == 0x402100
    assert _vma(outcome, ".data") == 0x403000
    assert (_relro(outcome).p_vaddr, _relro(outcome).p_memsz) == (0x402000, 0x1000)


@pytest.mark.parametrize("bits", [64, 32])
def test_relro_is_dropped_without_relro_input(tmp_path, monkeypatch, bits):
    """No input section between DATA_SEGMENT_ALIGN and DATA_SEGMENT_RELRO_END (only
    the backend's empty .got): lang_find_relro_sections turns -z relro off, so
    DATA_SEGMENT_ALIGN keeps the offset in the page, there is no PT_GNU_RELRO and
    SIZEOF_HEADERS counts 3 headers."""
    sources = {"a": _start(0x1234) + _section(".data", "aw", 0x100)}
    outcome = _link(tmp_path, monkeypatch, RELRO, sources, bits=bits)
    headers = 64 + 3 * 56 if bits == 64 else 52 + 3 * 32
    assert outcome.layout.headers_size == headers
    assert _vma(outcome, ".data") == 0x400000 + headers + 0x1234 + 0x1000
    assert _relro(outcome) is None


def test_relro_without_relro_end(tmp_path, monkeypatch):
    """DATA_SEGMENT_ALIGN and DATA_SEGMENT_END without DATA_SEGMENT_RELRO_END: the
    walk for relro inputs goes to the end, so -z relro stays on (`.` aligned to the
    page), but there is no relro end: nothing moves, no PT_GNU_RELRO."""
    script = RELRO.replace(". = DATA_SEGMENT_RELRO_END(0, .);", "")
    outcome = _link(tmp_path, monkeypatch, script, {"a": RELRO_SOURCE})
    assert _vma(outcome, ".data.rel.ro") == 0x402000
    assert _relro(outcome) is None


def test_relro_without_data_segment_end(tmp_path, monkeypatch):
    """Without DATA_SEGMENT_END ld never adjusts: `.` aligned to the page, the relro
    sections stay there, and link_info.relro_end is not set: no PT_GNU_RELRO, and
    SIZEOF_HEADERS settles on the 3 headers written."""
    script = RELRO.replace(". = DATA_SEGMENT_END(.);", "")
    outcome = _link(tmp_path, monkeypatch, script, {"a": RELRO_SOURCE})
    assert _vma(outcome, ".data.rel.ro") == 0x402000
    assert _relro(outcome) is None
    assert outcome.layout.headers_size == 64 + 3 * 56


def _default_script(bits: int) -> str:
    text = subprocess.run(
        ["ld", "-m", "elf_x86_64" if bits == 64 else "elf_i386", "--verbose"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text.split("=" * 50)[1].split("\n", 1)[1].rsplit("\n", 1)[0]


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("relro", [True, False])
@pytest.mark.parametrize("text", [0x10, 0x2345])
def test_default_script(tmp_path, monkeypatch, bits, relro, text):
    """GNU ld's own default script (`ld --verbose`: `. = DATA_SEGMENT_ALIGN
    (CONSTANT (MAXPAGESIZE), CONSTANT (COMMONPAGESIZE));` ... `. =
    DATA_SEGMENT_RELRO_END (SIZEOF (.got.plt) >= 24 ? 24 : 0, .);` ... `. =
    DATA_SEGMENT_END (.);`, ONLY_IF_RO/RW pairs, `-z separate-code`) on a small
    static link: with -z relro .init_array and .data.rel.ro (the last relro section
    of the script here) end on a page, under a PT_GNU_RELRO."""
    script = _default_script(bits)
    word = 24 if bits == 64 else 12
    assert f"DATA_SEGMENT_RELRO_END (SIZEOF (.got.plt) >= {word} ? {word} : 0, .)" in script
    sources = {
        "a": _start(text)
        + _section(".rodata", "a", 0x40, 8)
        + _section(".data.rel.ro", "aw", 0x28, 8)
        + _section(".init_array", "aw", 8, 8)
        + _section(".data", "aw", 0x30, 8)
        + _section(".bss", "aw", 0x100, 32, "@nobits")
    }
    outcome = _link(
        tmp_path, monkeypatch, script, sources, relro=relro, bits=bits, separate_code=True
    )
    end = _vma(outcome, ".data.rel.ro") + 0x28
    if relro:
        assert end % 0x1000 == 0 and _relro(outcome).p_vaddr == _vma(outcome, ".init_array")
    else:
        assert end % 0x1000 != 0 and _relro(outcome) is None


@pytest.mark.parametrize("flags", ["a", "aw"])
def test_default_script_only_if_ro_rw(tmp_path, monkeypatch, flags):
    """The default script's `.gcc_except_table : ONLY_IF_RO` before the data
    segment and `ONLY_IF_RW` in it: read-only inputs (of both files) make the
    first, a writable one the second. With read-only inputs no relro input is
    left, yet ld keeps -z relro on: lang_find_relro_sections walks the ignored
    ONLY_IF_RW statement's patterns too (`.` is page-aligned, not offset)."""
    sources = {
        "a": _start(0x123) + _section(".gcc_except_table", flags, 0x20, 4),
        "b": _section(".gcc_except_table.b", "a", 0x10) + _section(".data", "aw", 8),
    }
    outcome = _link(tmp_path, monkeypatch, _default_script(64), sources)
    table = _vma(outcome, ".gcc_except_table")
    if flags == "a":
        assert table == 0x402000 and _vma(outcome, ".data") == 0x403000
    else:  # in the relro region, moved up to end on the page
        assert table + 0x30 == 0x403000 and _relro(outcome).p_vaddr == table


ONLY_IF = (
    "SECTIONS { . = 0x1000; .text : { *(.text) } .foo : ONLY_IF_RO { *(.foo) }"
    " . = ALIGN(0x1000); .data : { *(.data) } .foo : ONLY_IF_RW { *(.foo) }"
    " x = ADDR(.foo); y = SIZEOF(.foo); }"
)


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("flags, where", [("a", 0x1123), ("aw", 0x2004)])
def test_only_if_ro_rw_pair(tmp_path, monkeypatch, bits, flags, where):
    """Two `.foo` statements: ONLY_IF_RO is created when every input its patterns
    match is read-only, else ignored as if absent, and the ONLY_IF_RW one takes the
    inputs (a.o's read-only .foo too); ADDR and SIZEOF name the one created."""
    sources = {
        "a": _start(0x123) + _section(".foo", "a", 4),
        "b": _section(".data", "aw", 4) + _section(".foo", flags, 8),
    }
    outcome = _link(tmp_path, monkeypatch, ONLY_IF, sources, bits=bits)
    assert outcome.layout.symbols["x"] == where and outcome.layout.symbols["y"] == 12


def test_only_if_ro_kept_takes_orphans_by_name(tmp_path, monkeypatch):
    """A `.foo : ONLY_IF_RO` that ld kept is an output section like the others for
    orphans: b.o's unmatched `.foo` joins it (0xc bytes)."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .foo : ONLY_IF_RO { a.o(.foo) }"
        " .data : { *(.data) } }"
    )
    sources = {
        "a": _start(0x123) + _section(".foo", "a", 4),
        "b": _section(".foo", "a", 8) + _section(".data", "aw", 4),
    }
    outcome = _link(tmp_path, monkeypatch, script, sources)
    foo = next(s for s in outcome.layout.sections if s.name == ".foo")
    assert (foo.vma, foo.size) == (0x1123, 0xC)


def test_only_if_ro_failed_is_absent_for_orphans(tmp_path, monkeypatch):
    """`.foo : ONLY_IF_RO` with a writable input is ignored: the input is an orphan
    placed by its flags (after .data), not in a `.foo` where the statement stood."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .foo : ONLY_IF_RO { *(.foo) }"
        " .data : { *(.data) } }"
    )
    sources = {"a": _start(0x123) + _section(".foo", "aw", 4), "b": _section(".data", "aw", 4)}
    outcome = _link(tmp_path, monkeypatch, script, sources)
    assert _vma(outcome, ".foo") == 0x1127
    assert any(o.section.name == ".foo" for o in outcome.layout.orphans)


@pytest.mark.parametrize("bits", [64, 32])
def test_next(tmp_path, monkeypatch, bits):
    """NEXT(x): the absolute location counter aligned to x, as an output section
    address, inside a section (a symbol, an assignment to `.`) and outside."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) }"
        " .data NEXT(0x1000) : { *(.data) a = NEXT(0x100); . = NEXT(0x20); }"
        " b = NEXT(0x400); .bss : { *(.bss) } }"
    )
    sources = {
        "a": _start(0x123) + _section(".data", "aw", 4) + _section(".bss", "aw", 8, 1, "@nobits")
    }
    outcome = _link(tmp_path, monkeypatch, script, sources, bits=bits)
    assert _vma(outcome, ".data") == 0x2000
    assert outcome.layout.symbols == {"a": 0x2100, "b": 0x2400}
