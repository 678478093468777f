#!/usr/bin/env python3
"""On-demand benchmark: kernlint against readelf, eu-elflint and a bare pyelftools walk.

Not part of the test suite; run it by hand (see bench/README.md)::

    python bench/run.py                 # small inputs + the 66 MB vmlinux
    python bench/run.py --large         # also the 633 MB debug vmlinux (~860 MB download)
    python bench/run.py --runs 3 --json results.json

Every measured command is a whole process, started with ``posix_spawn`` (stdout to
/dev/null, stderr to a scratch file, a process group of its own) and reaped with
``os.wait4``. Wall time is ``time.perf_counter()`` from just before the spawn to just
after the reap. Peak RSS is the child's own, as GNU time's ``%M`` reports it (the
command runs under ``/usr/bin/time``): neither ``getrusage(RUSAGE_CHILDREN)`` (a
maximum over every child reaped so far) nor wait4's per-child ``ru_maxrss`` will do,
because the latter is floored at the spawning process's own peak RSS (see
:func:`measure_once`). Each command gets ``--warmup`` unmeasured runs first (page
cache, bytecode), then ``--runs`` measured ones; the tools are interleaved run by run,
and the import baseline runs in the rounds of every small input, so that drift on the
machine hits everything alike.

Inputs come from ``tests/support/debian_binaries.py`` (Debian packages fetched with
``apt-get download`` into its cache); the debug vmlinux is fetched here, into the
same cache, with that module's helpers.

Exit status: 0 when every target evaluated passes, 1 when one fails, 2 when an
input could not be obtained (other than the optional --large one) or a measured
command failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # ``tests.support`` without a tests/__init__.py
    sys.path.insert(0, str(REPO_ROOT))

from tests.support import debian_binaries as debian  # noqa: E402

#: Targets from the issue.
SMALL_FACTOR_OF_IMPORT = 2.0  # kernlint median <= 2x the pyelftools-import baseline
LARGE_FACTOR_OF_WALK = 1.0  # debug vmlinux: kernlint median <= 1x the pyelftools walk
LARGE_RSS_LIMIT_MB = 300.0  # debug vmlinux: kernlint peak RSS <= 300 MiB

# The bare pyelftools walk: open, iterate sections, segments and every .symtab symbol.
PYELFTOOLS_WALK = """\
import sys
from elftools.elf.elffile import ELFFile
with open(sys.argv[1], "rb") as f:
    elf = ELFFile(f)
    n = 0
    for _ in elf.iter_sections():
        n += 1
    for _ in elf.iter_segments():
        n += 1
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None:
        for _ in symtab.iter_symbols():
            n += 1
