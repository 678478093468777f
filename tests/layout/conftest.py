"""The agreement figure: tests record whether kernlint's layout matched GNU ld's; the
session prints ``layout agreement`` per group at the end (pytest -s, or the terminal
summary)."""

from __future__ import annotations

from collections import defaultdict

import pytest


class Agreement:
    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def record(self, group: str, agreed: bool) -> None:
        self.counts[group][0] += int(agreed)
        self.counts[group][1] += 1

    def lines(self) -> list[str]:
        return [f"layout agreement ({g}): {a}/{n}" for g, (a, n) in sorted(self.counts.items())]


_AGREEMENT = Agreement()


@pytest.fixture(scope="session")
def agreement() -> Agreement:
    return _AGREEMENT


def pytest_terminal_summary(terminalreporter):
    for line in _AGREEMENT.lines():
        terminalreporter.write_line(line)
