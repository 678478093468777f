"""Generated cases (tests/layout/generate.py) linked with GNU ld and compared with
kernlint's prediction. The suite runs 200 derandomized examples and requires the
agreement figure to stay at or above the one recorded in kernlint/layout/README.md
(bench/layout_diff.py runs a thousand and prints the differences)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.layout.generate import cases
from tests.layout.harness import run_case

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

EXAMPLES = 200
#: The floor for the generated set; see "Agreement" in kernlint/layout/README.md.
MIN_AGREEMENT = 1.0
_seen: list[bool] = []


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(cases())
def test_generated_case(case):
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_case(case, Path(tmp))
    _seen.append(outcome.agree)


def test_generated_agreement(agreement):
    if not _seen:
        pytest.skip("test_generated_case did not run")
    for agreed in _seen:
        agreement.record("generated", agreed)
    ratio = sum(_seen) / len(_seen)
    print(f"layout agreement (generated): {sum(_seen)}/{len(_seen)}")
    assert ratio >= MIN_AGREEMENT, f"{sum(_seen)}/{len(_seen)}"
