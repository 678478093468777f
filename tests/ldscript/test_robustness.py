"""Bad input never raises anything but ScriptSyntaxError, and big input stays fast."""

from __future__ import annotations

import random
import time

import pytest

from kernlint.ldscript import ScriptSyntaxError, ast, load_script, parse_script
from kernlint.ldscript.transform import MAX_EXPR_DEPTH

from .conftest import DATA


def outcome(text: str) -> str:
    try:
        parse_script(text)
    except ScriptSyntaxError as error:
        assert error.line >= 1 and error.column >= 1
        error.format_excerpt()
        return "error"
    return "ok"


def test_empty_and_blank_files():
    for text in ("", "\n\n", "   \t\r\n", "/* only a comment */", "# only a comment\n", ";;;"):
        script = parse_script(text, "e.ld")
        assert script.statements == ()


def test_nul_bytes_are_rejected_with_a_clear_error():
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script("SECTIONS {\n  .text : {\0} }")
    assert (info.value.line, info.value.column) == (2, 12)
    assert "binary data" in info.value.message


def test_binary_file(tmp_path):
    path = tmp_path / "kernel.elf"
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    with pytest.raises(ScriptSyntaxError, match="binary data"):
        load_script(path)


def test_invalid_utf8_outside_comments_is_ignored_like_ld(tmp_path):
    path = tmp_path / "latin1.ld"
    path.write_bytes(b"/* \xa9 1999 caf\xe9 */\nENTRY(start) \xff\n")
    loaded = load_script(path)
    assert loaded.script.statements[0].symbol == "start"
    (warning,) = loaded.script.diagnostics
    assert warning.message == "ignoring invalid character `\\377' in script"
    assert (warning.span.line, warning.span.column) == (2, 14)


def test_random_junk_never_escapes_as_another_exception():
    rng = random.Random(2401)
    alphabet = 'SECTIONS{}();:=.*/#"\n\t +-<>!&|~?,[]$0x1fKMABCDabc_ \\@é'
    for _ in range(400):
        outcome("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80))))
    for _ in range(100):
        outcome(bytes(rng.randrange(1, 256) for _ in range(200)).decode("latin-1"))


def test_mutated_real_scripts_never_escape():
    rng = random.Random(7)
    seeds = [p.read_text() for p in sorted((DATA / "corpus").iterdir())]
    for _ in range(300):
        text = rng.choice(seeds)
        i, j = sorted(rng.randrange(len(text)) for _ in range(2))
        mutated = rng.choice(
            [
                text[:i] + text[j:],  # cut
                text[:i] + text[i:j] * 2 + text[j:],  # duplicate
                text[:i] + rng.choice('{}();:=*/"') + text[i:],  # insert
                text[:i],  # truncate
            ]
        )
        outcome(mutated)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "(" * n + "1" + ")" * n,
        lambda n: "-" * n + "1",
        lambda n: "1" + " + 1" * n,
        lambda n: "ALIGN(" * n + "1" + ")" * n,
        lambda n: "1 ? " * n + "1" + " : 1" * n,
    ],
    ids=["parentheses", "unary", "sum", "calls", "ternaries"],
)
def test_ten_thousand_levels_do_not_overflow_the_stack(make):
    text = f"v = {make(10_000)};"
    result = outcome(text)
    if result == "error":
        with pytest.raises(
            ScriptSyntaxError, match=f"nested too deeply \\(limit {MAX_EXPR_DEPTH} levels\\)"
        ):
            parse_script(text)


def test_parentheses_alone_add_no_depth():
    (assign,) = parse_script("v = " + "(" * 10_000 + "1" + ")" * 10_000 + ";").statements
    assert assign.expr.value == 1


def test_deepest_accepted_expression_survives_recursive_consumers():
    text = "v = " + "-" * (MAX_EXPR_DEPTH - 1) + "1;"
    (assign,) = parse_script(text).statements
    again = parse_script(text).statements[0]
    assert assign == again  # dataclass == recurses once per level
    repr(assign)
    assert sum(1 for _ in ast.walk(assign)) == MAX_EXPR_DEPTH + 1
    with pytest.raises(ScriptSyntaxError, match="nested too deeply"):
        parse_script("v = " + "-" * MAX_EXPR_DEPTH + "1;")


def big_script(sections: int) -> str:
    """4 + 7 * sections lines."""
    out = ["ENTRY(_start)", "MEMORY { ram (rwx) : ORIGIN = 0x100000, LENGTH = 64M }", "SECTIONS {"]
    for i in range(sections):
        out += [
            f"  .sec{i} ALIGN(0x1000) : AT(ADDR(.sec{i}) - 0xffffffff80000000) {{",
            f"    __start_sec{i} = .;",
            f"    KEEP(*(.sec{i} .sec{i}.*))",
            f"    *(SORT_BY_NAME(.data{i}.*)) /* comment {i} */",
            f"    . = ALIGN(8); LONG(0x{i:x}) # tail",
            f"    __stop_sec{i} = . + SIZEOF(.sec{i}) * 2;",
            "  } > ram",
        ]
    out.append("}")
    return "\n".join(out) + "\n"


def test_hundred_thousand_lines():
    text = big_script(14_285)
    assert text.count("\n") == 99_999
    start = time.perf_counter()
    script = parse_script(text, "big.ld")
    elapsed = time.perf_counter() - start
    (sections,) = script.statements[2:]
    assert len(sections.statements) == 14_285
    assert sections.statements[-1].span.end_line == 99_998
    # about 10 s on the development machine (2 cores); generous for slow CI runners
    assert elapsed < 120, elapsed
