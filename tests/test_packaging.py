"""pyproject.toml installs every subpackage: setuptools' explicit `packages` list is
easy to forget when a folder is added, and an editable install hides the omission."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    found = {
        ".".join(("kernlint", *p.parent.relative_to(ROOT / "kernlint").parts)).rstrip(".")
        for p in (ROOT / "kernlint").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    found.add("kernlint.rules")
    assert found == listed, (found - listed, listed - found)
