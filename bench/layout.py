"""Speed of ``kernlint layout`` on a kernel-sized input against GNU ld linking it.

    python bench/layout.py [--objects 320] [--sections 70] [--runs 5] [--keep DIR]
                           [--phases]

Generates assembly like ``gcc -ffunction-sections -fdata-sections`` output (every
function and object in its own section, calls and data references between files),
assembles it with GNU as, then times, whole process, ``--runs`` runs of each command
interleaved (so that load from other processes hits both alike): ``kernlint layout
--script kernel.ld *.o --format json`` (stdout to a pipe, as a user would read it) and
``ld -T kernel.ld *.o`` (both with --gc-sections, to exercise the relocation graph,
and without). Reports the median and minimum wall time and the median CPU time
(user + system) of each.

``--phases`` then runs one more kernlint in a child process that times its own parts
(imports, script, reading the objects, the layout, JSON), the way ``kernlint layout``
runs them. ``--keep DIR`` writes the input to DIR (kept) instead of a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SCRIPT = """ENTRY(_start)
SECTIONS {
  . = 0xffffffff80000000 + SIZEOF_HEADERS;
  .text : AT(ADDR(.text) - 0xffffffff80000000) { *(.text.entry) *(.text .text.*) }
  . = ALIGN(0x1000);
  .rodata : AT(ADDR(.rodata) - 0xffffffff80000000) { *(.rodata .rodata.*) }
  . = ALIGN(0x1000);
  .data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data .data.*) }
  .bss : AT(ADDR(.bss) - 0xffffffff80000000) { *(.bss .bss.*) *(COMMON) }
  _end = .;
}
"""


def source(i: int, n: int, files: int) -> str:
    lines = []
    if i == 0:
        lines += [
            '.section .text.entry,"ax",@progbits',
            ".globl _start",
            "_start:",
            "  call f_0_0",
            "  hlt",
        ]
    for j in range(n):
        kind = j % 7
        if kind < 4:
            nxt = j + 1 if j + 1 < n and (j + 1) % 7 < 4 else 0
            callee = f"f_{(i + 1) % files}_{j}" if j % 2 else f"f_{i}_{nxt}"
            lines += [
                f'.section .text.f_{i}_{j},"ax",@progbits',
                ".p2align 4",
                f".globl f_{i}_{j}",
                f"f_{i}_{j}:",
                f"  call {callee}",
                f"  lea d_{i}_{j}(%rip), %rax",
                "  ret",
                f"  .fill {16 + j % 50},1,0x90",
            ]
        elif kind == 4:
            lines += [
                f'.section .rodata.r_{i}_{j},"a",@progbits',
                ".p2align 3",
                f"r_{i}_{j}: .quad {j}",
                f"  .fill {j % 40},1,1",
            ]
        elif kind == 5:
            lines += [
                f'.section .data.d_{i}_{j},"aw",@progbits',
                ".p2align 3",
                f".globl d_{i}_{j}",
                f"d_{i}_{j}: .quad f_{i}_0",
            ]
        else:
            lines += [
                f'.section .bss.b_{i}_{j},"aw",@nobits',
                ".p2align 5",
                f"b_{i}_{j}: .zero {64 + j}",
            ]
    # d_i_j referenced by every function: define the missing ones as data
    for j in range(n):
        if j % 7 != 5:
            lines += [
                f'.section .data.d_{i}_{j},"aw",@progbits',
                f".globl d_{i}_{j}",
                f"d_{i}_{j}: .quad 0",
            ]
    lines.append('.section .note.GNU-stack,"",@progbits')
    return "\n".join(lines) + "\n"


PHASES = """
import json, sys, time
t0 = time.perf_counter()
from kernlint.layout.engine import layout
from kernlint.layout.model import Options
from kernlint.layout.objects import collector_paused, read_objects
from kernlint.layout.render import to_json
from kernlint.ldscript import load_script
t1 = time.perf_counter()
loaded = load_script("kernel.ld", [])
t2 = time.perf_counter()
with collector_paused():  # as lay_out_files
    objects = read_objects(sys.argv[2:])
    t3 = time.perf_counter()
    result = layout(loaded, objects, Options(gc_sections=sys.argv[1] == "gc"))
    t4 = time.perf_counter()
