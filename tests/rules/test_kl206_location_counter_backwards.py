import os
import re
import shutil
import subprocess

import pytest

from kernlint.engine import run, select_rules
from tests.conftest import findings_of, lint_script, sample

RULE = "KL206"
GOOD = ("good-swapped-offsets.ld", "good-step-back.ld")


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_swapped_offsets():
    (f,) = findings_of(sample("kl206", "bad-swapped-offsets.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (20, 9, 33)
    assert f.message.startswith(
        "`. = _boot_start + 0x1be` moves the location counter back from 0x7e00 to 0x7dbe"
        " (offsets 0x200 → 0x1be in `.boot`)"
    )
    assert '"cannot move location counter backwards"' in f.message
    assert "writes no output" in f.message
    assert "move `. = _boot_start + 0x1be;` before the statements" in f.fix
    assert "ASSERT(. <= 0x1be" in f.fix


def test_step_back():
    (f,) = findings_of(sample("kl206", "bad-step-back.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (20, 9, 16)
    assert "`. -= 2` moves the location counter back from 0x7e00 to 0x7dfe" in f.message
    assert "counts `.` from the section's start" not in f.message
    assert "only moves forward" in f.fix and "`sym = . - 0x2;`" in f.fix


def test_fixed_twins_trigger_nothing():
    for name in GOOD:
        path = sample("kl206", name)
        assert run([str(path)], select_rules()).findings == [], name


#: (script body inside SECTIONS, what kernlint says, what GNU ld does with kernel.o,
#: whose .text is 0x18 bytes and .rodata 6).
CASES = [
    # Provably backwards: reported, and ld stops.
    (".x 0x200000 : { LONG(0) . = 2; }", "backwards", "error"),
    (".x 0x200000 : { . = 0x10; *(.text) . = 0xf; }", "backwards", "error"),
    (".x 0x200000 : { LONG(0) . = ABSOLUTE(0x1000); }", "backwards", "error"),
    (". = 0x300000;\n.x : { . = ABSOLUTE(0x200000); }", "backwards", "error"),
    (".x : { LONG(0) *(.text) . -= 4; }", "backwards", "error"),
    (".x 0x200000 : { QUAD(0) . = . - 9; }", "backwards", "error"),
    ("OVERLAY 0x200000 : { .a { LONG(0) . = 0; } }", "backwards", "error"),
    # Fine: silent, and ld links.
    (".x 0x200000 : { . = 0x10; *(.text) . = 0x100; }", "silent", "ok"),
    (". = 0x300000;\n. = 0x200000;\n.x : { *(.text) }", "silent", "ok"),  # top level
    (". = 0x300000;\n.x : { *(.text) }\n. = 0x200000;\n.y : { *(.rodata) }", "silent", "ok"),
    (".x 0x200000 : { LONG(0) . = 4; }", "silent", "ok"),
    (".x 0x200000 : { LONG(0) . = ABSOLUTE(0x200004); }", "silent", "ok"),
    (".x 0x200000 : { LONG(0) . = ALIGN(16); . = ALIGN(., 8); }", "silent", "ok"),
    # Not provable without the objects: silent, though ld stops.
    (".x 0x200000 : { *(.text) . = 0x10; }", "silent", "error"),
    (
        ". = 0x400000;\n.y : { *(.rodata) }\n.x : { *(.text) . = ABSOLUTE(0x400004); }",
        "silent",
        "error",
    ),
]


@pytest.mark.parametrize(("body", "verdict", "ld"), CASES)
def test_cases(tmp_path, body, verdict, ld):
    text = f"ENTRY(_start)\nSECTIONS {{\n{body}\n}}\n"
    found = lint(tmp_path, text)
    assert len(found) == (1 if verdict == "backwards" else 0), [f.message for f in found]


def test_absolute_target_messages(tmp_path):
    text = "SECTIONS {\n. = 0x300000;\n.x : { . = ABSOLUTE(0x200000); }\n}\n"
    (f,) = lint(tmp_path, text)
    assert "back to 0x200000, below the start of `.x` (at least 0x300000)" in f.message
    assert "an address at or above 0x300000" in f.fix
    text = "SECTIONS {\n.x 0x200000 : { LONG(0) . = ABSOLUTE(0x1000); }\n}\n"
    (f,) = lint(tmp_path, text)
    assert "below where it already is (at least 0x200004)" in f.message


def test_unknown_start_gives_offsets(tmp_path):
    text = (
        "MEMORY { ram : ORIGIN = 0, LENGTH = 1M }\nSECTIONS {\n.x : { LONG(0) . = 2; } > ram\n}\n"
    )
    (f,) = lint(tmp_path, text)
    assert "from offset 0x4 to 0x2 of `.x`" in f.message
    text = "SECTIONS {\n.x : { LONG(0) *(.x) . -= 4; }\n}\n"
    (f,) = lint(tmp_path, text)
    assert "back by 0x4 bytes (from offset at least 0x4 of `.x`)" in f.message


def test_included_files(tmp_path):
    main = "SECTIONS {\n  INCLUDE boot.ld\n}\n"
    (f,) = lint(tmp_path, main, **{"boot.ld": ".b 0x7c00 : {\n  LONG(0)\n  . = 0;\n}\n"})
    assert (f.location.line, f.location.column) == (2, 3)
    assert f.message.endswith("boot.ld:3:3, included here)")


def _needs(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


def _ld(tmp_path, script_path, *, machine="elf_x86_64", obj=None):
    return subprocess.run(
        [
            "ld",
            "-m",
            machine,
            "-nostdlib",
            "--build-id=none",
            "-z",
            "noexecstack",
            "--no-warn-rwx-segments",
            "-T",
            script_path.name,
            "-o",
            tmp_path / "out.elf",
            obj,
        ],
        capture_output=True,
        text=True,
        cwd=script_path.parent,
        env={**os.environ, "LC_ALL": "C"},
    )


@pytest.mark.parametrize(("body", "verdict", "ld"), CASES)
def test_gnu_ld_agrees_with_the_cases(tmp_path, body, verdict, ld):
    """Ground truth: what is reported, GNU ld refuses; what ld links, is not reported."""
    _needs("as", "ld")
    obj = tmp_path / "kernel.o"
    subprocess.run(["as", "--64", "-o", obj, sample("kl204", "kernel.s")], check=True)
    path = tmp_path / "case.ld"
    path.write_text(f"ENTRY(_start)\nSECTIONS {{\n{body}\n}}\n")
    proc = _ld(tmp_path, path, obj=obj)
    if ld == "error":
        assert proc.returncode != 0
        assert "cannot move location counter backwards" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr


def test_gnu_ld_on_the_samples(tmp_path):
    """Ground truth: GNU ld stops at the line the rule reports, with the addresses the
    rule computes, and writes nothing; the fixed twins link."""
    _needs("as", "ld")
    folder = sample("kl206", "boot.s").parent
    obj = tmp_path / "boot.o"
    subprocess.run(["as", "--32", "-o", obj, folder / "boot.s"], check=True)
    for name, frm, to in (
        ("bad-swapped-offsets.ld", "00007e00", "00007dbe"),
        ("bad-step-back.ld", "00007e00", "00007dfe"),
    ):
        (f,) = findings_of(folder / name, RULE)
        proc = _ld(tmp_path, folder / name, machine="elf_i386", obj=obj)
        assert proc.returncode == 1
        assert proc.stderr.strip() == (
            f"ld:{name}:{f.location.line} cannot move location counter backwards"
            f" (from {frm} to {to})"
        )
        assert not (tmp_path / "out.elf").exists()
        assert f"from 0x{int(frm, 16):x} to 0x{int(to, 16):x}" in f.message
    for name in GOOD:
        proc = _ld(tmp_path, folder / name, machine="elf_i386", obj=obj)
        assert proc.returncode == 0 and proc.stderr == ""
        sections = subprocess.run(
            ["readelf", "-SW", tmp_path / "out.elf"], capture_output=True, text=True
        ).stdout
        assert re.search(r"\.boot\s+PROGBITS\s+00007c00 \w+ 000200 ", sections), sections


LD_BACKWARDS = re.compile(
    r"ld:(\S+):(\d+) cannot move location counter backwards \(from ([0-9a-f]+) to ([0-9a-f]+)\)"
)


def test_code_past_the_table_is_found_on_the_laid_out_objects():
    """The script alone cannot know `.boot`'s size; its INPUT() object can: the finding
    has ld's line and addresses (linked-bad-code-past-table.log, GNU ld 2.40), and
    only the first move, where ld stops."""
    log = sample("kl206", "linked-bad-code-past-table.log").read_text()
    (m,) = LD_BACKWARDS.findall(log)
    (f,) = findings_of(sample("kl206", "bad-code-past-table.ld"), RULE)
    assert f.location.line == int(m[1])
    assert f"from {int(m[2], 16):#x} to {int(m[3], 16):#x}" in f.message
    assert "8 bytes too big" in f.message and "big.o(.boot) 454 bytes" in f.message
    assert 'ASSERT(. <= 0x1be, "...")' in f.fix
    assert findings_of(sample("kl206", "good-code-fits.ld"), RULE) == []


@pytest.mark.skipif(not shutil.which("ld"), reason="GNU ld is needed")
@pytest.mark.parametrize("fill", [430, 432, 433, 440])
def test_laid_out_moves_agree_with_gnu_ld(tmp_path, fill):
    """Around the budget (432 fill bytes make `.boot` exactly 446), kernlint reports a
    move exactly when GNU ld refuses the link, with ld's addresses."""
    src = sample("kl206", "big.s").read_text().replace("440, 1, 0x90", f"{fill}, 1, 0x90")
    (tmp_path / "big.s").write_text(src)
    subprocess.run(
        ["as", "--32", "-o", str(tmp_path / "big.o"), str(tmp_path / "big.s")], check=True
    )
    script = tmp_path / "s.ld"
    script.write_text(sample("kl206", "bad-code-past-table.ld").read_text())
    ld = subprocess.run(
        ["ld", "-m", "elf_i386", "-T", str(script), "-o", str(tmp_path / "s.elf")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    want = [(int(a, 16), int(b, 16)) for _, _, a, b in LD_BACKWARDS.findall(ld.stderr)]
    found = findings_of(script, RULE)
    got = [
        tuple(int(x, 16) for x in re.search(r"from (0x\w+) to (0x\w+)", f.message).groups())
        for f in found
    ]
    assert got == want, ld.stderr
    assert bool(want) == (fill > 432)
