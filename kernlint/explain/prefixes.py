"""Split a log line into the tool that printed it, its prefix and the message.

Prefix formats, as the tools print them (``research/anchors-ldscript.md`` §2
conventions, ``anchors-binary.md`` §4, and lines captured from GNU ld 2.40, LLD 14,
rust-lld (LLVM 20), NASM 2.16.01, GRUB 2.06, QEMU 7.2, SeaBIOS in QEMU 7.2):

- GNU ld: the program as invoked (``ld``, ``ld.bfd``, ``x86_64-linux-gnu-ld``,
  ``/usr/bin/ld``...), ``:``, then maybe a script location ``boot.ld:6`` (with a colon
  after the line, except ``cannot move location counter backwards``), then maybe a
  severity: ``ld:boot.ld:6 cannot move ...``, ``ld: warning: ...``. Relocation errors
  come as ``a.o: in function `f':`` (:data:`CONTEXT`) followed by unprefixed
  ``(.text+0x1): relocation truncated to fit: ...`` lines.
- ld.lld / rust-lld: ``ld.lld: error: [script:line: ]message``, followed by ``>>> ``
  detail lines (:data:`DETAIL`). cargo/rustc wrap them as ``= note: rust-lld: ...``
  with indented continuation lines.
- NASM: ``file:line: error: message``; GNU as: ``file:line: Error: message``.
- GRUB: ``error: message.`` (``grub_print_error``: ``error: %s.``).
- QEMU: ``qemu-system-x86_64: message`` or ``qemu: message``.
- Limine: ``PANIC: message``. SeaBIOS: ``Boot failed: ...``.

Everything here is a pure function of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: ANSI escape sequences (colours from GRUB/Limine consoles, from gcc with colour on).
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
#: Control characters other than tab, once escapes are gone.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: cargo/rustc wrap linker output in ``= note:`` lines (older rustc: ``note:``).
_RUSTC_NOTE = re.compile(r"^(?:\|\s*)?=?\s*note:\s+")
#: What logs put before a tool's line: a kernel or serial-console timestamp
#: (``[    0.123456]``, ``[12:34:56]``), an ISO 8601 one (CI runners:
#: ``2024-05-01T12:00:00.1234567Z``), a clock time (``12:34:56.789``), or Docker
#: BuildKit's step and seconds (``#12 3.456``); removed, repeatedly, before the tool
#: prefix is looked for.
_TIMESTAMP = re.compile(
    r"^(?:\[\s*\d+(?:[.:]\d+)*\]|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)?|#\d+ \d+\.\d+)\s+"
)

_LOCATION = r"(?P<file>[^\s:()'`]+):(?P<line>\d+)"
_SEVERITY = r"(?P<severity>error|warning|fatal error|NOTE|note)"

#: (tool, prefix regex) in the order they are tried; the body is what follows.
PREFIXES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "lld",
        re.compile(
            r"^(?P<program>(?:\S*[/\\])?(?:rust-lld|ld\.lld|ld64\.lld|lld-link|lld)(?:-\d+)?"
            rf"(?:\.exe)?):\s+(?:{_SEVERITY}:\s+)?(?:{_LOCATION}:\s+)?"
        ),
    ),
    (
        "ld",
        re.compile(
            r"^(?P<program>(?:\S*[/\\])?(?:[\w.+-]*-)?ld(?:\.bfd|\.gold)?(?:\.exe)?):"
            rf"\s?(?:{_LOCATION}:?\s+)?(?:{_SEVERITY}:\s+)?"
        ),
    ),
    ("qemu", re.compile(r"^(?P<program>(?:\S*[/\\])?qemu(?:-system-[\w-]+)?(?:\.exe)?):\s+")),
    ("nasm", re.compile(rf"^{_LOCATION}: (?P<severity>error|warning|fatal|panic|info):\s+")),
    ("as", re.compile(rf"^{_LOCATION}: (?P<severity>Error|Warning|Info):\s+")),
    ("cargo", re.compile(r"^(?P<severity>error): (?=linking with `)")),
    ("grub", re.compile(r"^(?P<severity>error):\s+(?=.*\.$)")),
    ("limine", re.compile(r"^(?P<severity>PANIC):\s+")),
    ("seabios", re.compile(r"^(?=Boot failed: )")),
)

#: ld.lld's continuation lines: ``>>> defined in a.o``, ``>>> .boot range is [...]``.
DETAIL = re.compile(r"^>>>\s?(?P<detail>.*)$")
#: GNU ld's (and gcc's) context line before relocation errors.
CONTEXT = re.compile(r"^(?P<object>\S.*?): in function `(?P<function>[^']+)':$")
#: Lines that are only the compiler driver reporting the linker's failure.
NOISE = re.compile(r"^(?:collect2(?:\.exe)?: |clang(?:-\d+)?: error: linker command failed)")


@dataclass(frozen=True)
class LogLine:
    """One line of a log: 1-based ``number``, ``text`` as read (escape sequences and
    control characters removed, no newline), the ``tool`` that printed it (one of
    ``kernlint.logpattern.TOOLS``, or None), ``body`` (the message after the prefix),
    ``rest`` (everything after the program name), ``prefix`` (the prefix's named
    values: ``program``, ``file``, ``line``, ``severity``), and ``kind``: ``message``,
    ``detail`` (a ``>>>`` line), ``context`` (GNU ``in function``), ``noise`` or
    ``blank``."""

    number: int
    text: str
    tool: str | None
    body: str
    rest: str = ""
    prefix: dict[str, str] = field(default_factory=dict)
    kind: str = "message"


def clean(raw: str) -> str:
    """``raw`` without ANSI escape sequences, control characters and surrounding
    whitespace."""
    return _CONTROL.sub("", _ANSI.sub("", raw)).strip()


def split(number: int, raw: str) -> LogLine:
    """The :class:`LogLine` for line ``number`` whose text is ``raw``."""
    text = clean(raw)
    if not text:
        return LogLine(number, text, None, "", kind="blank")
    inner = text
    for _ in range(3):
        stamp = _TIMESTAMP.match(inner)
        if not stamp or stamp.end() == len(inner):
            break
        inner = inner[stamp.end() :]
    inner = _RUSTC_NOTE.sub("", inner, count=1)
    if DETAIL.match(inner):
        return LogLine(number, text, None, DETAIL.match(inner)["detail"], kind="detail")
    line = _tool_line(number, text, inner)
    if line is None and inner != text:
        line = _tool_line(number, text, text)
    if line is not None:
        context = CONTEXT.match(line.body)
        if context and line.tool == "ld":
            return LogLine(number, text, "ld", line.body, line.rest, context.groupdict(), "context")
        return line
    if NOISE.match(inner):
        return LogLine(number, text, None, inner, kind="noise")
    context = CONTEXT.match(inner)
    if context:
        return LogLine(number, text, "ld", inner, inner, context.groupdict(), "context")
    return LogLine(number, text, None, inner, inner)


def _tool_line(number: int, text: str, inner: str) -> LogLine | None:
    for tool, prefix in PREFIXES:
        m = prefix.match(inner)
        if m:
            values = {k: v for k, v in m.groupdict().items() if v is not None}
            program = values.get("program")
            rest = inner[len(program) + 1 :].lstrip() if program else inner
            return LogLine(number, text, tool, inner[m.end() :], rest, values)
    return None
