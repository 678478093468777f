"""Templates linted through a configured preprocessor (issue #13, item 2): cpp runs
without -P, its line markers map each finding back to the template line (or to the
`#include` that brought a header's line in), a failing preprocessor is one KL002, and
the result equals linting the script `cpp -P` generates and GNU ld links."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kernlint.config import Config, ConfigError, load_config
from kernlint.engine import run, select_rules
from kernlint.ldscript.preprocess import line_map, parse_command
from tests.conftest import kernlint

pytestmark = pytest.mark.skipif(not shutil.which("cpp"), reason="needs cpp")
CPP = ("cpp", "-undef", "-x", "c", "-I", "include", "-DCONFIG_DATA")

TEMPLATE = """/* A template of our own: a header, a macro per line, a block. */
#include "layout.h"
ENTRY(_start)
SECTIONS
{
    . = KERNEL_BASE;
    .text : { TEXT_SECTIONS }
#ifdef CONFIG_DATA
    DATA_SECTION(.data)
#endif
#include "sections.h"
    .bss : { *(.bss .bss.*) *(COMMON) }
}
"""
LAYOUT_H = """#define KERNEL_BASE 0x100000
#define TEXT_SECTIONS *(.text)
#define DATA_SECTION(name) \\
    name : { *(name) }
