"""The NASM reader: logical lines, labels, kinds, sections."""

from __future__ import annotations

from kernlint.source.nasm import DATA, INSTRUCTION, ZERO, lines, walk


def test_comments_strings_and_continuations():
    text = "mov al, ';' ; comment\ndb `a\\`;b`, \"x;y\" ; c\nmov eax, \\\n  1\n"
    got = [(s, c.rstrip()) for s, c in lines(text)]
    assert got[0] == (0, "mov al, ';'")
    assert got[1][1] == 'db `a\\`;b`, "x;y"'
    assert got[2][1].split() == ["mov", "eax,", "1"]
    start, _ = got[1]
    assert text[start : start + 2] == "db"


def test_kinds_and_sections():
    text = (
        "section .a\n"
        "lbl:\n"
        "orphan\n"  # a label without colon
        "section .b\n"
        "msg db 'hi', 0\n"
        "x equ 5\n"
        "section .c\n"
        "  resb 64\n"
        "  times 4 dd 0\n"
        "section .d\n"
        "  cli\n"
        "section .e\n"
        "  times 3 nop\n"
        "SECTION .F\n"
        "start: mov eax, 1\n"
        "[section .g]\n"
        "  istruc point\n"
        "segment .h exec\n"
        "  ret\n"
    )
    rec = walk(text)
    assert rec[".a"].content == {}
    assert set(rec[".b"].content) == {DATA}
    assert set(rec[".c"].content) == {ZERO, DATA}
    assert set(rec[".d"].content) == {INSTRUCTION}
    assert set(rec[".e"].content) == {INSTRUCTION}
    assert set(rec[".F"].content) == {INSTRUCTION}
    assert set(rec[".g"].content) == {DATA}
    assert rec[".h"].first.attribute_words == {"exec"}
    d = rec[".d"].first
    assert text[d.name_start : d.name_end] == ".d"


def test_absolute_struc_and_first_declaration():
    text = (
        "section .x\n"
        "struc pt\n .x resd 1\nendstruc\n"
        "absolute 0\n"
        "field resb 4\n"
        "section .y\n"
        "db 1\n"
        "section .y exec\n"
        "nop\n"
    )
    rec = walk(text)
    assert rec[".x"].content == {}
    assert rec[".y"].first.attributes == ()
    assert rec[".y"].later[0].attributes == ("exec",)
    assert set(rec[".y"].content) == {DATA, INSTRUCTION}


def test_preprocessor():
    text = (
        "%macro CODE 0\n  cli\n  hlt\n%endmacro\n"
        "%macro SWITCH 0\nsection .z\nnop\n%endmacro\n"
        "%if 0\nsection .dead\nnop\n%endif\n"
        "%comment\nsection .dead2\n%endcomment\n"
        "%define X 1\n"
        "section .m1\nCODE\n"
        "section .m2\nSWITCH\n"
        "section .m3\n%rep 4\nnop\n%endrep\n"
    )
    rec = walk(text)
    assert ".dead" not in rec and ".dead2" not in rec and ".z" not in rec
    assert set(rec[".m1"].content) == {INSTRUCTION}
    assert rec[".m2"].content == {}
    assert set(rec[".m3"].content) == {INSTRUCTION}
