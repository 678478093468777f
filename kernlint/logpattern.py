"""Build and boot log lines a rule explains (``kernlint explain LOG``).

A rule module may declare ``LOG_PATTERNS``, a tuple of :class:`LogPattern`, beside its
documentation: supporting a new linker, loader or assembler message is then one entry
in the module of the rule behind it. The explain command compiles the patterns on
first use; importing a rule module compiles nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Tools whose messages are recognised; ``LogPattern.tool`` is one of these. ``lld``
#: covers ld.lld and rust-lld (also inside cargo's "linking with `rust-lld` failed"
#: block); ``limine`` is the Limine bootloader's ``PANIC:`` lines; ``seabios`` the
#: BIOS QEMU runs (its ``Boot failed: ...`` lines); ``bootloader`` the rust-osdev
#: ``bootloader`` crate's panics (``ERROR:    panicked at ...``, KL412, KL413); ``edk2``
#: the EDK2 UEFI firmware (OVMF) and its Shell (``BdsDxe: failed to load ...``,
#: ``Command Error Status: ...``); ``shim`` the shim first-stage loader (KL7).
TOOLS = (
    "ld",
    "lld",
    "grub",
    "qemu",
    "nasm",
    "as",
    "cargo",
    "kernlint",
    "limine",
    "seabios",
    "bootloader",
    "edk2",
    "shim",
)


@dataclass(frozen=True)
class LogPattern:
    """One message of one tool.

    ``regex`` is a Python regular expression searched in a log line after the tool's
    prefix: the program (``ld:``, ``ld.lld:``, ``x86_64-linux-gnu-ld:``, a full path,
    ``qemu-system-x86_64:``), then a script or source location (``ld:boot.ld:6``,
    ``bs.asm:5:``) and a severity (``error:``, ``warning:``) when the tool prints them;
    if it does not match there, it is searched in the whole line. Its named groups
    (``symbol``, ``section``, ``type``, ...) and the prefix's ``file``, ``line`` and
    ``severity`` fill the ``{}`` fields of ``explain``, two or three sentences on what
    happened and what to change; ``kernlint.explain.values`` derives more fields from
    groups with agreed names (``overlap`` from ``a_start``..``b_end``, ``place``...).
    ``sample`` is a real line the tool printed (a test asserts ``regex`` matches it).
    ``tool`` is one of :data:`TOOLS`. ``related`` names other rules (ids) whose
    findings on ``--artifacts`` also point at the cause (the script behind an RWX
    segment: KL204, KL205). ``alternatives`` names other rules (ids) whose cause makes
    the tool print the very same message (QEMU's "Error loading uncompressed kernel
    without PVH ELF Note" for a missing Multiboot 1 header, a Multiboot 2-only kernel or
    a PVH note QEMU misreads): explain then names the rule only when ``--artifacts``
    show which cause it is (the candidates with findings on them), lists them all
    without artifacts, and names none when the artifacts show none of them; its
    ``explain`` text describes every cause.
    """

    tool: str
    regex: str
    explain: str
    sample: str
    related: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
