"""Speed of ``kernlint layout`` on a kernel-sized input against GNU ld linking it.

    python bench/layout.py [--objects 320] [--sections 70] [--runs 5]

Generates assembly like ``gcc -ffunction-sections -fdata-sections`` output (every
function and object in its own section, calls and data references between files),
assembles it with GNU as, then times, whole process and median of ``--runs``:
``kernlint layout --script kernel.ld *.o --format json`` and
``ld -T kernel.ld *.o`` (both with --gc-sections, to exercise the relocation graph,
and without).
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[float, subprocess.CompletedProcess]:
    times = []
    proc = None
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:3])}... failed: {proc.stderr[-500:]}")
    return statistics.median(times), proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=320)
    parser.add_argument("--sections", type=int, default=70)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "kernel.ld").write_text(SCRIPT)

        def build(i: int) -> str:
            (folder / f"m{i}.s").write_text(source(i, args.sections, args.objects))
            subprocess.run(["as", "-o", f"m{i}.o", f"m{i}.s"], cwd=folder, check=True)
            return f"m{i}.o"

        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            objects = list(pool.map(build, range(args.objects)))
        from kernlint.elf.reader import read_image

        count = sum(len(read_image(str(folder / o)).sections) for o in objects)
        print(f"input: {len(objects)} objects, {count} section headers")
        ld = ["ld", "-z", "noexecstack", "--build-id=none", "-T", "kernel.ld", "-o", "k.elf"]
        kl = [
            sys.executable,
            "-m",
            "kernlint",
            "layout",
            "--script",
            "kernel.ld",
            "--format",
            "json",
        ]
        for extra in ([], ["--gc-sections"]):
            t_ld, _ = timed([*ld, *extra, *objects], folder, args.runs)
            t_kl, _ = timed([*kl, *extra, *objects], folder, args.runs)
            label = " ".join(extra) or "(no gc)"
            print(
                f"{label:<14} kernlint layout {t_kl:6.2f} s   ld {t_ld:6.2f} s"
                f"   ratio {t_kl / t_ld:5.1f}x   (median of {args.runs})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
