"""A script the build generated with cpp without -P: its line markers lead findings back
to the template (issue #13 item 4); with -P, or with the template gone, findings stay
at the generated file."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kernlint.engine import run, select_rules

TEMPLATE = (
    "#define BASE 0x100000\nENTRY(_start)\nSECTIONS {\n  . = BASE;\n"
    "  .text : { *(.text .text.*) }\n  x = 010;\n}\n"
)

needs_cpp = pytest.mark.skipif(not shutil.which("cpp"), reason="needs cpp")


def _kl214(path) -> list:
    return run([str(path)], select_rules(["KL214"])).findings


@needs_cpp
def test_findings_go_to_the_template_line(tmp_path):
    (tmp_path / "kernel.lds.S").write_text(TEMPLATE)
    out = tmp_path / "build" / "kernel.lds"
    out.parent.mkdir()
    cmd = ["cpp", "-undef", "-x", "c", "kernel.lds.S", "-o", str(out)]
    subprocess.run(cmd, cwd=tmp_path, check=True)
    assert '# 1 "kernel.lds.S"' in out.read_text()
    (f,) = _kl214(out)
    assert f.path.endswith("kernel.lds.S") and (f.location.line, f.location.column) == (6, 7)
    # The template moved away: the generated file is all there is.
    (tmp_path / "kernel.lds.S").rename(tmp_path / "elsewhere.S")
    (f,) = _kl214(out)
    assert f.path == str(out) and f.location.line > 6


@needs_cpp
def test_without_line_markers_findings_stay_at_the_generated_file(tmp_path):
    (tmp_path / "kernel.lds.S").write_text(TEMPLATE)
    out = tmp_path / "kernel.lds"
    subprocess.run(["cpp", "-P", "-undef", "-x", "c", "kernel.lds.S", "-o", str(out)], cwd=tmp_path)
    (f,) = _kl214(out)
    assert f.path == str(out)
