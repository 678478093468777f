#!/usr/bin/env python3
"""Real-world precision bench: kernlint on public projects, against judged verdicts.

Not part of the test suite; run it by hand (see bench/realworld/README.md)::

    python bench/realworld.py                                  # every project
    python bench/realworld.py --project mit-pdos/xv6-public    # one (repeatable)
    python bench/realworld.py --kernlint /work/baseline/.venv/bin/kernlint
    python bench/realworld.py --unjudged new.csv               # findings still to judge

It reads ``bench/realworld/projects.toml`` (``[[project]]`` tables: ``repo``,
``commit``, ``kind``, optional ``paths`` and ``args``, ``note``) and one verdict CSV
per project, ``bench/realworld/verdicts/<owner>+<name>.csv``, with the columns
``path,line,rule,severity,verdict,class,note``. For each project it lints the local
work tree ``CORPUS/<owner>+<name>`` (made from a fetched bare mirror under
``/work/.mirror`` when missing) with ``kernlint check --format json --fail-on info``,
from the repository root, and matches every error and warning finding to a verdict row
by ``(path, rule, line)``, where ``line`` is the finding's line or, for an image
finding, ``@`` and the section, symbol or segment it names.

Figures (over error and warning findings only; ``info`` is counted apart):

* precision = true / (true + false) findings reported;
* recall = ``true`` and ``missed`` rows a finding still matches / all ``true`` and
  ``missed`` rows (a ``true`` row nobody reports any more is lost recall; a ``missed``
  row a finding now matches is recall gained).

With ``--kernels DIR`` it also lints the images of ``kernels.toml`` (kernels built from
their own sources in ``DIR/<owner>+<name>/``, which the user builds; nothing built is
committed) against ``kernels/<owner>+<name>.csv``. After the table it prints the false
positives still reported, counted by rule and class.

Exit status: 0 when every project was linted, 1 when some were missing or kernlint
failed on them, 2 on a usage error (bad projects.toml, unknown ``--project``).
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "realworld")
PROJECTS_TOML = os.path.join(DATA, "projects.toml")
VERDICTS = os.path.join(DATA, "verdicts")
KERNELS_TOML = os.path.join(DATA, "kernels.toml")
KERNEL_VERDICTS = os.path.join(DATA, "kernels")
MIRRORS = "/work/.mirror"

#: Columns of a verdict CSV (bench/realworld/README.md).
COLUMNS = ("path", "line", "rule", "severity", "verdict", "class", "note")
VERDICT_VALUES = ("true", "false", "missed")
DEFAULT_SEVERITIES = ("error", "warning")


@dataclass
class Project:
    """One ``[[project]]`` table of projects.toml."""

    repo: str
    commit: str
    kind: str
    paths: list[str]
    args: list[str]
    note: str

    @property
    def slug(self) -> str:
        """``owner+name``: the name of its work tree and of its verdict CSV."""
        return self.repo.replace("/", "+")


@dataclass
class Result:
    """What one project's run gave, matched against its verdict rows."""

    project: Project
    status: str = "ok"  # ok | missing | failed
    detail: str = ""
    files: int = 0
    findings: int = 0  # error + warning findings
    info: int = 0
    true: int = 0
    false: int = 0
    unjudged: list[dict] = field(default_factory=list)
    true_rows: int = 0  # rows judged true or missed
    true_rows_kept: int = 0  # of those, still matched by an error/warning finding
    lost: list[dict] = field(default_factory=list)  # true rows no longer reported
    #: ``class`` of each false finding still reported (empty class: ``-``).
    false_classes: Counter = field(default_factory=Counter)
    #: The false rows still reported, with the finding's message (``--list-false``).
    false_rows: list[dict] = field(default_factory=list)


