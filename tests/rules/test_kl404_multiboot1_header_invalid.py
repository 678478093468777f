import re
import shutil
import subprocess

import pytest

from tests.bootproto.build import findings, kernel, mb1
from tests.conftest import findings_of, kernlint, needs_toolchain, sample


def messages(name: str) -> list[str]:
    return [f.message for f in findings_of(sample("kl404", name), "KL404")]


def test_bad_checksum():
    (f,) = findings_of(sample("kl404", "bad-checksum.elf"), "KL404")
    assert "at file offset 0x1000 has checksum 0xe4524ff7, should be 0xe4524ffb" in f.message
    assert "for flags 0x00000003" in f.message and "the sum is 0xfffffffc" in f.message
    assert 'GRUB: "no multiboot header found."' in f.message
    assert f.location.section == ".text" and f.location.offset == 0x1000
    assert "-(0x1BADB002 + FLAGS)" in f.fix


def test_unsupported_flag():
    (f,) = findings_of(sample("kl404", "bad-unsupported-flag.elf"), "KL404")
    assert "has flags 0x0000000b: required bits 0x8 (in 0x0000fff8)" in f.message
    assert 'GRUB: "unsupported flag: 0xb."' in f.message
    assert "clear bits 0x8: flags 0x00000003" in f.fix


def test_aout_header_addr_disagrees_with_the_program_headers():
    shifted, past_eof = messages("bad-aout-header-addr.elf")
    assert "header_addr is 0x100000, but the program headers load the header at 0x1002f0" in (
        shifted
    )
    assert "copy the file from offset 0x12f0 to load_addr 0x100000" in shifted
    assert "every byte lands 0x2f0 bytes below" in shifted
    assert "0x310 bytes from file offset 0x12f0 run 0xc8 bytes past the end of the file" in (
        past_eof
    )
    assert 'QEMU: "fread() failed"' in past_eof


def test_aout_load_addr_above_header_addr():
    (m,) = messages("bad-aout-load-addr.elf")
    assert "header_addr 0x100000 is below load_addr 0x100020" in m
    assert 'QEMU: "invalid load_addr address"' in m


def test_good_twins_are_silent():
    for name in ("good.elf", "good-aout.elf"):
        assert findings_of(sample("kl404", name), "KL4") == [], name


@pytest.mark.skipif(shutil.which("grub-file") is None, reason="grub-file is not installed")
def test_grub_file_sees_only_magic_and_checksum():
    for name in ("bad-checksum.elf", "bad-unsupported-flag.elf", "bad-aout-load-addr.elf"):
        proc = subprocess.run(["grub-file", "--is-x86-multiboot", str(sample("kl404", name))])
        assert proc.returncode == (1 if name == "bad-checksum.elf" else 0), name


def test_boot_protocol_none_silences_it():
    path = str(sample("kl404", "bad-unsupported-flag.elf"))
    run = kernlint("check", "--format", "json", "--boot-protocol", "none", path)
    assert run.code == 0 and run.report["findings"] == []


@needs_toolchain
def test_video_mode_type(tmp_path):
    elf = kernel(tmp_path, mb1(0x4, video=(2, 0, 0, 0)), align=4)
    (f,) = findings(elf, "KL404")
    assert "mode_type 2" in f.message and 'GRUB: "unsupported graphical mode type 2."' in f.message
    ok = kernel(tmp_path, mb1(0x4, video=(1, 80, 25, 0)), align=4, name="ok")
    assert findings(ok, "KL404") == []


@needs_toolchain
def test_a_valid_header_after_a_broken_one_is_taken(tmp_path):
    assert findings(kernel(tmp_path, mb1(3, checksum=0) + mb1(3), align=4), "KL404") == []


@needs_toolchain
def test_aout_that_matches_the_file(tmp_path):
    # header first at 0x100000 (file 0x1000): load from there to the end of the file
    aout = (0x100000, 0x100000, 0, 0, 0x100020)
    assert findings(kernel(tmp_path, mb1(0x10000, aout=aout), align=4), "KL404") == []


@needs_toolchain
@pytest.mark.parametrize(
    ("aout", "expected"),
    [
        ((0x100000, 0x100000, 0xFF000, 0, 0x100020), '"invalid load_end_addr address"'),
        ((0x100000, 0x100000, 0x100100, 0x100080, 0x100020), '"invalid bss_end_addr address"'),
        ((0x102000, 0x100000, 0, 0, 0x100020), '"invalid header_addr address"'),
        ((0x100000, 0x100000, 0x100100, 0, 0x300000), "entry_addr 0x300000 is not inside"),
    ],
    ids=["load-end", "bss-end", "header-addr", "entry"],
)
def test_aout_problems_in_built_kernels(tmp_path, aout, expected):
    found = findings(kernel(tmp_path, mb1(0x10000, aout=aout), align=4), "KL404")
    assert any(expected in f.message for f in found), [f.message for f in found]


@needs_toolchain
def test_aout_flag_without_the_fields(tmp_path):
    # 12 bytes of header appended at the very end of a small file: GRUB finds it (it
    # reads the file), but the five address fields flag 16 announces are not there
    elf = kernel(tmp_path, b"")
    data = elf.read_bytes()
    elf.write_bytes(data + bytes(-len(data) % 4) + mb1(0x10000))
    (f,) = findings(elf, "KL404", "multiboot1")
    assert "flags bit 16 (a.out kludge) is set" in f.message
    assert "the file ends before its 20 bytes of address fields" in f.message


def test_log_patterns_match_the_loaders_lines():
    from kernlint.rules import kl404_multiboot1_header_invalid as rule

    for p in rule.LOG_PATTERNS:
        m = re.search(p.regex, p.sample)
        assert m, p
        p.explain.format(**m.groupdict())
    for line in (
        "error: unsupported flag: 0x8.",
        "qemu-system-x86_64: invalid load_addr address",
        "qemu-system-x86_64: invalid bss_end_addr address",
    ):
        assert any(re.search(p.regex, line) for p in rule.LOG_PATTERNS), line
