"""KL602 nasm-section-noexec: behaviour, samples, and the objects NASM builds."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, findings_of
from tests.support.readelf import readelf

SAMPLE = SAMPLES / "kl602-nasm-section-noexec"


def kl602(tmp_path: Path, text: str, name: str = "a.asm") -> list:
    path = tmp_path / name
    path.write_text(text)
    return findings_of(path, "KL602")


def test_code_in_an_unknown_section(tmp_path):
    (f,) = kl602(tmp_path, "bits 64\nsection .bootcode\nglobal e:function\ne:\n  cli\n")
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (2, 9, 2, 18)
    assert "instructions from line 5" in f.message and "KL102" in f.message
    assert f.fix.endswith("`section .bootcode progbits alloc exec nowrite align=16`")


def test_text_prefixed_names_are_unknown_to_nasm(tmp_path):
    (f,) = kl602(tmp_path, "section .text.boot\nret\n")
    assert "`.text.boot` is not `.text`" in f.message


def test_alignment_is_kept_and_noexec_named(tmp_path):
    (f,) = kl602(tmp_path, "SECTION .boot noexec align=4096\nret\n")
    assert "gives `noexec`" in f.message
    assert f.fix.endswith("align=4096`")


@pytest.mark.parametrize(
    "text",
    [
        "section .bootcode exec\ncli\n",
        "section .bootcode progbits alloc exec nowrite align=16\ncli\n",
        "section .text\ncli\n",
        "cli\n",  # NASM starts in .text
        "section .data\nmov eax, 1\n",  # a known name: data by design
        "section .mbhdr\ndd 0xe85250d6\ntimes 4 db 0\n",
        "section .stack nobits\nresb 4096\n",
        "section .boot\nlabel:\nlonelabel\n",
        "section .boot exec\nnop\nsection .boot\nnop\n",
        "%if 0\nsection .x\nnop\n%endif\n",
        "%macro M 0\nsection .x\nnop\n%endmacro\n",
        "section .x\nstruc pt\n.a resd 1\nendstruc\n",
    ],
)
def test_no_finding(tmp_path, text):
    assert kl602(tmp_path, text) == []


def test_exec_on_a_later_declaration_is_too_late(tmp_path):
    (f,) = kl602(tmp_path, "section .t\ndq 0\nsection .t exec\nnop\n")
    assert f.location.line == 1 and "`exec` at line 3 is ignored" in f.message


def test_only_nasm_sources(tmp_path):
    assert kl602(tmp_path, "\t.section .boot\n\t.globl x\nx: cli\n", "gas.asm") == []
    assert kl602(tmp_path, "section .boot\nret\n", "a.nasm") != []


def sources(prefix: str) -> list[Path]:
    return sorted(
        p for p in SAMPLE.iterdir() if p.name.startswith(prefix) and p.suffix in (".asm", ".nasm")
    )


def test_sample_sources_bad_trigger_only_kl602_and_good_nothing():
    bad, good = sources("bad-"), sources("good-")
    assert len(bad) == len(good) == 3
    for p in bad:
        assert [f.rule for f in run([str(p)], select_rules()).findings] == ["KL602"], p.name
    for p in good:
        assert run([str(p)], select_rules()).findings == [], p.name


def test_the_kl102_seed_source_is_a_kl602_case():
    kl102 = SAMPLES / "kl102-code-not-executable"
    (f,) = findings_of(kl102 / "bootcode-noexec.asm", "KL602")
    assert f.location.line == 14
    assert findings_of(kl102 / "bootcode-exec.asm", "KL602") == []


needs = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("make", "nasm", "readelf")),
    reason="make, nasm and readelf are needed (sh tests/setup.sh)",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("kl602") / SAMPLE.name
    shutil.copytree(SAMPLE, copy)
    proc = subprocess.run(["make", "clean", "all"], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    return copy


@needs
def test_objects_show_the_consequence(built):
    for name, section in (
        ("bootcode", ".bootcode"),
        ("textboot", ".text.boot"),
        ("redeclared", ".trampoline"),
    ):
        (f,) = findings_of(built / f"obj-bad-{name}.o", "KL102")
        assert f.location.section == section
        assert readelf(built / f"obj-bad-{name}.o").section(section).flags == "A"
        assert readelf(built / f"obj-good-{name}.o").section(section).flags == "AX"
        assert run([str(built / f"obj-good-{name}.o")], select_rules()).findings == []


@needs
def test_make_is_reproducible_and_committed_objects_match(built, tmp_path):
    again = tmp_path / "again"
    shutil.copytree(built, again)
    subprocess.run(["make", "clean", "all"], cwd=again, check=True, capture_output=True)
    objects = sorted(p.name for p in built.glob("obj-*.o"))
    assert len(objects) == 6
    for name in objects:
        assert (again / name).read_bytes() == (built / name).read_bytes(), name
        if (SAMPLE / name).exists():
            assert (SAMPLE / name).read_bytes() == (built / name).read_bytes(), name


@needs
def test_applying_the_fix_makes_the_section_executable(tmp_path):
    for src in sources("bad-"):
        (f,) = findings_of(src, "KL602")
        fixed = re.search(r"`([^`]+)`", f.fix).group(1)
        lines = src.read_text().splitlines(keepends=True)
        lines[f.location.line - 1] = fixed + "\n"
        out = tmp_path / src.name
        out.write_text("".join(lines))
        assert findings_of(out, "KL602") == [], src.name
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(
            ["nasm", "-f", "elf64", "-w-other", "-o", str(obj), str(out)],
            check=True,
            capture_output=True,
        )
        name = fixed.split()[1]
        assert readelf(obj).section(name).execinstr, src.name
        assert findings_of(obj, "KL102") == [], src.name


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (".686\n.model flat,C\n.code\n_f PROC NEAR\n  ret\n_f ENDP\n  end\n", "masm"),
        ("CODE32 SEGMENT RW\n  mov eax, 1\nCODE32 ENDS\n  END\n", "masm"),
        (".model flat, c\n.code\npublic setjmp\nsetjmp:\n  ret\n", "masm"),
        ("  AREA |.text|, CODE, READONLY\n  EXPORT f\nf PROC\n  RET\n  ENDP\n  END\n", "armasm"),
        ("format ELF64\nsection '.text' executable\n  ret\n", "fasm"),
        ("\txdef\t_up_getsp\n\tsegment CODE\n\t.assume ADL=1\n_up_getsp:\n\tret\n", "zilog"),
        ("\tXREF _main\n\tsegment STARTUP\n\tcall _main\n", "zilog"),
        ("bits 64\nsection .boot\nglobal f\nf: ret\n", "nasm"),
        ("section .boot\nf proc_table: dd 1\n  ret\n", "nasm"),
    ],
)
def test_other_asm_dialects_are_recognised_and_skipped(tmp_path, text, language):
    """MASM (`CODE32 SEGMENT RW`, `.model`, `PROC`/`ENDP`), armasm (`AREA`) and fasm
    (`format ELF64`) in a `.asm` file are not NASM: no KL6 rule reads them."""
    from kernlint.source.model import language_of

    assert language_of("x.asm", text) == language
    path = tmp_path / "x.asm"
    path.write_text(text)
    found = run([str(path)], select_rules(["KL601", "KL602"])).findings
    assert (found == []) == (language != "nasm")


NASM = shutil.which("nasm")
WIN64 = """default rel
section .text
f:  ret
section .rdata align=8
handler:
    mov eax, 1
    ret
section .pdata rdata align=4
    dd f wrt ..imagebase
section .xdata rdata align=8
    db 9, 0, 0, 0
"""


@pytest.mark.skipif(NASM is None, reason="needs nasm (sh tests/setup.sh)")
def test_a_file_for_coff_output_is_not_judged_by_elf_defaults(tmp_path):
    """`.pdata`/`.xdata` (the x64 exception tables) exist only in COFF output: such a
    file is assembled with `nasm -f win64` (edk2's X64-MSFT builds), where `.rdata` is a
    known read-only section, so the ELF defaults this rule describes do not apply."""
    path = tmp_path / "seh.nasm"
    path.write_text(WIN64)
    obj = tmp_path / "seh.obj"
    proc = subprocess.run([NASM, "-f", "win64", "-o", str(obj), str(path)], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert findings_of(path, "KL602") == []
    elf = WIN64.split("section .pdata")[0]
    (tmp_path / "elf.nasm").write_text(elf)
    assert [f.rule for f in findings_of(tmp_path / "elf.nasm", "KL602")] == ["KL602"]
