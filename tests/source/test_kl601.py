"""KL601 asm-section-without-flags: behaviour, samples, and the consequence in the
objects the real toolchain builds from the samples."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, findings_of, kernlint
from tests.support.readelf import readelf

SAMPLE = SAMPLES / "kl601-asm-section-without-flags"


def kl601(tmp_path: Path, name: str, text: str) -> list:
    path = tmp_path / name
    path.write_text(text)
    return findings_of(path, "KL601")


def test_code_in_an_unknown_section(tmp_path):
    (f,) = kl601(tmp_path, "a.s", "\t.section .bootcode\n_start:\n\tcli\n")
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (1, 11, 1, 20)
    assert "instructions from line 3" in f.message and "KL101" in f.message
    assert '`.section .bootcode, "ax", @progbits`' in f.fix


@pytest.mark.parametrize(
    ("body", "flags"),
    [
        (".long 1", '"aw", @progbits'),
        (".skip 4096", '"aw", @nobits'),
        (".space 16, 0", '"aw", @nobits'),
        (".fill 4, 1, 0x90", '"aw", @progbits'),
        (".byte 1\n.skip 4", '"aw", @progbits'),
        (".long 1\nret", '"ax", @progbits'),
    ],
)
def test_fix_follows_the_content(tmp_path, body, flags):
    (f,) = kl601(tmp_path, "a.s", f".section .stuff\n{body}\n")
    assert flags in f.fix


def test_read_only_names_get_a(tmp_path):
    for name in (".multiboot", ".mb2_header", ".boot.hdr", ".kconst"):
        (f,) = kl601(tmp_path, "a.s", f".section {name}\n.long 1\n")
        assert '"a", @progbits' in f.fix and "read-only" in f.fix, name


@pytest.mark.parametrize(
    "text",
    [
        ".section .boot\nlabel:\n.text\nnop\n",  # labels alone
        ".section .boot\n.globl x\n.type x, @function\n.p2align 4\n.previous\n",
        ".section .boot\n",
        '.section .boot, "ax", @progbits\nnop\n',
        '.section .boot, "ax"\nnop\n.text\n.section .boot\nnop\n',  # later bare one is fine
        '.section .boot, "", @progbits\nnop\n',  # explicit empty flags: deliberate
        ".section .text.boot\nnop\n",
        ".section .init\nnop\n",
        ".section .data.boot\n.long 1\n",
        ".section .rodata.mb\n.long 1\n",
        ".section .bss.stack\n.skip 16\n",
        ".section .noinit\n.skip 16\n",
        ".section .lbss\n.skip 16\n",
        ".section .note.Xen\n.long 1\n",
        '.section .debug_str\n.asciz "x"\n',
        ".section .discard.retpoline_safe\n.long 1\n",
        '.section .comment\n.asciz "x"\n',
        ".section .init_array\n.quad f\n",
        ".macro M\n.section .inmacro\nnop\n.endm\n",
        "#if 0\n.section .dead\nnop\n#endif\n",
        ".section ,\nnop\n",
    ],
)
def test_no_finding(tmp_path, text):
    assert kl601(tmp_path, "a.S", text) == []


def test_flags_given_too_late(tmp_path):
    (f,) = kl601(tmp_path, "a.s", '.section .boot\n.long 1\n.section .boot, "ax"\nnop\n')
    assert (f.location.line, f.location.column) == (1, 10)
    assert "flags at line 3 come too late" in f.message
    assert '"ax"' in f.fix  # instructions anywhere in the section decide


def test_pushsection_and_semicolons(tmp_path):
    (f,) = kl601(tmp_path, "a.s", "nop; .pushsection .fixup; jmp 1f; .popsection; nop\n")
    assert f.location.column == 19
    assert '`.pushsection .fixup, "ax", @progbits`' in f.fix


def test_c_file_scope_and_inline_asm(tmp_path):
    text = (
        '__asm__(".pushsection .boot\\n"\n'
        '        "cli\\n"\n'
        '        ".popsection");\n'
        'void f(void) { asm volatile(".pushsection .ex\\n .long 1b\\n .popsection"); }\n'
    )
    a, b = kl601(tmp_path, "a.c", text)
    assert (a.location.line, a.location.column, a.location.end_column) == (1, 23, 28)
    assert (b.location.line, b.location.column) == (4, 43)
    assert '\\"ax\\"' in a.fix


def test_compiler_declared_sections_are_not_reported(tmp_path):
    c = (
        '__attribute__((section(".boot"))) void early(void) {}\n'
        'asm(".section .boot\\n nop\\n .previous");\n'
    )
    assert kl601(tmp_path, "a.c", c) == []
    rs = (
        '#[link_section = ".boot"]\npub fn early() {}\n'
        'core::arch::global_asm!(".section .boot", "nop", ".previous");\n'
    )
    assert kl601(tmp_path, "a.rs", rs) == []


def test_rust_uses_llvm_names(tmp_path):
    """rustc assembles with LLVM, which derives nothing for .noinit/.lbss/.ldata."""
    (f,) = kl601(tmp_path, "a.rs", 'global_asm!(".section .noinit", ".skip 16");\n')
    assert "LLVM" in f.message
    assert kl601(tmp_path, "a.s", ".section .noinit\n.skip 16\n") == []
    (g,) = kl601(tmp_path, "b.c", 'asm(".section .noinit\\n.skip 16\\n.previous");\n')
    assert "clang" in g.message  # C may be built with either
    assert kl601(tmp_path, "c.rs", 'global_asm!(".section .text.boot", "nop");\n') == []


def test_one_finding_per_section(tmp_path):
    text = ".section .boot\nnop\n.text\n.section .boot\nnop\n.section .other\n.long 1\n"
    found = kl601(tmp_path, "a.s", text)
    assert [(f.location.line, f.location.column) for f in found] == [(1, 10), (6, 10)]


# ------------------------------------------------------------------ samples


def sources(prefix: str) -> list[Path]:
    suffixes = {".S", ".s", ".asm", ".nasm", ".rs", ".c"}
    return sorted(p for p in SAMPLE.iterdir() if p.name.startswith(prefix) and p.suffix in suffixes)


def test_sample_sources_bad_trigger_only_kl601_and_good_nothing():
    bad, good = sources("bad-"), sources("good-")
    assert len(bad) == len(good) >= 6
    assert {p.suffix for p in bad} >= {".S", ".s", ".asm", ".rs", ".c"}
    for p in bad:
        result = run([str(p)], select_rules())
        assert [f.rule for f in result.findings] == ["KL601"], (p.name, result.findings)
    for p in good:
        assert run([str(p)], select_rules()).findings == [], p.name


def test_every_good_source_in_the_samples_is_clean():
    for p in sorted(SAMPLES.glob("*/good-*")):
        if p.suffix in {".S", ".s", ".asm", ".nasm", ".rs", ".c"}:
            assert run([str(p)], select_rules()).findings == [], p


def test_the_kl101_seed_sources_are_kl601_cases():
    kl101 = SAMPLES / "kl101-code-not-allocated"
    for name, line in (("bootcode-noflags.s", 4), ("start-noflags.S", 10)):
        (f,) = findings_of(kl101 / name, "KL601")
        assert f.location.line == line
    for name in ("bootcode-ax.s", "start-ax.S", "textboot.s", "init.s", "main.c"):
        assert findings_of(kl101 / name, "KL601") == [], name


def test_cli_reports_source_positions():
    r = kernlint("check", "--format", "json", str(SAMPLE / "bad-global-asm.rs"))
    assert r.code == 1
    (f,) = r.report["findings"]
    assert f["rule"] == "KL601"
    assert (f["location"]["line"], f["location"]["column"]) == (7, 15)


needs = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("make", "as", "gcc", "readelf")),
    reason="make, GNU as, gcc and readelf are needed (sh tests/setup.sh)",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("kl601") / SAMPLE.name
    shutil.copytree(SAMPLE, copy)
    proc = subprocess.run(["make", "clean", "all"], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""  # make is quiet
    return copy


@needs
def test_objects_show_the_consequence(built):
    for name, section in (
        ("bootcode", ".bootcode"),
        ("gas-syntax", ".trampoline"),
        ("toplevel-asm", ".boot"),
    ):
        (f,) = findings_of(built / f"obj-bad-{name}.o", "KL101")
        assert f.location.section == section
        assert run([str(built / f"obj-good-{name}.o")], select_rules()).findings == []
    for name, section in (("multiboot", ".multiboot"), ("stack", ".bootstack")):
        assert readelf(built / f"obj-bad-{name}.o").section(section).flags == ""
        assert readelf(built / f"obj-good-{name}.o").section(section).alloc
        assert run([str(built / f"obj-good-{name}.o")], select_rules()).findings == []


@needs
def test_make_is_reproducible_and_committed_objects_match(built, tmp_path):
    again = tmp_path / "again"
    shutil.copytree(built, again)
    subprocess.run(["make", "clean", "all"], cwd=again, check=True, capture_output=True)
    objects = sorted(p.name for p in built.glob("obj-*.o"))
    assert len(objects) == 10
    for name in objects:
        assert (again / name).read_bytes() == (built / name).read_bytes(), name
        if (SAMPLE / name).exists():
            assert (SAMPLE / name).read_bytes() == (built / name).read_bytes(), name
    subprocess.run(["make", "clean"], cwd=again, check=True, capture_output=True)
    assert not list(again.glob("*.o"))


@needs
def test_applying_the_fix_allocates_the_section(tmp_path):
    """Put the directive from each finding's fix in the source, rebuild: the section
    is allocated and KL601 is silent."""
    for src in sources("bad-"):
        if src.suffix not in (".s", ".S", ".asm"):
            continue
        (f,) = findings_of(src, "KL601")
        fixed = re.search(r"`([^`]+)`", f.fix).group(1)
        lines = src.read_text().splitlines(keepends=True)
        line = lines[f.location.line - 1]
        lines[f.location.line - 1] = re.sub(r"\.(push)?section\s+\S+", fixed, line, count=1)
        out = tmp_path / src.name
        out.write_text("".join(lines))
        assert findings_of(out, "KL601") == [], src.name
        obj = tmp_path / (src.stem + ".o")
        cmd = ["gcc", "-c"] if src.suffix == ".S" else ["as", "--64"]
        subprocess.run([*cmd, "-o", str(obj), str(out)], check=True, capture_output=True)
        name = f.message.split("`")[1].split()[1]
        assert readelf(obj).section(name).alloc, src.name


def test_rust_samples_built_with_rustc(tmp_path):
    """The Rust pair, built by rustc (LLVM's assembler): no flags vs "ax"."""
    if not shutil.which("rustc"):
        pytest.skip("rustc is not installed")
    flags = {}
    for kind in ("bad", "good"):
        obj = tmp_path / f"{kind}.o"
        proc = subprocess.run(
            [
                "rustc",
                "--edition",
                "2021",
                "--emit=obj",
                "--crate-type=lib",
                "-O",
                "-o",
                str(obj),
                str(SAMPLE / f"{kind}-global-asm.rs"),
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 and "target may not be installed" in proc.stderr:
            pytest.skip("rustc has no standard library for the host target")
        assert proc.returncode == 0, proc.stderr
        flags[kind] = readelf(obj).section(".boot").flags
    assert flags == {"bad": "", "good": "AX"}
    (f,) = findings_of(tmp_path / "bad.o", "KL101")
    assert f.location.section == ".boot"


def test_upper_case_names_are_section_names(tmp_path):
    """GNU as matches special names case-sensitively (`.TEXT` gets no flags), and a
    plain upper-case word in a `.S` file is a section name unless the file `#define`s
    it; names spelled like macros (`TEXT_SECTION`) stay symbolic."""
    for name in ("a.s", "a.S"):
        (f,) = kl601(tmp_path, name, ".section VECTORS\n.globl _start\n_start:\n\tnop\n")
        assert "`.section VECTORS`" in f.message, name
    (f,) = kl601(tmp_path, "b.s", ".section .TEXT\n\tnop\n")
    assert "`.section .TEXT`" in f.message
    assert kl601(tmp_path, "c.S", '#define VECTORS .vectors, "ax"\n.section VECTORS\n\tnop\n') == []
    assert kl601(tmp_path, "d.S", "#include <asm.h>\n.section TEXT_SECTION\n\tnop\n") == []


@needs
def test_upper_case_names_get_no_flags_from_gnu_as(tmp_path):
    src = tmp_path / "v.s"
    src.write_text(".section VECTORS\n\tnop\n.section .TEXT\n\tnop\n.section .Text.x\n\tnop\n")
    obj = tmp_path / "v.o"
    subprocess.run(["as", "--64", "-o", str(obj), str(src)], check=True)
    for name in ("VECTORS", ".TEXT", ".Text.x"):
        assert readelf(obj).section(name).flags == "", name
        assert kl601(tmp_path, "v.s", src.read_text())