def load_projects(path: str = PROJECTS_TOML) -> list[Project]:
    """The ``[[project]]`` tables of ``path``; raises ``ValueError`` on a malformed one."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    projects = []
    for i, t in enumerate(data.get("project", [])):
        try:
            projects.append(
                Project(
                    repo=t["repo"],
                    commit=t["commit"],
                    kind=t.get("kind", ""),
                    paths=list(t.get("paths", ["."])),
                    args=list(t.get("args", [])),
                    note=t.get("note", ""),
                )
            )
        except KeyError as e:
            raise ValueError(f"{path}: project #{i + 1} lacks {e.args[0]!r}") from None
    return projects


def row_key(path: str, rule: str, line: str) -> tuple[str, str, str]:
    """The matching key of a verdict row or a finding."""
    return (os.path.normpath(path), rule.strip().upper(), line.strip())


def load_verdicts(slug: str, folder: str = VERDICTS) -> list[dict]:
    """The rows of ``<folder>/<slug>.csv`` (``verdicts/`` by default; none when the
    file does not exist)."""
    path = os.path.join(folder, slug + ".csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("path") or "").strip()]
    for r in rows:
        r["verdict"] = (r.get("verdict") or "").strip()
        if r["verdict"] not in VERDICT_VALUES:
            raise ValueError(f"{path}: verdict {r['verdict']!r} is none of {VERDICT_VALUES}")
    return rows


def finding_line(finding: dict) -> str:
    """A finding's ``line`` column: its line, else ``@`` + section, symbol or segment."""
    loc = finding.get("location", {})
    if "line" in loc:
        return str(loc["line"])
    for key in ("section", "symbol"):
        if key in loc:
            return "@" + str(loc[key])
    if "segment" in loc:
        return f"@segment{loc['segment']}"
    return ""


def finding_path(finding: dict, tree: str) -> str:
    """The finding's path relative to the repository root ``tree``."""
    p = finding.get("path", "")
    if os.path.isabs(p):
        p = os.path.relpath(p, tree)
    return os.path.normpath(p)


def find_mirror(slug: str) -> str | None:
    """The bare git directory fetched for ``slug`` under /work/.mirror, if any."""
    for cand in sorted(glob.glob(os.path.join(MIRRORS, glob.escape(slug) + "*"))):
        for gitdir in (os.path.join(cand, "repo"), cand):
            if os.path.isfile(os.path.join(gitdir, "HEAD")):
                return gitdir
    return None


