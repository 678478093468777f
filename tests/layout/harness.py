"""Differential testing of :mod:`kernlint.layout` against GNU ld.

``run_case`` assembles the sources with GNU as, links them with GNU ld and the
script, reads ld's output with kernlint's ELF reader, lays the same objects out with
kernlint, and compares what both say: every allocated output section's VMA, LMA
(``p_paddr + sh_addr - p_vaddr`` of the PT_LOAD holding it, as objdump computes it)
and size, and the PT_LOAD table (``p_vaddr``, ``p_paddr``, ``p_filesz``, ``p_memsz``,
``p_flags``). Used by tests/layout and bench/layout_diff.py.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kernlint.elf.reader import read_image
from kernlint.layout.engine import layout
from kernlint.layout.model import Options
from kernlint.layout.objects import read_objects
from kernlint.ldscript import load_script

PT_LOAD = 1
SHF_ALLOC = 2


@dataclass
class Case:
    """A script, assembly sources (name -> text) and the link options."""

    script: str
    sources: dict[str, str]
    bits: int = 64
    separate_code: bool = False
    gc_sections: bool = False
    extra: tuple[str, ...] = ()
    entry: str | None = None
    symbols: bool = True  # compare the values of the symbols the script assigns


@dataclass
class Outcome:
    """What ld produced and what kernlint predicted; ``differences`` empty when they
    agree. ``ld_error`` is ld's stderr when the link failed."""

    ld_sections: dict = field(default_factory=dict)
    ld_loads: list = field(default_factory=list)
    kl_sections: dict = field(default_factory=dict)
    kl_loads: list = field(default_factory=list)
    ld_error: str | None = None
    ld_stderr: str = ""
    differences: list[str] = field(default_factory=list)
    layout: object = None

    @property
    def agree(self) -> bool:
        return not self.differences


def ld_command(case: Case, objects: list[str], out: str) -> list[str]:
    cmd = [
        "ld",
        "-m",
        "elf_x86_64" if case.bits == 64 else "elf_i386",
        "-z",
        "noexecstack",
        "--build-id=none",
        "-z",
        "separate-code" if case.separate_code else "noseparate-code",
    ]
    if case.gc_sections:
        cmd.append("--gc-sections")
    if case.entry:
        cmd += ["-e", case.entry]
    return [*cmd, *case.extra, "-T", "script.ld", "-o", out, *objects]


def build(case: Case, folder: Path) -> list[str]:
    """Write and assemble the sources; the object names, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.ld").write_text(case.script)
    objects = []
    for name, text in case.sources.items():
        (folder / f"{name}.s").write_text(text)
        subprocess.run(
            ["as", "--64" if case.bits == 64 else "--32", "-o", f"{name}.o", f"{name}.s"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        objects.append(f"{name}.o")
    return objects


def ld_facts(path: Path) -> tuple[dict, list]:
    image = read_image(str(path))
    loads = [s for s in image.segments if s.p_type == PT_LOAD]
    sections = {}
    for s in image.sections:
        if not s.sh_flags & SHF_ALLOC:
            continue
        lma = s.sh_addr
        for seg in loads:
            if seg.p_vaddr <= s.sh_addr < seg.p_vaddr + max(seg.p_memsz, 1) and (
                s.sh_size or seg.p_vaddr <= s.sh_addr < seg.p_vaddr + seg.p_memsz
            ):
                lma = seg.p_paddr + s.sh_addr - seg.p_vaddr
                break
        sections[s.name] = (s.sh_addr, lma, s.sh_size)
    table = [(s.p_vaddr, s.p_paddr, s.p_filesz, s.p_memsz, s.p_flags) for s in loads]
    image.reader.close()
    return sections, table


def predict(case: Case, folder: Path, objects: list[str]):
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        loaded = load_script("script.ld")
        options = Options(
            machine="elf_x86_64" if case.bits == 64 else "elf_i386",
            separate_code=case.separate_code,
            gc_sections=case.gc_sections,
            entry=case.entry,
        )
        result = layout(loaded, read_objects(objects), options)
    finally:
        os.chdir(here)
    sections = {}
    segments = [s for s in result.segments if s.p_type == PT_LOAD]
    for s in result.sections:
        if not s.flags & SHF_ALLOC:
            continue
        lma = s.vma
        for seg in segments:
            if seg.p_vaddr <= s.vma < seg.p_vaddr + max(seg.p_memsz, 1) and (
                s.size or seg.p_vaddr <= s.vma < seg.p_vaddr + seg.p_memsz
            ):
                lma = seg.p_paddr + s.vma - seg.p_vaddr
                break
        sections[s.name] = (s.vma, lma, s.size)
    table = [(s.p_vaddr, s.p_paddr, s.p_filesz, s.p_memsz, s.p_flags) for s in segments]
    return sections, table, result


def run_case(case: Case, folder: Path) -> Outcome:
    objects = build(case, folder)
    proc = subprocess.run(
        ld_command(case, objects, "out.elf"), cwd=folder, capture_output=True, text=True
    )
    outcome = Outcome(ld_stderr=proc.stderr)
    kl_sections, kl_loads, result = predict(case, folder, objects)
    outcome.kl_sections, outcome.kl_loads, outcome.layout = kl_sections, kl_loads, result
    if proc.returncode != 0:
        outcome.ld_error = proc.stderr.strip()
        if not result.errors:
            outcome.differences.append(f"ld failed ({outcome.ld_error}); kernlint did not")
        return outcome
    if result.errors:
        outcome.differences.append(f"kernlint predicts errors {result.errors}; ld linked")
    outcome.ld_sections, outcome.ld_loads = ld_facts(folder / "out.elf")
    for name in sorted(set(outcome.ld_sections) | set(kl_sections)):
        a, b = outcome.ld_sections.get(name), kl_sections.get(name)
        if a != b:
            outcome.differences.append(f"section {name}: ld {_fmt(a)} kernlint {_fmt(b)}")
    if case.symbols:
        ld_syms = ld_symbols(folder / "out.elf", script_symbols(folder / "script.ld"))
        kl_syms = {
            n: v & (0xFFFFFFFF if case.bits == 32 else (1 << 64) - 1)
            for n, v in result.symbols.items()
        }
        for name in sorted(set(ld_syms) | set(kl_syms)):
            if ld_syms.get(name) != kl_syms.get(name):
                ours, theirs = _hex(kl_syms.get(name)), _hex(ld_syms.get(name))
                outcome.differences.append(f"symbol {name}: ld {theirs} kernlint {ours}")
    if outcome.ld_loads != kl_loads:
        outcome.differences.append(
            f"PT_LOAD: ld {[_fmt(x) for x in outcome.ld_loads]}"
            f" kernlint {[_fmt(x) for x in kl_loads]}"
        )
    return outcome


def script_symbols(path: Path) -> set[str]:
    from kernlint.ldscript import ast

    loaded = load_script(str(path))
    return {n.target for n in loaded.walk() if isinstance(n, ast.Assignment) and n.target != "."}


def ld_symbols(path: Path, names: set[str]) -> dict[str, int]:
    """Values of the named symbols in ld's output symbol table."""
    image = read_image(str(path))
    out = {}
    for sym in image.symbols:
        if sym.name in names and sym.st_shndx != 0:
            out[sym.name] = sym.st_value
    image.reader.close()
    return out


def _hex(v) -> str:
    return "absent" if v is None else f"{v:#x}"


def _fmt(t) -> str:
    if t is None:
        return "absent"
    return "(" + ", ".join(f"{v:#x}" for v in t) + ")"
