"""Assembly out of Rust and C: what is extracted, and where each character comes from."""

from __future__ import annotations

from kernlint.source.embedded import c_fragments, rust_fragments
from kernlint.source.model import Source


def positions(text: str, frag, needle: str) -> tuple[int, int]:
    """(line, column) in the file of ``needle`` as found in the fragment text."""
    i = frag.text.index(needle)
    return Source("x", text, "rust").position(frag.file_offset(i))


def test_rust_template_strings_are_joined_with_newlines():
    text = 'core::arch::global_asm!(\n    ".section .boot",  // c\n    "cli",\n);\n'
    (f,) = rust_fragments(text)
    assert f.origin == "global_asm" and not f.opaque
    assert f.text == ".section .boot\ncli"
    assert positions(text, f, ".boot") == (2, 15)
    assert positions(text, f, "cli") == (3, 6)


def test_rust_escapes_and_continuations_map_back():
    text = 'global_asm!("\\t.section .a\\n\\\n    nop\\x0a.byte 0x\\u{41}");\n'
    (f,) = rust_fragments(text)
    assert f.text == "\t.section .a\nnop\n.byte 0xA"
    assert positions(text, f, ".a") == (1, 25)
    assert positions(text, f, "nop") == (2, 5)
    assert positions(text, f, "A") == (2, 20)


def test_rust_raw_strings():
    text = 'global_asm!(r#"\n  .section .raw "quoted"\n  nop\n"#, options(raw));\n'
    (f,) = rust_fragments(text)
    assert f.text == '\n  .section .raw "quoted"\n  nop\n'
    assert positions(text, f, ".raw") == (2, 12)


def test_rust_concat_and_operands():
    text = (
        'asm!(concat!(".pushsection .c", "\\n"), core::concat!("nop\\n", concat!(".popsection")),'
        ' in("eax") 1, options(nostack));\n'
    )
    (f,) = rust_fragments(text)
    assert f.origin == "asm" and not f.opaque
    assert f.text == ".pushsection .c\n\nnop\n.popsection"


def test_rust_call_delimiters_and_paths():
    text = 'std::arch::naked_asm! { "ret" }\nglobal_asm![".text", "nop"];\n'
    got = list(rust_fragments(text))
    assert [(f.origin, f.text) for f in got] == [("naked_asm", "ret"), ("global_asm", ".text\nnop")]


def test_rust_opaque_templates():
    text = (
        "macro_rules! m { ($t:expr) => { global_asm!($t); } }\n"
        'global_asm!(include_str!("boot.s"));\n'
        'global_asm!(".text", stringify!(nop));\n'
        'global_asm!(concat!(".text", 1));\n'
    )
    assert [f.opaque for f in rust_fragments(text)] == [True, True, True, True]


def test_rust_comments_strings_and_chars_hide_calls():
    text = (
        '// global_asm!(".section .a")\n'
        '/* outer /* global_asm!(".section .b") */ still */\n'
        'const S: &str = "global_asm!(\\".section .c\\")";\n'
        'const R: &str = r#"asm!(".section .d")"#;\n'
        "fn f<'a>(x: &'a u8) -> char { '\"' }\n"
        "fn my_asm() {}\n"
        'global_asm!(".section .e");\n'
    )
    assert [f.text for f in rust_fragments(text)] == [".section .e"]


def test_c_adjacent_literals_and_positions():
    text = '__asm__(".pushsection .boot\\n"\n        "\\tcli\\n" /* c */ ".popsection");\n'
    (f,) = c_fragments(text)
    assert f.origin == "c-toplevel" and not f.opaque
    assert f.text == ".pushsection .boot\n\tcli\n.popsection"
    src = Source("x.c", text, "c")
    assert src.position(f.file_offset(f.text.index(".boot"))) == (1, 23)
    assert src.position(f.file_offset(f.text.index("cli"))) == (2, 12)


def test_c_inline_extended_asm_and_qualifiers():
    text = (
        "void f(void) {\n"
        '  asm volatile goto("1: movl %%eax, %0\\n" : : "r"(x) : : l);\n'
        '  __asm__ __volatile__ ("nop");\n'
        "}\n"
    )
    got = list(c_fragments(text))
    assert [(f.origin, f.text) for f in got] == [
        ("c-inline", "1: movl %eax, %0\n"),
        ("c-inline", "nop"),
    ]


def test_c_skips_labels_comments_strings_and_macros():
    text = (
        '/* asm(".section .a") */\n'
        '// asm(".section .b")\n'
        'const char *s = "asm(\\".section .c\\")";\n'
        "char q = '\"';\n"
        'int f(void) __asm__("g");\n'
        'extern int v asm("w");\n'
        'asm(SECT "\\n nop");\n'
        "int asm_count;\n"
        'asm("\\x2esection .e\\n\\101");\n'
        'asm(R"x(.section .raw)x");\n'
    )
    got = list(c_fragments(text))
    assert [(f.text, f.opaque) for f in got] == [
        ("", True),
        (".section .e\nA", False),
        (".section .raw", False),
    ]


def test_line_splices_inside_c_strings():
    text = 'asm(".sec\\\ntion .x");\n'
    (f,) = c_fragments(text)
    assert f.text == ".section .x"
