import os
import re
import shutil
import subprocess

import pytest

from kernlint.engine import run, select_rules
from tests.conftest import findings_of, lint_script, sample

RULE = "KL211"
GOOD = ("good-boot-signature.ld", "good-address-symbol.ld")


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_boot_signature():
    (f,) = findings_of(sample("kl211", "bad-boot-signature.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (18, 9, 26)
    assert f.message.startswith(
        "`. = 0x7c00 + 510` inside `.boot` is an offset from the section's start for GNU ld"
        " (`.` goes to 0x7c00 + 0x7dfe = 0xf9fe, the section grows to at least 0x7dfe bytes)"
        " but the address 0x7dfe for ld.lld"
    )
    assert "at or above the section's start (0x7c00)" in f.message
    assert "`. = ABSOLUTE(0x7c00 + 510);`" in f.fix
    assert "`. = 0x1fe;` (GNU ld)" in f.fix
    assert "`_boot_start = .;` first in `.boot`" in f.fix


def test_address_symbol():
    (f,) = findings_of(sample("kl211", "bad-address-symbol.ld"), RULE)
    assert (f.location.line, f.location.column) == (20, 9)
    assert "`. = _boot_base + 510` inside `.boot` is an offset" in f.message
    assert "at or above the section's start (at least 0x7c00)" in f.message
    assert "`_boot_base`: assigned outside output sections" in f.message
    assert "`. = ABSOLUTE(_boot_base + 510);`" in f.fix


def test_fixed_twins_trigger_nothing():
    for name in GOOD:
        path = sample("kl211", name)
        assert run([str(path)], select_rules()).findings == [], name


#: (SECTIONS body, reported?). Each body places `.boot` (16-bit code from the
#: sample's boot.s) and pads it with one `. = ...` before a 2-byte signature.
CASES = [
    (".boot 0x7c00 : { *(.boot) . = 0x7c00 + 510; SHORT(0xaa55) }", True),
    ("BOOT = 0x7c00;\n.boot BOOT : { *(.boot) . = BOOT + 510; SHORT(0xaa55) }", True),
    (". = 0x7c00;\n_b = .;\n.boot : { *(.boot) . = _b + 510; SHORT(0xaa55) }", True),
    (". = 0x7c00;\n.boot : { *(.boot) . = 0x7dfe; SHORT(0xaa55) }", True),
    (".boot 0x7c00 : { *(.boot) . = MAX(0x7c00 + 500, 0x7c00 + 510); SHORT(0xaa55) }", True),
    # The address symbol alone says it, with no start known.
    (
        ". = DEFINED(BOOT_AT) ? BOOT_AT : 0x7c00;\n_b = .;\n"
        ".boot : { *(.boot) . = _b + 510; SHORT(0xaa55) }",
        True,
    ),
    # ...unless it is known to be 0, where offset and address agree.
    (". = 0;\n_b = .;\n.boot : { *(.boot) . = _b + 510; SHORT(0xaa55) }", False),
    # GNU ld already reads these as addresses: not reported.
    (".boot 0x7c00 : { *(.boot) . = ABSOLUTE(0x7c00 + 510); SHORT(0xaa55) }", False),
    (".boot 0x7c00 : { _s = .; *(.boot) . = _s + 510; SHORT(0xaa55) }", False),
    (".boot 0 : { *(.boot) . = 510; SHORT(0xaa55) }", False),  # start 0: both agree
    (".boot 0x7c00 : { *(.boot) . += 0x10; SHORT(0xaa55) }", False),
    (".boot 0x7c00 : { *(.boot) . = . + 0x10; SHORT(0xaa55) }", False),
    (".boot 0x7c00 : { *(.boot) . = ALIGN(0x10); SHORT(0xaa55) }", False),
]

MEMORY = "MEMORY { ram : ORIGIN = 0x7c00, LENGTH = 32K }\n"
MEMORY_CASES = [
    (".boot : { *(.boot) . = ORIGIN(ram) + 510; SHORT(0xaa55) } > ram", False),
    # The region's origin is the section's start.
    ("BOOT = 0x7c00;\n.boot : { *(.boot) . = BOOT + 510; SHORT(0xaa55) } > ram", True),
]


def _script(body: str, memory: bool) -> str:
    return f"ENTRY(_start)\n{MEMORY if memory else ''}SECTIONS {{\n{body}\n}}\n"


ALL = [(b, r, False) for b, r in CASES] + [(b, r, True) for b, r in MEMORY_CASES]


@pytest.mark.parametrize(("body", "reported", "memory"), ALL)
def test_cases(tmp_path, body, reported, memory):
    found = lint(tmp_path, _script(body, memory))
    assert len(found) == (1 if reported else 0), [f.message for f in found]


def test_number_below_the_start_is_an_offset(tmp_path):
    text = "SECTIONS {\n. = 0x100000;\n.stack : { . = 0x4000; }\n}\n"
    assert lint(tmp_path, text) == []
    offset = ".boot 0x7c00 : { *(.boot) . = 510; SHORT(0xaa55) }"
    assert lint(tmp_path, _script(offset, False)) == []


def test_unknown_start_and_a_constant_stay_silent(tmp_path):
    body = "BOOT = 0x7c00;\n.boot (DEFINED(AT) ? AT : BOOT) : { . = BOOT + 510; }"
    assert lint(tmp_path, _script(body, False)) == []


def test_overlay_sections(tmp_path):
    text = "SECTIONS {\nOVERLAY 0x1000 : { .a { . = 0x1000 + 4; } }\n}\n"
    (f,) = lint(tmp_path, text)
    assert "inside `.a`" in f.message


def test_included_files(tmp_path):
    main = "SECTIONS {\n  INCLUDE boot.ld\n}\n"
    (f,) = lint(tmp_path, main, **{"boot.ld": ".boot 0x7c00 : {\n  . = 0x7c00 + 510;\n}\n"})
    assert (f.location.line, f.location.column) == (2, 3)
    assert f.message.endswith("boot.ld:2:3, included here)")


def _size(path) -> int:
    text = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
    m = re.search(r"\.boot\s+PROGBITS\s+\w+ \w+ (\w+) ", text)
    assert m, text
    return int(m.group(1), 16)


def _link(linker: str, script, obj, out) -> int:
    subprocess.run(
        [
            linker,
            "-m",
            "elf_i386",
            "-nostdlib",
            "--build-id=none",
            "-z",
            "noexecstack",
            "-T",
            script,
            "-o",
            out,
            obj,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    return _size(out)


needs_both = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("as", "ld", "ld.lld", "readelf")),
    reason="needs GNU as/ld, ld.lld and readelf",
)


@pytest.fixture()
def boot_o(tmp_path):
    obj = tmp_path / "boot.o"
    subprocess.run(["as", "--32", "-o", obj, sample("kl211", "boot.s")], check=True)
    return obj


@needs_both
@pytest.mark.parametrize(("body", "reported", "memory"), ALL)
def test_linkers_disagree_exactly_where_reported(tmp_path, boot_o, body, reported, memory):
    """Ground truth: GNU ld and ld.lld give `.boot` different sizes for each reported
    case, the same size for each case that is not."""
    path = tmp_path / "case.ld"
    path.write_text(_script(body, memory))
    gnu = _link("ld", path, boot_o, tmp_path / "gnu.elf")
    lld = _link("ld.lld", path, boot_o, tmp_path / "lld.elf")
    assert (gnu != lld) == reported, (gnu, lld)


@needs_both
def test_linkers_on_the_samples(tmp_path, boot_o):
    """Ground truth: the bad samples give GNU ld a 0x7e00-byte boot sector and ld.lld
    a 0x200-byte one; the fixed twins give both 0x200."""
    folder = sample("kl211", "boot.s").parent
    for name in ("bad-boot-signature.ld", "bad-address-symbol.ld"):
        assert _link("ld", folder / name, boot_o, tmp_path / "g.elf") == 0x7E00
        assert _link("ld.lld", folder / name, boot_o, tmp_path / "l.elf") == 0x200
    for name in GOOD:
        assert _link("ld", folder / name, boot_o, tmp_path / "g.elf") == 0x200
        assert _link("ld.lld", folder / name, boot_o, tmp_path / "l.elf") == 0x200


@needs_both
def test_a_plain_offset_is_gnu_ld_only(tmp_path, boot_o):
    """Not reported (it is an offset, as GNU ld reads it), but ld.lld refuses it: the
    docs' claim that `. = 510;` is for GNU ld only."""
    path = tmp_path / "offset.ld"
    path.write_text(_script(".boot 0x7c00 : { *(.boot) . = 510; SHORT(0xaa55) }", False))
    assert _link("ld", path, boot_o, tmp_path / "g.elf") == 0x200
    proc = subprocess.run(
        ["ld.lld", "-m", "elf_i386", "-T", path, "-o", tmp_path / "l.elf", boot_o],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "unable to move location counter backward" in proc.stderr