def git(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run git quietly; the completed process (never raises on a non-zero status)."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def ensure_tree(project: Project, corpus: str) -> tuple[str | None, str]:
    """The work tree of ``project`` (made from its mirror if missing) and a remark.

    Returns ``(None, why)`` when there is neither a tree nor a mirror. The tree is a
    detached ``git worktree`` of the mirror (files whose blobs the snapshot lacks, those
    of 4 MiB and more, are left out); failing that, a ``git archive`` extract, which has
    no git metadata: its commit is recorded in
    ``.bench-commit`` at its root."""
    tree = os.path.join(corpus, project.slug)
    if not os.path.isdir(tree):
        mirror = find_mirror(project.slug)
        if mirror is None:
            return None, (
                f"no {tree} and no mirror: fetch github:{project.repo} with the search "
                "tool's fetch (see bench/realworld/README.md), then re-run"
            )
        os.makedirs(corpus, exist_ok=True)
        # A snapshot may lack its largest blobs, which makes a plain checkout fail:
        # register the work tree without one, then check out every file it has.
        git(f"--git-dir={mirror}", "worktree", "prune")
        r = git(
            f"--git-dir={mirror}",
            "worktree",
            "add",
            "--no-checkout",
            "--detach",
            tree,
            project.commit,
        )
        if r.returncode == 0:
            git("read-tree", "HEAD", cwd=tree)
            git("checkout-index", "--all", "--force", cwd=tree)
        else:
            os.makedirs(tree, exist_ok=True)
            archive = subprocess.Popen(
                ["git", f"--git-dir={mirror}", "archive", project.commit],
                stdout=subprocess.PIPE,
            )
            tar = subprocess.run(["tar", "-x", "-C", tree], stdin=archive.stdout)
            archive.wait()
            if archive.returncode or tar.returncode:
                return None, f"could not check out {project.commit} from {mirror}"
            with open(os.path.join(tree, ".bench-commit"), "w") as f:
                f.write(project.commit + "\n")
    head = git("rev-parse", "HEAD", cwd=tree)
    if head.returncode == 0 and os.path.exists(os.path.join(tree, ".git")):
        have = head.stdout.strip()
    else:
        try:
            with open(os.path.join(tree, ".bench-commit")) as f:
                have = f.read().strip()
        except OSError:
            return tree, "commit not verifiable (no git metadata, no .bench-commit)"
    if have != project.commit:
        return tree, f"tree is at {have[:12]}, projects.toml pins {project.commit[:12]}"
    return tree, ""


def run_project(project: Project, corpus: str, kernlint: str) -> Result:
    """Lint one project's work tree and match the findings against its verdicts."""
    res = Result(project)
    tree, remark = ensure_tree(project, corpus)
    if tree is None:
        res.status, res.detail = "missing", remark
        return res
    res.detail = remark
    report = lint(res, kernlint, tree, project.paths + project.args)
    if report is not None:
        score(res, report, tree, load_verdicts(project.slug))
    return res


def lint(res: Result, kernlint: str, tree: str, args: list[str]) -> dict | None:
    """``kernlint check --format json --fail-on info ARGS`` from ``tree``: its report,
    or None with ``res`` marked failed."""
    cmd = [kernlint, "check", "--format", "json", "--fail-on", "info", *args]
    proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        res.status, res.detail = "failed", f"kernlint exit {proc.returncode}: {err}"
        return None


def score(res: Result, report: dict, tree: str, rows: list[dict]) -> None:
    """Match a kernlint JSON ``report`` on the work tree ``tree`` against the verdict
    ``rows`` and add the counts to ``res``."""
    res.files = report.get("summary", {}).get("files", 0)

    by_key: dict[tuple[str, str, str], dict] = {}
    for r in rows:
        by_key.setdefault(row_key(r["path"], r["rule"], r["line"]), r)
    reported: set[tuple[str, str, str]] = set()
    for f in report.get("findings", []):
        sev = f.get("severity", "")
        if sev not in DEFAULT_SEVERITIES:
            res.info += 1
            continue
        res.findings += 1
        path = finding_path(f, tree)
        key = row_key(path, f.get("rule", ""), finding_line(f))
        reported.add(key)
        row = by_key.get(key)
        verdict = row["verdict"] if row else ""
        if verdict == "true" or verdict == "missed":
            res.true += 1
        elif verdict == "false":
            res.false += 1
            res.false_classes[f"{row['rule']} {row.get('class') or '-'}"] += 1
            res.false_rows.append({**row, "message": f.get("message", "")})
        else:
            res.unjudged.append(
                {
                    "path": path,
                    "line": key[2],
                    "rule": key[1],
                    "severity": sev,
                    "verdict": "",
                    "class": "",
                    "note": f.get("message", ""),
                }
            )
    for r in rows:
        if r["verdict"] in ("true", "missed"):
            res.true_rows += 1
            if row_key(r["path"], r["rule"], r["line"]) in reported:
                res.true_rows_kept += 1
            elif r["verdict"] == "true":
                res.lost.append(r)


def load_kernels(path: str = KERNELS_TOML) -> list[Project]:
    """The ``[[kernel]]`` tables of ``path`` as projects whose ``paths`` are the built
    images (globs allowed); raises ``ValueError`` on a malformed one."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    kernels = []
    for i, t in enumerate(data.get("kernel", [])):
        try:
            kernels.append(
                Project(t["repo"], t["commit"], "built", list(t["images"]), [], t.get("note", ""))
            )
        except KeyError as e:
            raise ValueError(f"{path}: kernel #{i + 1} lacks {e.args[0]!r}") from None
    return kernels


def run_kernel(kernel: Project, folder: str, kernlint: str) -> Result:
    """Lint the built images of one kernel in ``folder/<owner>+<name>`` (a work tree
    at the pinned commit that the user built) against ``kernels/<owner>+<name>.csv``."""
    res = Result(kernel)
    tree = os.path.join(folder, kernel.slug)
    images = sorted(
        {
            os.path.relpath(m, tree)
            for pattern in kernel.paths
            for m in glob.glob(os.path.join(tree, pattern))
        }
    )
    if not images:
        res.status = "missing"
        res.detail = f"no built images in {tree} (build it from its own sources first)"
        return res
    report = lint(res, kernlint, tree, images)
    if report is not None:
        score(res, report, tree, load_verdicts(kernel.slug, KERNEL_VERDICTS))
    return res


def ratio(num: int, den: int) -> str:
    """``num/den`` as a percentage, or ``-`` when ``den`` is 0."""
    return f"{100.0 * num / den:5.1f}%" if den else "    -"


def print_table(results: list[Result]) -> None:
    """One line per project and the totals."""
    w = max([len(r.project.repo) for r in results] + [7])
    head = f"{'project':<{w}} {'files':>5} {'find':>5} {'true':>5} {'false':>5} {'unjdg':>5}"
    head += f" {'lost':>4} {'info':>5} {'prec':>6} {'recall':>6}"
    print(head)
    t = Result(Project("total", "", "", [], [], ""))
    for r in results:
        if r.status != "ok":
            print(f"{r.project.repo:<{w}} {r.status.upper()}: {r.detail}")
            continue
        for name in ("files", "findings", "info", "true", "false", "true_rows", "true_rows_kept"):
            setattr(t, name, getattr(t, name) + getattr(r, name))
        t.unjudged += r.unjudged
        t.lost += r.lost
        print(_line(r, w) + (f"  ({r.detail})" if r.detail else ""))
    print("-" * len(head))
    print(_line(t, w))
    ok = sum(r.status == "ok" for r in results)
    print(
        f"{ok} projects linted, {t.files} files; precision = true/(true+false) over "
        f"error+warning findings; recall = true+missed rows still reported / all "
        f"({t.true_rows_kept}/{t.true_rows})"
    )
    for r in results:
        for row in r.lost:
            print(f"lost: {r.project.repo} {row['path']}:{row['line']} {row['rule']}")
    classes: Counter = Counter()
    for r in results:
        classes.update(r.false_classes)
    for name, n in classes.most_common():
        print(f"false: {n:4} {name}")


def _line(r: Result, w: int) -> str:
    return (
        f"{r.project.repo:<{w}} {r.files:>5} {r.findings:>5} {r.true:>5} {r.false:>5} "
        f"{len(r.unjudged):>5} {len(r.lost):>4} {r.info:>5} {ratio(r.true, r.true + r.false):>6} "
        f"{ratio(r.true_rows_kept, r.true_rows):>6}"
    )


def write_unjudged(dest: str, results: list[Result]) -> int:
    """Write the unjudged findings; returns how many.

    ``dest`` a directory: one ``<owner>+<name>.csv`` per project in the verdict format
    (append the rows, judged, to its verdict file). Otherwise one CSV with a ``repo``
    column first and then the verdict columns."""
    n = 0
    if os.path.isdir(dest):
        for r in results:
            if r.unjudged:
                with open(os.path.join(dest, r.project.slug + ".csv"), "w", newline="") as f:
                    w = csv.DictWriter(f, COLUMNS)
                    w.writeheader()
                    w.writerows(r.unjudged)
                n += len(r.unjudged)
        return n
    with open(dest, "w", newline="") as f:
        w = csv.DictWriter(f, ("repo", *COLUMNS))
        w.writeheader()
        for r in results:
            for row in r.unjudged:
                w.writerow({"repo": r.project.repo, **row})
                n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="/work/corpus", help="folder of the work trees")
    ap.add_argument(
        "--kernlint",
        default=os.path.join(REPO_ROOT, ".venv", "bin", "kernlint"),
        help="kernlint executable (default: .venv/bin/kernlint of this repository)",
    )
    ap.add_argument("--project", action="append", default=[], metavar="OWNER/NAME")
    ap.add_argument("--unjudged", metavar="FILE", help="write unjudged findings here (CSV)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--list-false",
        action="store_true",
        help="print each false positive still reported, with its message",
    )
    ap.add_argument(
        "--kernels",
        metavar="DIR",
        help="also lint the built images of kernels.toml, in DIR/<owner>+<name>/",
    )
    a = ap.parse_args(argv)

    try:
        projects = load_projects()
    except (OSError, ValueError, tomllib.TOMLDecodeError) as e:
        print(f"realworld: {e}", file=sys.stderr)
        return 2
    if a.project:
        known = {p.repo for p in projects}
        if a.kernels:
            known |= {k.repo for k in load_kernels()}
        unknown = [p for p in a.project if p not in known]
        if unknown:
            print(f"realworld: not in projects.toml: {', '.join(unknown)}", file=sys.stderr)
            return 2
        projects = [p for p in projects if p.repo in a.project]
    kernlint = os.path.abspath(a.kernlint)
    if not os.access(kernlint, os.X_OK):
        print(f"realworld: {kernlint} is not an executable", file=sys.stderr)
        return 2
    corpus = os.path.abspath(a.corpus)
    try:
        with ThreadPoolExecutor(max(1, a.jobs)) as pool:
            results = list(pool.map(lambda p: run_project(p, corpus, kernlint), projects))
        if a.kernels:
            kernels = load_kernels()
            if a.project:
                kernels = [k for k in kernels if k.repo in a.project]
            folder = os.path.abspath(a.kernels)
            with ThreadPoolExecutor(max(1, a.jobs)) as pool:
                built = list(pool.map(lambda k: run_kernel(k, folder, kernlint), kernels))
            for r in built:
                r.project = replace(r.project, repo=r.project.repo + " (built)")
            results += built
    except ValueError as e:
        print(f"realworld: {e}", file=sys.stderr)
        return 2
    print(f"kernlint: {kernlint}")
    print_table(results)
    if a.list_false:
        for r in results:
            for row in r.false_rows:
                print(
                    f"{r.project.repo} {row['path']}:{row['line']} {row['rule']}"
                    f" [{row.get('class') or '-'}] {row['message']}"
                )
    if a.unjudged:
        n = write_unjudged(a.unjudged, results)
        print(f"{n} unjudged findings written to {a.unjudged}")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
