"""KL210 reports what `ld --orphan-handling=warn` lists (input sections with
contents), before linking, with where ld puts them."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

KERNEL = """\
.section .text,"ax",@progbits
.globl _start
_start: call kmain
.section .text.kmain,"ax",@progbits
.globl kmain
kmain: ret
.section .rodata.str,"a",@progbits
.asciz "hi"
.section .data.rel,"aw",@progbits
.quad 1
.section .bss.buf,"aw",@nobits
.zero 64
.section .text.empty,"ax",@progbits
"""
SCRIPT = """ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .text : { *(.text) }
  .rodata : { *(.rodata) }
  .data : { *(.data) }
  .bss : { *(.bss) }
}
"""


def _findings(tmp_path, *objects):
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    config = Config(objects=tuple(str(tmp_path / o) for o in objects))
    return run([str(tmp_path / "link.ld")], select_rules(["KL210"]), config).findings


def test_matches_ld_orphan_handling_warn(tmp_path):
    (tmp_path / "k.s").write_text(KERNEL)
    (tmp_path / "link.ld").write_text(SCRIPT)
    subprocess.run(["as", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    ld = subprocess.run(
        [
            "ld",
            "-z",
            "noexecstack",
            "--orphan-handling=warn",
            "-T",
            "link.ld",
            "-o",
            "k.elf",
            "k.o",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    warned = set(
        re.findall(
            r"orphan section `([^']+)' from `[^']+' being placed in section `([^']+)'", ld.stderr
        )
    )
    # ld also lists what it creates itself and empty sections; KL210 leaves those out.
    with_contents = {".text.kmain", ".rodata.str", ".data.rel", ".bss.buf"}
    expected = {(s, o) for s, o in warned if s in with_contents}
    assert {s for s, _ in expected} == with_contents
    found = _findings(tmp_path, "k.o")
    got = set()
    for f in found:
        m = re.search(r"input section (\S+) of .* output section (\S+?)[,)]?(?: |$)", f.message)
        got.add((m.group(1), m.group(2).rstrip(",")))
    assert got == expected, [f.message for f in found]
    placed = {f.message.split()[2]: f.message for f in found}
    assert "placed after .text" in placed[".text.kmain"]
    assert "placed after .data" in placed[".data.rel"]


def test_sample(tmp_path):
    from kernlint.engine import run, select_rules

    bad = run([str(sample("kl210", "bad-text-only.ld"))], select_rules(["KL210"])).findings
    assert sorted(f.message.split()[2] for f in bad) == [".rodata.banner", ".text.kmain"]
    good = run([str(sample("kl210", "good-wildcards.ld"))], select_rules(["KL210"])).findings
    assert good == []


def test_no_objects_no_layout(tmp_path):
    (tmp_path / "link.ld").write_text(SCRIPT)
    assert _findings(tmp_path) == []


def test_log_pattern_matches_real_ld_line():
    from kernlint.rules import kl210_orphan_section as rule

    for pattern in rule.LOG_PATTERNS:
        assert re.search(pattern.regex, pattern.sample)
