"""Every sample is built from source with the real toolchain; its broken outputs
trigger its rule, its fixed twins trigger nothing; the committed outputs are the ones
the Makefile produces."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import (
    also_triggers,
    kernlint,
    needs_toolchain,
    outputs,
    sample_args,
    sample_dirs,
    sample_rule,
)

SAMPLES = sample_dirs()


@pytest.fixture(scope="module", params=SAMPLES, ids=[s.name for s in SAMPLES])
def built(request, tmp_path_factory) -> tuple[Path, Path]:
    """(committed sample folder, a copy rebuilt with `make clean all`)."""
    sample: Path = request.param
    if not shutil.which("make"):
        pytest.skip("make is not installed (sh tests/setup.sh)")
    copy = tmp_path_factory.mktemp(sample.name) / sample.name
    shutil.copytree(sample, copy)
    for shared in sample.parent.glob("*.inc"):  # `.include "../boot-ok.inc"` and the like
        shutil.copy(shared, copy.parent)
    proc = subprocess.run(["make", "-s", "clean", "all"], cwd=copy, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return sample, copy


@needs_toolchain
def test_sample_has_parts(built):
    sample, copy = built
    assert (sample / "README.md").is_file()
    assert (sample / "Makefile").is_file()
    assert outputs(copy, "bad"), "a sample needs at least one broken output"
    assert outputs(copy, "good"), "a sample needs at least one fixed twin"


@needs_toolchain
def test_broken_outputs_trigger_the_rule(built):
    sample, copy = built
    rule = sample_rule(sample)
    allowed = {rule} | also_triggers(sample)
    args = sample_args(copy)
    for out in outputs(copy, "bad"):
        run = kernlint("check", "--format", "json", *args, str(out))
        severities = {f["severity"] for f in run.report["findings"]}
        # The default --fail-on warning: every error or warning fails, info never does.
        fails = bool(severities & {"error", "warning"})
        assert run.code == (1 if fails else 0), (out.name, run.stdout, run.stderr)
        if "error" not in severities:
            assert kernlint("check", "--fail-on", "error", *args, str(out)).code == 0
        assert kernlint("check", "--fail-on", "info", *args, str(out)).code == 1
        assert rule in run.rules, (out.name, run.report["findings"])
        assert run.rules <= allowed, (out.name, run.rules - allowed)


@needs_toolchain
def test_fixed_twins_are_clean(built):
    _, copy = built
    for out in outputs(copy, "good"):
        run = kernlint("check", "--format", "json", *sample_args(copy), str(out))
        assert run.report["findings"] == [], (out.name, run.report["findings"])
        assert run.code == 0


@needs_toolchain
def test_committed_outputs_match_a_fresh_build(built):
    sample, copy = built
    for out in outputs(copy, "bad") + outputs(copy, "good"):
        committed = sample / out.name
        assert committed.is_file(), f"{out.name} is built but not committed"
        assert committed.read_bytes() == out.read_bytes(), f"{out.name} differs from make's"


def test_every_kl1_rule_has_a_sample():
    from kernlint.engine import all_rules

    have = {sample_rule(s) for s in SAMPLES}
    want = {r.id for r in all_rules() if r.id.startswith("KL1")}
    assert want <= have, want - have


def test_committed_samples_without_a_toolchain():
    """`kernlint check samples/` works on the committed outputs alone; a sample with its
    own kernlint.toml is checked again with it (`--config`), as its README says."""
    root = Path(__file__).parent.parent
    run = kernlint("check", "--format", "json", "samples/", cwd=root)
    assert run.code == 1
    by_path: dict[str, set[str]] = {}
    for f in run.report["findings"]:
        by_path.setdefault(f["path"], set()).add(f["rule"])
    for sample in SAMPLES:
        args = sample_args(sample)
        if args:
            folder = str(sample.relative_to(root))
            own = kernlint("check", "--format", "json", *args, folder, cwd=root)
            for key in [k for k in by_path if k.startswith(folder + "/")]:
                del by_path[key]
            for f in own.report["findings"]:
                by_path.setdefault(f["path"], set()).add(f["rule"])
    for sample in SAMPLES:
        for out in outputs(sample, "bad"):
            key = str(out.relative_to(sample.parent.parent))
            assert sample_rule(sample) in by_path.get(key, set()), key
        for out in outputs(sample, "good"):
            key = str(out.relative_to(sample.parent.parent))
            assert key not in by_path, (key, by_path.get(key))
