"""KL217 linker-script-template: a template gets one info note and nothing else; the
file ld reads as it is (--script, a configured target, a generated file) gets KL212 at
error instead. GNU ld 2.40 and ld.lld are the ground truth for what each template does
when handed to the linker raw."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kernlint.classify import classify
from kernlint.config import Config, load_config
from kernlint.engine import run, select_rules
from tests.conftest import kernlint, sample

RULE = "KL217"
HAVE_GNU = bool(shutil.which("as") and shutil.which("ld"))
HAVE_LLD = bool(shutil.which("as") and shutil.which("ld.lld"))
needs_gnu = pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
needs_lld = pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")

KERNEL = ".text\n.globl _start\n_start: hlt\n.data\n.quad 1\n"
LDFLAGS = ["-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]
BODY = (
    "ENTRY(_start)\nSECTIONS\n{\n  . = 0x100000;\n  .text : { *(.text .text.*) }\n"
    "  .data : { *(.data .data.*) }\n}\n"
)


def every_rule(path, config: Config | None = None) -> list:
    """Findings of every default rule on ``path``."""
    return run([str(path)], select_rules([]), config or Config()).findings


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def link(tmp_path, script, linker: str = "ld") -> subprocess.CompletedProcess:
    (tmp_path / "k.s").write_text(KERNEL)
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    return subprocess.run(
        [linker, *LDFLAGS, "-T", str(script), "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )


def symbol(tmp_path, name: str) -> int:
    out = subprocess.run(["nm", str(tmp_path / "k.elf")], capture_output=True, text=True)
    values = {line.split()[2]: int(line.split()[0], 16) for line in out.stdout.splitlines()}
    return values[name]


# ----------------------------------------------------------------------------- samples


def test_cpp_template_sample():
    (f,) = every_rule(sample("kl217", "bad-cpp.ld"))
    assert (f.rule, f.severity) == (RULE, "info")
    assert (f.location.line, f.location.column) == (5, 1)
    assert f.message.startswith(
        'bad-cpp.ld is a linker-script template (C preprocessor: `#include "layout.h"` at'
        " line 5 and 2 more directives): the build turns it into the script ld reads"
    )
    assert '--preprocessor "cpp -undef -x c' in f.fix and "cpp -P" in f.fix
    assert "per-path-ignores" in f.fix and "--script" in f.fix


def test_sed_template_sample_is_no_syntax_error():
    (f,) = every_rule(sample("kl217", "bad-sed.ld"))
    assert (f.rule, f.severity, f.location.line, f.location.column) == (RULE, "info", 8, 9)
    assert "`%VAR%`/`${VAR}` markers `%KERNEL_BASE%`, `${STACK_SIZE}` from line 8" in f.message
    assert "configure_file" in f.fix


def test_generated_twins_are_clean():
    for name in ("good-cpp.ld", "good-sed.ld"):
        assert every_rule(sample("kl217", name)) == [], name


def test_committed_logs_hold_the_linkers_words():
    folder = sample("kl217", "README.md").parent
    if not (folder / "linked-bad-cpp.log").is_file():
        pytest.skip("sample not built (make -C samples/kl217-linker-script-template)")
    assert "undefined symbol `KERNEL_BASE' referenced in expression" in (
        (folder / "linked-bad-cpp.log").read_text()
    )
    assert "bad-sed.ld:8: syntax error" in (folder / "linked-bad-sed.log").read_text()


def test_a_note_does_not_fail_the_run():
    run_ = kernlint("check", "--format", "json", str(sample("kl217", "bad-cpp.ld")))
    assert run_.code == 0 and run_.rules == {RULE}
    assert kernlint("check", "--fail-on", "info", str(sample("kl217", "bad-cpp.ld"))).code == 1


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "kernel.lds.S",
        "kernel.ld.S",
        "fw_jump.elf.ldS",
        "link.ld.in",
        "link.lds.in",
        "link.x.in",
        "x86_64.ld.template",
        "flash_region.template.ld",
        "plat.ld.S.tpl",
        "libpayload.ldscript",
    ],
)
def test_template_names_are_scripts(tmp_path, name):
    path = write(tmp_path, name, "#include <layout.h>\n" + BODY)
    assert classify(str(path)).kind == "script"
    (f,) = every_rule(path)
    assert f.rule == RULE and f.location.line == 1


@pytest.mark.parametrize("name", ["layout.lds.h", "bl_common.ld.h", "elf_efi.ldsi"])
def test_headers_of_templates_are_not_scripts(tmp_path, name):
    assert classify(str(write(tmp_path, name, BODY))).kind == "unknown"


def test_a_template_named_file_that_does_not_parse(tmp_path):
    """A `.ld.in` fragment that is no script yet: the note only, no KL002."""
    path = write(tmp_path, "sections.ld.in", "  .text : { *(.text) }\n  .data : {\n")
    (f,) = every_rule(path)
    assert f.rule == RULE and f.location.line == 1
    assert "named `.ld.in`, and its text does not parse as a script" in f.message


def test_a_template_named_file_that_is_a_plain_script_is_linted(tmp_path):
    """cortex-m-rt's `link.x.in` is copied by its build: linted as the script it is."""
    path = write(tmp_path, "link.x.in", BODY.replace("*(.text .text.*)", "*(.text)"))
    assert [f.rule for f in every_rule(path)] == ["KL201"]


