"""The source path stays light: no LIEF, networkx or numpy."""

import subprocess
import sys

from tests.conftest import SAMPLES

PROBE = """
import sys
from kernlint.engine import run, select_rules
run({paths!r}, select_rules())
print(",".join(sorted(m for m in ("lief", "networkx", "numpy") if m in sys.modules)))
"""


def test_checking_sources_imports_no_heavy_module():
    paths = [
        str(SAMPLES / "kl601-asm-section-without-flags"),
        str(SAMPLES / "kl602-nasm-section-noexec" / "bad-bootcode.asm"),
    ]
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(paths=paths)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == ""