text = to_json(result)
t5 = time.perf_counter()
names = ["imports", "script", "read objects", "layout", "JSON"]
times = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]
inputs = sum(len(o.sections) for o in objects)
print(json.dumps({"phases": dict(zip(names, times)), "inputs": inputs, "bytes": len(text)}))
"""


def run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed: {proc.stderr[-500:].decode()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def timed(commands: list[list[str]], cwd: Path, runs: int) -> list[tuple[float, float, float]]:
    """(median wall, minimum wall, median CPU) of each command, runs interleaved."""
    samples: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for i, cmd in enumerate(commands):
            samples[i].append(run(cmd, cwd))
    return [
        (
            statistics.median(w for w, _ in pairs),
            min(w for w, _ in pairs),
            statistics.median(c for _, c in pairs),
        )
        for pairs in samples
    ]


def bench(folder: Path, args: argparse.Namespace) -> None:
    (folder / "kernel.ld").write_text(SCRIPT)

    def build(i: int) -> str:
        (folder / f"m{i}.s").write_text(source(i, args.sections, args.objects))
        subprocess.run(["as", "-o", f"m{i}.o", f"m{i}.s"], cwd=folder, check=True)
        return f"m{i}.o"

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        objects = list(pool.map(build, range(args.objects)))
    from kernlint.elf.reader import read_image
    from kernlint.layout.objects import read_objects

    paths = [str(folder / o) for o in objects]
    count = sum(len(read_image(p).sections) for p in paths)
    inputs = sum(len(o.sections) for o in read_objects(paths))
    print(
        f"input: {len(objects)} objects, {count} section headers, {inputs} input sections"
        f" ({folder})"
    )
    ld = ["ld", "-z", "noexecstack", "--build-id=none", "-T", "kernel.ld", "-o", "k.elf"]
    kl = [sys.executable, "-m", "kernlint", "layout", "--script", "kernel.ld", "--format", "json"]
    print(f"{'':<14} {'kernlint layout':>31}   {'ld':>31}")
    print(f"{'':<14} {'median':>9} {'min':>9} {'cpu':>9}   {'median':>9} {'min':>9} {'cpu':>9}")
    for extra in ([], ["--gc-sections"]):
        (kl_med, kl_min, kl_cpu), (ld_med, ld_min, ld_cpu) = timed(
            [[*kl, *extra, *objects], [*ld, *extra, *objects]], folder, args.runs
        )
        label = " ".join(extra) or "(no gc)"
        print(
            f"{label:<14} {kl_med:8.2f}s {kl_min:8.2f}s {kl_cpu:8.2f}s"
            f"   {ld_med:8.2f}s {ld_min:8.2f}s {ld_cpu:8.2f}s"
            f"   ratio {kl_med / ld_med:4.1f}x  (s, median of {args.runs})"
        )
    if args.phases:
        for mode in ("nogc", "gc"):
            out = subprocess.run(
                [sys.executable, "-c", PHASES, mode, *objects],
                cwd=folder,
                capture_output=True,
                text=True,
                check=True,
            )
            doc = json.loads(out.stdout)
            parts = "  ".join(f"{k} {v:.3f}" for k, v in doc["phases"].items())
            total = sum(doc["phases"].values())
            label = "--gc-sections" if mode == "gc" else "(no gc)"
            print(f"{label:<14} in-process s: {parts}  (sum {total:.3f})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=320)
    parser.add_argument("--sections", type=int, default=70)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="write the input here and keep it")
    parser.add_argument("--phases", action="store_true", help="time kernlint's parts too")
    args = parser.parse_args()
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
        bench(folder, args)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            bench(Path(tmp), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
