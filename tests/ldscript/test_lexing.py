"""ld's lexical rules: numbers, names per lexer state, comments, quotes, keywords."""

from __future__ import annotations

import pytest

from kernlint.ldscript import ScriptSyntaxError, ast, parse_script
from kernlint.ldscript.lexing import number_value

from .conftest import expr, section_body

U64 = (1 << 64) - 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # values checked with `ld -T` and nm on GNU ld 2.40
        ("0x10", 16),
        ("0X1f", 31),
        ("$10", 16),
        ("$10K", 16 * 1024),
        ("010", 8),
        ("08", 0),
        ("0129", 0o12),
        ("4K", 4096),
        ("4k", 4096),
        ("1M", 1 << 20),
        ("0x10K", 16 * 1024),
        ("010K", 8 * 1024),
        ("10h", 16),
        ("FFH", 255),
        ("0FFh", 255),
        ("101b", 5),
        ("17o", 15),
        ("99d", 99),
        ("1d", 1),
        ("10x", 16),
        ("0x", 0),
        ("0b", 0),
        ("dead", 0),
        ("bad", 0),
        ("cab", 0),
        ("add", 0),
        ("ffh", 255),
        ("0x1ffffffffffffffff", U64),
        ("99999999999999999999999", U64),
        ("1ffffffffffffffffh", U64),
        ("0xffffffffffffffffK", (U64 * 1024) & U64),
    ],
)
def test_number_value_matches_gnu_ld(text, value):
    assert number_value(text) == value


def test_number_keeps_literal_text():
    number = expr("010")
    assert isinstance(number, ast.Number)
    assert (number.value, number.text, number.is_octal) == (8, "010", True)
    assert not expr("10").is_octal
    assert not expr("0x10").is_octal
    assert expr("010K").is_octal


@pytest.mark.parametrize("word", ["dead", "bad", "cab", "add", "fed", "beef0h", "Dad"])
def test_hex_digit_words_with_radix_suffix_are_numbers(word):
    node = expr(word)
    assert isinstance(node, ast.Number)
    assert node.text == word
    assert node.is_suffixed_word


@pytest.mark.parametrize("word", ["deadbeef", "face", "dead_", "bad2", "cafe", "dead.x", "$1K2"])
def test_other_words_are_symbols(word):
    node = expr(word)
    assert isinstance(node, ast.Symbol)
    assert node.name == word


def test_dot_is_the_location_counter():
    assert isinstance(expr("."), ast.Dot)
    assert isinstance(expr(". + 4").left, ast.Dot)


def test_slash_belongs_to_expression_names():
    # ld: `undefined symbol `x/2' referenced in expression` (GNU ld 2.40)
    node = expr("x/2")
    assert isinstance(node, ast.Symbol)
    assert node.name == "x/2"
    assert expr("x / 2").op == "/"


def test_minus_splits_expression_names():
    node = expr("a-b")
    assert isinstance(node, ast.Binary)
    assert (node.op, node.left.name, node.right.name) == ("-", "a", "b")


def test_word_after_output_section_name_is_read_in_script_state():
    # ld reads this word before it knows a section from an assignment, in SCRIPT
    # state: `BASE+4` is one (undefined) symbol, `dead` a symbol, not a number.
    # GNU ld 2.40: "non constant or forward reference address expression for section"
    def address(text):
        (sections,) = parse_script(f"SECTIONS {{ .data {text} : {{ }} }}").statements
        return sections.statements[0].address

    assert address("BASE+4") == ast.Symbol(name="BASE+4", span=address("BASE+4").span)
    assert address("dead").name == "dead"
    assert address("INFO").name == "INFO"
    assert address("BASE + 4").op == "+"
    assert address("0x100+4").op == "+"
    assert address("dead + 1").left.name == "dead"  # only the first word
    assert address("$10").value == 16


def test_script_state_names_take_dashes_and_colons():
    script = parse_script("OUTPUT_ARCH(i386:x86-64) OUTPUT_FORMAT(elf64-x86-64)")
    arch, fmt = script.statements
    assert arch.arch == "i386:x86-64"
    assert fmt.default == "elf64-x86-64"


def test_section_names_with_odd_characters():
    sections = parse_script(
        "SECTIONS { .build-id : { *(.note.gnu.build-id) } /DISCARD/ : { *(.c) }"
        " .a$b~c : { *(.x) } }"
    ).statements[0]
    assert [s.name for s in sections.statements] == [".build-id", "/DISCARD/", ".a$b~c"]
    assert sections.statements[1].is_discard


