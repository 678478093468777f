"""The flag tables of :mod:`kernlint.source.flags` against the real assemblers.

For every entry of the GNU as table (and names that must *not* match an entry: a
prefix glued to more letters, names GNU as does not know), assemble
``.section NAME`` + ``nop`` with the installed GNU as, read the section's type and
flags with ``readelf -SW`` (parsed by ``tests/support/readelf.py``), and check that
:func:`gas_flags` predicts exactly them. The same for LLVM's assembler (``llvm-mc``,
and ``rustc``'s ``global_asm!``, which is what Rust sources go through) and for
NASM's ELF defaults.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.source.flags import (
    GAS_BACKEND,
    GAS_GENERIC,
    LLVM_DEFAULTS,
    NASM_KNOWN,
    NON_ALLOC_PREFIXES,
    SHF_ALLOC,
    SHF_EXCLUDE,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHF_X86_64_LARGE,
    derives_flags,
    gas_flags,
    llvm_flags,
    nasm_flags,
)
from tests.support.readelf import readelf

SHT_NAMES = {
    1: "PROGBITS",
    2: "SYMTAB",
    3: "STRTAB",
    4: "RELA",
    5: "HASH",
    6: "DYNAMIC",
    7: "NOTE",
    8: "NOBITS",
    9: "REL",
    11: "DYNSYM",
    14: "INIT_ARRAY",
    15: "FINI_ARRAY",
    16: "PREINIT_ARRAY",
    19: "RELR",
    0x6FFFFFF6: "GNU_HASH",
    0x6FFFFFF7: "GNU_LIBLIST",
    0x6FFFFFFD: "VERDEF",
    0x6FFFFFFE: "VERNEED",
    0x6FFFFFFF: "VERSYM",
}
FLAG_LETTERS = (
    (SHF_WRITE, "W"),
    (SHF_ALLOC, "A"),
    (SHF_EXECINSTR, "X"),
    (SHF_TLS, "T"),
    (SHF_X86_64_LARGE, "l"),
    (SHF_EXCLUDE, "E"),
)
#: Names GNU as knows nothing about: no flags (the brief's examples and near misses).
UNKNOWN = (
    ".bootcode",
    ".boot",
    ".multiboot",
    ".lol",
    ".init_asm",
    ".text_boot",
    ".textboot",
    ".boot.text",
    ".datax",
    ".bssx",
    ".rodatax",
    ".initx",
    ".init.text",
    ".head.text",
    ".gnu.linkonce.t.boot",
    ".gnu.linkonce.r.boot",
    ".ltext",
    ".sdata",
    ".sbss",
    ".stack",
    "bootcode",
    "__ex_table",
    ".Text",
)
#: GNU as refuses to create these with .section (they are the assembler's own).
RESERVED = {".shstrtab", ".strtab", ".symtab"}

#: Assemblers: target -> command (output file appended) and the instruction to put.
GAS_COMMANDS = {
    "x86-64": ["as", "--64"],
    "i386": ["as", "--32"],
    "aarch64": ["aarch64-linux-gnu-as"],
    "riscv64": ["riscv64-linux-gnu-as"],
    "ppc64": ["powerpc64-linux-gnu-as", "-a64"],
}


def letters(flags: int) -> str:
    return "".join(sorted(c for bit, c in FLAG_LETTERS if flags & bit))


def candidate_names(target: str) -> list[str]:
    """Every table entry as written, with ``.x`` and ``x`` glued on, plus UNKNOWN."""
    names: set[str] = set(UNKNOWN)
    entries = [e for table in GAS_GENERIC.values() for e in table]
    entries += [e for table in GAS_BACKEND.values() for e in table]
    for e in entries:
        if e.suffix_length > 0:  # .stab*str
            prefix = e.text[: e.prefix_length]
            names |= {e.text, prefix + ".foo" + e.text[e.prefix_length :], prefix + "foo"}
        else:
            names |= {e.text, e.text + ".x", e.text + "x"}
    # GNU as 2.40 stops with "Internal error in adjust_stab_sections" on any other
    # .stab* section (it expects stabs in it): only .stab*str ones can be made.
    stabs = {n for n in names if n.startswith(".stab") and not n.endswith("str")}
    return sorted(names - RESERVED - stabs)


def assemble(tmp: Path, command: list[str], name: str, body: str, index: int) -> Path:
    src = tmp / f"s{index}.s"
    obj = tmp / f"s{index}.o"
    src.write_text(f".section {name}\n{body}\n")
    proc = subprocess.run([*command, "-o", str(obj), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, (name, proc.stderr)
    return obj


@pytest.mark.parametrize("target", sorted(GAS_COMMANDS))
def test_gas_flags_match_the_assembler(target, tmp_path):
    command = GAS_COMMANDS[target]
    if not shutil.which(command[0]):
        pytest.skip(f"{command[0]} is not installed (sh tests/setup.sh)")
    wrong = []
    for i, name in enumerate(candidate_names(target)):
        obj = assemble(tmp_path, command, name, "nop", i)
        sec = readelf(obj).section(name)
        sh_type, sh_flags = gas_flags(name, target)
        want = (SHT_NAMES[sh_type], letters(sh_flags))
        got = (sec.type, "".join(sorted(c for c in sec.flags if c in "WAXTlE")))
        if got != want:
            wrong.append((name, "kernlint", want, "as", got))
    assert not wrong, wrong


def test_the_brief_names_get_no_flags_from_gnu_as(tmp_path):
    """The names the seed cases use get nothing, so KL601 must report them."""
    if not shutil.which("as"):
        pytest.skip("GNU as is not installed")
    for i, name in enumerate((".bootcode", ".boot", ".multiboot", ".lol", ".init_asm")):
        sec = readelf(assemble(tmp_path, ["as", "--64"], name, "nop", i)).section(name)
        assert sec.flags == "" and sec.type == "PROGBITS", (name, sec)
        assert not derives_flags(name)


def test_non_alloc_names_are_not_allocated_by_gnu_as(tmp_path):
    """Names KL601 accepts without flags because they are meant to stay out of
    memory really are left unallocated by GNU as (nothing is lost)."""
    if not shutil.which("as"):
        pytest.skip("GNU as is not installed")
    for i, prefix in enumerate(NON_ALLOC_PREFIXES):
        name = prefix + "x" if prefix.endswith((".", "_")) else prefix + ".x"
        if name.startswith(".stab"):
            name = ".stab.xstr"  # see candidate_names
        sec = readelf(assemble(tmp_path, ["as", "--64"], name, ".byte 0", i)).section(name)
        assert "A" not in sec.flags, (name, sec)
        assert derives_flags(name)


def llvm_candidates() -> list[str]:
    names = set(UNKNOWN)
    for prefix, _, _, _ in LLVM_DEFAULTS:
        names |= {prefix, prefix + ".x", prefix + "x"}
    # GNU-only names: LLVM gives them nothing.
    names |= {".noinit", ".persistent", ".lbss", ".ldata", ".lrodata", ".got", ".plt"}
    names |= {".note", ".note.x"}
    return sorted(names)


def test_llvm_flags_match_llvm_mc(tmp_path):
    if not shutil.which("llvm-mc"):
        pytest.skip("llvm-mc is not installed")
    command = ["llvm-mc", "-filetype=obj", "-triple", "x86_64-unknown-none"]
    wrong = []
    for i, name in enumerate(llvm_candidates()):
        # LLVM refuses instructions and non-zero bytes in NOBITS sections.
        obj = assemble(tmp_path, command, name, ".zero 1", i)
        sec = readelf(obj).section(name)
        sh_type, sh_flags = llvm_flags(name)
        want = (SHT_NAMES[sh_type], letters(sh_flags))
        got = (sec.type, "".join(sorted(c for c in sec.flags if c in "WAXTlE")))
        if got != want:
            wrong.append((name, want, got))
    assert not wrong, wrong


def test_llvm_flags_match_rustc_global_asm(tmp_path):
    """Rust sources go through rustc's LLVM: check the table against it too."""
    if not shutil.which("rustc"):
        pytest.skip("rustc is not installed")
    names = llvm_candidates()
    parts = ", ".join(f'".section {n}", ".zero 1"' for n in names)
    src = tmp_path / "sections.rs"
    src.write_text(f"#![no_std]\ncore::arch::global_asm!({parts});\n")
    obj = tmp_path / "sections.o"
    proc = subprocess.run(
        ["rustc", "--edition", "2021", "--emit=obj", "--crate-type=lib", "-o", str(obj), str(src)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 and "target may not be installed" in proc.stderr:
        pytest.skip("rustc has no standard library for the host target")
    assert proc.returncode == 0, proc.stderr
    info = readelf(obj)
    wrong = []
    for name in names:
        sec = info.section(name)
        sh_type, sh_flags = llvm_flags(name)
        want = (SHT_NAMES[sh_type], letters(sh_flags))
        got = (sec.type, "".join(sorted(c for c in sec.flags if c in "WAXTlE")))
        if got != want:
            wrong.append((name, want, got))
    assert not wrong, wrong


def test_nasm_defaults_match_nasm(tmp_path):
    if not shutil.which("nasm"):
        pytest.skip("nasm is not installed")
    names = [*sorted(NASM_KNOWN), ".bootcode", ".text.boot", ".init", ".data.rel", ".boot"]
    wrong = []
    for i, name in enumerate(names):
        known = nasm_flags(name)
        body = "resb 1" if known.sh_type == 8 else "nop"
        src = tmp_path / f"n{i}.asm"
        obj = tmp_path / f"n{i}.o"
        src.write_text(f"section {name}\n{body}\n")
        proc = subprocess.run(
            ["nasm", "-f", "elf64", "-o", str(obj), str(src)], capture_output=True
        )
        assert proc.returncode == 0, proc.stderr
        sec = readelf(obj).section(name)
        align = known.align if known.align > 0 else -known.align * 8
        want = (SHT_NAMES[known.sh_type], letters(known.sh_flags), align)
        got = (sec.type, "".join(sorted(c for c in sec.flags if c in "WAXT")), sec.align)
        if got != want:
            wrong.append((name, want, got))
    assert not wrong, wrong


def test_nasm_fix_attributes_give_text_like_flags(tmp_path):
    """KL602's fix, `progbits alloc exec nowrite align=16`, makes what `.text` is."""
    if not shutil.which("nasm"):
        pytest.skip("nasm is not installed")
    src = tmp_path / "fix.asm"
    obj = tmp_path / "fix.o"
    src.write_text("section .bootcode progbits alloc exec nowrite align=16\nnop\n")
    subprocess.run(["nasm", "-f", "elf64", "-o", str(obj), str(src)], check=True)
    sec = readelf(obj).section(".bootcode")
    assert (sec.type, sec.flags, sec.align) == ("PROGBITS", "AX", 16)
