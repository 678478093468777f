"""On-demand benchmark of the linker-script fast path (not part of the tests).

1. Whole process: `kernlint check` on one typical kernel script against the start-up
   floor `python -c "import click, lark"` (target: median <= 1.5x).
2. Parser throughput: `kernlint.ldscript.parse_script` over the concatenation of
   every default script GNU ld ships for x86-64/i386, AArch64, ARM and RISC-V
   (MB/s, median of runs, in-process, parser already built).

    python bench/scripts.py [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "ldscript" / "data" / "kernels" / "higher-half-at.ld"
DEFAULT_DIRS = [
    "/usr/lib/x86_64-linux-gnu/ldscripts",
    "/usr/lib/aarch64-linux-gnu/ldscripts",
    "/usr/lib/arm-none-eabi/ldscripts",
    "/usr/lib/riscv64-linux-gnu/ldscripts",
]
TARGET_RATIO = 1.5


def wall(cmds: list[list[str]], runs: int) -> list[list[float]]:
    """Wall times (s) of ``runs`` runs of each command, after one unmeasured warm-up
    of each: interleaved run by run (A B A B ...), so that a change in the machine's
    load (other processes on a shared machine) weighs on every command alike."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for cmd in cmds:
        subprocess.run(cmd, capture_output=True, env=env)
    out: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, times in zip(cmds, out, strict=True):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, env=env)
            times.append(time.perf_counter() - t)
    return out


def throughput(runs: int) -> tuple[float, int, int]:
    """(median MB/s, bytes, scripts) for parsing every default script, each on its own."""
    from kernlint.ldscript import parse_script

    texts = [
        p.read_text() for d in DEFAULT_DIRS if Path(d).is_dir() for p in sorted(Path(d).iterdir())
    ]
    size = sum(len(t.encode()) for t in texts)
    parse_script("SECTIONS { }", "warm-up")
    speeds = []
    for _ in range(runs):
        t = time.perf_counter()
        for i, text in enumerate(texts):
            parse_script(text, f"default-{i}")
        speeds.append(size / (time.perf_counter() - t) / 1e6)
    return statistics.median(speeds), size, len(texts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    floor, lint = wall(
        [
            [sys.executable, "-c", "import click, lark"],
            [sys.executable, "-m", "kernlint", "check", str(SCRIPT)],
        ],
        args.runs,
    )
    ratio = statistics.median(lint) / statistics.median(floor)
    print("| command | median s | min s |\n|---|--:|--:|")
    print(f"| python -c 'import click, lark' | {statistics.median(floor):.3f} | {min(floor):.3f} |")
    print(f"| kernlint check {SCRIPT.name} | {statistics.median(lint):.3f} | {min(lint):.3f} |")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(
        f"\n{verdict}  kernlint check on a kernel script: {ratio:.2f}x the import floor"
        f" (target <= {TARGET_RATIO}x)"
    )
    mbps, size, count = throughput(max(3, args.runs // 3))
    print(
        f"parser throughput: {mbps:.2f} MB/s over {count} default scripts"
        f" ({size / 1e6:.2f} MB), median"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