def test_wildcard_patterns_keep_their_characters():
    (spec,) = section_body("*crtbegin?.o(.ctors.[0-9]* .x-y) archive.a:member.o(.z)")[:1]
    assert spec.file.pattern == "*crtbegin?.o"
    assert [p.pattern for p in spec.sections] == [".ctors.[0-9]*", ".x-y"]
    member = section_body("archive.a:member.o(.z) *:AutoGen.obj(.data.g*Guid)")
    assert [m.file.pattern for m in member] == ["archive.a:member.o", "*:AutoGen.obj"]


def test_comma_inside_a_section_list_belongs_to_the_pattern():
    # GNU ld 2.40 has no `,` token inside an output section: `.text,` is one pattern
    # (it then matches no `.text` section); a lone `,` is a pattern of its own.
    (glued,) = section_body("*(.text, .data)")
    assert [p.pattern for p in glued.sections] == [".text,", ".data"]
    (spaced,) = section_body("*(.text , .data)")
    assert [p.pattern for p in spaced.sections] == [".text", ",", ".data"]


def test_assignment_without_spaces_in_an_output_section_is_a_file_name():
    # ld: `cannot find b=2: No such file or directory`
    spec, *_ = section_body("b=2;")
    assert isinstance(spec, ast.InputSectionDescription)
    assert spec.whole_file and spec.file.pattern == "b=2"


def test_comment_inside_a_file_name_is_part_of_it():
    # ldlex.l: a WILD-state word that does not *start* with `/*` runs on.
    _, spec = section_body("*(.text) foo/*c*/")
    assert spec.file.pattern == "foo/*c*/"


def test_comments():
    script = parse_script(
        "/* block\n comment */ ENTRY(a) # line comment\n# whole line\n"
        "SECTIONS { .text : { *(.text) /* in body */ # hash in body\n } }"
    )
    assert [type(s).__name__ for s in script.statements] == ["Entry", "Sections"]


def test_hash_starts_a_comment_so_cpp_lines_vanish():
    script = parse_script("#include <foo.h>\n#if X\nENTRY(a)\n#else\nENTRY(b)\n#endif\n")
    assert [s.symbol for s in script.statements] == ["a", "b"]


def test_quoted_strings_are_names_in_every_state():
    script = parse_script(
        'ENTRY("my entry") SECTIONS { "out sec" : { "in file"("in sec") }'
        ' "sym bol" = "other sym"; }'
    )
    entry, sections = script.statements
    assert entry.symbol == "my entry"
    out, assign = sections.statements
    assert out.name == "out sec"
    spec = out.statements[0]
    assert (spec.file.pattern, spec.file.quoted) == ("in file", True)
    assert (spec.sections[0].pattern, spec.sections[0].quoted) == ("in sec", True)
    assert assign.target == "sym bol"
    assert assign.expr == ast.Symbol(name="other sym", quoted=True, span=assign.expr.span)


def test_quoted_string_may_span_lines():
    (entry,) = parse_script('ENTRY("a\nb")').statements
    assert entry.symbol == "a\nb"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("SECTIONS { v = INFO; }", "INFO"),
        ("SECTIONS { v = TYPE + 1; }", "TYPE"),
        ("ENTRY(SECTIONS)", "SECTIONS"),
        ("SECTIONS { l = 1; }", "l"),
        ("SECTIONS { .t : { *(CONSTRUCTORS) } }", "CONSTRUCTORS"),
        ("SECTIONS { .t : { KEEP(KEEP(*(.x))) } }", "KEEP"),
    ],
)
def test_keywords_are_reserved_in_their_lexer_state(text, word):
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script(text)
    assert f"`{word}` is a GNU ld keyword" in info.value.message


def test_keywords_of_other_states_are_names():
    # SECTIONS is a keyword only in script state, `l` only in script state,
    # FILEHDR/FLAGS/PHDRS are plain names that PHDRS gives a meaning.
    assert expr("SECTIONS").name == "SECTIONS"
    assert expr("l").name == "l"
    assert expr('"INFO"').name == "INFO"


def test_invalid_characters_are_ignored_with_a_warning_like_ld():
    script = parse_script("ENTRY(a) @\nSECTIONS { }", "w.ld")
    assert [type(s).__name__ for s in script.statements] == ["Entry", "Sections"]
    (warning,) = script.diagnostics
    assert warning.severity == "warning"
    assert warning.message == "ignoring invalid character `@' in script"
    assert (warning.span.line, warning.span.column) == (1, 10)


def test_invalid_characters_inside_comments_and_strings_are_fine():
    script = parse_script("/* don't © @ */ ENTRY(\"@x\") # it's\n")
    assert script.diagnostics == ()
    assert script.statements[0].symbol == "@x"


def test_non_ascii_outside_comments_is_reported_with_its_bytes():
    script = parse_script("ENTRY(a) é")
    assert script.diagnostics[0].message == "ignoring invalid character `\\303\\251' in script"
