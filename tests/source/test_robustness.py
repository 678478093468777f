"""Junk, huge and deeply nested inputs: no traceback, no hang."""

from __future__ import annotations

import random
import time

import pytest

from tests.conftest import kernlint

SUFFIXES = (".S", ".s", ".asm", ".rs", ".c")


def junk(size: int, seed: int) -> str:
    rnd = random.Random(seed)
    alphabet = "abc .section\"'/*#;%\n\\{}()[]!asm_global:,r#x0123$`"
    return "".join(rnd.choice(alphabet) for _ in range(size))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_random_junk(tmp_path, suffix):
    for seed in range(20):
        p = tmp_path / f"junk{seed}{suffix}"
        p.write_text(junk(2000, seed))
        r = kernlint("check", "--format", "json", str(p))
        assert r.code in (0, 1), r.stderr
        assert "Traceback" not in r.stderr


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_ten_megabytes(tmp_path, suffix):
    p = tmp_path / f"big{suffix}"
    p.write_text(junk(10 * 1024 * 1024, 7))
    start = time.monotonic()
    r = kernlint("check", "--format", "json", str(p), timeout=60)
    assert r.code in (0, 1), r.stderr
    assert time.monotonic() - start < 30


def test_ten_megabytes_of_real_assembly(tmp_path):
    block = ".section .boot\n_start:\n  mov $1, %eax # c\n  .long 1, 2, 3\n/* x */\n"
    p = tmp_path / "big.S"
    p.write_text(block * (10 * 1024 * 1024 // len(block)))
    r = kernlint("check", "--format", "json", str(p), timeout=60)
    assert r.code == 1 and [f["rule"] for f in r.report["findings"]] == ["KL601"]


def test_deep_nesting(tmp_path):
    cases = {
        "concat.rs": "global_asm!(" + "concat!(" * 20000 + '"nop"' + ")" * 20000 + ");",
        "comments.rs": "/*" * 50000 + "*/" * 50000 + 'global_asm!(".section .x", "nop");',
        "parens.rs": "global_asm!(" + "(" * 50000 + ");",
        "braces.c": "{" * 100000 + 'asm(".section .y\\n nop");' + "}" * 100000,
        "parens.c": "asm(" + "(" * 100000,
        "macros.s": ".macro m\n" * 20000 + "nop\n" + ".endm\n" * 20000,
        "macros.asm": "%macro m 0\n" * 20000 + "nop\n" + "%endmacro\n" * 20000,
        "unterminated.rs": 'global_asm!(".section .x\nnop' + "x" * 100000,
        "unterminated-raw.rs": 'global_asm!(r###"' + "x" * 100000,
        "unterminated.S": "/*" + "x" * 100000,
        "unterminated.c": 'asm("' + "x" * 100000,
    }
    for name, text in cases.items():
        p = tmp_path / name
        p.write_text(text)
        r = kernlint("check", "--format", "json", str(p), timeout=60)
        assert r.code in (0, 1), (name, r.stderr)