"""
PYELFTOOLS_IMPORT = "from elftools.elf.elffile import ELFFile"


# ------------------------------------------------------------------------ tools


@dataclass(frozen=True)
class Tool:
    name: str
    argv: tuple[str, ...]  # the input path is appended
    ok_codes: frozenset[int]  # exit codes that are not a failure of the tool
    needs: str | None = None  # executable that must exist (None: sys.executable)


TOOLS: tuple[Tool, ...] = (
    # kernlint exits 1 when it has findings; 2 is an input error (a failure here).
    Tool(
        "kernlint",
        (sys.executable, "-m", "kernlint", "check", "--format", "json"),
        frozenset({0, 1}),
    ),
    Tool("readelf -SlW", ("readelf", "-SlW"), frozenset({0}), "readelf"),
    # eu-elflint exits 1 when it reports anything, which it does on most kernels.
    Tool("eu-elflint --gnu-ld", ("eu-elflint", "--gnu-ld"), frozenset({0, 1}), "eu-elflint"),
    Tool("pyelftools walk", (sys.executable, "-c", PYELFTOOLS_WALK), frozenset({0})),
)
BASELINE = Tool("pyelftools import", (sys.executable, "-c", PYELFTOOLS_IMPORT), frozenset({0}))


# ----------------------------------------------------------------- measurement


class CommandFailed(Exception):
    pass


@dataclass
class Sample:
    seconds: float
    maxrss_kib: int
    exit_code: int
    stderr_tail: str = ""


#: The environment of every measured command (see :func:`command_env`).
COMMAND_ENV: dict[str, str] = dict(os.environ, LC_ALL="C")


def command_env(pycache: bool) -> dict[str, str]:
    """The measured commands' environment: this one, with ``LC_ALL=C``; with *pycache*,
    also without ``PYTHONDONTWRITEBYTECODE`` and with ``PYTHONPYCACHEPREFIX`` in the
    test cache, so that Python reads compiled bytecode as an installed kernlint would
    (the warm-up run writes it) instead of compiling every kernlint module from source
    on each run, and without writing ``__pycache__`` folders into the work tree."""
    env = dict(os.environ, LC_ALL="C")
    if pycache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(debian.cache_dir() / "bench-pycache")
    return env


#: GNU time, when installed (Debian package ``time``): it forks the measured command
#: from its own ~2 MiB process and reports the child's peak RSS with ``%M``.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure_once(argv: list[str], timeout: float) -> Sample:
    """Run ``argv`` once: wall seconds, the child's own peak RSS (KiB) and exit code.

    Why not just ``os.wait4``'s ``ru_maxrss``: on Linux, ``execve`` folds the peak RSS
    of the address space it replaces into the process's ``maxrss``, and a child made
    by ``fork``/``vfork``/``posix_spawn`` starts out in a copy of (or in) its parent's
    address space. So wait4 reports at least the *spawning* process's peak RSS: this
    script's ~20 MiB for every command, readelf included. GNU time forks from a tiny
    process, so its ``%M`` has a floor of ~2 MiB. Without it, wait4's value is used
    and the floor is recorded (see ``rss_floor_kib`` in the JSON).
    """
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        cmd = [GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if GNU_TIME else list(argv)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ]
        env = COMMAND_ENV
        killed = threading.Event()
        reaped = threading.Lock()
        start = time.perf_counter()
        # setsid: the command (and GNU time's child) form a process group of their own,
        # which a timeout can kill as a whole.
        pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=actions, setsid=True)

        def kill() -> None:
            with reaped:  # never signal a group whose leader has been reaped
                if not killed.is_set():
                    killed.set()
                    os.killpg(pid, 9)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, rusage = os.wait4(pid, 0)
            end = time.perf_counter()
        finally:
            with reaped:
                timed_out = killed.is_set()
                killed.set()
            timer.cancel()
        err.seek(0)
        stderr = err.read().decode(errors="replace")[-4000:]
        if timed_out:
            raise CommandFailed(f"timed out after {timeout:.0f} s: {_show(argv)}")
        code = os.waitstatus_to_exitcode(status)
        maxrss = rusage.ru_maxrss
        if GNU_TIME:
            report = rss.read().strip().splitlines()
            if report and "terminated by signal" in " ".join(report):
                raise CommandFailed(f"{report[0]}: {_show(argv)}\n{stderr}")
            try:
                maxrss = int(report[-1])
            except (IndexError, ValueError):
                raise CommandFailed(
                    f"no %M from {GNU_TIME} ({report}): {_show(argv)}\n{stderr}"
                ) from None
        if code < 0:
            raise CommandFailed(f"killed by signal {-code}: {_show(argv)}\n{stderr}")
        return Sample(end - start, maxrss, code, stderr[-2000:])


def _show(argv: list[str]) -> str:
    return " ".join(a if "\n" not in a else "'<script>'" for a in argv)


@dataclass
class Result:
    input: str
    size_mb: float | None
    tool: str
    samples_s: list[float] = field(default_factory=list)
    maxrss_kib: list[int] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.samples_s) if self.samples_s else None

    @property
    def min_s(self) -> float | None:
        return min(self.samples_s) if self.samples_s else None

    @property
    def peak_rss_mb(self) -> float | None:
        return max(self.maxrss_kib) / 1024 if self.maxrss_kib else None

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(median_s=self.median_s, min_s=self.min_s, peak_rss_mb=self.peak_rss_mb)
        return out


def bench_group(
    label: str,
    path: Path | None,
    tools: list[Tool],
    runs: int,
    warmup: int,
    timeout: float,
    verbose: bool,
    shared: tuple[tuple[Tool, Result], ...] = (),
) -> list[Result]:
    """Measure ``tools`` on ``path`` (None: commands without an input), interleaved run
    by run. ``shared`` are input-less commands (the import baseline) run in the same
    rounds, their samples added to the given results, so that the baseline is measured
    under the same conditions as the commands it is compared with."""
    size = path.stat().st_size / 1e6 if path is not None else None
    results = [Result(label, size, t.name) for t in tools]
    tasks = [(t, r, path) for t, r in zip(tools, results, strict=True)]
    tasks += [(t, r, None) for t, r in shared]
    for i in range(warmup + runs):
        for tool, res, arg in tasks:
            if res.error:
                continue
            argv = [*tool.argv, *([str(arg)] if arg is not None else [])]
            try:
                s = measure_once(argv, timeout)
            except CommandFailed as exc:
                res.error = str(exc)
                print(f"  ! {res.input} / {tool.name}: {exc}", file=sys.stderr)
                continue
            if s.exit_code not in tool.ok_codes:
                res.error = f"exit {s.exit_code}: {_show(argv)}: {s.stderr_tail.strip()[-500:]}"
                print(f"  ! {res.input} / {tool.name}: {res.error}", file=sys.stderr)
                continue
            if i >= warmup:
                res.samples_s.append(s.seconds)
                res.maxrss_kib.append(s.maxrss_kib)
                res.exit_codes.append(s.exit_code)
            if verbose:
                tag = "warm-up" if i < warmup else f"run {i - warmup + 1}/{runs}"
                print(
                    f"  {label:<16} {tool.name:<20} {tag:<9} {s.seconds:8.3f} s "
                    f"{s.maxrss_kib / 1024:8.1f} MiB  exit {s.exit_code}",
                    file=sys.stderr,
                )
    return results


# ---------------------------------------------------------------------- inputs


DBG_ARTIFACT = "linux-image-dbg"


def _extract_one(deb: Path, member: str, dest: Path) -> Path:
    """Stream *deb*'s data archive until *member* is found; write it under *dest*.

    Unlike ``debian._extract_members`` this stops as soon as the member is written
    (the -dbg package's data archive is several GB uncompressed)."""
    proc = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, LC_ALL="C"),
    )
    assert proc.stdout is not None
    out = dest / member
    found = False
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            for m in tf:
                if debian._normalise_member(m.name) != member or not m.isfile():
                    continue
                src = tf.extractfile(m)
                if src is None:
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with open(out, "wb") as fh:
                    shutil.copyfileobj(src, fh, 1 << 20)
                found = True
                break
    except tarfile.TarError as exc:
        raise debian.Unavailable(f"cannot read the data archive of {deb.name}: {exc}") from exc
    finally:
        if proc.poll() is None:
            proc.kill()  # our own child; stopping early is the point
        proc.stdout.close()
        proc.wait()
    if not found:
        raise debian.Unavailable(f"{deb.name} has no /{member}")
    return out


