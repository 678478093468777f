"""Shared fixtures: run kernlint in-process or as a process, find samples."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@dataclass
class Run:
    """A finished ``kernlint`` process."""

    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    @property
    def rules(self) -> set[str]:
        return {f["rule"] for f in self.report["findings"]}


def kernlint(*args: str, cwd: Path | None = None, timeout: float = 120) -> Run:
    """Run ``python -m kernlint ARGS`` in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "kernlint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def sample_dirs() -> list[Path]:
    """``samples/klNNN-name`` folders, sorted."""
    return sorted(p for p in SAMPLES.iterdir() if p.is_dir() and re.match(r"kl\d{3}-", p.name))


def sample_rule(sample: Path) -> str:
    """``KL101`` for ``samples/kl101-code-not-allocated``."""
    return sample.name.split("-", 1)[0].upper()


def also_triggers(sample: Path) -> set[str]:
    """Rule ids a broken sample triggers besides its own, from its README's
    ``Also triggers:`` line."""
    text = (sample / "README.md").read_text()
    m = re.search(r"^Also triggers:\s*(.*)$", text, re.M)
    return set(re.findall(r"KL\d{3}", m.group(1))) if m else set()


def sample_args(folder: Path) -> list[str]:
    """Extra ``kernlint check`` arguments a sample's outputs are checked with:
    ``--config FOLDER/kernlint.toml`` when the folder has one, whose ``[[target]]``
    tables tie each image to what it needs beside it (the objects it was linked from,
    for KL406). The same file is what ``kernlint check`` run in that folder reads."""
    config = folder / "kernlint.toml"
    return ["--config", str(config)] if config.is_file() else []


SOURCE_SUFFIXES = (".S", ".s", ".asm", ".nasm", ".rs", ".c", ".cc", ".cpp", ".cxx")


def outputs(folder: Path, prefix: str) -> list[Path]:
    """The files of a sample that show its rule, named ``bad*``/``good*``: built ELF
    outputs (``.elf``, ``.o``, and ``.efi`` for UEFI images), or for script (KL2) and
    source (KL6) rules the scripts and sources themselves; a ``klNNN-name-prelink``
    folder shows a rule on the layout a script predicts before linking
    (``kernlint check bad.ld``), so its scripts."""
    if re.match(r"kl6\d\d-", folder.name):
        suffixes = SOURCE_SUFFIXES
    elif re.match(r"kl2\d\d-|kl501-|kl\d{3}-.*-prelink$", folder.name):
        suffixes = (".ld", ".lds", ".x")
    else:
        suffixes = (".elf", ".o", ".bin", ".efi", ".so")  # .efi/.so: UEFI images (KL7)
    return sorted(p for p in folder.iterdir() if p.name.startswith(prefix) and p.suffix in suffixes)


def have_toolchain() -> bool:
    return all(shutil.which(t) for t in ("as", "ld", "nasm", "make", "gcc", "ld.lld"))


needs_toolchain = pytest.mark.skipif(
    not have_toolchain() and not os.environ.get("CI"),
    reason="GNU as/ld, gcc, nasm, ld.lld and make are needed (sh tests/setup.sh installs them)",
)


def findings_of(path: Path, rule: str) -> list:
    """Findings of one rule on one file, in-process."""
    from kernlint.engine import run, select_rules

    return run([str(path)], select_rules([rule])).findings


def sample(rule_dir: str, name: str) -> Path:
    """A committed sample output: ``sample("kl101", "bad-bootcode.elf")``, or by the
    folder's full name; when a rule has several folders (``kl301-...`` and
    ``kl301-...-prelink``), the one holding ``name``."""
    folders = [p for p in sample_dirs() if p.name == rule_dir or p.name.startswith(rule_dir + "-")]
    if len(folders) > 1:
        folders = [p for p in folders if (p / name).exists()]
    (folder,) = folders
    return folder / name


def elf_files() -> list[Path]:
    """Every committed ELF output of the samples (``.elf``, ``.o``), sorted."""
    return sorted(p for s in sample_dirs() for p in s.iterdir() if p.suffix in (".elf", ".o"))


def lint_script(
    tmp_path: Path, rule: str, text: str, *, config=None, must_parse: bool = False, **others: str
) -> list:
    """Findings of ``rule`` on ``text`` written as ``tmp_path/kernel.ld``, with the files
    ``others`` (name=body) beside it for INCLUDE. ``must_parse`` first asserts that the
    script parses (else KL002 would stand in for the rule)."""
    from kernlint.engine import run, select_rules
    from kernlint.ldscript import load_script

    for name, body in others.items():
        (tmp_path / name).write_text(body)
    path = tmp_path / "kernel.ld"
    path.write_text(text)
    if must_parse:
        load_script(path)
    return run([str(path)], select_rules([rule]), config).findings


#: A throwaway opt-in rule (tests only; no real rule is named here): one warning on
#: line 1 of every linker script.
PEDANTIC_RULE = '''\
"""A probe in the pedantic group (tests).

## What it does
Reports line 1 of every linker script, so that a test sees when the rule ran.
"""

from kernlint.context import SCRIPT
from kernlint.finding import Finding, Location

ID = "KL299"
NAME = "pedantic-probe"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})
GROUP = "pedantic"


def check(ctx):
    yield Finding("the pedantic probe ran", Location(line=1, column=1))
'''


@pytest.fixture
def pedantic_rule(tmp_path, monkeypatch):
    """:data:`PEDANTIC_RULE` (KL299, group ``pedantic``) loaded as the engine loads a
    rule module, and added to what :func:`kernlint.engine.all_rules` gives in this
    process (in-process runs only: ``CliRunner``, ``run``, ``select_rules``)."""
    import importlib

    from kernlint import engine

    folder = tmp_path / "pedantic_probe"
    folder.mkdir()
    (folder / "klx_pedantic_probe.py").write_text(PEDANTIC_RULE)
    monkeypatch.syspath_prepend(str(folder))
    rule = engine._load(importlib.import_module("klx_pedantic_probe"))
    rules = tuple(sorted((*engine.all_rules(), rule), key=lambda r: r.id))
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    yield rule
    sys.modules.pop("klx_pedantic_probe", None)
