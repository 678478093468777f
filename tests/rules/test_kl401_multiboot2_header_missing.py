import re
import shutil
import subprocess

import pytest

from tests.bootproto.build import findings, kernel, mb1, mb2
from tests.conftest import findings_of, kernlint, needs_toolchain, sample

BAD = sample("kl401", "bad-header-past-32k.elf")
GOOD = sample("kl401", "good-header-first.elf")


def test_header_pushed_past_32k():
    (f,) = findings_of(BAD, "KL401")
    assert "the Multiboot 2 header is at file offset 0xb5e0 (46560 bytes)" in f.message
    assert "beyond the first 32768 bytes that GRUB searches" in f.message
    assert "output section .multiboot2 put it there, after .text (42464 bytes)" in f.message
    assert f.message.endswith('GRUB: "no multiboot header found."')
    loc = f.location
    assert (loc.section, loc.offset, loc.address, loc.symbol) == (
        ".multiboot2",
        0xB5E0,
        0x10A5E0,
        "mb2_header",
    )
    assert "`KEEP(*(.multiboot2))` as the first statement" in f.fix and "KL202" in f.fix


def test_good_twin_is_silent():
    assert findings_of(GOOD, "KL4") == []


@pytest.mark.skipif(shutil.which("grub-file") is None, reason="grub-file is not installed")
def test_grub_file_agrees():
    for path, yes in ((BAD, False), (GOOD, True)):
        proc = subprocess.run(["grub-file", "--is-x86-multiboot2", str(path)])
        assert proc.returncode == (0 if yes else 1), path


def test_boot_protocol_none_silences_it():
    run = kernlint("check", "--format", "json", "--boot-protocol", "none", str(BAD))
    assert run.code == 0 and run.report["findings"] == []


def test_an_explicit_protocol_reports_a_header_that_is_not_there():
    mb1_only = sample("kl403", "good.elf")
    assert findings(mb1_only, "KL401") == []  # auto: a Multiboot 1 kernel
    (f,) = findings(mb1_only, "KL401", "multiboot2")
    assert "no Multiboot 2 header (magic 0xE85250D6, architecture 0, zero checksum)" in f.message
    assert "in the first 32768 bytes of the file, nor further in" in f.message
    assert f.location.offset == 0 and "KEEP(*(.multiboot2))" in f.fix
    run = kernlint("check", "--format", "json", "--boot-protocol", "multiboot2", str(mb1_only))
    assert run.code == 1 and run.rules == {"KL401"}


@needs_toolchain
def test_header_inside_text(tmp_path):
    (f,) = findings(kernel(tmp_path, mb2(), before=40000), "KL401")
    assert "file offset 0xac40 (44096 bytes)" in f.message  # 0x1000 + 40000
    assert "output section .text put it there, 40000 bytes into it;" in f.message
    assert f.location.section == ".text" and f.location.address == 0x100000 + 40000
    assert "KEEP(*(.multiboot2))" in f.fix  # .text is no header section's name


@needs_toolchain
def test_bad_checksum_in_the_window_is_kl402s(tmp_path):
    elf = kernel(tmp_path, mb2(checksum=1))
    assert findings(elf, "KL401") == []
    assert findings(elf, "KL402")


@needs_toolchain
def test_bad_one_in_the_window_and_a_valid_one_beyond(tmp_path):
    elf = kernel(tmp_path, mb2(checksum=1) + bytes(40000) + mb2())
    (f,) = findings(elf, "KL401")
    assert "file offset 0xac58 (44120 bytes)" in f.message  # 0x1000 + 24 + 40000
    assert len(findings(elf, "KL402")) == 1


@needs_toolchain
def test_elf64(tmp_path):
    (f,) = findings(kernel(tmp_path, mb2(), before=33000, elf64=True), "KL401")
    assert "beyond the first 32768 bytes" in f.message


def test_log_pattern_matches_grubs_line():
    from kernlint.rules import kl401_multiboot2_header_missing as rule

    for p in rule.LOG_PATTERNS:
        assert re.search(p.regex, p.sample), p
    assert any(re.search(p.regex, "error: no multiboot header found.") for p in rule.LOG_PATTERNS)


@needs_toolchain
def test_mb1_header_alone_does_not_make_it_multiboot2(tmp_path):
    assert findings(kernel(tmp_path, mb1(3)), "KL401") == []
