"""KL501 computes each relocation on the predicted layout and reports what GNU ld
reports as "relocation truncated to fit", before linking: on the samples, and on
generated links checked against ld 2.40 (same relocations, silent where ld links)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest

from tests.conftest import kernlint, sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

LD_LINE = re.compile(r"\((\S+?)\+(0x[0-9a-f]+)\): relocation truncated to fit: (R_\w+)")
KL_LINE = re.compile(r"\((\S+?)\+(0x[0-9a-f]+)\): (R_\w+) against")


def _findings(*scripts, objects=()):
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    config = Config(objects=tuple(str(o) for o in objects))
    return run([str(s) for s in scripts], select_rules(["KL501"]), config).findings


def _kl_set(findings) -> set[tuple[str, str, str]]:
    return {KL_LINE.search(f.message).groups() for f in findings}


def _ld_set(stderr: str) -> set[tuple[str, str, str]]:
    return set(LD_LINE.findall(stderr))


def test_sample_higher_half():
    bad = _findings(sample("kl501", "bad-higher-half.ld"))
    ld = _ld_set(sample("kl501", "bad-higher-half.ld-stderr").read_text())
    assert (
        _kl_set(bad)
        == ld
        == {
            (".boot", "0x1", "R_X86_64_32"),
            (".boot", "0x6", "R_X86_64_32"),
        }
    )
    messages = sorted(f.message for f in bad)
    # ld.lld prints the same values in decimal (README "## Observed").
    assert "= 0xffffffff80107000" in messages[0] and "section `.bss'" in messages[0]
    assert str(0xFFFFFFFF80107000) == "18446744071563145216"
    assert "= 0xffffffff80102000" in messages[1] and "symbol `kernel_pml4'" in messages[1]
    for f in bad:
        assert "[0x0, 0xffffffff] (unsigned 32-bit)" in f.message
        assert f.location.line == 8  # `.boot : { *(.boot) }`
        assert "-mcmodel=kernel" in f.fix and "physical (low) alias" in f.fix
    assert _findings(sample("kl501", "good-low-alias.ld")) == []
    assert sample("kl501", "good-low-alias.ld-stderr").read_text() == ""


def test_sample_real_mode():
    bad = _findings(sample("kl501", "bad16-real-mode.ld"))
    ld = _ld_set(sample("kl501", "bad16-real-mode.ld-stderr").read_text())
    assert _kl_set(bad) == ld == {(".text", "0x1", "R_386_16")}
    (f,) = bad
    assert "= 0x18007" in f.message and "[-0x10000, 0xffff]" in f.message
    assert "64 KiB" in f.fix
    assert _findings(sample("kl501", "good16-real-mode.ld")) == []


# ----------------------------------------------------------------------------- generated

#: (directive, what it emits) per machine; {s} is the target symbol expression.
DIRECTIVES = {
    "elf_x86_64": [
        ".long {s}",  # R_X86_64_32
        ".reloc ., R_X86_64_32S, {s}; .long 0",
        ".long {s} - .",  # R_X86_64_PC32
        ".reloc ., R_X86_64_PLT32, {s} - 4; .long 0",
        ".word {s}",  # R_X86_64_16
        ".word {s} - .",  # R_X86_64_PC16
        ".byte {s}",  # R_X86_64_8
        ".byte {s} - .",  # R_X86_64_PC8
        ".quad {s}",  # R_X86_64_64: never overflows
    ],
    "elf_i386": [
        ".long {s}",  # R_386_32: wraps
        ".long {s} - .",  # R_386_PC32
        ".word {s}",  # R_386_16 (REL: the addend is in the field)
        ".word {s} - .",  # R_386_PC16
        ".byte {s}",  # R_386_8
        ".byte {s} - .",  # R_386_PC8
    ],
}
#: Addresses near the fields' limits.
PLACES = {
    "elf_x86_64": [
        0x0,
        0x1000,
        0x7F00,
        0xFF00,
        0x10000,
        0x7FFF_FF00,
        0x8000_0000,
        0xFFFF_FF00,
        0x1_0000_0000,
        0xFFFF_FFFF_7FFF_FF00,
        0xFFFF_FFFF_8000_0000,
        0xFFFF_FFFF_FFFF_F000,
    ],
    "elf_i386": [0x0, 0x100, 0x1000, 0x7F00, 0xFF00, 0x10000, 0x8000_0000, 0xFFFF_F000],
}
ADDENDS = [0, 4, 0x100, -0x100, 0x8000, -0x8000, 0x7FFF_FFFF, -0x1_0000]


def _case(rng: random.Random, machine: str):
    """(source, script): a .data section of relocations against `tgt` (+ addends) in
    .target, both placed at addresses picked near the limits."""
    data, target = rng.sample(PLACES[machine], 2)
    lines = []
    for _ in range(rng.randint(1, 3)):
        directive = rng.choice(DIRECTIVES[machine])
        addend = rng.choice(ADDENDS)
        if machine == "elf_i386" and ".word" in directive:  # REL: the addend is inline
            addend = rng.choice([0, 4, -4, 0x100, -0x100, 0x7FFF, -0x8000])
        elif machine == "elf_i386" and ".byte" in directive:
            addend = rng.choice([0, 4, -4, 0x7F, -0x80])
        expr = f"(tgt + {addend})" if addend >= 0 else f"(tgt - {-addend})"
        lines.append(directive.format(s=expr))
    source = (
        '.section .data,"aw",@progbits\n'
        + "\n".join(lines)
        + '\n.section .target,"aw",@progbits\n.byte 0\n.globl tgt\ntgt: .byte 0\n'
    )
    order = sorted([(data, ".data"), (target, ".target")])
    body = "".join(f"  . = {a:#x};\n  {n} : {{ *({n}) }}\n" for a, n in order)
    return source, f"SECTIONS {{\n{body}}}\n"


def _link(tmp_path, machine: str, source: str, script: str):
    (tmp_path / "k.s").write_text(source)
    (tmp_path / "link.ld").write_text(script)
    flag = "--64" if machine == "elf_x86_64" else "--32"
    subprocess.run(["as", flag, "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    return subprocess.run(
        [
            *("ld", "-m", machine, "-z", "noexecstack", "--no-warn-rwx-segments", "-e", "0"),
            *("-T", "link.ld", "-o", "k.elf", "k.o"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("machine", ["elf_x86_64", "elf_i386"])
def test_generated_agree_with_ld(tmp_path, machine):
    rng = random.Random(501)
    agree, total, failed_links, reported = 0, 0, 0, 0
    mismatches = []
    for i in range(40):
        case = tmp_path / f"case{i}"
        case.mkdir()
        source, script = _case(rng, machine)
        ld = _link(case, machine, source, script)
        expected = _ld_set(ld.stderr)
        assert (ld.returncode != 0) == bool(expected), ld.stderr
        got = _kl_set(_findings(case / "link.ld", objects=[case / "k.o"]))
        total += 1
        failed_links += bool(expected)
        reported += len(got)
        if got == expected:
            agree += 1
        else:
            mismatches.append((source, script, expected, got))
    assert agree == total, mismatches
    # The cases exercise both outcomes.
    assert 0 < failed_links < total and reported


def test_values_of_a_pc32_overflow(tmp_path):
    source = '.section .data,"aw",@progbits\n.long tgt - .\n' + (
        '.section .target,"aw",@progbits\n.globl tgt\ntgt: .byte 0\n'
    )
    script = (
        "SECTIONS {\n  . = 0x1000;\n  .data : { *(.data) }\n"
        "  . = 0x80002000;\n  .target : { *(.target) }\n}\n"
    )
    ld = _link(tmp_path, "elf_x86_64", source, script)
    assert _ld_set(ld.stderr) == {(".data", "0x0", "R_X86_64_PC32")}
    (f,) = _findings(tmp_path / "link.ld", objects=[tmp_path / "k.o"])
    assert "S 0x80002000 + A 0x0 - P 0x1000 = 0x80001000" in f.message
    assert "[-0x80000000, 0x7fffffff] (signed 32-bit, PC-relative)" in f.message
    assert "-mcmodel=large" in f.fix


def test_silent_without_objects_or_on_unsupported(tmp_path):
    (tmp_path / "link.ld").write_text("SECTIONS { .text : { *(.text) } }\n")
    assert _findings(tmp_path / "link.ld") == []
    # An undefined symbol: ld reports it, not an overflow; KL501 stays silent.
    (tmp_path / "k.s").write_text(".data\n.long nowhere\n")
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    assert _findings(tmp_path / "link.ld", objects=[tmp_path / "k.o"]) == []


def test_overflow_test_matches_ld_limits():
    """Limits probed with ld 2.40 (`.word sym`, `.byte sym`, `.long sym` with sym set
    by the script): 16- and 8-bit absolute fields take [-2^n, 2^n)."""
    from kernlint.rules.kl501_relocation_overflow import BITFIELD, SIGNED, UNSIGNED, overflows

    for addr_bits, src in ((64, 0), (32, 0xFFFF)):
        assert not overflows(0xFFFF, 0, 16, BITFIELD, addr_bits, src)
        assert overflows(0x10000, 0, 16, BITFIELD, addr_bits, src)
        assert not overflows(-0x10000, 0, 16, BITFIELD, addr_bits, src)
        assert overflows(-0x10001, 0, 16, BITFIELD, addr_bits, src)
    assert not overflows(0xFFFFFFFF, 0, 32, UNSIGNED, 64, 0)
    assert overflows(0x100000000, 0, 32, UNSIGNED, 64, 0)
    assert overflows(-1, 0, 32, UNSIGNED, 64, 0)
    assert not overflows(-0x80000000, 0, 32, SIGNED, 64, 0)
    assert overflows(0x80000000, 0, 32, SIGNED, 64, 0)
    assert not overflows(0x1_2345_6789, 0, 32, BITFIELD, 32, 0xFFFFFFFF)  # R_386_32 wraps


def test_explain_points_at_the_finding(tmp_path):
    """`kernlint explain LOG --artifacts bad-*.ld` on ld's real stderr, from a fresh
    build of the sample, shows the KL501 finding as the culprit."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    copy = tmp_path / "s"
    shutil.copytree(sample("kl501", "Makefile").parent, copy)
    subprocess.run(["make", "-s", "clean", "all"], cwd=copy, check=True, capture_output=True)
    log = copy / "bad-higher-half.ld-stderr"
    assert "relocation truncated to fit: R_X86_64_32 against `.bss'" in log.read_text()
    bad = sorted(str(p) for p in copy.glob("bad-*.ld"))
    run = kernlint("explain", str(log), *[a for p in bad for a in ("--artifacts", p)])
    out = run.stdout
    assert "rule KL501 relocation-overflow" in out
    culprits = out.split("in the artifacts:")
    assert len(culprits) == 3, out  # one block per logged relocation
    for block in culprits[1:]:
        assert "bad-higher-half.ld:8:5: KL501 relocation-overflow" in block
        assert "= 0xffffffff80107000" in block
    json_run = kernlint(
        "explain", str(log), "--format", "json", *[a for p in bad for a in ("--artifacts", p)]
    )
    assert "KL501" in json_run.stdout


def test_log_patterns_match_real_lines():
    from kernlint.rules import kl501_relocation_overflow as rule

    ld_lines = sample("kl501", "bad-higher-half.ld-stderr").read_text().splitlines()[1:]
    ld_lines += sample("kl501", "bad16-real-mode.ld-stderr").read_text().splitlines()[1:]
    lld = (
        "ld.lld: error: boot.o:(.boot+0x6): relocation R_X86_64_32 out of range:"
        " 18446744071563124736 is not in [0, 4294967295]; references kernel_pml4",
        "ld.lld: error: stage2.o:(.text+0x1): relocation R_386_16 out of range: 98311 is"
        " not in [-32768, 65535]",
    )
    ld_pattern, lld_pattern = rule.LOG_PATTERNS
    for line in ld_lines:
        assert re.search(ld_pattern.regex, line), line
    for line in lld:
        assert re.search(lld_pattern.regex, line), line
    for pattern in rule.LOG_PATTERNS:
        assert re.search(pattern.regex, pattern.sample)
