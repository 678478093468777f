"""KL209 evaluates each ASSERT on the predicted layout; it fires exactly when GNU ld
stops with the assertion's message."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

CODE = """\
.section .text,"ax",@progbits
.globl _start
_start: .fill {size},1,0x90
.section .data,"aw",@progbits
.quad 1
"""
SCRIPT = """ENTRY(_start)
SECTIONS {{
  . = 0x100000;
  .text : {{ *(.text) }}
  _etext = .;
  .data : {{ *(.data) ASSERT(. - ADDR(.text) < {limit}, "image too big"); }}
  ASSERT(SIZEOF(.text) <= 0x100, "text over budget")
  ASSERT(_etext == ADDR(.text) + SIZEOF(.text), "etext wrong")
}}
"""


@pytest.mark.parametrize(
    "size, limit", [(0x80, 0x1000), (0x180, 0x1000), (0x80, 0x40), (0x180, 0x40)]
)
def test_agrees_with_ld(tmp_path, size, limit):
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    (tmp_path / "k.s").write_text(CODE.format(size=size))
    (tmp_path / "link.ld").write_text(SCRIPT.format(limit=hex(limit)))
    subprocess.run(["as", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    ld = subprocess.run(
        ["ld", "-z", "noexecstack", "-T", "link.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    ld_messages = {
        m for m in ("image too big", "text over budget", "etext wrong") if f"ld: {m}" in ld.stderr
    }
    config = Config(objects=(str(tmp_path / "k.o"),))
    found = run([str(tmp_path / "link.ld")], select_rules(["KL209"]), config).findings
    messages = {f.message.split('"')[1] for f in found}
    assert messages == ld_messages, ld.stderr
    assert (ld.returncode != 0) == bool(found)


def test_sample():
    from kernlint.engine import run, select_rules

    bad = run([str(sample("kl209", "bad-boot-too-big.ld"))], select_rules(["KL209"])).findings
    assert len(bad) == 1 and bad[0].location.line == 5
    good = run([str(sample("kl209", "good-boot-fits.ld"))], select_rules(["KL209"])).findings
    assert good == []


# Outside output sections GNU ld reads a number as an absolute address (ld manual
# "Expression Section"; ldexp.c etree_value: new_abs), so a symbol relative to an
# output section is compared by its address, not by its offset in the section: the
# shape of Linux's x86 setup.ld (`. = ASSERT(hdr == 0x1f1, ...)`) and arm64's
# `ASSERT(_text == KIMAGE_VADDR, "HEAD is misaligned")`.
ABSOLUTE_CODE = """\
.section .header,"a",@progbits
.byte 0
.globl hdr
hdr: .byte 0x55
.section .head.text,"ax",@progbits
.globl _start
_start: nop
"""
ABSOLUTE_SCRIPT = """ENTRY(_start)
SECTIONS {{
  . = {base:#x};
  .header : {{ *(.header) }}
  . = ASSERT(hdr == 0x1f1, "The setup header has the wrong offset!");
  . = 0xffff800008000000;
  .head.text : {{ _text = .; *(.head.text) }}
  ASSERT(_text == 0xffff800008000000, "HEAD is misaligned")
  ASSERT((hdr & 0xfff) == 0x1f1, "masked")
}}
"""


@pytest.mark.parametrize("base, fails", [(0x1F0, False), (0x1F1, True)])
def test_numbers_outside_sections_are_absolute(tmp_path, base, fails):
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    (tmp_path / "k.s").write_text(ABSOLUTE_CODE)
    (tmp_path / "link.ld").write_text(ABSOLUTE_SCRIPT.format(base=base))
    subprocess.run(["as", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    ld = subprocess.run(
        ["ld", "-z", "noexecstack", "-T", "link.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    expected = {"The setup header has the wrong offset!", "masked"} if fails else set()
    assert {m for m in expected | {"HEAD is misaligned"} if f"ld: {m}" in ld.stderr} == expected
    assert (ld.returncode != 0) == fails, ld.stderr
    config = Config(objects=(str(tmp_path / "k.o"),))
    found = run([str(tmp_path / "link.ld")], select_rules(["KL209"]), config).findings
    assert {f.message.split('"')[1] for f in found} == expected
