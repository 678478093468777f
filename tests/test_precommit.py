"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit framework in a
scratch repository (`pre-commit try-repo`), which installs kernlint from this
repository the way a user's pre-commit would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, sample

#: pre-commit from the test command's own venv (tests/setup.sh installs it there; the
#: README's command runs `.venv/bin/python -m pytest`, which does not put .venv/bin on
#: PATH), else the one on PATH.
_BESIDE = Path(sys.executable).parent / "pre-commit"
PRE_COMMIT = str(_BESIDE) if _BESIDE.is_file() else shutil.which("pre-commit")

pytestmark = pytest.mark.skipif(
    PRE_COMMIT is None and not os.environ.get("CI"),
    reason="pre-commit is not installed (sh tests/setup.sh)",
)


def git(cwd, *args):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )


def try_repo(cwd, hook, *extra, home):
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [PRE_COMMIT or "pre-commit", "try-repo", str(ROOT), hook, "--all-files", *extra],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def test_source_hook_fails_on_a_flagless_section_and_passes_when_fixed(tmp_path, home):
    repo = tmp_path / "kernel"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "boot.S").write_text(".section .bootcode\n_start:\n    cli\n    hlt\n")
    (repo / "README.md").write_text("not linted\n")
    git(repo, "add", ".")
    bad = try_repo(repo, "kernlint", home=home)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "boot.S:1:" in bad.stdout and "KL601" in bad.stdout
    (repo / "boot.S").write_text('.section .bootcode, "ax", @progbits\n_start:\n    cli\n')
    git(repo, "add", ".")
    good = try_repo(repo, "kernlint", home=home)
    assert good.returncode == 0, good.stdout + good.stderr


def test_artifacts_hook_lints_configured_targets(tmp_path, home):
    repo = tmp_path / "kernel"
    (repo / "build").mkdir(parents=True)
    git(repo, "init", "-q")
    shutil.copy(sample("kl101", "bad-bootcode.elf"), repo / "build" / "kernel.elf")
    (repo / "kernlint.toml").write_text("[[target]]\nimage = 'build/kernel.elf'\n")
    git(repo, "add", "kernlint.toml")
    run = try_repo(repo, "kernlint-artifacts", "--hook-stage", "manual", home=home)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "build/kernel.elf: section .bootcode (0x100000): KL101" in run.stdout


def test_the_hook_passes_every_script_and_template_name():
    """The `kernlint` hook's `files` pattern lets through every linker-script and
    template ending kernlint reads (kernlint.classify), and the assembly sources."""
    import re

    import yaml

    from kernlint.classify import SCRIPT_SUFFIXES

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(next(h for h in hooks if h["id"] == "kernlint")["files"])
    for suffix in (*SCRIPT_SUFFIXES, ".S", ".s", ".asm", ".nasm", ".rs"):
        assert files.search("arch/x86/kernel" + suffix), suffix
    for other in ("Makefile.in", "config.h.in", "README.template", "kernel.c"):
        assert not files.search(other), other
