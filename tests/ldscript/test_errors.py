"""Syntax errors (rule KL002): where, and what was expected in ld's words."""

from __future__ import annotations

import pytest

from kernlint.ldscript import ScriptSyntaxError, parse_script

MISTAKES = [
    (
        "missing-semicolon",
        "SECTIONS {\n  . = 0x100000\n  .text : { *(.text) }\n}\n",
        (3, 3),
        "expected `;` after assignment to `.`, found `.text`",
    ),
    (
        "unclosed-output-section",
        "SECTIONS {\n  .text : {\n    *(.text)\n  .data : { *(.data) }\n}\n",
        (4, 11),
        "expected `}` to close output section `.text` opened at 2:3, found `{`",
    ),
    (
        "eof-in-output-section",
        "SECTIONS {\n  .text : { *(.text) ",
        (2, 21),
        "unexpected end of file: output section `.text` opened at 2:3 is not closed (expected `}`)",
    ),
    (
        "eof-in-sections",
        "SECTIONS {\n",
        (1, 11),
        "unexpected end of file: SECTIONS opened at 1:1 is not closed (expected `}`)",
    ),
    (
        "stray-closing-brace",
        "SECTIONS { .text : { *(.text) } }\n}\n",
        (2, 1),
        "unexpected `}`: there is no open `{` here to close",
    ),
    (
        "semicolon-after-assert-in-sections",
        'SECTIONS {\n  ASSERT(. < 0x8000, "too big");\n}\n',
        (2, 32),
        "unexpected `;` directly inside SECTIONS",
    ),
    (
        "missing-colon",
        "SECTIONS {\n  .text { *(.text) }\n}\n",
        (2, 9),
        "expected `:` after output section name `.text` (or an assignment operator), found `{`",
    ),
    (
        "unclosed-keep",
        "SECTIONS { .text : { KEEP(*(.text) } }",
        (1, 36),
        "expected `)` to close `KEEP(` opened at 1:22, found `}`",
    ),
    (
        "unclosed-call",
        "SECTIONS { . = ALIGN(4; }",
        (1, 23),
        "expected `)` to close `ALIGN(` opened at 1:16, found `;`",
    ),
    (
        "assert-in-section-without-semicolon",
        'SECTIONS { .t : { ASSERT(1, "x") } }',
        (1, 34),
        "expected `;` after ASSERT(...), found `}`",
    ),
    (
        "assignment-without-spaces",
        "SECTIONS { _end=.; }",
        (1, 12),
        "GNU ld reads `_end=.` as one name here: put spaces around `=`",
    ),
    (
        "cpp-comment",
        "// kernel\nENTRY(start)\n",
        (1, 1),
        "`//` does not start a comment in GNU ld scripts; use /* */ or #",
    ),
    (
        "unterminated-comment",
        "ENTRY(start)\n/* SECTIONS {\n",
        (2, 1),
        "unterminated comment: this `/*` is never closed by `*/`",
    ),
    (
        "unterminated-string",
        'ENTRY("start)\n',
        (1, 7),
        'unterminated string: this `"` has no closing `"`',
    ),
    (
        "xor",
        "SECTIONS { v = 1 ^ 2; }",
        (1, 18),
        "`^` is not an operator in GNU ld expressions",
    ),
    (
        "binary-prefix",
        "v = 0b101;",
        (1, 5),
        "GNU ld has no `0b` prefix",
    ),
    (
        "length-abbreviation-without-comma",
        "MEMORY { ram : o = 0 l = 4K }",
        (1, 22),
        "`l` abbreviates LENGTH only after a comma",
    ),
    (
        "keyword-as-symbol",
        "SECTIONS { v = INFO; }",
        (1, 16),
        "`INFO` is a GNU ld keyword inside expressions",
    ),
    (
        "unexpected-number-at-top-level",
        "ENTRY(start) 42",
        (1, 14),
        "unexpected number `42`; expected a command",
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "where", "message"), MISTAKES, ids=[m[0] for m in MISTAKES]
)
def test_mistakes(case, text, where, message):
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script(text, "k.ld")
    error = info.value
    assert (error.line, error.column) == where
    assert message in error.message
    assert error.path == "k.ld"
    assert str(error) == f"k.ld:{where[0]}:{where[1]}: {error.message}"


def test_opened_at_is_recorded():
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script("SECTIONS {\n  .text : {\n", "k.ld")
    assert info.value.opened_at == (2, 3)


def test_format_excerpt_points_at_the_token():
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script("SECTIONS {\n  . = 0x100000\n  .text : { *(.text) }\n}\n")
    assert info.value.format_excerpt() == ("3 |   .text : { *(.text) }\n  |   ^^^^^")


def test_format_excerpt_keeps_tabs_aligned():
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script("SECTIONS {\n\t. = 1\n\t.text : { }\n}")
    assert info.value.format_excerpt() == "3 | \t.text : { }\n  | \t^^^^^"


def test_format_excerpt_at_end_of_file():
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script("SECTIONS {")
    assert info.value.format_excerpt() == "1 | SECTIONS {\n  |           ^"


def test_expected_words_are_listed():
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script("SECTIONS { .text : { } > }")
    assert "a name" in info.value.expected