def _build_debug_vmlinux(tmp: Path) -> dict:
    kver = debian.provenance("linux-image")["kernel_release"]
    package = f"linux-image-{kver}-dbg"
    deb, meta = debian._download_deb(package, tmp / ".deb")
    member = f"usr/lib/debug/boot/vmlinux-{kver}"
    started = time.monotonic()
    out = _extract_one(deb, member, tmp)
    shutil.rmtree(tmp / ".deb")
    with open(out, "rb") as fh:
        if fh.read(4) != b"\x7fELF":
            raise debian.Unavailable(f"/{member} in {deb.name} is not an ELF file")
    meta["extraction_seconds"] = round(time.monotonic() - started, 2)
    meta["kernel_release"] = kver
    meta["files"] = {"vmlinux": member}
    meta["vmlinux_size"] = out.stat().st_size
    return meta


def debug_vmlinux() -> Path:
    """``/usr/lib/debug/boot/vmlinux-<release>`` from ``linux-image-<release>-dbg``, for
    the same release as :func:`debian.linux_vmlinux`; cached like the other artifacts."""
    root, meta = debian._artifact(DBG_ARTIFACT, _build_debug_vmlinux)
    return root / meta["files"]["vmlinux"]


@dataclass
class Input:
    key: str
    label: str
    path: Path
    kind: str  # "small" (2x import target), "large" (walk + RSS target)


