import re
import shutil
import subprocess

import pytest

from tests.bootproto.build import findings, kernel, mb1, mb2, move_phdrs, tag
from tests.conftest import findings_of, kernlint, needs_toolchain, sample

BAD = sample("kl410", "bad-phdrs-far.elf")
GOOD = sample("kl410", "good.elf")


def test_phdrs_at_the_end_of_the_file():
    (f,) = findings_of(BAD, "KL410")
    assert "ends at file offset 0x33ac (e_phoff 0x338c + e_phnum 1 x e_phentsize 32)" in (f.message)
    assert "5036 bytes past the first 8192 bytes GRUB reads for Multiboot 1" in f.message
    assert 'GRUB: "program header at a too high offset."' in f.message
    assert f.location.offset == 0x338C
    assert "offset 52, right after the ELF header" in f.fix


def test_good_twin_is_silent():
    assert findings_of(GOOD, "KL4") == []


@pytest.mark.skipif(shutil.which("grub-file") is None, reason="grub-file is not installed")
def test_grub_file_cannot_tell():
    for path in (BAD, GOOD):
        assert subprocess.run(["grub-file", "--is-x86-multiboot", str(path)]).returncode == 0


def test_boot_protocol_none_silences_it():
    run = kernlint("check", "--format", "json", "--boot-protocol", "none", str(BAD))
    assert run.code == 0 and run.report["findings"] == []


@needs_toolchain
def test_multiboot2_window_is_32k(tmp_path):
    elf = kernel(tmp_path, mb2())
    assert findings(move_phdrs(elf, 20000), "KL410") == []
    far = move_phdrs(elf, 40000)
    (f,) = findings(far, "KL410")
    assert "past the first 32768 bytes GRUB reads for Multiboot 2" in f.message


@needs_toolchain
def test_both_protocols_each_with_its_window(tmp_path):
    far = move_phdrs(kernel(tmp_path, mb2() + mb1(3)), 20000)
    (f,) = findings(far, "KL410")  # too far for Multiboot 1 only
    assert "for Multiboot 1" in f.message


@needs_toolchain
def test_explicit_protocol(tmp_path):
    far = move_phdrs(kernel(tmp_path, mb1(3), align=4), 20000)
    assert findings(far, "KL410", "multiboot2") == []
    assert len(findings(far, "KL410", "multiboot1")) == 1


@needs_toolchain
def test_loaders_that_skip_the_elf(tmp_path):
    aout = (0x100000, 0x100000, 0, 0, 0x100020)
    kludge = move_phdrs(kernel(tmp_path, mb1(0x10003, aout=aout), align=4), 20000)
    assert findings(kludge, "KL410") == []  # a.out kludge: GRUB never reads the phdrs
    address = mb2(tag(2, 0x100000, 0x100000, 0, 0), tag(3, 0x100040))
    tagged = move_phdrs(kernel(tmp_path, address, name="tagged"), 40000)
    assert findings(tagged, "KL410") == []  # address tag: likewise


@needs_toolchain
def test_too_many_program_headers(tmp_path):
    entries = " ".join(f"n{i} PT_NULL;" for i in range(300))
    elf = kernel(tmp_path, mb1(3), align=4, phdrs=f"p0 PT_LOAD FLAGS(5); {entries}")
    (f,) = findings(elf, "KL410", "multiboot1")
    assert "e_phnum 301 alone needs 9632 bytes" in f.message
    assert f.fix.startswith("drop unused PHDRS entries")


def test_log_pattern_matches_grubs_line():
    from kernlint.rules import kl410_multiboot_phdrs_out_of_reach as rule

    (p,) = rule.LOG_PATTERNS
    assert re.search(p.regex, p.sample)