"""
SECTIONS_H = "    .rodata : { *(.rodata) }\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "layout.h").write_text(LAYOUT_H)
    (tmp_path / "include" / "sections.h").write_text(SECTIONS_H)
    (tmp_path / "kernel.lds.S").write_text(TEMPLATE)
    return tmp_path


def lint(path, command=CPP, rules=()) -> list:
    config = Config(preprocessor=tuple(command), root=str(path.parent), path=str(path.parent))
    return run([str(path)], select_rules(list(rules)), config).findings


def test_findings_at_template_lines(project):
    found = [(f.rule, f.location.line, f.location.column) for f in lint(project / "kernel.lds.S")]
    assert ("KL201", 7, 5) in found  # `.text : { TEXT_SECTIONS }`
    assert ("KL201", 9, 5) in found  # DATA_SECTION(.data), a macro
    assert ("KL201", 11, 1) in found  # from sections.h, at its #include
    assert not any(rule in ("KL217", "KL212", "KL002") for rule, _, _ in found)


def test_header_and_macro_lines_say_where_they_came_from(project):
    by_line = {f.location.line: f for f in lint(project / "kernel.lds.S", rules=["KL201"])}
    assert by_line[11].message.endswith("(from include/sections.h:1)")
    assert by_line[9].message.endswith("(preprocessed: `.data : { *(.data) }`)")


@pytest.mark.skipif(not shutil.which("ld"), reason="needs GNU ld")
def test_same_findings_as_the_generated_script(project):
    """`cpp -P` writes the script the build links (GNU ld links it); linting the
    template through the preprocessor finds the same, at the template's lines."""
    subprocess.run(
        ["cpp", "-P", *CPP[1:], "kernel.lds.S", "-o", "kernel.ld"], cwd=project, check=True
    )
    (project / "k.s").write_text(".text\n.globl _start\n_start: hlt\n.data\n.quad 1\n")
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=project, check=True)
    proc = subprocess.run(
        ["ld", "-m", "elf_x86_64", "-T", "kernel.ld", "-o", "k.elf", "k.o"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert proc.returncode == 0, proc.stderr
    generated = run([str(project / "kernel.ld")], select_rules([])).findings
    through = lint(project / "kernel.lds.S")
    strip = lambda m: m.split(" (from ")[0].split(" (preprocessed: ")[0]  # noqa: E731
    assert sorted((f.rule, strip(f.message)) for f in generated) == sorted(
        (f.rule, strip(f.message)) for f in through
    )


def test_a_failing_preprocessor_is_one_kl002(project):
    (f,) = lint(project / "kernel.lds.S", command=("cpp", "-undef", "-x", "c"))
    assert (f.rule, f.severity, f.location.line) == ("KL002", "error", 2)
    assert f.message.startswith("preprocessor `cpp` failed (exit status 1):")
    assert "layout.h: No such file or directory" in f.message


def test_a_missing_preprocessor(project):
    (f,) = lint(project / "kernel.lds.S", command=("no-such-cpp-here",))
    assert f.rule == "KL002" and "preprocessor `no-such-cpp-here` not found" in f.message


def test_a_syntax_error_in_the_output_is_at_the_template_line(project):
    (project / "bad.lds.S").write_text('#include "layout.h"\nSECTIONS\n{\n  .text : { *(.text)\n')
    (f,) = lint(project / "bad.lds.S", rules=["KL002"])
    assert f.rule == "KL002" and f.location.line in (4, 5)


def test_leftover_markers_after_cpp_are_kl212(project):
    (project / "m.lds.S").write_text('#include "layout.h"\nSECTIONS { . = @BASE@; }\n')
    (f,) = lint(project / "m.lds.S", rules=["KL212"])
    assert f.location.line == 2 and "`@BASE@` is a template marker" in f.message
    assert "configured preprocessor" in f.fix


def test_plain_scripts_are_not_preprocessed(project):
    (project / "plain.ld").write_text("ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n")
    assert lint(project / "plain.ld", command=("false",)) == []


def test_suppressions_in_the_template(project):
    text = TEMPLATE.replace(
        "    .text : { TEXT_SECTIONS }",
        "    /* kernlint: ignore[KL201] */\n    .text : { TEXT_SECTIONS }",
    )
    (project / "kernel.lds.S").write_text(text)
    lines = [f.location.line for f in lint(project / "kernel.lds.S", rules=["KL201"])]
    assert 8 not in lines and 10 in lines


def test_line_map():
    out = '# 0 "t.S"\n# 1 "t.S"\nA\n# 1 "h.h" 1\nB\n# 3 "t.S" 2\nC\n'
    m = line_map(out)
    assert (m.origin(3).file, m.origin(3).line) == ("t.S", 1)
    assert (m.origin(5).file, m.origin(5).line, m.origin(5).via) == ("h.h", 1, (("t.S", 2),))
    assert (m.origin(7).file, m.origin(7).line, m.origin(7).via) == ("t.S", 3, ())
    assert m.origin(1) is None and m.origin(99) is None


def test_commands():
    assert parse_command("cpp -P -undef -I 'my dir'") == ("cpp", "-undef", "-I", "my dir")
    for bad in ([], "", ["cpp", "-o", "x.ld"], ["cpp", "-ox.ld"], ["cpp", "-MD"], [1]):
        with pytest.raises(ValueError):
            parse_command(bad)


def test_configuration(tmp_path):
    (tmp_path / "kernlint.toml").write_text(
        'preprocessor = ["cpp", "-undef"]\n'
        '[per-path-preprocessor]\n"boards/**" = ["cpp", "-DBOARD"]\n'
        '[[target]]\nimage = "k.elf"\nscript = "arch/k.lds.S"\npreprocessor = ["gcc", "-E"]\n'
    )
    config = load_config(tmp_path / "kernlint.toml")
    assert config.preprocessor_for(str(tmp_path / "arch/k.lds.S")) == ("gcc", "-E")
    assert config.preprocessor_for(str(tmp_path / "boards/x/b.lds.S")) == ("cpp", "-DBOARD")
    assert config.preprocessor_for(str(tmp_path / "other.lds.S")) == ("cpp", "-undef")
    (tmp_path / "kernlint.toml").write_text('preprocessor = "cpp -undef"\n')
    with pytest.raises(ConfigError, match="as a list of strings"):
        load_config(tmp_path / "kernlint.toml")
    (tmp_path / "kernlint.toml").write_text('preprocessor = ["cpp", "-o", "out.ld"]\n')
    with pytest.raises(ConfigError, match="standard output"):
        load_config(tmp_path / "kernlint.toml")


def test_command_line(project):
    path = str(project / "kernel.lds.S")
    command = " ".join(CPP).replace("-I include", f"-I {project / 'include'}")
    done = kernlint("check", "--format", "json", "--preprocessor", command, path)
    assert "KL201" in done.rules and "KL217" not in done.rules
    assert {f["location"]["line"] for f in done.report["findings"]} >= {7, 9, 11}
    bad = kernlint("check", "--preprocessor", "cpp -o x.ld", path)
    assert bad.code == 2 and "standard output" in bad.stderr


def test_lines_named_in_messages_are_template_lines(project):
    """The output's line numbers differ from the template's (markers, the header):
    a line a message names is mapped too."""
    text = '#include "layout.h"\n#define X 1\nSECTIONS\n{\n  .text : { *(.text)\n  x = 1;\n'
    (project / "open.lds.S").write_text(text)
    (f,) = lint(project / "open.lds.S", rules=["KL002"])
    assert "opened at 5:" in f.message or "line 5" in f.message, f.message


def test_header_lines_named_in_messages(project):
    (project / "include" / "bss.h").write_text(
        "  .bss : {\n    bss_start = .;\n    *(.bss)\n    bss_end = .;\n  }\n"
    )
    (project / "b.lds.S").write_text('SECTIONS\n{\n#include "bss.h"\n}\n')
    (f,) = lint(project / "b.lds.S", rules=["KL215"])
    assert f.location.line == 3
    assert "`bss_start` (include/bss.h:2)" in f.message, f.message
