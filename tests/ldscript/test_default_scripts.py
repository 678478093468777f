"""Every default linker script that GNU ld ships for x86-64/i386, AArch64, ARM and
RISC-V parses with no KL002, and GNU ld itself agrees it parses (`ld -T script` with no
input fails only with "no input files"); realistic kernel scripts parse too, for
kernlint and for ld."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.ldscript import load_script

# (folder of default scripts, the ld of that binutils)
BINUTILS = [
    ("/usr/lib/x86_64-linux-gnu/ldscripts", "ld"),
    ("/usr/lib/aarch64-linux-gnu/ldscripts", "aarch64-linux-gnu-ld"),
    ("/usr/lib/arm-none-eabi/ldscripts", "arm-none-eabi-ld"),
    ("/usr/lib/riscv64-linux-gnu/ldscripts", "riscv64-linux-gnu-ld"),
]
KERNELS = sorted((Path(__file__).parent / "data" / "kernels").glob("*.ld"))


def _scripts():
    for folder, ld in BINUTILS:
        for path in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else ():
            yield pytest.param(path, ld, id=f"{Path(folder).parent.name}/{path.name}")


SCRIPTS = list(_scripts())


def ld_agrees(ld: str, script: Path) -> None:
    """ld parses ``script``: with no input files it stops at "no input files", not at a
    syntax error."""
    proc = subprocess.run(
        [ld, "-T", str(script)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert "syntax error" not in proc.stderr, proc.stderr
    assert "no input files" in proc.stderr, proc.stderr


def test_the_four_architectures_are_installed():
    """sh tests/setup.sh installs the cross binutils; without them this corpus shrinks."""
    have = {ld for _, ld in BINUTILS if shutil.which(ld)}
    if len(have) < len(BINUTILS):
        pytest.skip(f"missing: {sorted({ld for _, ld in BINUTILS} - have)}")
    assert len(SCRIPTS) > 300


@pytest.mark.parametrize("path, ld", SCRIPTS)
def test_default_script_parses_and_ld_agrees(path, ld):
    loaded = load_script(path)
    assert loaded.script.statements
    if shutil.which(ld):
        ld_agrees(ld, path)


@pytest.mark.parametrize("path", KERNELS, ids=lambda p: p.name)
def test_kernel_scripts_parse_and_ld_agrees(path):
    from tests.conftest import kernlint

    run = kernlint("check", "--format", "json", str(path))
    assert "KL002" not in run.rules, run.report["findings"]
    if shutil.which("ld"):
        ld_agrees("ld", path)
