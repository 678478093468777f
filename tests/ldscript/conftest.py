"""Fixtures for the linker-script tests: parsing helpers and GNU ld as an oracle."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kernlint.ldscript import ast, parse_script

DATA = Path(__file__).parent / "data"

# What GNU ld prints when its parser (not the link) rejects a script.
LD_SYNTAX_FAILURE = re.compile(
    r":\d+: syntax error|PHDRS syntax error|unknown phdr type|EOF in comment"
    r"|memory exhausted|ignoring invalid character|invalid character .* in flags"
    r"|includes nested too deeply"
)


def parse_one(text: str):
    """The single statement of a script."""
    (statement,) = parse_script(text).statements
    return statement


def section_body(body: str) -> tuple:
    """The statements of ``.text : { BODY }``."""
    sections = parse_one(f"SECTIONS {{ .text : {{ {body} }} }}")
    (output,) = sections.statements
    return output.statements


def expr(text: str) -> ast.Expr:
    """The expression of ``v = TEXT;``."""
    return parse_one(f"v = {text};").expr


@pytest.fixture(scope="session")
def ld_parses(tmp_path_factory) -> Callable[[str], bool]:
    """``ld_parses(text_or_path)``: whether GNU ld's parser accepts the script (the link
    itself may still fail: missing inputs, undefined symbols). Skips without binutils."""
    if not (shutil.which("ld") and shutil.which("as")):
        pytest.skip("GNU ld and as are needed (sh tests/setup.sh installs binutils)")
    folder = tmp_path_factory.mktemp("ld-oracle")
    obj = folder / "t.o"
    subprocess.run(["as", "-o", str(obj)], input=".text\nnop\n", text=True, check=True)
    counter = iter(range(1_000_000))

    def run(script: str | Path, cwd: Path | None = None) -> bool:
        if isinstance(script, str):
            text, script = script, folder / f"s{next(counter)}.ld"
            script.write_text(text + "\n")
        proc = subprocess.run(
            ["ld", "-o", str(folder / "out.elf"), "-T", str(script), str(obj)],
            capture_output=True,
            text=True,
            cwd=cwd or folder,
            timeout=60,
        )
        return not LD_SYNTAX_FAILURE.search(proc.stderr)

    return run