def test_a_copied_template_includes_what_its_build_puts_beside_the_copy(tmp_path):
    path = write(tmp_path, "link.x.in", "INCLUDE memory.x\n" + BODY)
    (f,) = every_rule(path)
    assert (f.rule, f.severity) == ("KL002", "info")
    assert "named as a template (`.x.in`)" in f.message and "-L folders" in f.message
    # A plain script's INCLUDE not found with no -L given is info too (issue #13: ld
    # looks in the build's -L folders, which kernlint is not told); with -L, an error.
    (f,) = every_rule(write(tmp_path, "link.x", "INCLUDE memory.x\n" + BODY))
    assert (f.rule, f.severity) == ("KL002", "info") and "-L DIR" in f.message


# ----------------------------------------------------------------------------- content


@pytest.mark.parametrize(
    ("line", "evidence"),
    [
        ("#include <asm/page.h>", "`#include <asm/page.h>` at line 2"),
        ("#  define PAGE 4K", "`# define PAGE 4K` at line 2"),
        ("#if defined(CONFIG_X) && CONFIG_Y > 2\n#endif", "`#if defined(CONFIG_X)"),
        ("  . = @KERNEL_BASE@;", "`@VAR@` markers `@KERNEL_BASE@` from line 2"),
        ("  . = %KERNEL_BASE% + %OFFSET%;", "`%KERNEL_BASE%`, `%OFFSET%`"),
        ("  stack_top = ${STACK_TOP};", "`${VAR}` markers `${STACK_TOP}`"),
        ("  . = {{ kernel_base }};", "`{{ }}` markers `{{ kernel_base }}`"),
        ("{% if smp %}\n{% endif %}", "`{% %}` markers"),
        ("MEMORY { ram : ORIGIN = BASE,\\\n LENGTH = SIZE }", "a `\\` line continuation"),
        ("// SPDX-License-Identifier: GPL-2.0+", "a `//` comment at line 2"),
        ("  . = 0x100000; // load address", "a `//` comment at line 2"),
    ],
)
def test_template_content_in_a_plain_name(tmp_path, line, evidence):
    path = write(tmp_path, "kernel.ld", f"ENTRY(_start)\n{line}\n{BODY}")
    (f,) = every_rule(path)
    assert (f.rule, f.severity, f.location.line) == (RULE, "info", 2)
    assert evidence in f.message


def test_no_other_rule_reads_a_template(tmp_path):
    """Read raw, this text has two `.text` assignments and no ENTRY: KL203, KL201 and
    KL002 would all fire on what the build never links."""
    text = (
        "#include <config.h>\nSECTIONS\n{\n#ifdef CONFIG_HIGH\n  . = 0xC0100000;\n#else\n"
        "  . = 1M;\n#endif\n  .text : { *(.text) }\n  SECTION_PROLOGUE(.data,,) { *(.data) }\n}\n"
    )
    (f,) = every_rule(write(tmp_path, "kernel.ld", text))
    assert f.rule == RULE


def test_inline_suppression(tmp_path):
    text = "/* kernlint: ignore[KL217] */\n#include <layout.h>\n" + BODY
    assert every_rule(write(tmp_path, "kernel.ld", text)) == []


# ----------------------------------------------------------------------------- prose


PROSE_MEMORY = """ENTRY(_start)
MEMORY
{
# if you need more space for apps, this configuration works
  ram (rwx) : ORIGIN = 0x100000, LENGTH = 1M
# else use the default one, as the board's README says
}
SECTIONS
{
  .text : { *(.text .text.*) } > ram
  .data : { *(.data .data.*) } > ram
}
"""


@needs_gnu
def test_a_prose_comment_is_no_directive(tmp_path):
    """`# if you need ...` is a comment to GNU ld (the file links) and to kernlint: no
    template note, no KL212 even when ld reads the file as it is, and the script is
    linted like any other (here: clean)."""
    path = write(tmp_path, "layout.ld", PROSE_MEMORY)
    proc = link(tmp_path, path)
    assert proc.returncode == 0, proc.stderr
    assert symbol(tmp_path, "_start") == 0x100000
    assert every_rule(path) == []
    assert every_rule(path, Config(scripts=(str(path),))) == []


# ----------------------------------------------------------------------------- linked


