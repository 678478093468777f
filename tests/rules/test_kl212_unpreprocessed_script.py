"""KL212 unpreprocessed-script: samples, what counts as a directive or a marker, scripts
that do not parse, `.lds.S` templates, and GNU ld / ld.lld as ground truth (`#` is a
comment to both, so every `#if` branch is linked)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kernlint.config import Config, load_config
from kernlint.context import SCRIPT_INVALID, Context
from kernlint.engine import run, select_rules
from rules.kl212_unpreprocessed_script import check
from tests.conftest import sample

RULE = "KL212"
HAVE_GNU = bool(shutil.which("as") and shutil.which("ld"))
HAVE_LLD = bool(shutil.which("as") and shutil.which("ld.lld"))


def lint(tmp_path, text: str, name: str = "kernel.ld", linked: bool = True) -> list:
    """KL212's findings on ``text`` saved as ``name``; ``linked``: as with ``--script``
    (ld reads the file as it is), else as a file of a source tree."""
    path = tmp_path / name
    path.write_text(text)
    config = Config(scripts=(str(path),)) if linked else Config()
    return run([str(path)], select_rules([RULE]), config).findings


def sample_findings(name: str) -> list:
    """KL212's findings on a sample script, with the sample's kernlint.toml (whose
    targets name the bad scripts: the Makefile hands them to ld as they are)."""
    path = sample("kl212", name)
    config = load_config(path.parent / "kernlint.toml")
    return run([str(path)], select_rules([RULE]), config).findings


SECTIONS = "SECTIONS\n{\n  .text : { *(.text .text.*) }\n}\n"

# ----------------------------------------------------------------------------- samples


def test_ifdef_block_and_define():
    define, block = sample_findings("bad-ifdef.ld")
    assert (define.location.line, define.location.column, define.location.end_column) == (
        3,
        1,
        28,
    )
    assert define.message.startswith(
        "`#define BOOT_STACK_SIZE 16K` is a C-preprocessor line, but GNU ld reads `#` as a"
        " comment: nothing is defined"
    )
    assert (block.location.line, block.location.column, block.location.end_column) == (9, 1, 24)
    assert "`#ifdef CONFIG_MULTIBOOT` (to `#endif` at line 13)" in block.message
    assert "GNU ld reads `#` as a comment and keeps every branch" in block.message
    assert "the lines under `#ifdef` and under `#else` (line 11) are all read" in block.message
    assert "cpp -P -undef" in block.fix and ".lds.S" in block.fix


def test_include():
    (f,) = sample_findings("bad-include.ld")
    assert (f.location.line, f.location.column) == (2, 1)
    assert f.message.endswith("reads `#` as a comment: nothing is included")


def test_template_marker():
    (f,) = sample_findings("bad-template.ld")
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (6, 9, 6, 22)
    assert "`@KERNEL_BASE@` is a template marker left unsubstituted" in f.message
    assert "ignoring invalid character `@' in expression" in f.message
    assert "malformed number: @" in f.message
    assert "configure_file" in f.fix


def test_fixed_twins():
    for name in ("good-ifdef.ld", "good-include.ld", "good-template.ld"):
        assert sample_findings(name) == [], name


def test_committed_logs_hold_the_linkers_words():
    folder = sample("kl212", "README.md").parent
    if not (folder / "linked-bad-include.log").is_file():
        pytest.skip("sample not built (make -C samples/kl212-unpreprocessed-script)")
    assert "undefined symbol `KERNEL_BASE' referenced in expression" in (
        (folder / "linked-bad-include.log").read_text()
    )
    assert "ignoring invalid character `@' in expression" in (
        (folder / "linked-bad-template.log").read_text()
    )
    assert "malformed number: @" in (folder / "linked-bad-template-lld.log").read_text()


# ----------------------------------------------------------------------------- directives


@pytest.mark.parametrize(
    "line",
    [
        "#include <asm/page.h>",
        '#include "layout.h"',
        "# include <x.h>",
        "  #  include_next <x.h>",
        "#define PAGE 4K",
        "#undef PAGE",
        "#error no arch",
        "#warning old script",
        "#pragma once",
        "#line 3",
    ],
)
def test_single_directives(tmp_path, line):
    (f,) = lint(tmp_path, f"ENTRY(_start)\n{line}\n{SECTIONS}")
    assert f.location.line == 2
    assert f.location.column == line.index("#") + 1
    assert "is a C-preprocessor line, but GNU ld reads `#` as a comment" in f.message


@pytest.mark.parametrize(
    "line",
    [
        "# the boot stack",
        "#",
        "#includes the boot code",
        "#iffy",
        "#defined elsewhere",
        "/* #include <x.h> */",
        "x = 1; # include <x.h>",
    ],
)
def test_not_directives(tmp_path, line):
    assert lint(tmp_path, f"ENTRY(_start)\n{line}\n{SECTIONS}") == []


def test_directive_inside_a_block_comment(tmp_path):
    text = f"ENTRY(_start)\n/* build with\n#define FOO 1\n#if FOO\n*/\n{SECTIONS}"
    assert lint(tmp_path, text) == []


def test_nested_blocks_and_elif(tmp_path):
    text = (
        "ENTRY(_start)\n"  # 1
        "#if defined(A)\n"  # 2
        "x = 1;\n"
        "#elif defined(B)\n"  # 4
        "# ifndef C\n"  # 5
        "x = 2;\n"
        "# endif\n"  # 7
        "#else\n"  # 8
        "x = 3;\n"
        "#endif\n"  # 10
        f"{SECTIONS}"
    )
    outer, inner = lint(tmp_path, text)
    assert outer.location.line == 2 and inner.location.line == 5
    assert "(to `#endif` at line 10)" in outer.message
    assert "under `#if`, under `#elif` (line 4) and under `#else` (line 8)" in outer.message
    assert "`# ifndef C` (to `#endif` at line 7)" in inner.message
    assert "the lines under `#ifndef` are all read" in inner.message


def test_unmatched_and_unclosed(tmp_path):
    text = f"ENTRY(_start)\n#endif\n#ifdef X\nx = 1;\n{SECTIONS}"
    endif, ifdef = lint(tmp_path, text)
    assert endif.location.line == 2 and "matches no `#if` line" in endif.message
    assert ifdef.location.line == 3 and "(no `#endif`)" in ifdef.message


@pytest.mark.parametrize(
    ("line", "column", "names"),
    [
        ("  . = @KERNEL_BASE@;", 7, "`@KERNEL_BASE@`"),
        ('INPUT("@LIBDIR@/crt0.o")', 8, "`@LIBDIR@`"),
        ("x = @A@ + @B@ + @A@;", 5, "`@A@`, `@B@`"),
    ],
)
def test_markers(tmp_path, line, column, names):
    (f,) = lint(tmp_path, f"ENTRY(_start)\n{line}\n{SECTIONS}")
    assert (f.location.line, f.location.column) == (2, column)
    what = "are template markers" if ", " in names else "is a template marker"
    assert f.message.startswith(f"{names} {what}")


@pytest.mark.parametrize(
    "line",
    [
        "/* mail maintainer@example.org */",
        "/* @VERSION@ */",
        "x = 1; # @VERSION@ is substituted by meson",
        "x = 1; /* @A */",
    ],
)
def test_not_markers(tmp_path, line):
    assert lint(tmp_path, f"ENTRY(_start)\n{line}\n{SECTIONS}") == []


@pytest.mark.parametrize("name", ["kernel.lds.S", "kernel.ld.S", "kernel.ld", "link.ld.in"])
def test_templates_in_a_source_tree_are_not_reported(tmp_path, name):
    text = f"#include <asm/page.h>\nENTRY(_start)\n#ifdef X\n{SECTIONS}#endif\n"
    assert lint(tmp_path, text, name, linked=False) == []


def test_script_that_does_not_parse(tmp_path):
    text = (
        "#include <linker.h>\nENTRY(_start)\nSECTIONS\n{\n"
        "#ifdef CONFIG_XIP\n  SECTION_PROLOGUE(.text,,) { *(.text) }\n#endif\n}\n"
    )
    path = tmp_path / "kernel.ld"
    path.write_text(text)
    config = Config(scripts=(str(path),))
    found = run([str(path)], select_rules(["KL002", RULE]), config).findings
    assert [(f.rule, f.location.line) for f in found] == [
        ("KL212", 1),
        ("KL212", 5),
        ("KL002", 6),
    ]


def test_invalid_context_directly():
    text = "#if A\nSECTIONS {\n#endif\n"
    ctx = Context("x.ld", SCRIPT_INVALID, Config(scripts=("x.ld",)), script_text=text)
    (f,) = check(ctx)
    assert f.location.line == 1 and "(to `#endif` at line 3)" in f.message
    assert "because it was named with --script" in f.fix
    assert list(check(Context("x.ld", SCRIPT_INVALID, Config()))) == []
    assert list(check(Context("x.ld", SCRIPT_INVALID, Config(), script_text=text))) == []


# ----------------------------------------------------------------------------- ground truth

KERNEL = ".text\n.globl _start\n_start: hlt\n"
LDFLAGS = ["-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]
RAW = """#include <nothing/here.h>
#define KERNEL_BASE 0x100000
ENTRY(_start)
#ifdef CONFIG_MULTIBOOT
base = 0x100000;
#else
base = 0x200000;
#endif
SECTIONS
{
  . = base;
  .text : { *(.text .text.*) }
}
"""


def link(tmp_path, linker: str, text: str) -> tuple[subprocess.CompletedProcess, dict]:
    (tmp_path / "k.s").write_text(KERNEL)
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text(text)
    proc = subprocess.run(
        [linker, *LDFLAGS, "-T", "s.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    symbols = {}
    if proc.returncode == 0:
        out = subprocess.run(["nm", str(tmp_path / "k.elf")], capture_output=True, text=True)
        for line in out.stdout.splitlines():
            value, _, name = line.split()
            symbols[name] = int(value, 16)
    return proc, symbols


@pytest.mark.parametrize(
    "linker",
    [
        pytest.param("ld", marks=pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")),
        pytest.param("ld.lld", marks=pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")),
    ],
)
def test_linkers_keep_every_branch(tmp_path, linker):
    proc, symbols = link(tmp_path, linker, RAW)
    assert proc.returncode == 0 and proc.stderr == ""  # not a word
    assert symbols["base"] == 0x200000  # the #else branch came last and won
    assert symbols["_start"] == 0x200000
    assert [f.location.line for f in lint(tmp_path, RAW)] == [1, 2, 4]


@pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
def test_gnu_ld_drops_the_at_signs(tmp_path):
    proc, _ = link(tmp_path, "ld", f"ENTRY(_start)\nv = @VERSION@;\n{SECTIONS}")
    assert proc.returncode != 0
    assert proc.stderr.count("s.ld:2: ignoring invalid character `@' in expression") == 2
    assert "undefined symbol `VERSION' referenced in expression" in proc.stderr


@pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")
def test_lld_stops_at_the_at_sign(tmp_path):
    proc, _ = link(tmp_path, "ld.lld", f"ENTRY(_start)\nv = @VERSION@;\n{SECTIONS}")
    assert proc.returncode != 0 and "malformed number: @" in proc.stderr
