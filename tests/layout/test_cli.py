"""`kernlint layout`: JSON and text output, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import kernlint
from tests.layout.test_hand import BASIC, SECOND

pytestmark = pytest.mark.skipif(not shutil.which("as"), reason="GNU as is needed")

SCRIPT = """ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .text : { _stext = .; *(.text) }
  .data : { *(.data) }
  PROVIDE(_end = .);
}
"""


@pytest.fixture
def objects(tmp_path):
    for name, text in (("a", BASIC), ("b", SECOND)):
        (tmp_path / f"{name}.s").write_text(text)
        subprocess.run(["as", "-o", f"{name}.o", f"{name}.s"], cwd=tmp_path, check=True)
    (tmp_path / "link.ld").write_text(SCRIPT)
    return tmp_path


def test_json_document(objects):
    run = kernlint("layout", "--script", "link.ld", "a.o", "b.o", "--format", "json", cwd=objects)
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert set(doc) >= {"sections", "segments", "symbols", "discarded", "orphans"}
    text = next(s for s in doc["sections"] if s["name"] == ".text")
    assert text["vma"] == 0x100000 and text["flags"] == "AX"
    assert [i["file"] for i in text["inputs"]] == ["a.o", "b.o"]
    assert doc["symbols"]["_stext"] == 0x100000
    assert "_end" not in doc["symbols"]  # PROVIDE'd, never referenced
    orphans = {(o["file"], o["section"]) for o in doc["orphans"]}
    assert ("a.o", ".text.b") in orphans and ("b.o", ".boot") in orphans
    assert doc["entry"]["address"] == 0x100000
    assert any(s["type"] == "LOAD" for s in doc["segments"])


def test_text_table(objects):
    run = kernlint("layout", "-T", "link.ld", "a.o", "b.o", cwd=objects)
    assert run.code == 0, run.stderr
    assert ".text" in run.stdout and "LOAD" in run.stdout
    assert "orphan: b.o(.boot)" in run.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--script", "missing.ld", "a.o"), "missing.ld"),
        (("--script", "link.ld", "nope.o"), "nope.o"),
        (("--script", "link.ld", "a.s"), "not an ELF file"),
        (("--script", "bad.ld", "a.o"), "bad.ld:1:"),
    ],
    ids=["missing-script", "missing-object", "not-elf", "syntax-error"],
)
def test_bad_input_is_one_line_and_status_2(objects, args, needle):
    (objects / "bad.ld").write_text("SECTIONS { .text : { *(.text) ")
    run = kernlint("layout", *args, cwd=objects)
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], run.stderr


def test_check_with_script_and_objects_lays_out(objects):
    """`kernlint check --script S --objects O`: the script is laid out with the
    objects before linking, and the layout rules run (KL210 here)."""
    run = kernlint(
        "check",
        "--script",
        "link.ld",
        "--objects",
        "a.o",
        "--objects",
        "b.o",
        "--select",
        "KL210",
        "--format",
        "json",
        cwd=objects,
    )
    assert run.code == 1, run.stderr  # warnings, which fail by default
    assert {f["severity"] for f in run.report["findings"]} == {"warning"}
    orphans = sorted(f["message"].split()[2] for f in run.report["findings"])
    assert orphans == [".boot", ".bss", ".rodata", ".text.a", ".text.b"]


def test_layout_takes_the_scripts_input_objects():
    """With no OBJECTS, `kernlint layout` reads the files the script's INPUT() names."""
    from tests.conftest import sample

    script = sample("kl216", "good-message-in-stage2.ld")
    run = kernlint("layout", "--script", str(script), "--format", "json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [s["name"] for s in doc["sections"]][:2] == [".boot", ".rodata"]
    assert doc["sections"][0]["vma"] == 0x7C00


RELRO_SCRIPT = """ENTRY(_start)
SECTIONS {
  . = 0x400000;
  .text : { *(.text) }
  . = DATA_SEGMENT_ALIGN(0x1000, 0x1000);
  .data.rel.ro : { *(.data.rel.ro) }
  . = DATA_SEGMENT_RELRO_END(0, .);
  .data : { *(.data) }
  . = DATA_SEGMENT_END(.);
}
"""


@pytest.mark.parametrize("flag", ["--relro", "--no-relro"])
def test_relro_option(tmp_path, flag):
    """`--relro` (ld's default) moves the relro section up to end on a page and adds
    a GNU_RELRO header; `--no-relro` keeps the offset in the page, without one
    (tests/layout/test_data_segment.py checks both against ld)."""
    source = (
        '.section .text,"ax",@progbits\n.globl _start\n_start: .fill 0x123,1,0x90\n'
        '.section .data.rel.ro,"aw",@progbits\n.fill 0x10,1,1\n'
        '.section .data,"aw",@progbits\n.fill 8,1,2\n'
    )
    (tmp_path / "a.s").write_text(source)
    subprocess.run(["as", "-o", "a.o", "a.s"], cwd=tmp_path, check=True)
    (tmp_path / "link.ld").write_text(RELRO_SCRIPT)
    run = kernlint("layout", "-T", "link.ld", "a.o", flag, "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    relro = next(s for s in doc["sections"] if s["name"] == ".data.rel.ro")
    types = [s["type"] for s in doc["segments"]]
    if flag == "--relro":
        assert relro["vma"] == 0x401FF0 and "GNU_RELRO" in types
    else:
        assert relro["vma"] == 0x401123 and "GNU_RELRO" not in types
