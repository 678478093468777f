"""Helpers for the ``kernlint explain`` tests: run the real tools to get logs, run
``kernlint explain`` in-process on them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT

SAMPLES = ROOT / "samples"
SCHEMA = json.loads((ROOT / "kernlint" / "report" / "findings-v1.schema.json").read_text())
#: Messages in English, whatever the machine's locale.
ENV = {**os.environ, "LC_ALL": "C", "LANG": "C"}


def needs(*tools: str):
    """Skip unless every tool is on PATH (``sh tests/setup.sh`` installs them)."""
    missing = [t for t in tools if shutil.which(t) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs {', '.join(missing)}")


def tool(*cmd: str | Path, cwd: Path, ok: bool | None = False) -> str:
    """Run a tool in ``cwd`` and return what it printed (stderr, then stdout): the log.
    ``ok`` is whether it must succeed (False: it must fail, else the test's input is
    wrong; None: either, for warnings)."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=60
    )
    assert ok is None or (proc.returncode == 0) == ok, (cmd, proc.returncode, proc.stderr)
    return proc.stderr + proc.stdout


def assemble(tmp: Path, name: str, text: str, *flags: str) -> Path:
    """``name``.s in ``tmp`` assembled with GNU as: the object's path."""
    src = tmp / f"{name}.s"
    src.write_text(text)
    tool("as", *flags, "-o", f"{name}.o", src.name, cwd=tmp, ok=True)
    return tmp / f"{name}.o"


@dataclass
class Explained:
    """The outcome of ``kernlint explain``: exit ``code``, ``stdout``, ``stderr``."""

    code: int
    stdout: str
    stderr: str

    @property
    def doc(self) -> dict:
        return json.loads(self.stdout)

    @property
    def findings(self) -> list[dict]:
        return self.doc["findings"]


def explain(*args: str | Path, stdin: bytes | None = None, env: dict | None = None) -> Explained:
    """``kernlint explain ARGS`` in-process."""
    from kernlint.cli import cli

    result = CliRunner(env=env).invoke(cli, ["explain", *map(str, args)], input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Explained(result.exit_code, result.stdout, result.stderr)


def explain_log(tmp: Path, log: str, *args: str | Path) -> Explained:
    """``log`` written to ``tmp``/build.log and explained as JSON (exit 0, valid)."""
    import jsonschema

    path = tmp / "build.log"
    path.write_text(log)
    run = explain(path, "--format", "json", *args)
    assert run.code == 0, run.stderr
    jsonschema.validate(run.doc, SCHEMA)
    return run


def only(findings: list[dict], rule: str) -> list[dict]:
    """The explained lines of one rule."""
    return [f for f in findings if f["rule"] == rule]


def checked(rule: str) -> bool:
    """Whether kernlint has a module for ``rule`` (rules land while others work: the
    "not yet checked" status follows the tree, not this test)."""
    from kernlint.engine import all_rules

    return any(r.id == rule for r in all_rules())
