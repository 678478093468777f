import os
import re
import shutil
import subprocess

import pytest

from kernlint.engine import run, select_rules
from tests.conftest import findings_of, lint_script, sample

RULE = "KL204"
GOOD = ("good-flags-rwx.ld", "good-forgotten-phdr.ld", "good-no-flags.ld")


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_flags_rwx():
    (f,) = findings_of(sample("kl204", "bad-flags-rwx.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (8, 26, 27)
    assert "PT_LOAD `kernel` has FLAGS(7) = RWE (0x7)" in f.message
    assert "writable and executable" in f.message
    assert '"has a LOAD segment with RWX permissions"' in f.message
    assert "`text PT_LOAD FLAGS(5);`" in f.fix and "`data PT_LOAD FLAGS(6);`" in f.fix


def test_forgotten_phdr():
    (f,) = findings_of(sample("kl204", "bad-forgotten-phdr.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (23, 5, 10)
    assert "`.data` (writable data) goes to PT_LOAD `text` with the code of `.text`" in f.message
    assert "names no `:phdr`, so GNU ld puts it in the segments of `.text`" in f.message
    assert "FLAGS(5) makes it R E without write permission" in f.message
    assert "the first write to `.data` faults" in f.message
    assert f.fix.startswith("add `:data` after the closing brace of `.data`")


def test_no_flags():
    (f,) = findings_of(sample("kl204", "bad-no-flags.ld"), RULE)
    assert (f.location.line, f.location.column) == (22, 5)
    assert "goes to PT_LOAD `kernel` with the code of `.text`" in f.message
    assert "segments of `.rodata`" in f.message
    assert "with no FLAGS GNU ld gives the segment its sections' flags, R W E" in f.message
    assert "`data PT_LOAD FLAGS(6);`" in f.fix


def test_fixed_twins_trigger_nothing():
    for name in GOOD:
        path = sample("kl204", name)
        assert run([str(path)], select_rules()).findings == [], name


HEADER = "ENTRY(_start)\nPHDRS {{\n{phdrs}\n}}\nSECTIONS {{\n{sections}\n}}\n"


def script(phdrs: str, sections: str) -> str:
    return HEADER.format(phdrs=phdrs, sections=sections)


@pytest.mark.parametrize(
    "flags",
    ["7", "3", "0x7", "PF_R | PF_W | PF_X", "(1 << 2) + 3", "0x80000007"],
)
def test_rwx_flags(tmp_path, flags):
    text = "PF_R = 4;\nPF_W = 2;\nPF_X = 1;\n" + script(
        f"  all PT_LOAD FLAGS({flags});", "  .text : { *(.text) } :all"
    )
    (f,) = lint(tmp_path, text)
    assert f"PT_LOAD `all` has FLAGS({flags})" in f.message


@pytest.mark.parametrize(
    "phdrs",
    [
        "  all PT_LOAD FLAGS(5);",  # R E
        "  all PT_LOAD FLAGS(6);",  # RW
        "  all PT_LOAD FLAGS(PF_R | PF_W | PF_X);",  # never assigned: a cpp macro (KL212)
        "  all PT_LOAD FLAGS(SIZEOF_HEADERS);",
        "  all PT_NOTE FLAGS(7);",  # not a load segment
        "  all PT_TLS FLAGS(7);",
    ],
)
def test_not_rwx(tmp_path, phdrs):
    assert lint(tmp_path, script(phdrs, "  .text : { *(.text) } :all")) == []


def test_numeric_type_is_pt_load(tmp_path):
    (f,) = lint(tmp_path, script("  all 1 FLAGS(7);", "  .text : { *(.text) } :all"))
    assert "PT_LOAD `all`" in f.message


SECTIONS_MIXED = """\
  .text : { *(.text .text.*) } :{first}
  .rodata : {{ *(.rodata .rodata.*) }}
  .data : {{ *(.data .data.*) }} {data}
  .bss : {{ *(.bss .bss.*) *(COMMON) }}"""


def test_explicit_assignment_to_one_segment(tmp_path):
    sections = "  .text : { *(.text .text.*) } :text\n  .data : { *(.data .data.*) } :text\n"
    (f,) = lint(tmp_path, script("  text PT_LOAD;", sections))
    assert "`.data` (writable data) goes to PT_LOAD `text`" in f.message
    assert "names no" not in f.message


def test_sections_before_the_first_phdr_take_the_first_list(tmp_path):
    sections = "  .data : { *(.data) }\n  .text : { *(.text) } :text"
    (f,) = lint(tmp_path, script("  text PT_LOAD FLAGS(5);", sections))
    assert "`.data` (writable data) goes to PT_LOAD `text` with the code of `.text`" in f.message
    assert "comes before the first section that does, so GNU ld gives it the list of `.text`" in (
        f.message
    )
    sections = "  .data : { *(.data) }\n  .text : { *(.text) } :text\n  .d2 : { *(.data) } :data"
    phdrs = "  text PT_LOAD FLAGS(5);\n  data PT_LOAD FLAGS(6);"
    assert len(lint(tmp_path, script(phdrs, sections))) == 1


@pytest.mark.parametrize(
    "data",
    [
        ".data (NOLOAD) : { *(.data) }",  # NOLOAD sections do not inherit (ld 2.40)
        ".data : { *(.data) } :NONE",
        ".data : { *(.data) } :data",
        "/DISCARD/ : { *(.data) }",
        ".comment : { *(.comment) }",
        ".data : { *(.mystery) }",  # unknown class: not judged
        ".data : { data.o }",
        ".data : { *(*) }",
    ],
)
def test_not_mixed(tmp_path, data):
    phdrs = "  text PT_LOAD FLAGS(5);\n  data PT_LOAD FLAGS(6);"
    sections = f"  .text : {{ *(.text .text.*) }} :text\n  {data}"
    assert lint(tmp_path, script(phdrs, sections)) == []


def test_one_section_with_code_and_data(tmp_path):
    (f,) = lint(tmp_path, script("  all PT_LOAD;", "  .all : { *(.text) *(.data) } :all"))
    assert "`.all` holds code and writable data and goes to PT_LOAD `all`" in f.message


def test_code_in_a_writable_segment(tmp_path):
    phdrs = "  data PT_LOAD FLAGS(6);"
    sections = "  .data : { *(.data) } :data\n  .text : { *(.text) }"
    (f,) = lint(tmp_path, script(phdrs, sections))
    assert "without execute permission: the code in `.text` cannot run" in f.message
    assert "give it its own segment: `text PT_LOAD FLAGS(5);`" in f.fix


def test_rwx_flags_are_reported_once(tmp_path):
    sections = "  .text : { *(.text) } :all\n  .data : { *(.data) }"
    (f,) = lint(tmp_path, script("  all PT_LOAD FLAGS(7);", sections))
    assert "FLAGS(7)" in f.message


def test_overlay_phdrs(tmp_path):
    sections = (
        "  .text : { *(.text) } :text\n"
        "  OVERLAY : { .o1 { *(.data.o1) } .o2 { *(.data.o2) } } :text"
    )
    (f,) = lint(tmp_path, script("  text PT_LOAD;", sections))
    assert "`.o1` (writable data) goes to PT_LOAD `text`" in f.message


def test_no_phdrs_no_findings(tmp_path):
    assert lint(tmp_path, "SECTIONS {\n  .all : { *(.text) *(.data) }\n}\n") == []


def test_included_files(tmp_path):
    main = "ENTRY(_start)\nINCLUDE phdrs.ld\nSECTIONS {\n  .text : { *(.text) } :all\n}\n"
    (f,) = lint(tmp_path, main, **{"phdrs.ld": "PHDRS {\n  all PT_LOAD FLAGS(7);\n}\n"})
    assert (f.location.line, f.location.column) == (2, 1)
    assert "phdrs.ld:2:21, included here)" in f.message


def test_rwx_segments_are_info_and_a_missing_permission_a_warning(tmp_path):
    """An RWX segment (FLAGS(7), or no FLAGS over code and data) is what GNU ld warns
    about itself and harmless where nothing applies p_flags (GRUB, QEMU -kernel, PVH,
    firmware: 12 of 12 judged false on public projects), so it is info; FLAGS that
    leave out a permission a member needs (`.data` in an `R E` segment) break the
    image wherever flags are applied: a warning."""
    sections = "  .text : { *(.text) } :text\n  .data : { *(.data) }"
    rwx = lint(tmp_path, script("  text PT_LOAD FLAGS(7);", sections))
    union = lint(tmp_path, script("  text PT_LOAD;", sections))
    wrong = lint(tmp_path, script("  text PT_LOAD FLAGS(5);", sections))
    assert [f.severity for f in rwx + union] == ["info", "info"]
    assert all("which the script does not say" in f.message for f in rwx + union)
    assert [f.severity for f in wrong] == ["warning"] and "faults" in wrong[0].message


def _ld(tmp_path, script_path, out):
    obj = tmp_path / "kernel.o"
    if not obj.exists():
        kernel = sample("kl204", "kernel.s")
        subprocess.run(["as", "--64", "-o", obj, kernel], check=True)
    return subprocess.run(
        [
            "ld",
            "-m",
            "elf_x86_64",
            "-nostdlib",
            "--build-id=none",
            "-z",
            "max-page-size=0x1000",
            "-z",
            "noexecstack",
            "-T",
            script_path,
            "-o",
            out,
            obj,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )


def _segments(path) -> list[tuple[str, list[str]]]:
    """(flags, sections) of each PT_LOAD, from readelf -lW."""
    text = subprocess.run(
        ["readelf", "-lW", path], capture_output=True, text=True, check=True
    ).stdout
    flags = [line.split()[6:-1] for line in text.splitlines() if line.strip().startswith("LOAD")]
    mapping = re.findall(r"^\s+(\d\d)\s+(.*)$", text, re.M)
    return [(" ".join(f), names.split()) for f, (_, names) in zip(flags, mapping, strict=False)]


@pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld") and shutil.which("readelf")),
    reason="needs GNU as/ld and readelf",
)
def test_gnu_ld_agrees(tmp_path):
    """Ground truth (GNU ld 2.39+): the RWX warning for FLAGS(7) and for an inherited
    phdr without FLAGS; no word, but `.data` in the R E segment, for the forgotten
    `:data`; nothing for the fixed twins."""
    folder = sample("kl204", "kernel.s").parent
    for name in ("bad-flags-rwx", "bad-no-flags"):
        out = tmp_path / f"{name}.elf"
        said = _ld(tmp_path, folder / f"{name}.ld", out).stderr
        assert f"{name}.elf has a LOAD segment with RWX permissions" in said
        assert _segments(out)[0] == ("RWE", [".text", ".rodata", ".data", ".bss"])
    out = tmp_path / "forgotten.elf"
    assert _ld(tmp_path, folder / "bad-forgotten-phdr.ld", out).stderr == ""
    assert _segments(out)[0] == ("R E", [".text", ".rodata", ".data", ".bss"])
    for name in GOOD:
        out = tmp_path / "good.elf"
        assert _ld(tmp_path, folder / name, out).stderr == ""
        for flags, names in _segments(out):
            assert not ("E" in flags and ".data" in names), (name, flags, names)