def collect_inputs(
    large: bool, module: str, only: set[str] | None = None
) -> tuple[list[Input], list[str]]:
    """The benchmark inputs (those in *only*, when given) and the reasons for any that
    could not be had."""
    wanted = [
        ("ko", f"{module}.ko", lambda: debian.linux_module(module), "small"),
        ("grub", "grub kernel.img", debian.grub_kernel_img, "small"),
        ("xen", "xen-4.17", debian.xen_hypervisor, "small"),
        ("vmlinux", "vmlinux", debian.linux_vmlinux, "small"),
    ]
    if large:
        wanted.append(("vmlinux-dbg", "vmlinux (dbg)", debug_vmlinux, "large"))
    inputs, missing = [], []
    for key, label, get, kind in wanted:
        if only is not None and key not in only:
            continue
        started = time.monotonic()
        print(f"input {label}: ", end="", file=sys.stderr, flush=True)
        try:
            path = Path(get())
        except debian.Unavailable as exc:
            print(f"UNAVAILABLE: {exc}", file=sys.stderr)
            missing.append(f"{key}: {exc}")
            continue
        print(
            f"{path} ({path.stat().st_size / 1e6:.1f} MB, {time.monotonic() - started:.1f} s)",
            file=sys.stderr,
        )
        inputs.append(Input(key, label, path, kind))
    return inputs, missing


# ---------------------------------------------------------------------- report


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def render_table(results: list[Result]) -> str:
    head = ("input", "size MB", "tool", "median s", "min s", "peak RSS MB")
    rows = [head]
    for r in results:
        rows.append(
            (
                r.input,
                _fmt(r.size_mb, ".1f"),
                r.tool,
                _fmt(r.median_s, ".3f") if not r.error else "ERROR",
                _fmt(r.min_s, ".3f"),
                _fmt(r.peak_rss_mb, ".1f"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    right = {1, 3, 4, 5}

    def line(row: tuple[str, ...]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )

    sep = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(rows[0]), sep, *(line(r) for r in rows[1:])])


@dataclass
class Target:
    input: str
    what: str
    measured: float | None  # kernlint's median (s) or peak RSS (MiB)
    limit: float | None
    ok: bool | None  # None: could not be evaluated
    ratio: float | None = None  # kernlint median / reference median
    ratio_of_mins: float | None = None  # the same with the fastest runs (less noise)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def evaluate(inputs: list[Input], results: list[Result]) -> list[Target]:
    """The issue's targets, judged on medians (the ratio of minimums is shown too)."""
    by = {(r.input, r.tool): r for r in results}
    base = by[("-", BASELINE.name)]
    targets = []
    for inp in inputs:
        kl = by.get((inp.label, "kernlint"))
        if kl is None:
            continue
        if inp.kind == "small":
            ref, factor, name = base, SMALL_FACTOR_OF_IMPORT, "pyelftools import"
        else:
            ref, factor, name = (
                by.get((inp.label, "pyelftools walk")),
                LARGE_FACTOR_OF_WALK,
                "pyelftools walk",
            )
        ref_median = ref.median_s if ref else None
        limit = factor * ref_median if ref_median is not None else None
        m = kl.median_s
        targets.append(
            Target(
                inp.label,
                f"time <= {factor:g}x {name}",
                m,
                limit,
                None if m is None or limit is None else m <= limit,
                _ratio(m, ref_median),
                _ratio(kl.min_s, ref.min_s if ref else None),
            )
        )
        if inp.kind == "large":
            rss = kl.peak_rss_mb
            targets.append(
                Target(
                    inp.label,
                    f"peak RSS <= {LARGE_RSS_LIMIT_MB:g} MiB",
                    rss,
                    LARGE_RSS_LIMIT_MB,
                    None if rss is None else rss <= LARGE_RSS_LIMIT_MB,
                )
            )
    return targets


def render_targets(targets: list[Target]) -> str:
    lines = []
    for t in targets:
        verdict = {True: "PASS", False: "FAIL", None: "N/A "}[t.ok]
        line = (
            f"{verdict}  {t.input:<16} kernlint {t.what:<30} "
            f"{_fmt(t.measured, '.3f'):>8} (limit {_fmt(t.limit, '.3f')})"
        )
        if t.ratio is not None:
            line += f"  ratio {t.ratio:.2f}x median, {_fmt(t.ratio_of_mins, '.2f')}x min"
        lines.append(line)
    return "\n".join(lines)


def _git_state() -> dict:
    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(REPO_ROOT), *a],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout
        except OSError:
            return ""

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "HEAD").strip() or None,
        "modified": [line[3:] for line in dirty.splitlines() if len(line) > 3],
    }


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        return f"unavailable ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def environment() -> dict:
    import elftools

    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "pyelftools": elftools.__version__,
        "kernlint": _version([sys.executable, "-m", "kernlint", "--version"]),
        "readelf": _version(["readelf", "--version"]),
        "eu-elflint": _version(["eu-elflint", "--version"]),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "git": _git_state(),
        "rss_method": (
            f"{GNU_TIME} -f %M"
            if GNU_TIME
            else "os.wait4 ru_maxrss (floored at this process's own peak RSS)"
        ),
    }


