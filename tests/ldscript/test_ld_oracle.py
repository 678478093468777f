"""kernlint accepts exactly what GNU ld 2.40's parser accepts, case by case.

The expectations in ``oracle_cases.py`` were recorded with ld 2.40; the ``ld`` tests
re-run ld itself when it is installed, so a drift in either shows up here.
"""

from __future__ import annotations

import pytest

from kernlint.ldscript import ScriptSyntaxError, parse_script

from .oracle_cases import CASES

IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("case", "text", "parses"), CASES, ids=IDS)
def test_kernlint_agrees_with_recorded_ld_verdict(case, text, parses):
    if parses:
        parse_script(text, f"{case}.ld")
    else:
        with pytest.raises(ScriptSyntaxError):
            parse_script(text, f"{case}.ld")


@pytest.mark.parametrize(("case", "text", "parses"), CASES, ids=IDS)
def test_recorded_verdict_is_what_ld_says(ld_parses, case, text, parses):
    assert ld_parses(text) is parses
