"""Differential run of kernlint's layout model against GNU ld on generated cases.

    python bench/layout_diff.py [N] [--seed S] [--show K]

Generates N cases (tests/layout/generate.py), links each with GNU ld 2.40, lays it
out with kernlint, and prints ``agreement: X/N`` plus the first K differing cases
(script, sources folder, differences). Cases ld rejects count as agreement when
kernlint predicts an error too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.layout.generate import random_case  # noqa: E402
from tests.layout.harness import run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=5)
    parser.add_argument("--keep", help="keep the differing cases' folders under this folder")
    args = parser.parse_args()
    agree = 0
    bad = []
    unsupported = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.n):
            case = random_case(args.seed + i)
            folder = Path(args.keep or tmp) / f"case{args.seed + i}"
            outcome = run_case(case, folder)
            if outcome.layout is not None and outcome.layout.unsupported:
                unsupported += 1
            if outcome.agree:
                agree += 1
            else:
                bad.append((args.seed + i, case, outcome))
    elapsed = time.perf_counter() - start
    for seed, case, outcome in bad[: args.show]:
        print(
            f"--- case {seed} (bits {case.bits}, separate-code {case.separate_code},"
            f" gc {case.gc_sections})"
        )
        print(case.script)
        for name, text in case.sources.items():
            print(f"# {name}.s\n{text}")
        for d in outcome.differences:
            print("  ", d)
    print(
        f"agreement: {agree}/{args.n} ({unsupported} with unsupported constructs reported)"
        f" in {elapsed:.0f} s"
    )
    return 0 if agree == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
