import re
import shutil
import subprocess

import pytest

from tests.bootproto.build import findings, kernel, mb1, mb2
from tests.conftest import findings_of, kernlint, needs_toolchain, sample

BAD = sample("kl403", "bad-header-past-8k.elf")
GOOD = sample("kl403", "good.elf")


def test_header_pushed_past_8k():
    (f,) = findings_of(BAD, "KL403")
    assert "the Multiboot 1 header is at file offset 0x42f0 (17136 bytes)" in f.message
    assert "beyond the first 8192 bytes that GRUB and QEMU search" in f.message
    assert "output section .multiboot put it there, after .text (13040 bytes)" in f.message
    assert f.message.endswith('GRUB: "no multiboot header found."')
    loc = f.location
    assert (loc.section, loc.offset, loc.address, loc.symbol) == (
        ".multiboot",
        0x42F0,
        0x1032F0,
        "mb1_header",
    )
    assert "`KEEP(*(.multiboot))` as the first statement" in f.fix and "KL202" in f.fix


def test_good_twin_is_silent():
    assert findings_of(GOOD, "KL4") == []


@pytest.mark.skipif(shutil.which("grub-file") is None, reason="grub-file is not installed")
def test_grub_file_agrees():
    for path, yes in ((BAD, False), (GOOD, True)):
        proc = subprocess.run(["grub-file", "--is-x86-multiboot", str(path)])
        assert proc.returncode == (0 if yes else 1), path


def test_boot_protocol_none_silences_it():
    run = kernlint("check", "--format", "json", "--boot-protocol", "none", str(BAD))
    assert run.code == 0 and run.report["findings"] == []


def test_an_explicit_protocol_reports_a_header_that_is_not_there():
    mb2_only = sample("kl401", "good-header-first.elf")
    assert findings(mb2_only, "KL403") == []
    (f,) = findings(mb2_only, "KL403", "multiboot1")
    assert "no Multiboot 1 header (magic 0x1BADB002 with a zero checksum)" in f.message
    assert "in the first 8192 bytes of the file, nor further in" in f.message
    run = kernlint("check", "--format", "json", "--boot-protocol", "multiboot1", str(mb2_only))
    assert run.code == 1 and "KL403" in run.rules


@needs_toolchain
def test_in_grubs_window_but_not_qemus(tmp_path):
    # 0x1000 + 4052 = 8148: its 12 bytes end by 8192 (GRUB), but QEMU stops at 8144
    (f,) = findings(kernel(tmp_path, mb1(3), align=4, before=4052), "KL403")
    assert "file offset 0x1fd4 is in the last 48 bytes of the 8192-byte window" in f.message
    assert "QEMU -kernel scans only offsets below 0x1fd0" in f.message
    assert findings(kernel(tmp_path, mb1(3), align=4, before=4044, name="k2"), "KL403") == []


@needs_toolchain
def test_bad_checksum_in_the_window_is_kl404s(tmp_path):
    elf = kernel(tmp_path, mb1(3, checksum=0))
    assert findings(elf, "KL403") == [] and findings(elf, "KL404")


@needs_toolchain
def test_mb2_header_alone_does_not_make_it_multiboot1(tmp_path):
    assert findings(kernel(tmp_path, mb2()), "KL403") == []


def test_grubs_line_is_declared_once_by_kl401():
    from kernlint.rules import kl401_multiboot2_header_missing as kl401
    from kernlint.rules import kl403_multiboot1_header_missing as rule

    assert rule.LOG_PATTERNS == ()
    (p,) = kl401.LOG_PATTERNS
    assert "KL403" in p.related and re.search(p.regex, "error: no multiboot header found.")
