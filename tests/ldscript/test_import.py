"""The script-only path imports neither LIEF nor networkx (DESIGN.md, pre-commit hook)."""

from __future__ import annotations

import subprocess
import sys


def test_parsing_scripts_imports_no_heavy_module():
    code = (
        "import sys\n"
        "import kernlint.ldscript as ld\n"
        "s = ld.parse_script('SECTIONS { .text : { *(.text) } }\\nENTRY(a)\\n')\n"
        "assert len(s.statements) == 2\n"
        "heavy = sorted(m for m in ('lief', 'networkx') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
