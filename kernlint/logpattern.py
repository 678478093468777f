"""Build and boot log lines a rule explains (``kernlint explain LOG``).

A rule module may declare ``LOG_PATTERNS``, a tuple of :class:`LogPattern`, beside its
documentation: supporting a new linker, loader or assembler message is then one entry
in the module of the rule behind it. The explain command compiles the patterns on
first use; importing a rule module compiles nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Tools whose messages are recognised; ``LogPattern.tool`` is one of these.
TOOLS = ("ld", "lld", "grub", "qemu", "nasm", "as", "cargo", "kernlint")


@dataclass(frozen=True)
class LogPattern:
    """One message of one tool.

    ``regex`` is a Python regular expression searched in a log line (after the tool's
    prefix: ``ld:``, ``ld.lld:``, ``x86_64-linux-gnu-ld:``, a full path, ``error:``...);
    its named groups (``symbol``, ``section``, ``address``, ``type``, ...) fill the
    ``{}`` fields of ``explain``, two or three sentences on what happened and what to
    change. ``sample`` is a real line the tool printed (a test asserts ``regex`` matches
    it). ``tool`` is one of :data:`TOOLS`.
    """

    tool: str
    regex: str
    explain: str
    sample: str
