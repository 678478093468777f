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
    # each line's culprit is the relocation at the section+offset the line names
    first, second = (b.split("\n\n")[0] for b in culprits[1:])
    assert "(.boot+0x1)" in first and "(.boot+0x6)" not in first
    assert "(.boot+0x6)" in second and "kernel_pml4" in second and "(.boot+0x1)" not in second
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


# ------------------------------------------------------------------ AArch64 and RISC-V

A64 = ("aarch64-linux-gnu-as", "aarch64-linux-gnu-ld")
RV = ("riscv64-linux-gnu-as", "riscv64-linux-gnu-ld")
needs_a64 = pytest.mark.skipif(
    not all(map(shutil.which, A64)), reason="binutils-aarch64-linux-gnu is needed"
)
needs_rv = pytest.mark.skipif(
    not all(map(shutil.which, RV)), reason="binutils-riscv64-linux-gnu is needed"
)
#: target -> (as, as flags, ld, ld flags)
CROSS = {
    "aarch64": (A64[0], [], A64[1], ["-m", "aarch64elf"]),
    "rv64": (RV[0], ["-march=rv64imac", "-mabi=lp64", "-mno-relax"], RV[1], ["-m", "elf64lriscv"]),
    "rv32": (RV[0], ["-march=rv32imac", "-mabi=ilp32", "-mno-relax"], RV[1], ["-m", "elf32lriscv"]),
}
_G = 1 << 32
#: (target, relocation, instruction with {t} for the target symbol, "pc" (values are
#: S-P) or "abs" (values are S), values at and just past the limits; a (P, S) pair
#: places both). GNU ld 2.40 decides; the test asserts KL501 agrees on every value.
LIMITS = [
    ("aarch64", "ABS32", ".word {t}", "abs", [_G - 1, _G, -0x10]),
    ("aarch64", "ABS16", ".hword {t}", "abs", [0xFFFF, 0x10000, -0x10]),
    ("aarch64", "PREL32", ".word {t} - .", "pc", [_G // 2 - 1, _G // 2, -_G // 2, -_G // 2 - 1]),
    ("aarch64", "PREL16", ".hword {t} - .", "pc", [0x7FFF, 0x8000, -0x8000, -0x8001]),
    ("aarch64", "MOVW_UABS_G0", "movz x0, #:abs_g0:{t}", "abs", [0xFFFF, 0x10000, -0x10]),
    ("aarch64", "MOVW_UABS_G1", "movz x0, #:abs_g1:{t}", "abs", [_G - 1, _G]),
    ("aarch64", "MOVW_UABS_G2", "movz x0, #:abs_g2:{t}", "abs", [(1 << 48) - 1, 1 << 48]),
    (
        "aarch64",
        "MOVW_SABS_G0",
        "movz x0, #:abs_g0_s:{t}",
        "abs",
        [0xFFFF, 0x10000, -0x10000, -0x10001],
    ),
    ("aarch64", "MOVW_SABS_G1", "movz x0, #:abs_g1_s:{t}", "abs", [_G - 1, _G, -_G, -_G - 1]),
    (
        "aarch64",
        "MOVW_SABS_G2",
        "movz x0, #:abs_g2_s:{t}",
        "abs",
        [(1 << 48) - 1, 1 << 48, -(1 << 48), -(1 << 48) - 1],
    ),
    (
        "aarch64",
        "LD_PREL_LO19",
        "ldr x0, {t}",
        "pc",
        [0xFFFFC, 0x100000, -0x100000, -0x100004, 0x1002],
    ),
    ("aarch64", "ADR_PREL_LO21", "adr x0, {t}", "pc", [0xFFFFF, 0x100000, -0x100000, -0x100001]),
    ("aarch64", "ADR_PREL_PG_HI21", "adrp x0, {t}", "pc", [_G - 1, _G, -_G, -_G - 1]),
    ("aarch64", "TSTBR14", "tbz x0, #3, {t}", "pc", [0x7FFC, 0x8000, -0x8000, -0x8004, 0x7FFF]),
    ("aarch64", "CONDBR19", "b.eq {t}", "pc", [0xFFFFC, 0x100000, -0x100000, -0x100004, 0xFFFFF]),
    # In a section that is not code: ld's veneers are for code sections only.
    ("aarch64", "JUMP26", "b {t}", "pc", [0x7FFFFFC, 0x8000000, -0x8000000, -0x8000004]),
    ("aarch64", "CALL26", "bl {t}", "pc", [0x7FFFFFC, 0x8000000, -0x8000000, -0x8000004]),
    ("aarch64", "LDST16_ABS_LO12_NC", "ldrh w0, [x0, #:lo12:{t}]", "abs", [0x1000, 0x1001]),
    ("aarch64", "LDST32_ABS_LO12_NC", "ldr w0, [x0, #:lo12:{t}]", "abs", [0x1000, 0x1002]),
    ("aarch64", "LDST64_ABS_LO12_NC", "ldr x0, [x0, #:lo12:{t}]", "abs", [0x1000, 0x1004]),
    ("aarch64", "LDST128_ABS_LO12_NC", "ldr q0, [x0, #:lo12:{t}]", "abs", [0x1000, 0x1008]),
]
_RV_PC = [
    (
        "BRANCH",
        ".reloc ., R_RISCV_BRANCH, {t}; .word 0x00b50063",
        [0xFFE, 0x1000, -0x1000, -0x1002, 0xFFF],
    ),
    (
        "JAL",
        ".reloc ., R_RISCV_JAL, {t}; .word 0x6f",
        [0xFFFFE, 0x100000, -0x100000, -0x100002, 0xFFFFF],
    ),
    (
        "RVC_BRANCH",
        ".reloc ., R_RISCV_RVC_BRANCH, {t}; .hword 0xc101",
        [0xFE, 0x100, -0x100, -0x102, 0xFF],
    ),
    (
        "RVC_JUMP",
        ".reloc ., R_RISCV_RVC_JUMP, {t}; .hword 0xa001",
        [0x7FE, 0x800, -0x800, -0x802, 0x7FF],
    ),
]
_HI20 = [0x7FFFF7FF, 0x7FFFF800, -0x80000800, -0x80000801]
_CALL = ".reloc ., R_RISCV_CALL, {t}; auipc ra, 0; jalr ra, 0(ra)"
LIMITS += [("rv64", name, insn, "pc", values) for name, insn, values in _RV_PC]
LIMITS += [
    ("rv64", "CALL", _CALL, "pc", _HI20),
    ("rv64", "CALL_PLT", "call {t}", "pc", _HI20),
    # Far from 0, so that S+A is out of lui's reach too; then S+A near 0, in its reach.
    ("rv64", "PCREL_HI20", "auipc a0, %pcrel_hi({t})", "pc", _HI20),
    ("rv64", "PCREL_HI20", "auipc a0, %pcrel_hi({t})", "pc", [(0x10_0000_0000, 0x1000)]),
    ("rv64", "HI20", "lui a0, %hi({t})", "abs", _HI20),
]
LIMITS += [("rv32", name, insn, "pc", values) for name, insn, values in _RV_PC]
# RV32 checks no U-type field (ARCH_SIZE > 32 in perform_relocation): ld never complains.
_RV32_FAR = [(0x1000_0000, 0x9000_0000), (0xF000_0000, 0x100)]
LIMITS += [
    # ld computes S+A-P in 64 bits on RV32 too: no wrap-around at 4 GiB.
    ("rv32", "JAL", _RV_PC[1][1], "pc", [(0xFFFF_F000, 0x100), (0x200, 0xFFFF_E000)]),
    ("rv32", "CALL_PLT", "call {t}", "pc", _RV32_FAR),
    ("rv32", "PCREL_HI20", "auipc a0, %pcrel_hi({t})", "pc", _RV32_FAR),
    ("rv32", "HI20", "lui a0, %hi({t})", "abs", [0x9000_0000, 0xFFFF_F000]),
]


def _limit_case(target: str, insn: str, mode: str, values):
    """(source, script): one caller section `.cN` and one 1-byte target `.tN` per value,
    callers 64 GiB apart (256 MiB on RV32), so that nothing overlaps."""
    mask = (1 << 32) - 1 if target == "rv32" else (1 << 64) - 1
    stride = 0x1000_0000 if target == "rv32" else 0x10_0000_0000
    flags = '"a"' if insn.split()[0] in ("b", "bl") else '"ax"'
    lines, places = [], []
    for i, v in enumerate(values):
        if isinstance(v, tuple):
            p, s = v
        else:
            p = stride * (i + 1)
            s = v if mode == "abs" else p + v
        lines.append(f".section .c{i},{flags}\n" + insn.format(t=f"t{i}"))
        lines.append(f'.section .t{i},"a"\n.globl t{i}\nt{i}: .byte 0')
        places += [(p & mask, f".c{i}"), (s & mask, f".t{i}")]
    source = (".option norelax\n" if target != "aarch64" else "") + "\n".join(lines) + "\n"
    body = "".join(f"  . = {a:#x};\n  {n} : {{ *({n}) }}\n" for a, n in sorted(places))
    return source, f"SECTIONS {{\n{body}}}\n"


def _cross_link(tmp_path, target: str, source: str, script: str):
    asm, aflags, ld, lflags = CROSS[target]
    (tmp_path / "k.s").write_text(source)
    (tmp_path / "link.ld").write_text(script)
    subprocess.run([asm, *aflags, "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    return subprocess.run(
        [
            *(ld, *lflags, "-z", "noexecstack", "--no-warn-rwx-segments", "-e", "0"),
            *("-z", "max-page-size=0x1000", "-T", "link.ld", "-o", "k.elf", "k.o"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


def _needs(target: str) -> None:
    tools = A64 if target == "aarch64" else RV
    if not all(map(shutil.which, tools)):
        pytest.skip(f"{tools[0]} and {tools[1]} are needed")


@pytest.mark.parametrize(
    ("target", "name", "insn", "mode", "values"),
    LIMITS,
    ids=[f"{t}-{n}-{i}" for i, (t, n, *_) in enumerate(LIMITS)],
)
def test_limits_agree_with_ld(tmp_path, target, name, insn, mode, values):
    """Each value at and just past a field's limit, linked with GNU ld 2.40: KL501
    reports exactly the relocations ld refuses, and says why."""
    _needs(target)
    source, script = _limit_case(target, insn, mode, values)
    ld = _cross_link(tmp_path, target, source, script)
    expected = _ld_set(ld.stderr)
    assert (ld.returncode != 0) == bool(expected), ld.stderr
    assert all(t.endswith(name) for _, _, t in expected), ld.stderr
    findings = _findings(tmp_path / "link.ld", objects=[tmp_path / "k.o"])
    assert _kl_set(findings) == expected, (ld.stderr, [f.message for f in findings])
    if not all(isinstance(v, tuple) for v in values) and not (target == "rv32" and mode == "abs"):
        assert 0 < len(expected) < len(values), ld.stderr  # both outcomes at the limits
    if target == "rv32" and name in ("CALL_PLT", "PCREL_HI20", "HI20"):
        assert not expected  # not checked on RV32
    for f in findings:
        assert "outside the field's [" in f.message or "not a multiple of" in f.message
        assert f.fix


@needs_a64
def test_arm64_branch_in_code_gets_a_veneer(tmp_path):
    """`bl`/`b` from a code section out of ±128 MiB: ld links through a long-branch
    veneer (a stub it inserts after the caller, moving what follows), so KL501 says
    nothing about such a link, not even about an `adr` ld refuses (the layout is not
    ld's); without the far branches, the `adr` is reported."""
    far = '.section .c0,"ax"\nbl t0\nb t0\n'
    adr = '.section .c1,"ax"\nadr x0, t0\n'
    target = '.section .t0,"ax"\n.globl t0\nt0: ret\n'
    script = (
        "SECTIONS {\n  . = 0x1000;\n  .c0 : { *(.c0) }\n  .c1 : { *(.c1) }\n"
        "  . = 0x40000000;\n  .t0 : { *(.t0) }\n}\n"
    )
    adr_bad = {(".c1", "0x0", "R_AARCH64_ADR_PREL_LO21")}
    for name, source, expected, reported in (
        ("veneer", far + target, set(), set()),
        ("both", far + adr + target, adr_bad, set()),
        ("adr", adr + target, adr_bad, adr_bad),
    ):
        case = tmp_path / name
        case.mkdir()
        ld = _cross_link(case, "aarch64", source, script)
        assert _ld_set(ld.stderr) == expected, ld.stderr
        found = _findings(case / "link.ld", objects=[case / "k.o"])
        assert _kl_set(found) == reported
        if name == "veneer":
            symbols = subprocess.run(
                ["aarch64-linux-gnu-nm", "k.elf"], cwd=case, capture_output=True, text=True
            ).stdout
            assert "_veneer" in symbols, symbols


@needs_rv
def test_riscv_relaxable_objects_are_left_alone(tmp_path):
    """Objects assembled with relaxation (gas's default: R_RISCV_RELAX, R_RISCV_ALIGN):
    ld deletes bytes and moves what follows, which `kernlint layout` does not model;
    KL501 stays silent rather than guess, whatever ld reports."""
    source = '.section .c0,"ax"\ncall t0\nj t0\n.section .t0,"ax"\n.globl t0\nt0: ret\n'
    script = (
        "SECTIONS {\n  . = 0x80000000;\n  .c0 : { *(.c0) }\n"
        "  . = 0x80400000;\n  .t0 : { *(.t0) }\n}\n"
    )
    asm, aflags, ld, lflags = CROSS["rv64"]
    (tmp_path / "k.s").write_text(source)
    (tmp_path / "link.ld").write_text(script)
    flags = [f for f in aflags if f != "-mno-relax"]
    subprocess.run([asm, *flags, "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    run = subprocess.run(
        [ld, *lflags, "-e", "0", "-T", "link.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert _ld_set(run.stderr) == {(".c0", "0x8", "R_RISCV_JAL")}
    assert _findings(tmp_path / "link.ld", objects=[tmp_path / "k.o"]) == []


@needs_a64
def test_sample_arm64_physical_head():
    bad = _findings(sample("kl501", "badarm64-phys-head.ld"))
    ld = _ld_set(sample("kl501", "badarm64-phys-head.ld-stderr").read_text())
    assert (
        _kl_set(bad)
        == ld
        == {
            (".head.text", "0x0", "R_AARCH64_ADR_PREL_LO21"),
            (".head.text", "0x4", "R_AARCH64_LD_PREL_LO19"),
            (".head.text", "0x8", "R_AARCH64_ADR_PREL_PG_HI21"),
            (".head.text", "0xc", "R_AARCH64_CONDBR19"),
        }
    )
    for f in bad:
        assert f.location.line == 9  # `.head.text : { *(.head.text) }`
    adrp = next(f for f in bad if "PG_HI21" in f.message)
    assert "Page(S 0xffff800010012000 + A 0x0) - Page(P 0x40080008)" in adrp.message
    assert "[-0x100000000, 0xfffff000]" in adrp.message
    assert "AT()" in adrp.fix
    assert _findings(sample("kl501", "goodarm64-virt-head.ld")) == []
    assert sample("kl501", "goodarm64-virt-head.ld-stderr").read_text() == ""


@needs_rv
def test_sample_riscv_medlow():
    """GNU ld stops at the first bad relocation of each RISC-V input section
    (riscv_elf_relocate_section: `goto out`), so it names the `lui` only; KL501 also
    names the `j` a second link would then stop at."""
    bad = _findings(sample("kl501", "badrv64-medlow.ld"))
    ld = _ld_set(sample("kl501", "badrv64-medlow.ld-stderr").read_text())
    assert ld == {(".head.text", "0x0", "R_RISCV_HI20")}
    assert _kl_set(bad) == ld | {(".head.text", "0x8", "R_RISCV_JAL")}
    hi20 = next(f for f in bad if "HI20" in f.message)
    assert "= 0x80401000, outside the field's [-0x80000800, 0x7ffff7ff]" in hi20.message
    assert "-mcmodel=medany" in hi20.fix
    assert _findings(sample("kl501", "goodrv64-medany.ld")) == []
    assert sample("kl501", "goodrv64-medany.ld-stderr").read_text() == ""


def test_log_patterns_match_arm64_and_riscv_lines():
    """GNU ld 2.40 lines from the samples; LLD 14.0.6 lines observed on the same links."""
    from kernlint.rules import kl501_relocation_overflow as rule

    ld_pattern, lld_pattern = rule.LOG_PATTERNS
    lines = []
    for name in ("badarm64-phys-head.ld-stderr", "badrv64-medlow.ld-stderr"):
        lines += sample("kl501", name).read_text().splitlines()[1:]
    assert lines
    for line in lines:
        match = re.search(ld_pattern.regex, line)
        assert match and match["type"].startswith(("R_AARCH64_", "R_RISCV_")), line
    lld = (
        "ld.lld: error: head-arm64.o:(.head.text+0xc): relocation R_AARCH64_CONDBR19 out"
        " of range: -140738294120456 is not in [-1048576, 1048575]",
        "ld.lld: error: head-arm64.o:(.head.text+0x8): relocation"
        " R_AARCH64_ADR_PREL_PG_HI21 out of range: -140738294112256 is not in"
        " [-4294967296, 4294967295]",
        "ld.lld: error: head-medlow.o:(.head.text+0x0): relocation R_RISCV_HI20 out of"
        " range: 525313 is not in [-524288, 524287]; references boot_hart_id",
        "ld.lld: error: head-medlow.o:(.head.text+0x8): relocation R_RISCV_JAL out of"
        " range: 1048572 is not in [-524288, 524287]; references start_kernel",
    )
    assert -140738294120456 == -0x800030070008  # KL501's CONDBR19 value, in decimal
    for line in lld:
        assert re.search(lld_pattern.regex, line), line


@pytest.mark.parametrize("name", ["badarm64-phys-head", "badrv64-medlow"])
def test_explain_arm64_and_riscv_logs(name):
    """`kernlint explain` on GNU ld's committed stderr names KL501, and with the script
    as an artifact shows the finding for the logged relocation."""
    log = sample("kl501", f"{name}.ld-stderr")
    run = kernlint("explain", str(log), "--artifacts", str(sample("kl501", f"{name}.ld")))
    assert "rule KL501 relocation-overflow" in run.stdout, run.stdout + run.stderr
    first = log.read_text().splitlines()[1]
    offset = re.search(r"\+(0x[0-9a-f]+)\)", first)[1]
    assert f"{name}.ld" in run.stdout and f"(.head.text+{offset}):" in run.stdout
