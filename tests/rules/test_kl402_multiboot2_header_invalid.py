import re
import shutil
import subprocess

import pytest

from tests.bootproto.build import findings, kernel, mb2, tag
from tests.conftest import findings_of, kernlint, needs_toolchain, sample

PREFIX = "Multiboot 2 header at file offset 0x1000: "


def messages(name: str) -> list[str]:
    out = [f.message for f in findings_of(sample("kl402", name), "KL402")]
    assert all(m.startswith(PREFIX) for m in out), out
    return [m.removeprefix(PREFIX) for m in out]


def test_bad_checksum():
    (m,) = messages("bad-checksum.elf")
    assert "checksum is 0x17adaf2a, should be 0x17adaf12" in m
    assert "header_length 24" in m and "the sum is 0x00000018" in m
    assert m.endswith('GRUB: "no multiboot header found."')


def test_architecture_4():
    (m,) = messages("bad-arch4.elf")
    assert m.startswith("architecture is 4 (MIPS32), not 0")
    assert 'GRUB: "no multiboot header found."' in m


def test_unknown_tag():
    (f,) = findings_of(sample("kl402", "bad-unknown-tag.elf"), "KL402")
    assert "the tag at offset 0x1010 has type 11" in f.message
    assert 'GRUB: "unsupported tag: 0xb."' in f.message
    assert f.location.offset == 0x1010 and f.location.address == 0x100010
    assert "`.short TYPE, 1`" in f.fix


def test_address_tag_without_entry_tag():
    (m,) = messages("bad-address-without-entry.elf")
    assert "an address tag (type 2, at offset 0x1010) without an entry address tag" in m
    assert 'GRUB: "load address tag without entry address tag."' in m


def test_misaligned_tag():
    first, *rest = messages("bad-misaligned-tag.elf")
    assert "the entry address tag at offset 0x1010 has size 12" in first
    assert "next tag starts 8-byte aligned at 0x1020" in first and "`.balign 8`" in first
    assert "a tag header sits unaligned right after it, at 0x101c" in first
    assert any('GRUB: "unsupported tag: 0x8."' in m for m in rest)
    assert all(m.startswith("what GRUB reads as a tag at offset 0x1020") for m in rest)


def test_relocatable_range():
    (f,) = findings_of(sample("kl402", "bad-reloc-range.elf"), "KL402")
    assert "allows [min_addr 0x200000, max_addr 0x200000], 0x0 bytes" in f.message
    assert "the image needs 0x61c bytes" in f.message
    assert "from p_paddr 0x100000 to 0x10061c over its PT_LOAD segments" in f.message
    assert 'GRUB: "invalid min/max address and/or load size."' in f.message
    assert "at least min_addr + 0x61c (e.g. 0x201000)" in f.fix
    assert f.location.offset == 0x1010


def test_good_twin_is_silent():
    assert findings_of(sample("kl402", "good.elf"), "KL4") == []


@pytest.mark.skipif(shutil.which("grub-file") is None, reason="grub-file is not installed")
def test_grub_file_sees_only_magic_and_checksum():
    for name, yes in (("bad-checksum.elf", False), ("bad-arch4.elf", True), ("good.elf", True)):
        path = sample("kl402", name)
        proc = subprocess.run(["grub-file", "--is-x86-multiboot2", str(path)])
        assert proc.returncode == (0 if yes else 1), name


def test_boot_protocol_none_silences_it():
    run = kernlint(
        "check",
        "--format",
        "json",
        "--boot-protocol",
        "none",
        str(sample("kl402", "bad-arch4.elf")),
    )
    assert run.code == 0 and run.report["findings"] == []


@needs_toolchain
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (mb2(tag(1, 6, 13)), 'GRUB: "unsupported information tag: 0xd."'),
        (mb2(tag(8, 0x100000)), 'GRUB: "unsupported tag: 0x8."'),
        (mb2(tag(6), length=40), "header_length is 40 bytes but the end tag ends 32 bytes"),
        (mb2(tag(3, 0x100000, 0)), "has size 16, the spec defines 12"),
        (mb2(tag(6, size=0)), "loops on it forever"),
        (mb2(tag(6), end=False) + tag(11, flags=1) * 600, "no end tag (type 0, size 8)"),
    ],
    ids=["info-13", "tag-8", "length", "size", "size-0", "no-end"],
)
def test_defects_in_built_kernels(tmp_path, header, expected):
    found = findings(kernel(tmp_path, header), "KL402")
    assert any(expected in f.message for f in found), [f.message for f in found]


@needs_toolchain
def test_optional_and_well_formed_tags_are_fine(tmp_path):
    header = mb2(tag(1, 6, 13, flags=1), tag(11, 1, flags=1), tag(5, 0, 0, 32, flags=1))
    assert findings(kernel(tmp_path, header), "KL402") == []


@needs_toolchain
def test_relocatable_range_that_fits(tmp_path):
    elf = kernel(tmp_path, mb2(tag(10, 0x200000, 0x400000, 0x1000, 1)))
    assert findings(elf, "KL402") == []


@needs_toolchain
def test_relocatable_size_from_the_address_tag(tmp_path):
    # header_addr 0x100000, load_addr 0x100000, bss_end 0x180000: 0x80000 bytes
    header = mb2(
        tag(2, 0x100000, 0x100000, 0, 0x180000),
        tag(3, 0x100040),
        tag(10, 0x200000, 0x27FFFF, 0x1000, 0),
    )
    (f,) = findings(kernel(tmp_path, header), "KL402")
    assert "needs 0x80000 bytes" in f.message and "by its address tag" in f.message


@needs_toolchain
def test_a_valid_header_after_a_broken_one_is_taken(tmp_path):
    # GRUB takes the first header that checks out; the broken one before it is noise
    assert findings(kernel(tmp_path, mb2(checksum=5) + mb2()), "KL402") == []


@needs_toolchain
def test_explicit_protocol_on_a_header_less_image_is_kl401s(tmp_path):
    elf = sample("kl403", "good.elf")
    assert findings(elf, "KL402", "multiboot2") == []


def test_log_patterns_match_grubs_lines():
    from kernlint.rules import kl402_multiboot2_header_invalid as rule

    for p in rule.LOG_PATTERNS:
        m = re.search(p.regex, p.sample)
        assert m, p
        p.explain.format(**m.groupdict())
    lines = [
        "error: unsupported tag: 0x8.",
        "error: unsupported information tag: 0x16.",
        "error: load address tag without entry address tag.",
        "error: invalid min/max address and/or load size.",
    ]
    for line in lines:
        assert any(re.search(p.regex, line) for p in rule.LOG_PATTERNS), line


@needs_toolchain
def test_a_header_grub_skips_reports_its_fixed_fields_only(tmp_path):
    (f,) = findings(kernel(tmp_path, mb2(tag(11), checksum=7)), "KL402")
    assert "checksum is 0x00000007" in f.message


def test_fixes_are_keyed_by_the_decoders_defect_kinds():
    """The rule keys its fixes by the kinds' values so that it can import the decoder
    lazily; each key must be one of the decoder's kinds."""
    import importlib

    from kernlint.boot import multiboot2

    rule = importlib.import_module("kernlint.rules.kl402_multiboot2_header_invalid")
    kinds = {v for k, v in vars(multiboot2).items() if k.isupper() and isinstance(v, str)}
    assert set(rule._FIXES) <= kinds
