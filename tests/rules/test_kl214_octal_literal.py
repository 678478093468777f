"""KL214 octal-literal: samples, which literals count, and GNU ld / ld.lld as ground
truth (`x = 010;` is 8 for GNU ld and 10 for ld.lld, read back with `nm`)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from rules.kl214_octal_literal import lld_value
from tests.conftest import findings_of, lint_script, sample

RULE = "KL214"
HAVE_GNU = bool(shutil.which("as") and shutil.which("ld"))
HAVE_LLD = bool(shutil.which("as") and shutil.which("ld.lld"))

SECTIONS = "SECTIONS\n{\n  .text : { *(.text .text.*) }\n}\n"


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, must_parse=True, **others)


# ----------------------------------------------------------------------------- samples


def test_stack_pages():
    (f,) = findings_of(sample("kl214", "bad-stack-pages.ld"), RULE)
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (4, 20, 4, 23)
    assert f.message == (
        "`010` is 8 for GNU ld but 10 for ld.lld: GNU ld reads a leading `0` as octal,"
        " ld.lld reads decimal"
    )
    assert f.fix == "`10` if 10 was meant, `0x8` for GNU ld's value"


def test_memory_length():
    (f,) = findings_of(sample("kl214", "bad-memory.ld"), RULE)
    assert (f.location.line, f.location.column) == (6, 38)
    assert "`0640K` is 0x68000 (416 KiB) for GNU ld but 0xa0000 (640 KiB) for ld.lld" in (f.message)
    assert f.fix == "`640K` if 640K was meant, `0x1a0K` for GNU ld's value"


def test_fixed_twins():
    for name in ("good-stack-pages.ld", "good-memory.ld"):
        assert findings_of(sample("kl214", name), RULE) == [], name


# ----------------------------------------------------------------------------- literals

#: literal -> (GNU ld 2.40's value, ld.lld 14's value); checked against both below.
LITERALS: dict[str, tuple[int, int]] = {
    "010": (8, 10),
    "08": (0, 8),
    "09": (0, 9),
    "0755": (0o755, 755),
    "0400": (0x100, 400),
    "010K": (8 * 1024, 10 * 1024),
    "010M": (8 << 20, 10 << 20),
    "016384": (0o163, 16384),
    "019": (1, 19),
    "0010": (8, 10),
    "00": (0, 0),
    "07": (7, 7),
    "0": (0, 0),
    "10": (10, 10),
    "0x010": (16, 16),
}


@pytest.mark.parametrize("literal", list(LITERALS))
def test_rule_reports_when_the_linkers_differ(tmp_path, literal):
    gnu, lld = LITERALS[literal]
    found = lint(tmp_path, f"ENTRY(_start)\nv = {literal};\n{SECTIONS}")
    if gnu == lld:
        assert found == []
        return
    (f,) = found
    assert (f.location.line, f.location.column) == (2, 5)
    assert f.message.startswith(f"`{literal}` is ")
    assert ("stops at the `" in f.message) == any(c in "89" for c in literal)


@pytest.mark.parametrize("literal", [x for x in LITERALS if x.startswith("0") and "x" not in x])
def test_lld_value(literal):
    assert lld_value(literal) == LITERALS[literal][1]


def test_other_places(tmp_path):
    text = (
        "ENTRY(_start)\n"
        "MEMORY\n{\n  ram (rwx) : ORIGIN = 01000000, LENGTH = 016M\n}\n"  # line 4
        "SECTIONS\n{\n"
        "  .text 0100000 : ALIGN(010) { *(.text .text.*) BYTE(0377) } > ram\n"  # line 8
        "}\n"
    )
    found = lint(tmp_path, text)
    assert [(f.location.line, f.location.column) for f in found] == [
        (4, 24),
        (4, 43),
        (8, 9),
        (8, 25),
        (8, 54),
    ]


def test_literal_in_an_included_file(tmp_path):
    text = f"ENTRY(_start)\nINCLUDE sizes.inc\n{SECTIONS}"
    (f,) = lint(tmp_path, text, **{"sizes.inc": "stack_pages = 010;\n"})
    assert (f.location.line, f.location.column) == (2, 1)
    assert f"(in {tmp_path / 'sizes.inc'}:1:15, included here)" in f.message


# ----------------------------------------------------------------------------- ground truth

KERNEL = ".text\n.globl _start\n_start: hlt\n"
LDFLAGS = ["-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]


def value_of_v(tmp_path, linker: str, literal: str) -> int:
    (tmp_path / "k.s").write_text(KERNEL)
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text(f"ENTRY(_start)\nv = {literal};\n{SECTIONS}")
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
@pytest.mark.parametrize("literal", list(LITERALS))
def test_gnu_ld_ground_truth(tmp_path, literal):
    assert value_of_v(tmp_path, "ld", literal) == LITERALS[literal][0]


@pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")
@pytest.mark.parametrize("literal", list(LITERALS))
def test_lld_ground_truth(tmp_path, literal):
    assert value_of_v(tmp_path, "ld.lld", literal) == LITERALS[literal][1]


@pytest.mark.skipif(not (HAVE_GNU and HAVE_LLD), reason="needs GNU ld and ld.lld")
def test_010_is_8_for_gnu_ld_and_10_for_lld(tmp_path):
    assert value_of_v(tmp_path, "ld", "010") == 8
    assert value_of_v(tmp_path, "ld.lld", "010") == 10
