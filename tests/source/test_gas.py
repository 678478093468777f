"""The GNU as reader: statements, comments, labels, directives, section tracking."""

from __future__ import annotations

from kernlint.source.gas import (
    DATA,
    EMPTY,
    INSTRUCTION,
    NEUTRAL,
    SECTION,
    UNKNOWN,
    ZERO,
    classify,
    parse_section,
    statements,
    walk,
)
from kernlint.source.model import Fragment


def stmts(text: str) -> list[str]:
    return [t.strip() for _, t in statements(Fragment(text)) if t.strip()]


def kinds(text: str) -> list[str]:
    return [classify(s, t).kind for s, t in statements(Fragment(text)) if t.strip()]


def section(text: str, preprocessed: bool = False):
    ((start, stmt),) = [(s, t) for s, t in statements(Fragment(text)) if t.strip()]
    return parse_section(classify(start, stmt), preprocessed)


def records(text: str, preprocessed: bool = False):
    return walk([Fragment(text)], preprocessed)


def test_statements_split_on_newline_and_semicolon():
    assert stmts("nop; nop\n  cli ;hlt\n") == ["nop", "nop", "cli", "hlt"]


def test_comments_are_blanked_and_offsets_stay():
    text = "mov %eax, %ebx # a comment; not a statement\n/* block\n ; */ nop // x\n"
    got = list(statements(Fragment(text)))
    assert [t.strip() for _, t in got if t.strip()] == ["mov %eax, %ebx", "nop"]
    for start, stmt in got:
        for i, c in enumerate(stmt):
            if c.strip():
                assert text[start + i] == c


def test_strings_keep_separators_and_comment_characters():
    assert stmts('.ascii "a;b#c/*d"; nop') == ['.ascii "a;b#c/*d"', "nop"]
    assert stmts("mov $'#, %al; nop") == ["mov $'#, %al", "nop"]


def test_cpp_lines_are_comments_and_if_0_blocks_are_skipped():
    text = (
        "#include <x.h>\n#define X 1\n"
        "#if 0\n.section .dead\nnop\n#if FOO\nhlt\n#endif\ncli\n#else\nsti\n#endif\n"
        "nop # if 0 after code is only a comment\nret\n"
    )
    assert stmts(text) == ["sti", "nop", "ret"]


def test_labels_and_kinds():
    text = (
        "a: b: 1:\n"
        "start: cli\n"
        ".globl x\n"
        "x = 5\n"
        ".set y, 1\n"
        ".long 1, 2\n"
        '.asciz "hi"\n'
        ".skip 16\n"
        ".skip 16, 0x90\n"
        ".fill 4, 1, 0\n"
        ".zero 8\n"
        ".org 0x10\n"
        ".section .x\n"
        "ENTRY(foo)\n"
        "__HEAD\n"
        "CLI\n"
        ".inst 0xd503201f\n"
        ".p2align 4\n"
    )
    assert kinds(text) == [
        EMPTY,
        INSTRUCTION,
        NEUTRAL,
        NEUTRAL,
        NEUTRAL,
        DATA,
        DATA,
        ZERO,
        DATA,
        ZERO,
        ZERO,
        ZERO,
        SECTION,
        UNKNOWN,
        UNKNOWN,
        INSTRUCTION,
        INSTRUCTION,
        NEUTRAL,
    ]


def test_section_directive_forms():
    d = section(".section .boot")
    assert (d.op, d.name, d.flags, d.type) == ("section", ".boot", None, None)
    assert (d.name_start, d.name_end) == (9, 14)
    d = section('  .section .boot, "ax", @progbits')
    assert (d.name, d.flags, d.type) == (".boot", "ax", "progbits")
    d = section('.section .boot,"aw",%nobits')
    assert (d.flags, d.type) == ("aw", "nobits")
    d = section('.section ".boot.x", "a", "note"')
    assert (d.name, d.flags, d.type, d.name_start, d.name_end) == (
        ".boot.x",
        "a",
        "note",
        9,
        18,
    )
    d = section('.section .note.GNU-stack, "", @progbits')
    assert d.flags == ""
    d = section(".pushsection .altinstr, 1")
    assert (d.op, d.name, d.flags) == ("pushsection", ".altinstr", None)
    d = section('.pushsection .altinstr, 1, "ax"')
    assert d.flags == "ax"
    d = section(".SECT .boot")
    assert (d.op, d.name) == ("section", ".boot")
    assert section(".section .boot,").malformed
    assert section(".section").malformed
    assert section(".text 2").name == ".text"
    assert section(".section .x_\\@").symbolic
    assert section(".section BOOT_SECTION", preprocessed=True).symbolic
    assert not section(".section BOOT_SECTION").symbolic


def test_walk_records_first_directive_and_content():
    text = (
        ".section .boot\n"  # 1: no flags
        "_start:\n"
        ".text\n"
        "nop\n"
        '.section .boot, "ax"\n'  # too late
        "cli\n"
        ".section .labels\n"
        "only:\n"
        ".section .empty\n"
        ".previous\n"  # back to .labels
        ".pushsection .data.x\n"
        ".long 1\n"
        ".popsection\n"
        ".section .bss.stack\n"
        ".skip 4096\n"
    )
    rec = records(text)
    assert rec[".boot"].first.flags is None
    assert set(rec[".boot"].content) == {INSTRUCTION}
    assert rec[".boot"].later[0][1].flags == "ax"
    assert rec[".labels"].content == {}
    assert rec[".empty"].content == {}
    assert set(rec[".data.x"].content) == {DATA}
    assert set(rec[".bss.stack"].content) == {ZERO}
    assert set(rec[".text"].content) == {INSTRUCTION}


def test_section_stack_and_previous():
    text = (
        ".section .a\n"
        ".pushsection .b\n"
        ".pushsection .c\n"
        ".popsection\n"
        ".long 1\n"  # in .b
        ".popsection\n"
        "nop\n"  # in .a
        ".section .d\n"
        ".previous\n"
        ".skip 1\n"  # in .a
        ".struct 0\n"
        "field: .skip 4\n"  # absolute section: nowhere
    )
    rec = records(text)
    assert set(rec[".b"].content) == {DATA}
    assert set(rec[".a"].content) == {INSTRUCTION, ZERO}
    assert rec[".c"].content == {} and rec[".d"].content == {}


def test_macros():
    text = (
        ".macro CODE\ncli\nhlt\n.endm\n"
        ".macro SWITCH\n.section .elsewhere\nnop\n.previous\n.endm\n"
        ".macro DATA_ONLY a\n.long \\a\n.endm\n"
        ".section .m1\nCODE\n"
        ".section .m2\nSWITCH\n"
        ".section .m3\nDATA_ONLY 5\n"
        ".section .m4\n.irp r, 1, 2\n.byte \\r\n.endr\n"
    )
    rec = records(text)
    assert set(rec[".m1"].content) == {INSTRUCTION}
    assert rec[".m2"].content == {}
    assert ".elsewhere" not in rec  # a template, not a section change where written
    assert set(rec[".m3"].content) == {DATA}
    assert set(rec[".m4"].content) == {DATA}


def test_unknown_cpp_macros_put_nothing_known():
    rec = records(".section .foo\nSYM_FUNC_START(x)\n__INIT\n", preprocessed=True)
    assert rec[".foo"].content == {}


def test_symbolic_section_names_lose_track():
    rec = records(".section SECT_NAME\nnop\n", preprocessed=True)
    assert "SECT_NAME" not in rec
    rec = records(".irp s, a, b\n.section .x_\\s\nnop\n.endr\n")
    assert not any(name.startswith(".x_") for name in rec)
