"""read_source: decoding, errors, language by name and content."""

from __future__ import annotations

import pytest

from kernlint.errors import InputError
from kernlint.source import read_source
from kernlint.source.model import language_of


def write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_languages_by_suffix(tmp_path):
    for name, language in [
        ("a.S", "gas"),
        ("a.s", "gas"),
        ("a.asm", "nasm"),
        ("a.nasm", "nasm"),
        ("a.rs", "rust"),
        ("a.c", "c"),
        ("a.cc", "c"),
        ("a.cpp", "c"),
        ("a.cxx", "c"),
    ]:
        assert read_source(write(tmp_path, name, b"nop\n")).language == language, name


def test_asm_in_gnu_as_syntax_is_read_as_gas():
    assert language_of("x.asm", "\t.section .boot\n\t.globl _start\n_start: cli\n") == "gas"
    assert language_of("x.asm", "section .text\nglobal _start\n_start: cli\n") == "nasm"
    # Both kinds of statement: NASM wins (a GNU-looking line could be a NASM label).
    assert language_of("x.asm", ".text:\nbits 64\n") == "nasm"
    assert language_of("x.asm", "msg db 1\n") == "nasm"
    assert language_of("x.asm", "") == "nasm"
    assert language_of("x.nasm", "\t.section .boot\n") == "nasm"


def test_decoding(tmp_path):
    src = read_source(write(tmp_path, "a.s", b"\xef\xbb\xbf.text\r\nnop\rcli\n"))
    assert src.text == ".text\nnop\ncli\n"
    assert src.position(0) == (1, 1) and src.position(6) == (2, 1)
    src = read_source(write(tmp_path, "b.s", b"# caf\xe9\nnop\n"))
    assert src.text == "# caf\xe9\nnop\n" and src.position(7) == (2, 1)


def test_errors_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError) as err:
        read_source(write(tmp_path, "a.S", b".text\n\0nop\n"))
    assert err.value.message == "not a text file (NUL byte at offset 0x6)"
    with pytest.raises(InputError) as err:
        read_source(str(tmp_path / "missing.s"))
    assert err.value.message.startswith("cannot read")
    with pytest.raises(InputError) as err:
        read_source(str(tmp_path))
    assert "\n" not in err.value.message


def test_too_large(tmp_path, monkeypatch):
    import kernlint.source.reader as reader

    monkeypatch.setattr(reader, "MAX_SIZE", 10)
    with pytest.raises(InputError) as err:
        read_source(write(tmp_path, "a.s", b"nop\n" * 10))
    assert "too large" in err.value.message
