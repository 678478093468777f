"""kernlint's LALR table cache (kernlint/ldscript/tables.py) parses exactly as the
parser lark builds from the grammar: same trees, same syntax errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from kernlint.ldscript import ScriptSyntaxError, parser, tables
from kernlint.ldscript.tables import TableParser

DATA = Path(__file__).parent / "data"
DEFAULT_DIRS = [
    Path("/usr/lib/x86_64-linux-gnu/ldscripts"),
    Path("/usr/lib/arm-none-eabi/ldscripts"),
]
BROKEN = [
    "SECTIONS { .text : { *(.text) }",
    "SECTIONS { .text : { *(.text) } } }",
    "MEMORY { ram (rwx) : ORIGIN = 0x1000 LENGTH = 4K }",
    "ENTRY(_start",
    "SECTIONS { .data : { . = ALIGN(; } }",
    "PHDRS { text PT_LOAD FLAGS(5) }",
]


def _texts() -> list[tuple[str, str]]:
    files = sorted(DATA.rglob("*.ld")) + sorted(DATA.rglob("*.lds"))
    for d in DEFAULT_DIRS:
        if d.is_dir():
            files += sorted(d.iterdir())[:40]
    return [(str(p), p.read_text(errors="replace")) for p in files if p.is_file()]


def _outcomes(texts: list[tuple[str, str]]) -> list:
    out = []
    for path, text in [*texts, *((f"broken{i}", t) for i, t in enumerate(BROKEN))]:
        try:
            out.append(parser.parse_script(text, path))
        except ScriptSyntaxError as exc:
            out.append((exc.line, exc.column, str(exc)))
    return out


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temporary directory of our own, and a parser built afresh in it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parser._parser.cache_clear()
    parser._literal_terminals.cache_clear()
    yield tmp_path
    parser._parser.cache_clear()
    parser._literal_terminals.cache_clear()


def _fresh() -> object:
    parser._parser.cache_clear()
    parser._literal_terminals.cache_clear()
    return parser._parser()[0]


def test_cached_tables_parse_like_lark(private_tmp):
    texts = _texts()
    assert len(texts) > 20
    built = _fresh()
    assert not isinstance(built, TableParser), "the first use builds with lark"
    assert len(list(private_tmp.glob("kernlint-ldscript-*.tables"))) == 1
    with_lark = _outcomes(texts)
    restored = _fresh()
    assert isinstance(restored, TableParser), "later uses restore the tables"
    assert _outcomes(texts) == with_lark


def test_a_damaged_or_foreign_cache_is_rebuilt(private_tmp):
    _fresh()
    (cache,) = private_tmp.glob("kernlint-ldscript-*.tables")
    cache.write_bytes(cache.read_bytes()[:1000])
    assert not isinstance(_fresh(), TableParser)  # truncated: rebuilt ...
    assert isinstance(_fresh(), TableParser)  # ... and rewritten
    os.chmod(cache, 0o666)
    assert not isinstance(_fresh(), TableParser), "a file others can write is not read"
    assert parser.parse_script("ENTRY(_start)").statements[0].symbol == "_start"


def test_cache_name_follows_the_grammar():
    assert tables.cache_path("a") != tables.cache_path("b")
    assert tables.cache_path("a") == tables.cache_path("a")
