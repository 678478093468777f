"""`kernlint check --script link.ld a.o b.o` lays the positional objects out with the
script, as `--objects` does (`ld -T link.ld a.o b.o` is how people think); images
among the positionals are linted as they are."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import kernlint

needs = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("as", "ld")), reason="GNU as and ld are needed"
)


@pytest.fixture
def objects(tmp_path):
    (tmp_path / "start.s").write_text("\t.section mysec\n\t.globl _start\n_start:\thlt\n")
    (tmp_path / "other.s").write_text("\t.text\n\t.globl f\nf:\tret\n")
    for name in ("start", "other"):
        subprocess.run(["as", "--64", "-o", f"{name}.o", f"{name}.s"], cwd=tmp_path, check=True)
    (tmp_path / "alone.ld").write_text(
        "SECTIONS { . = 1M; .text : { *(.text) } .bootcode : { KEEP(*(mysec)) } }\n"
    )
    (tmp_path / "merged.ld").write_text("SECTIONS { . = 1M; .text : { *(.text) *(mysec) } }\n")
    return tmp_path


@needs
def test_positional_objects_are_laid_out_with_the_script(objects):
    run = kernlint(
        "check", "--format", "json", "--script", "alone.ld", "start.o", "other.o", cwd=objects
    )
    assert run.code == 1
    (f,) = run.report["findings"]
    # One finding on the predicted layout, at the script line, not one per object.
    assert f["rule"] == "KL101" and f["path"].endswith("alone.ld")
    assert "start.o(mysec)" in f["message"] and "output section .bootcode" in f["message"]
    same = kernlint(
        "check",
        "--format",
        "json",
        "--script",
        "alone.ld",
        "--objects",
        "start.o",
        "--objects",
        "other.o",
        cwd=objects,
    )
    assert same.report["findings"] == run.report["findings"]
    ok = kernlint("check", "--script", "merged.ld", "start.o", "other.o", cwd=objects)
    assert ok.code == 0, ok.stdout
    # What ld does with the same command line.
    subprocess.run(
        ["ld", "-T", "merged.ld", "-o", "k.elf", "start.o", "other.o"], cwd=objects, check=True
    )
    sections = subprocess.run(
        ["readelf", "-SW", "k.elf"], cwd=objects, capture_output=True, text=True, check=True
    ).stdout
    assert any(" .text " in line and " AX " in line for line in sections.splitlines())


@needs
def test_images_among_the_positionals_stay_images(objects):
    subprocess.run(
        ["ld", "-T", "alone.ld", "-o", "k.elf", "start.o", "other.o"], cwd=objects, check=True
    )
    run = kernlint(
        "check", "--format", "json", "--script", "alone.ld", "k.elf", "start.o", cwd=objects
    )
    paths = {f["path"].rsplit("/", 1)[-1] for f in run.report["findings"]}
    assert paths == {"k.elf", "alone.ld"}
