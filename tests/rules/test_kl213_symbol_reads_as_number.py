"""KL213 symbol-reads-as-number: samples, which words count, and GNU ld / ld.lld as
ground truth: each word is defined as a symbol and read back in an expression, and
the rule must fire exactly when GNU ld reads the number (`face` is a symbol; `dead`
is 0, not 0xdead)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import findings_of, lint_script, sample

RULE = "KL213"
HAVE_GNU = bool(shutil.which("as") and shutil.which("ld"))
HAVE_LLD = bool(shutil.which("as") and shutil.which("ld.lld"))

SECTIONS = "SECTIONS\n{\n  .text : { *(.text .text.*) }\n}\n"


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, must_parse=True, **others)


# ----------------------------------------------------------------------------- samples


def test_fb():
    (f,) = findings_of(sample("kl213", "bad-fb.ld"), RULE)
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (34, 15, 34, 17)
    assert f.message == (
        "`fb` is read as a number, not as a symbol (the script defines the symbol `fb` at"
        " line 4): GNU ld takes hex digits followed by the suffix `b` for a binary number,"
        " and `f` is not a binary digit, so `fb` is 0; ld.lld reads the symbol `fb`"
    )
    assert f.fix == '`"fb"` (a quoted name is a symbol to both linkers), or rename the symbol'


def test_dead_is_zero_not_0xdead():
    (f,) = findings_of(sample("kl213", "bad-poison.ld"), RULE)
    assert (f.location.line, f.location.column) == (34, 17)
    assert "suffix `d` for a decimal number, and `d` is not a decimal digit, so `dead` is 0" in (
        f.message
    )


def test_fixed_twins():
    for name in ("good-fb.ld", "good-poison.ld"):
        assert findings_of(sample("kl213", name), RULE) == [], name


# ----------------------------------------------------------------------------- words

#: word -> the value GNU ld 2.40 reads in an expression (None: a symbol), and whether
#: ld.lld 14 reads a number too. Each is checked against the real linkers below.
WORDS: dict[str, tuple[int | None, bool]] = {
    "dead": (0, False),
    "bad": (0, False),
    "cab": (0, False),
    "add": (0, False),
    "fed": (0, False),
    "ebb": (0, False),
    "feed": (0, False),
    "bead": (0, False),
    "fb": (0, False),
    "cb": (0, False),
    "ab": (0, False),
    "ado": (0, False),
    "d0d": (0, False),
    "BAD": (0, False),
    "Dead": (0, False),
    "ax": (0xA, False),
    "bx": (0xB, False),
    "dx": (0xD, False),
    "ebx": (0xEB, False),
    "fax": (0xFA, False),
    "each": (0xEAC, True),
    "ah": (0xA, True),
    "dh": (0xD, True),
    "ffh": (0xFF, True),
    "a0h": (0xA0, True),
    "face": (None, False),
    "beef": (None, False),
    "cafe": (None, False),
    "deadbeef": (None, False),
    "dec": (None, False),
    "b": (None, False),
    "d": (None, False),
    "x": (None, False),
    "bad_": (None, False),
    "_bad": (None, False),
    "bad.x": (None, False),
}


def program(word: str) -> str:
    return f"ENTRY(_start)\n{word} = 0x1234;\nv = {word};\n{SECTIONS}"


@pytest.mark.parametrize("word", list(WORDS))
def test_rule_follows_ld(tmp_path, word):
    value, lld_number = WORDS[word]
    found = lint(tmp_path, program(word))
    if value is None:
        assert found == []
        return
    (f,) = found
    assert (f.location.line, f.location.column) == (3, 5)
    assert f"`{word}` is read as a number" in f.message
    shown = f"{value:#x}" if value > 9 else str(value)
    assert f"so `{word}` is {shown}" in f.message
    assert ("in ld.lld too" in f.message) == lld_number
    assert (f"ld.lld reads the symbol `{word}`" in f.message) == (not lld_number)


def test_other_expression_places(tmp_path):
    text = (
        "ENTRY(_start)\n"
        "MEMORY\n{\n  ram (rwx) : ORIGIN = fb, LENGTH = 1M\n}\n"  # line 4
        "SECTIONS\n{\n"
        "  . = ALIGN(cab);\n"  # line 8
        "  .text : AT(dead) { *(.text .text.*) LONG(bad) } > ram\n"  # line 9
        '  ASSERT(. < add, "too big")\n'  # line 10
        "}\n"
        'PROVIDE(top = "dead" + 1);\n'  # quoted: a symbol
    )
    found = lint(tmp_path, text)
    assert [(f.location.line, f.message.split("`")[1]) for f in found] == [
        (4, "fb"),
        (8, "cab"),
        (9, "dead"),
        (9, "bad"),
        (10, "add"),
    ]


def test_names_outside_expressions_are_fine(tmp_path):
    text = (
        "ENTRY(dead)\n"
        "MEMORY\n{\n  fb (rw) : ORIGIN = 0xb8000, LENGTH = 4K\n}\n"
        "SECTIONS\n{\n  .bad : { *(.bad .bad.*) } > fb\n}\n"
        "fed = 1;\n"
    )
    assert lint(tmp_path, text) == []


def test_word_in_an_included_file(tmp_path):
    text = f"ENTRY(_start)\nINCLUDE syms.inc\n{SECTIONS}"
    (f,) = lint(tmp_path, text, **{"syms.inc": "dead = 1;\nv = dead;\n"})
    assert (f.location.line, f.location.column) == (2, 1)
    assert f"(the script defines the symbol `dead` at {tmp_path / 'syms.inc'}:1)" in f.message
    assert f"(in {tmp_path / 'syms.inc'}:2:5, included here)" in f.message


def test_hex_h_word_fix(tmp_path):
    (f,) = lint(tmp_path, f"ENTRY(_start)\nv = FFh;\n{SECTIONS}")
    assert f.fix == '`0xff` if the number is meant, `"FFh"` for the symbol'


# ----------------------------------------------------------------------------- ground truth

KERNEL = ".text\n.globl _start\n_start: hlt\n"
LDFLAGS = ["-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]


def value_of_v(tmp_path, linker: str, text: str) -> int:
    (tmp_path / "k.s").write_text(KERNEL)
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text(text)
    subprocess.run(
        [linker, *LDFLAGS, "-T", "s.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    out = subprocess.run(
        ["nm", str(tmp_path / "k.elf")], capture_output=True, text=True, check=True
    ).stdout
    (line,) = [x for x in out.splitlines() if x.endswith(" v")]
    return int(line.split()[0], 16)


@pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
@pytest.mark.parametrize("word", list(WORDS))
def test_gnu_ld_ground_truth(tmp_path, word):
    value, _ = WORDS[word]
    expected = 0x1234 if value is None else value  # a symbol reads back as 0x1234
    assert value_of_v(tmp_path, "ld", program(word)) == expected


@pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")
@pytest.mark.parametrize("word", list(WORDS))
def test_lld_ground_truth(tmp_path, word):
    value, lld_number = WORDS[word]
    expected = value if lld_number else 0x1234
    assert value_of_v(tmp_path, "ld.lld", program(word)) == expected


@pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
def test_quoting_is_the_fix(tmp_path):
    text = f'ENTRY(_start)\ndead = 0x1234;\nv = "dead";\n{SECTIONS}'
    assert value_of_v(tmp_path, "ld", text) == 0x1234
    assert lint(tmp_path, text) == []