@needs_gnu
def test_raw_template_given_with_script_is_kl212(tmp_path):
    """Named with --script, the template is what ld reads: GNU ld links both `#ifdef`
    branches (the later wins), and KL212 says so at error."""
    text = "#ifdef CONFIG_LOW\nbase = 0x100000;\n#else\nbase = 0x200000;\n#endif\n" + BODY
    path = write(tmp_path, "kernel.ld", text.replace(". = 0x100000;", ". = base;"))
    proc = link(tmp_path, path)
    assert proc.returncode == 0 and symbol(tmp_path, "_start") == 0x200000
    assert every_rule(path)[0].rule == RULE
    out = kernlint("check", "--format", "json", "--script", str(path))
    assert out.code == 1 and "KL212" in out.rules and RULE not in out.rules


@needs_gnu
@needs_lld
def test_markers_given_with_script_are_kl212_and_kl002(tmp_path):
    path = write(tmp_path, "kernel.ld", BODY.replace("0x100000", "%KERNEL_BASE%"))
    assert "syntax error" in link(tmp_path, path).stderr
    assert "malformed number: %" in link(tmp_path, path, "ld.lld").stderr
    found = every_rule(path, Config(scripts=(str(path),)))
    assert [(f.rule, f.severity) for f in found] == [("KL002", "error"), ("KL212", "error")]
    assert 'GNU ld stops with "syntax error"; ld.lld with "malformed number: %"' in (
        found[1].message
    )


def test_configured_target_script_is_kl212(tmp_path):
    path = write(tmp_path, "kernel.ld", "#include <layout.h>\n" + BODY)
    (tmp_path / "kernlint.toml").write_text(
        '[[target]]\nimage = "kernel.elf"\nscript = "kernel.ld"\n'
    )
    (f,) = every_rule(path, load_config(tmp_path / "kernlint.toml"))
    assert (f.rule, f.severity) == ("KL212", "error")
    assert "because it is the script of a configured target" in f.fix


@pytest.mark.skipif(not shutil.which("cpp"), reason="needs cpp")
def test_generated_with_line_markers_is_kl212(tmp_path):
    """cpp without -P writes line markers; a marker meant for another step is left in
    what ld will read."""
    template = "#define PAGE 4096\n" + BODY.replace("0x100000", "@KERNEL_BASE@ + PAGE")
    write(tmp_path, "kernel.lds.S", template)
    subprocess.run(
        ["cpp", "-undef", "-x", "c", "kernel.lds.S", "-o", "kernel.lds"], cwd=tmp_path, check=True
    )
    text = (tmp_path / "kernel.lds").read_text()
    assert '# 1 "kernel.lds.S"' in text and "@KERNEL_BASE@ + 4096" in text
    (f,) = every_rule(tmp_path / "kernel.lds")
    assert (f.rule, f.severity) == ("KL212", "error")
    assert "cpp line markers" in f.fix
    (note,) = every_rule(tmp_path / "kernel.lds.S")
    assert note.rule == RULE


@pytest.mark.parametrize("folder", ["build", "out", "builddir", "cmake-build-debug"])
def test_generated_in_a_build_directory_is_kl212(tmp_path, folder):
    path = write(tmp_path, f"{folder}/kernel.ld", "#include <layout.h>\n" + BODY)
    (f,) = every_rule(path)
    assert f.rule == "KL212" and f"build directory `{folder}/`" in f.fix


@pytest.mark.parametrize("template", ["kernel.ld.in", "kernel.ld.S", "kernel.ldS"])
def test_generated_beside_its_template_is_kl212(tmp_path, template):
    write(tmp_path, template, BODY)
    path = write(tmp_path, "kernel.ld", BODY.replace("0x100000", "%KERNEL_BASE%"))
    rules = [f.rule for f in every_rule(path)]
    assert rules == ["KL002", "KL212"]


@needs_gnu
def test_a_cpp_comment_given_with_script_is_kl002(tmp_path):
    """GNU ld stops on `//` (U-Boot's m68k `u-boot.lds` and NuttX's `dramboot.ld` open
    with `//` lines, and their builds run cpp on them): found in the tree it is a
    template note; handed to ld as it is, the syntax error GNU ld gives."""
    path = write(tmp_path, "kernel.ld", "// SPDX-License-Identifier: GPL-2.0+\n" + BODY)
    assert "syntax error" in link(tmp_path, path).stderr
    assert [(f.rule, f.severity) for f in every_rule(path)] == [(RULE, "info")]
    found = every_rule(path, Config(scripts=(str(path),)))
    assert [(f.rule, f.severity) for f in found] == [("KL002", "error")]
    quoted = write(tmp_path, "quoted.ld", 'INPUT("//server/lib.a")\n' + BODY)
    assert RULE not in [f.rule for f in every_rule(quoted)]
