"""kernlint.ldscript.evaluate: ld's expression semantics, the location-counter trace,
section classification — checked by hand and against GNU ld itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from kernlint.ldscript import load_script, parse_script
from kernlint.ldscript.evaluate import (
    ABS,
    EXEC,
    READ_ONLY,
    WRITABLE,
    Bound,
    Env,
    Region,
    Value,
    address_of,
    align_n,
    anchor,
    constant,
    evaluate,
    is_address_expression,
    is_allocated,
    memory_regions,
    name_permissions,
    page_aligned_form,
    references_dot,
    render,
    section_permissions,
    signed,
    trace,
)
from tests.ldscript.conftest import expr

MASK = (1 << 64) - 1


def value(text: str, env: Env | None = None) -> int | None:
    return constant(expr(text), env)


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 2 - 3", 5),
        ("0x100000", 0x100000),
        ("4K", 4096),
        ("2M + 1", 0x200001),
        ("010", 8),  # GNU ld: octal
        ("-1", MASK),  # 64-bit wrap-around
        ("0 - 1", MASK),
        ("0xffffffffffffffff + 2", 1),
        ("-7 / 2", (-3) & MASK),  # signed, truncating like C
        ("-7 % 2", (-1) & MASK),
        ("7 / -2", (-3) & MASK),
        ("1 << 65", 2),  # shift count modulo 64
        ("0x8000000000000000 >> 63", 1),  # logical shift
        ("-1 > 5", 1),  # unsigned comparison
        ("3 == 3", 1),
        ("3 != 3", 0),
        ("2 <= 1", 0),
        ("1 && 0", 0),
        ("0 || 7", 1),
        ("~0", MASK),
        ("!5", 0),
        ("!0", 1),
        ("6 & 3 | 8", 10),
        ("1 ? 2 : 3", 2),
        ("0 ? 2 : 3", 3),
        ("MAX(3, 9)", 9),
        ("MIN(3, 9)", 3),
        ("ALIGN(0x1001, 0x1000)", 0x2000),
        ("ALIGN(0x1000, 0x1000)", 0x1000),
        ("ALIGN(10, 3)", 12),  # any alignment, like ld's align_n
        ("LOG2CEIL(0)", 0),
        ("LOG2CEIL(1)", 0),
        ("LOG2CEIL(3)", 2),
        ("LOG2CEIL(4096)", 12),
        ("CONSTANT(MAXPAGESIZE)", 0x1000),
        ("CONSTANT(COMMONPAGESIZE)", 0x1000),
        ("ABSOLUTE(0x7c00 + 510)", 0x7DFE),
    ],
)
def test_constants(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "SIZEOF_HEADERS",
        "SIZEOF(.text)",
        "LOADADDR(.text)",
        "ALIGNOF(.text)",
        "ADDR(.text)",
        'SEGMENT_START("text-segment", 0x400000)',
        "DATA_SEGMENT_ALIGN(0x1000, 0x1000)",
        "undefined_symbol + 1",
        "DEFINED(undefined_symbol)",
        "1 / 0",
        "1 % 0",
        "CONSTANT(NOSUCH)",
        "ORIGIN(ram)",
        ".",  # no location counter known
        "ALIGN(16)",
        "0 ? SIZEOF_HEADERS : SIZEOF_HEADERS",
    ],
)
def test_unknown(text):
    assert evaluate(expr(text), Env()) is None


def test_ternary_evaluates_only_the_branch_taken():
    assert value("1 ? 5 : SIZEOF_HEADERS") == 5
    assert value("0 ? SIZEOF_HEADERS : 6") == 6


def test_page_size_is_a_parameter():
    assert value("CONSTANT(MAXPAGESIZE)", Env(page_size=0x4000)) == 0x4000


def test_symbols_and_defined():
    env = Env(symbols={"base": Value(0x100000, ABS), "unknown": None})
    assert value("base + 0x10", env) == 0x100010
    assert value("DEFINED(base)", env) == 1
    assert value("DEFINED(unknown)", env) == 1  # assigned by the script, value unknown
    assert value("unknown + 1", env) is None


def test_memory_regions():
    script = parse_script(
        "MEMORY {\n  rom (rx) : ORIGIN = 0x08000000, LENGTH = 512K\n"
        "  ram (rwx) : org = 0x20000000, l = SIZEOF_HEADERS\n}\n"
    )
    regions = memory_regions(script.statements)
    assert regions == {
        "rom": Region(0x08000000, 512 * 1024),
        "ram": Region(0x20000000, None),
    }
    env = Env(regions=regions)
    assert value("ORIGIN(rom) + LENGTH(rom)", env) == 0x08080000
    assert value("LENGTH(ram)", env) is None


def test_align_n_and_signed():
    assert align_n(0, 16) == 0 and align_n(1, 16) == 16 and align_n(5, 0) == 5
    assert align_n(MASK, 16) == 0  # wraps like bfd_vma
    assert signed(MASK) == -1 and signed(5) == 5


# ----------------------------------------------------------------------------- sections


def test_dot_outside_and_inside_sections():
    top = Env(dot=0x100000)
    assert evaluate(expr("."), top) == Value(0x100000, ABS)
    assert value("ALIGN(0x1000)", Env(dot=0x100001)) == 0x101000
    inside = Env(section=".text", dot=4, starts={".text": 0x100004})
    assert evaluate(expr("."), inside) == Value(4, ".text")
    # ALIGN(16) aligns the address, ALIGN(., 16) the offset (checked with ld 2.40).
    assert evaluate(expr("ALIGN(16)"), inside) == Value(12, ".text")
    assert evaluate(expr("ALIGN(., 16)"), inside) == Value(16, ".text")
    # Without the section's start, neither address nor ALIGN(x) is known.
    blind = Env(section=".text", dot=4)
    assert evaluate(expr(". + 4"), blind) == Value(8, ".text")
    assert evaluate(expr("ALIGN(16)"), blind) is None
    assert evaluate(expr("ABSOLUTE(.)"), blind) is None


def test_section_of_an_expression():
    env = Env(
        section=".boot",
        dot=0,
        starts={".boot": 0x7C00, ".data": 0x9000},
        symbols={"BOOT": Value(0x7C00, ABS), "rel": Value(0x10, ".boot")},
        regions={"ram": Region(0x7C00, 512)},
    )
    # Numbers and absolute symbols are numbers inside an output section...
    assert evaluate(expr("0x7c00 + 510"), env) == Value(0x7DFE)
    assert evaluate(expr("BOOT + 510"), env) == Value(0x7DFE)
    # ...so `. = number` inside a section is an offset from its start.
    assert address_of(Value(0x7DFE), env) == 0x7C00 + 0x7DFE
    # ORIGIN() and ABSOLUTE() are addresses.
    origin = evaluate(expr("ORIGIN(ram) + 510"), env)
    assert origin == Value(510, ".boot") and address_of(origin, env) == 0x7DFE
    absolute = evaluate(expr("ABSOLUTE(0x7c00 + 510)"), env)
    assert absolute == Value(0x7DFE, ABS) and address_of(absolute, env) == 0x7DFE
    # Relative + number stays relative; relative - relative in one section is a number.
    assert evaluate(expr("rel + 2"), env) == Value(0x12, ".boot")
    assert evaluate(expr("rel - ."), env) == Value(0x10)
    # Values of two sections are made absolute first.
    assert evaluate(expr("ADDR(.data) - rel"), env) == Value(0x9000 - 0x7C10)
    # Outside output sections the same arithmetic gives absolute addresses.
    top = Env(dot=0x100, starts={".data": 0x9000})
    assert evaluate(expr(". - 0x10"), top) == Value(0xF0, ABS)
    # A number there is an absolute address (ldexp.c etree_value: new_abs), so a
    # relative operand is made absolute first: `a1 = ADDR(.data) + 4;` is `A` in nm.
    assert evaluate(expr("ADDR(.data) + 4"), top) == Value(0x9004, ABS)
    assert address_of(Value(4, ".data"), top) == 0x9004
    # Comparisons and masks then read the address, not the offset (ld 2.40: `hdr &
    # 0xff` outside sections is 0xf1 for hdr at 0x1f1 in a section starting at 0x1f0).
    top = Env(dot=0x200, starts={".header": 0x1F0}, symbols={"hdr": Value(1, ".header")})
    assert evaluate(expr("hdr == 0x1f1"), top) == Value(1)
    assert evaluate(expr("hdr & 0xff"), top) == Value(0xF1, ABS)
    assert evaluate(expr("hdr * 2"), top) == Value(0x3E2, ABS)
    # ...except with LD_FEATURE("SANE_EXPR"), where numbers stay numbers.
    sane = Env(
        dot=0x200, starts={".header": 0x1F0}, symbols={"hdr": Value(1, ".header")}, sane_expr=True
    )
    assert evaluate(expr("hdr == 0x1f1"), sane) == Value(0)


def test_addr_of_the_section_being_laid_out_is_unknown():
    env = Env(section=".boot", dot=0, starts={".boot": 0x7C00})
    assert evaluate(expr("ADDR(.boot)"), env) is None  # ld: invalid assignment


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "text",
    [
        "0x7c00 + 510",
        "(a + b) * c",
        "a - (b - c)",
        "-(a + b)",
        "a ? b : c",
        "ALIGN(., 0x1000)",
        "CONSTANT(MAXPAGESIZE)",
        "SIZEOF_HEADERS",
        "a << 2 | b",
        "(a || b) && c",
    ],
)
def test_render_round_trip(text):
    rendered = render(expr(text))
    assert rendered == text
    assert render(expr(rendered)) == rendered


def test_references_dot_and_address_expressions():
    assert references_dot(expr(". + 4"))
    assert references_dot(expr("ALIGN(16)"))
    assert not references_dot(expr("ALIGN(0x10, 16)"))
    assert is_address_expression(expr("ORIGIN(ram)"))
    assert is_address_expression(expr("base + 4"), {"base"})
    assert not is_address_expression(expr("0x7c00 + 510"))


def test_page_aligned_form():
    env, page = Env(), 0x1000
    assert page_aligned_form(expr("ALIGN(4K)"), env, page) is True
    assert page_aligned_form(expr("ALIGN(CONSTANT(MAXPAGESIZE))"), env, page) is True
    assert page_aligned_form(expr("ALIGN(., 0x2000)"), env, page) is True
    assert page_aligned_form(expr("(. + 0xfff) & ~0xfff"), env, page) is True
    assert page_aligned_form(expr("0x200000"), env, page) is True
    assert page_aligned_form(expr("0x200010"), env, page) is False
    assert page_aligned_form(expr("ALIGN(16)"), env, page) is None
    assert page_aligned_form(expr(". + 0x1000"), env, page) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".text", EXEC),
        (".text.x", EXEC),
        (".init", EXEC),
        (".init.text", EXEC),
        (".plt", EXEC),
        (".rodata", READ_ONLY),
        (".rodata.x", READ_ONLY),
        (".eh_frame", READ_ONLY),
        (".note.gnu.build-id", READ_ONLY),
        (".rela.text", READ_ONLY),
        (".data", WRITABLE),
        (".data.rel.ro", WRITABLE),
        (".bss", WRITABLE),
        ("COMMON", WRITABLE),
        (".init_array", WRITABLE),
        (".got", WRITABLE),
        (".tbss", WRITABLE),
        (".init.data", WRITABLE),
        (".boot", None),
        (".multiboot", None),
        (".comment", None),
        (".debug_info", None),
        (".note.GNU-stack", None),
    ],
)
def test_name_permissions(name, expected):
    assert name_permissions(name) == expected


def _section(body: str, header: str = ".x :"):
    (sections,) = parse_script(f"SECTIONS {{ {header} {{ {body} }} }}").statements
    return sections.statements[0]


def test_section_permissions():
    assert section_permissions(_section("*(.text .text.*)")) == EXEC
    assert section_permissions(_section("*(.text*) *(.rodata*)")) == EXEC
    assert section_permissions(_section("*(.data .data.*) *(.bss) *(COMMON)")) == WRITABLE
    assert section_permissions(_section("*(.text) *(.data)")) == EXEC | WRITABLE
    assert section_permissions(_section("*(.rodata) *(.comment)")) == READ_ONLY
    assert section_permissions(_section("*(.boot)")) is None
    assert section_permissions(_section("kernel.o")) is None
    assert section_permissions(_section("*(*)")) is None
    assert section_permissions(_section("INPUT_SECTION_FLAGS(!SHF_WRITE) *(.data)")) is None
    # No input sections: the output section's own name decides.
    assert section_permissions(_section("LONG(0)", ".rodata :")) == READ_ONLY
    assert section_permissions(_section("LONG(0)", ".stack :")) is None


def test_is_allocated():
    assert is_allocated(_section("*(.comment)", ".comment :")) is False
    assert is_allocated(_section("*(.debug_info)", ".debug_info 0 :")) is False
    assert is_allocated(_section("LONG(0)", ".x (INFO) :")) is False
    assert is_allocated(_section("*(.bss)", ".bss (NOLOAD) :")) is True
    assert is_allocated(_section("*(.text)")) is True
    assert is_allocated(_section("LONG(0)")) is True
    assert is_allocated(_section("*(.boot)")) is None


# ----------------------------------------------------------------------------- trace


def steps(text: str, **kw):
    return trace(parse_script(text, "t.ld"), **kw).assignments


def test_trace_top_level_dot():
    result = trace(parse_script("SECTIONS {\n . = 0x100000;\n . += 0x10;\n . = ALIGN(0x1000);\n}"))
    first, second, third = result.assignments
    assert first.before == Bound(0) and first.value == Value(0x100000, ABS)
    assert second.before == Bound(0x100000, True)
    assert third.before == Bound(0x100010, True)
    assert all(s.backwards is None and s.section is None for s in result.assignments)


def test_top_level_backward_moves_are_not_errors():
    # GNU ld 2.40 and ld.lld 14 both accept these silently (checked).
    result = steps("SECTIONS {\n . = 0x200000;\n . = 0x100000;\n .text : { *(.text) }\n}")
    assert all(s.backwards is None for s in result)


def test_section_start_exact_with_an_address():
    result = trace(
        parse_script("SECTIONS {\n .boot 0x7c00 : { LONG(0) }\n .a 0x1004 : ALIGN(16) { }\n}")
    )
    starts = {p.section.name: p.start for p in result.placements.values()}
    assert starts[".boot"] == Bound(0x7C00, True)
    assert starts[".a"] == Bound(0x1010, True)


def test_section_start_at_dot_is_a_lower_bound():
    result = trace(parse_script("SECTIONS {\n . = 0x100000;\n .text : { *(.text) }\n}"))
    (placement,) = result.placements.values()
    assert placement.start == Bound(0x100000) and placement.page_aligned


def test_backwards_with_constants_and_lower_bounds():
    text = (
        "SECTIONS {\n"
        " .boot 0x7c00 : {\n"
        "  *(.boot)\n"
        "  . = 0x1fe;\n"
        "  SHORT(0xaa55)\n"
        "  . = 0x1be;\n"
        " }\n"
        "}\n"
    )
    first, second = steps(text)
    assert first.before == Bound(0) and first.backwards is None
    assert second.before == Bound(0x200, True)
    back = second.backwards
    assert back is not None and back.relative and back.to == 0x1BE


def test_input_sections_keep_a_lower_bound():
    text = "SECTIONS {\n .x : {\n  . = 0x10;\n  *(.x)\n  . = 0x10;\n  . = 0xf;\n }\n}\n"
    _, b, c = steps(text)
    assert b.before == Bound(0x10) and b.backwards is None  # equal: not backwards
    # ld accepted `. = 0x10`, so `.` is exactly there again.
    assert c.backwards is not None and c.backwards.before == Bound(0x10, True)


def test_unknown_targets_are_not_backwards():
    text = "SECTIONS {\n .x : {\n  . = 0x10;\n  . = SIZEOF_HEADERS;\n  . = sym;\n }\n}\n"
    assert all(s.backwards is None for s in steps(text))


def test_absolute_target_below_the_start():
    text = "SECTIONS {\n .x 0x200000 : {\n  LONG(0)\n  . = ABSOLUTE(0x1000);\n }\n}\n"
    (step,) = steps(text)
    assert step.backwards is not None and not step.backwards.relative
    assert step.backwards.to == 0x1000 and step.backwards.before == Bound(0x200004)


def test_decrement_needs_a_provable_position():
    # `.` somewhere in a section at an unknown address, at least 0 bytes in:
    # `. -= 4` could wrap around, so it is not provable...
    assert steps("SECTIONS {\n .x : { *(.x) . -= 4; }\n}")[0].backwards is None
    # ...but once `.` is at least 4 bytes in, it is.
    (step,) = steps("SECTIONS {\n .x : { LONG(0) *(.x) . -= 4; }\n}")
    assert step.backwards is not None and step.backwards.by == 4


def test_symbols_and_address_symbols():
    result = trace(
        parse_script(
            "BOOT = 0x7c00;\nSECTIONS {\n . = 0x8000;\n _s = .;\n .x : { _in = .; }\n"
            " PROVIDE(_p = .);\n}\n"
        )
    )
    assert result.symbols["BOOT"] == Value(0x7C00, ABS)
    assert result.symbols["_s"] == Value(0x8000, ABS)
    assert result.symbols["_in"] == Value(0, ".x")
    assert result.symbols["_p"] is None
    assert result.address_symbols == {"_s", "_p"}


def test_non_allocated_sections_do_not_move_dot():
    text = (
        "SECTIONS {\n . = 0x100000;\n .text : { LONG(0) }\n .c 0 (INFO) : { LONG(0) }\n"
        " .data : { . = 0x8; }\n}\n"
    )
    result = trace(parse_script(text))
    data = next(p for p in result.placements.values() if p.section.name == ".data")
    assert data.start == Bound(0x100004)


def test_memory_regions_place_sections():
    text = (
        "MEMORY { ram : ORIGIN = 0x100000, LENGTH = 1M }\nSECTIONS {\n"
        " .a : { LONG(0) } > ram\n . = 0x900000;\n .b : { LONG(0) } > ram\n .c : { } \n}\n"
    )
    result = trace(parse_script(text))
    starts = {p.section.name: p.start for p in result.placements.values()}
    assert starts[".a"] == Bound(0x100000)
    assert starts[".b"] == Bound(0x100004)  # the region, not `.`, places it (ld 2.40)
    assert starts[".c"] is None  # no region in a script with MEMORY: not modelled


def test_insert_scripts_start_unknown():
    result = trace(parse_script("SECTIONS {\n .x : { . = 4; }\n}\nINSERT AFTER .text;\n"))
    (placement,) = result.placements.values()
    assert placement.start is None


def test_overlay_sections_are_traced():
    text = "SECTIONS {\n OVERLAY 0x1000 : {\n  .a { LONG(0) . = 0; }\n  .b { }\n }\n}\n"
    (step,) = steps(text)
    assert step.section.name == ".a" and step.start == Bound(0x1000, True)
    assert step.backwards is not None


def test_includes_and_anchor(tmp_path):
    (tmp_path / "main.ld").write_text("SECTIONS {\n  INCLUDE part.ld\n}\n")
    (tmp_path / "part.ld").write_text(".x 0x1000 : {\n  LONG(0)\n  . = 0;\n}\n")
    loaded = load_script(str(tmp_path / "main.ld"))
    (step,) = trace(loaded).assignments
    assert step.backwards is not None
    span, note = anchor(loaded, step.node.span)
    assert (span.file, span.line, span.column) == (str(tmp_path / "main.ld"), 2, 3)
    assert note == f" (in {tmp_path / 'part.ld'}:3:3, included here)"
    main_span, main_note = anchor(loaded, loaded.script.statements[0].span)
    assert main_note == "" and main_span == loaded.script.statements[0].span


def test_never_raises_on_odd_input():
    odd = "SECTIONS {\n . = 1 / 0;\n .x (1 / 0) : { . = 1 % 0; . = -1; . = ~0 >> 70; }\n}\n"
    for step in steps(odd):
        assert step.backwards is None or step.backwards.to >= 0


# ----------------------------------------------------------------------------- GNU ld oracle

#: Expressions evaluated both outside output sections and inside `.text 0x100004`
#: (after `LONG(0)`, so `.` is 4 bytes in), compared with the symbol values GNU ld
#: gives `sNN = EXPR;`.
ORACLE = [
    "0x7c00 + 510",
    "-7 / 2",
    "-7 % 2",
    "7 / -2",
    "1 << 65",
    "0x8000000000000000 >> 63",
    "-1 > 5",
    "~0",
    "!0 + !7",
    "6 & 3 | 8",
    "010",
    "0x10K",
    "MAX(3, 9) + MIN(3, 9)",
    "ALIGN(0x1001, 0x1000)",
    "ALIGN(10, 3)",
    "LOG2CEIL(4097)",
    "CONSTANT(MAXPAGESIZE)",
    "CONSTANT(COMMONPAGESIZE)",
    "ABSOLUTE(0x7c00 + 510)",
    "BASE + 0x10",
    "ORIGIN(ram) + 0x10",
    "LENGTH(ram) - 1",
    ". + 4",
    ". - 4",
    "ALIGN(16)",
    "ALIGN(., 16)",
    "ABSOLUTE(.)",
    "(. + 0xfff) & ~0xfff",
    "1 ? . : 0",
    "DEFINED(BASE) ? 5 : 6",
]


def _needs_gnu_ld():
    if not (shutil.which("as") and shutil.which("ld")):
        pytest.skip("needs GNU as/ld")


def test_values_match_gnu_ld(tmp_path):
    """Ground truth: every expression, at top level and inside a section, has the
    value GNU ld gives a symbol assigned from it."""
    _needs_gnu_ld()
    top = "\n".join(f"    t{i} = {e};" for i, e in enumerate(ORACLE))
    inner = "\n".join(f"        i{i} = {e};" for i, e in enumerate(ORACLE))
    script = (
        "BASE = 0x100000;\n"
        "MEMORY { ram (rwx) : ORIGIN = 0x100000, LENGTH = 1M }\n"
        "SECTIONS {\n"
        "    . = 0x100002;\n"
        f"{top}\n"
        "    .text 0x100004 : {\n"
        "        LONG(0)\n"
        f"{inner}\n"
        "        *(.text)\n"
        "    } > ram\n"
        "}\n"
    )
    path = tmp_path / "oracle.ld"
    path.write_text(script)
    (tmp_path / "empty.s").write_text('.section .note.GNU-stack,"",@progbits\n')
    subprocess.run(["as", "--64", "-o", tmp_path / "empty.o", tmp_path / "empty.s"], check=True)
    subprocess.run(
        [
            "ld",
            "-m",
            "elf_x86_64",
            "-nostdlib",
            "-e",
            "0",
            "-z",
            "noexecstack",
            "--no-warn-rwx-segments",
            "-T",
            path,
            "-o",
            tmp_path / "out.elf",
            tmp_path / "empty.o",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    nm = subprocess.run(
        ["nm", tmp_path / "out.elf"], check=True, capture_output=True, text=True
    ).stdout
    ld_values = {m[2]: int(m[0], 16) for m in re.findall(r"^([0-9a-f]+) (\w) (\w+)$", nm, re.M)}

    loaded = parse_script(script, str(path))
    result = trace(loaded)
    # The symbols the trace saw are those ld computed, in the environments it used.
    for i, text in enumerate(ORACLE):
        for name in (f"t{i}", f"i{i}"):
            got = result.symbols.get(name)
            env = Env(starts={".text": 0x100004}, section=None)
            mine = None if got is None else address_of(got, env)
            assert mine == ld_values[name], (name, text, mine, ld_values[name])
