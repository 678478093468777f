"""Real scripts: kernlint parses every script GNU ld parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernlint.ldscript import ast, load_script

from .conftest import DATA

CORPUS = sorted(p for p in (DATA / "corpus").iterdir() if p.name != "SOURCES.md")
SYSTEM_SCRIPTS = Path("/usr/lib/x86_64-linux-gnu/ldscripts")


def test_corpus_is_there():
    assert len(CORPUS) >= 8


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_script_parses(path):
    loaded = load_script(path)
    assert loaded.diagnostics == ()
    assert loaded.script.diagnostics == ()
    assert any(isinstance(s, ast.Sections) for s in loaded.script.statements)


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_ld_parses_corpus_script(ld_parses, path):
    assert ld_parses(path)


def test_corpus_details():
    """A few facts from the corpus that rules will rely on."""
    seed = load_script(DATA / "corpus" / "phip1611-seed-link.ld").script
    phdrs, sections = seed.statements[1:]
    assert [(p.name, p.flags.value) for p in phdrs.headers] == [("init_asm", 5), ("kernel_rx", 5)]
    init_asm = sections.statements[0]
    assert (init_asm.address.value, init_asm.address.text, init_asm.phdrs) == (
        8 << 20,
        "8M",
        ("init_asm",),
    )
    assert init_asm.statements[0].keep

    openbsd = load_script(DATA / "corpus" / "openbsd-amd64-ld.script").script
    phdrs = next(s for s in openbsd.statements if isinstance(s, ast.Phdrs))
    assert phdrs.headers[-1].type_value == 0x65A3DBE6
    text = next(s for s in ast.walk(openbsd) if isinstance(s, ast.OutputSection))
    locore = text.statements[3]
    assert (locore.file.pattern, locore.sections[0].pattern) == ("locore.o", ".text")

    pico = load_script(DATA / "corpus" / "pico-sdk-memmap_default.ld").script
    data = next(s for s in ast.walk(pico) if isinstance(s, ast.OutputSection) and s.name == ".data")
    assert (data.region, data.lma_region) == ("RAM", "FLASH")

    stm = load_script(DATA / "corpus" / "stm32f446retx-flash.ld").script
    types = [s.type.kind for s in ast.walk(stm) if isinstance(s, ast.OutputSection) and s.type]
    assert types == ["READONLY"] * 5


@pytest.mark.skipif(not SYSTEM_SCRIPTS.is_dir(), reason="binutils' built-in scripts not installed")
def test_binutils_builtin_scripts_parse():
    scripts = sorted(SYSTEM_SCRIPTS.iterdir())
    for path in scripts:
        load_script(path)
    assert len(scripts) > 20
