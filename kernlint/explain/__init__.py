"""``kernlint explain LOG``: build and boot logs turned into rules, causes and fixes.

The pieces, each a small module:

- :mod:`~kernlint.explain.prefixes`: a log line split into tool, prefix and message;
- :mod:`~kernlint.explain.catalogue`: every ``LOG_PATTERNS`` entry of the rule modules,
  plus :mod:`~kernlint.explain.pending` (messages of rules not implemented yet);
- :mod:`~kernlint.explain.scan`: the known lines of a log and the values in them,
  with :mod:`~kernlint.explain.values` (derived fields) and
  :mod:`~kernlint.explain.asserts` (a script's ``ASSERT`` messages);
- :mod:`~kernlint.explain.pinpoint`: the culprits in ``--artifacts``;
- :mod:`~kernlint.explain.render`: text (colour on a terminal) and JSON;
  :mod:`~kernlint.explain.ruledoc`: a rule's documentation for a terminal.

Nothing here is imported by rule discovery or by ``kernlint check``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from kernlint.config import Config
from kernlint.explain.pinpoint import Pinpoint, pinpoint
from kernlint.explain.prefixes import LogLine, split
from kernlint.explain.scan import Scan, scan

#: Longest line read (bytes); the rest of a longer line is skipped. Tool messages are
#: far shorter, and the bound keeps matching linear-ish on binary junk (a pattern's
#: cost on one line grows with the square of its length at worst).
MAX_LINE = 4096


@dataclass
class Explanation:
    """What ``explain`` found in one log: ``source`` (its path, or ``-``), the
    :class:`Scan` and the :class:`Pinpoint` on the artifacts."""

    source: str
    scan: Scan
    pinpoint: Pinpoint


def read_log(stream: BinaryIO) -> Iterator[LogLine]:
    """The lines of ``stream`` (bytes; undecodable bytes become U+FFFD), split. A line
    longer than :data:`MAX_LINE` bytes is cut there."""
    number = 0
    while True:
        chunk = stream.readline(MAX_LINE)
        if not chunk:
            return
        number += 1
        if not chunk.endswith(b"\n"):
            rest = chunk
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(MAX_LINE)
        yield split(number, chunk.decode("utf-8", errors="replace"))


def explain_log(
    stream: BinaryIO, source: str, artifacts: Sequence[str] = (), config: Config | None = None
) -> Explanation:
    """Scan the log in ``stream`` and pinpoint its known lines in ``artifacts``."""
    from kernlint.classify import expand
    from kernlint.explain.asserts import collect_asserts
    from kernlint.explain.catalogue import catalogue

    scripts = [t.path for t in expand(list(artifacts)) if t.kind == "script"]
    found = scan(read_log(stream), catalogue(), collect_asserts(scripts))
    return Explanation(source, found, pinpoint(found.hits, artifacts, config or Config()))
