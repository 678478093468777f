"""The hot path stays light: checking an ELF image imports neither LIEF (a native
library: a crash in it could take the run down, and importing it costs ~0.6 s) nor
networkx (only the graph needs it)."""

import subprocess
import sys

from tests.conftest import sample

PROBE = """
import sys
from kernlint.engine import run, select_rules
run([{path!r}], select_rules())
heavy = sorted(m for m in ("lief", "networkx", "numpy") if m in sys.modules)
print(",".join(heavy))
"""


def test_script_and_source_checks_import_no_lief_networkx_or_numpy(tmp_path):
    """The pre-commit fast path (DESIGN.md): scripts and sources."""
    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n")
    source = tmp_path / "boot.S"
    source.write_text(".section .boot\n    nop\n")
    for path in (script, source):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(path=str(path))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == "", path


def test_check_imports_no_lief_networkx_or_numpy():
    path = str(sample("kl101", "bad-bootcode.elf"))
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(path=path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