# ------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="measured runs per command (default 7)")
    ap.add_argument(
        "--warmup", type=int, default=1, help="unmeasured runs per command first (default 1)"
    )
    ap.add_argument(
        "--large",
        action="store_true",
        help="also the debug vmlinux from linux-image-<ver>-amd64-dbg "
        "(~860 MB download once, then cached)",
    )
    ap.add_argument(
        "--large-runs",
        type=int,
        default=None,
        help="measured runs on the debug vmlinux (default: --runs)",
    )
    ap.add_argument(
        "--module",
        default=debian.LINUX_MODULE_NAMES[0],
        choices=debian.LINUX_MODULE_NAMES,
        help="the small .ko (default loop)",
    )
    ap.add_argument(
        "--only",
        default=None,
        metavar="KEYS",
        help="comma-separated inputs to measure: ko,grub,xen,vmlinux,vmlinux-dbg "
        "(vmlinux-dbg implies --large)",
    )
    ap.add_argument(
        "--tools",
        default=None,
        metavar="NAMES",
        help="comma-separated tools: kernlint,readelf,eu-elflint,pyelftools",
    )
    ap.add_argument("--timeout", type=float, default=900, help="per command run, seconds")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON here")
    ap.add_argument("--fetch-only", action="store_true", help="obtain the inputs and stop")
    ap.add_argument(
        "--no-pycache",
        action="store_true",
        help="run the commands in this environment as is; by default "
        "PYTHONDONTWRITEBYTECODE is dropped and bytecode cached in the "
        "test cache (bench-pycache/)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")

    only = None
    if args.only:
        only = {k.strip() for k in args.only.split(",") if k.strip()}
        unknown = only - {"ko", "grub", "xen", "vmlinux", "vmlinux-dbg"}
        if unknown:
            ap.error(f"--only: unknown input(s) {sorted(unknown)}")
    inputs, missing = collect_inputs(args.large or "vmlinux-dbg" in (only or ()), args.module, only)
    if args.fetch_only:
        return 0 if not missing else 2

    tools = list(TOOLS)
    if args.tools:
        wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
        tools = [t for t in tools if any(t.name.startswith(w) for w in wanted)]
    skipped_tools = [t.name for t in tools if t.needs and shutil.which(t.needs) is None]
    for name in skipped_tools:
        print(
            f"tool {name}: not installed, skipped (apt-get install binutils elfutils)",
            file=sys.stderr,
        )
    tools = [t for t in tools if t.name not in skipped_tools]

    global COMMAND_ENV
    COMMAND_ENV = command_env(not args.no_pycache)
    env = environment()
    env["pycache_prefix"] = COMMAND_ENV.get("PYTHONPYCACHEPREFIX")
    env["dont_write_bytecode"] = COMMAND_ENV.get("PYTHONDONTWRITEBYTECODE")
    env["loadavg_before"] = os.getloadavg()
    if env["loadavg_before"][0] > 0.5:
        print(
            f"warning: load average {env['loadavg_before'][0]:.2f}: something else may be "
            "running; timings will be noisy",
            file=sys.stderr,
        )
    print(
        f"python {env['python']}, pyelftools {env['pyelftools']}, {env['cpus']} cpus; "
        f"{args.runs} runs + {args.warmup} warm-up per command; peak RSS by "
        f"{env['rss_method']}",
        file=sys.stderr,
    )
    started = time.monotonic()
    # The baseline runs in the rounds of every small input (pooled), or alone.
    baseline = Result("-", None, BASELINE.name)
    results = [baseline]
    small = [i for i in inputs if i.kind == "small"]
    if not small:
        bench_group(
            "-",
            None,
            [],
            args.runs,
            args.warmup,
            args.timeout,
            args.verbose,
            shared=((BASELINE, baseline),),
        )
    for inp in inputs:
        runs = args.large_runs if inp.kind == "large" and args.large_runs else args.runs
        t0 = time.monotonic()
        print(f"measuring {inp.label} ...", file=sys.stderr, flush=True)
        shared = ((BASELINE, baseline),) if inp.kind == "small" else ()
        results += bench_group(
            inp.label, inp.path, tools, runs, args.warmup, args.timeout, args.verbose, shared=shared
        )
        print(f"  done in {time.monotonic() - t0:.1f} s", file=sys.stderr)

    env["loadavg_after"] = os.getloadavg()
    table = render_table(results)
    targets = evaluate(inputs, results) if any(t.name == "kernlint" for t in tools) else []
    print()
    print(table)
    print()
    if targets:
        print("Targets:")
        print(render_targets(targets))
    for m in missing:
        print(f"input unavailable: {m}")
    print(
        f"\n(total {time.monotonic() - started:.0f} s; load average before "
        f"{env['loadavg_before'][0]:.2f}, after {env['loadavg_after'][0]:.2f})"
    )

    if args.json:
        doc = {
            "environment": env,
            "runs": args.runs,
            "warmup": args.warmup,
            "large_runs": args.large_runs,
            "inputs": [
                {
                    "key": i.key,
                    "label": i.label,
                    "path": str(i.path),
                    "size": i.path.stat().st_size,
                    "kind": i.kind,
                }
                for i in inputs
            ],
            "provenance": {
                a: _provenance(a) for a in ("grub-pc-bin", "xen-hypervisor", "linux-image")
            },
            "unavailable": missing,
            "rss_floor_kib": None
            if GNU_TIME
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "results": [r.to_json() for r in results],
            "targets": [asdict(t) for t in targets],
        }
        if any(i.kind == "large" for i in inputs):
            doc["provenance"][DBG_ARTIFACT] = debian._artifact(DBG_ARTIFACT, _build_debug_vmlinux)[
                1
            ]
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"results written to {args.json}", file=sys.stderr)

    if any(r.error for r in results) or any(not m.startswith("vmlinux-dbg") for m in missing):
        return 2
    return 1 if any(t.ok is False for t in targets) else 0


def _provenance(artifact: str) -> dict | str:
    try:
        return debian.provenance(artifact)
    except debian.Unavailable as exc:
        return f"unavailable: {exc}"


if __name__ == "__main__":
    sys.exit(main())
