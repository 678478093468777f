"""Expected loader outcomes, and the check that kernlint agrees with them.

A table row says: boot FILE with LOADER, expect OUTCOME; and kernlint must report
RULE on FILE exactly when that outcome is a failure (or as the row says otherwise).
The loader messages below are verbatim what Debian bookworm's loaders printed here:
qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3 (``QEMU emulator version 7.2.22``) and
grub-pc-bin 2.06-13+deb12u2, with seabios 1.16.2-1 (see research/anchors-binary.md §4,
rows G1-G14 and Q1-Q2).

Loaders: ``qemu`` (``qemu-system-x86_64 -kernel``), ``grub-multiboot`` and
``grub-multiboot2`` (GRUB's commands), ``grub-auto`` (``multiboot2`` when the file has
a Multiboot 2 magic at an 8-byte-aligned offset anywhere, else ``multiboot``: for rows
whose sample may use either protocol).
"""

from __future__ import annotations

import functools
import json
import re
import struct
from collections.abc import Iterable
from pathlib import Path

from tests.conftest import kernlint
from tests.support import boot

#: The kernel ran and printed ``KERNLINT-BOOT-OK`` (right hand-off magic).
BOOTS = "booted"
#: The kernel ran but saw the wrong hand-off magic (``KERNLINT-BOOT-BADMAGIC``).
BADMAGIC = "bad-magic"
#: No loader message and no marker before the timeout: the loader jumped somewhere
#: that never reports (QEMU does not check that the entry lies in a segment).
HANGS = "timeout"
#: QEMU ended (a guest reset, e.g. a triple fault, ends it under ``-no-reboot``)
#: with neither a loader message nor a marker.
NO_MARKER = "no-marker"
#: Anything but :data:`BOOTS` (for samples whose exact failure is not pinned yet).
NOT_BOOTED = "not-booted"

NO_HEADER = "error: no multiboot header found."
#: GRUB prints the whole flags word, not only the bits it does not know.
UNSUPPORTED_FLAG_8 = "error: unsupported flag: 0x8."
UNSUPPORTED_FLAG_B = "error: unsupported flag: 0xb."
UNSUPPORTED_TAG_B = "error: unsupported tag: 0xb."
#: A tag not starting 8-byte aligned: GRUB reads the next tag from the aligned
#: offset and names whatever type it finds there (0x8 in kl402's sample).
UNSUPPORTED_TAG_8 = "error: unsupported tag: 0x8."
ADDRESS_WITHOUT_ENTRY = "error: load address tag without entry address tag."
RELOCATABLE_RANGE = "error: invalid min/max address and/or load size."
RELOCS = "error: ELF files with relocs are not supported yet."
NOT_RIGHT_TYPE = "error: this ELF file is not of the right type."
CROSSES_4G = "error: segment crosses 4 GiB border."
ENTRY_OUTSIDE = "error: entry point isn't in a segment."
PHDRS_TOO_HIGH = "error: program header at a too high offset."
#: A segment whose [p_paddr, p_paddr + p_memsz) is in no free RAM (GRUB's relocator).
OUT_OF_MEMORY = "error: out of memory."
QEMU_NO_PVH = "qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note"
QEMU_X86_64 = "qemu-system-x86_64: Cannot load x86-64 image, give a 32bit one."
#: a.out kludge whose header_addr puts the load offset outside the file.
QEMU_FREAD = "qemu-system-x86_64: fread() failed"
#: a.out kludge with load_addr above header_addr (source: ``invalid load_addr address``).
QEMU_LOAD_ADDR = "qemu-system-x86_64: invalid load_addr address"

Expected = str | re.Pattern[str]

LOADERS = ("qemu", "grub-multiboot", "grub-multiboot2", "grub-auto")


def grub_protocol(image: Path) -> boot.Protocol:
    """``multiboot2`` when ``image`` holds ``0xE85250D6`` at an 8-aligned offset, else
    ``multiboot`` (only chooses the GRUB command; judging the header is kernlint's job)."""
    data = image.read_bytes()
    magic = struct.pack("<I", 0xE85250D6)
    at = data.find(magic)
    while at != -1:
        if at % 8 == 0:
            return "multiboot2"
        at = data.find(magic, at + 1)
    return "multiboot"


@functools.cache
def run_loader(image: Path, loader: str, timeout: float | None = None) -> boot.BootResult:
    """Boot ``image`` with ``loader`` (one of :data:`LOADERS`); ``timeout`` in seconds
    (default 10 for QEMU ``-kernel``, 20 for GRUB). Memoised per session: a file is
    booted once per loader however many tests ask (files are not rewritten while the
    tests run)."""
    if loader == "qemu":
        return boot.qemu_kernel(image, timeout=timeout or 10.0)
    protocol = loader.removeprefix("grub-")
    if protocol == "auto":
        protocol = grub_protocol(image)
    assert protocol in ("multiboot", "multiboot2"), loader
    return boot.grub_boot(image, protocol, timeout=timeout or 20.0)


def boot_timeout(expected: Expected) -> float | None:
    """Short timeouts where a hang is a possible outcome (each costs its full length)."""
    return 1.5 if expected in (HANGS, NO_MARKER, NOT_BOOTED) else None


def loader_failed(expected: Expected) -> bool:
    return expected not in (BOOTS, BADMAGIC)


def assert_outcome(result: boot.BootResult, expected: Expected, loader: str) -> None:
    """The boot ended as ``expected`` says: an exact loader message (or a pattern for
    it), :data:`BOOTS`, :data:`BADMAGIC`, :data:`HANGS`, :data:`NO_MARKER` or
    :data:`NOT_BOOTED`."""
    outcome = result.outcome()
    if expected == NOT_BOOTED:
        assert not result.booted, result.describe()
        return
    if isinstance(expected, re.Pattern):
        assert expected.fullmatch(outcome), result.describe()
    else:
        assert outcome == expected, result.describe()
    if expected == BOOTS:
        assert result.returncode == boot.EXIT_OK, result.describe()
    elif expected == BADMAGIC:
        assert result.returncode == boot.EXIT_BADMAGIC, result.describe()
    elif expected == HANGS:
        assert result.timed_out and not result.booted, result.describe()
    elif expected == NO_MARKER:
        assert not result.timed_out and boot.GRUB_FAILED not in result.serial
    elif loader == "qemu":  # refused before the guest ran: one stderr line, status 1
        assert result.returncode == 1 and result.serial == "", result.describe()
        assert result.stderr.strip() == outcome, result.describe()
    else:  # GRUB refused; the script printed its failure marker and powered off
        assert boot.GRUB_FAILED in result.serial, result.describe()
        assert result.returncode == 0 and not result.timed_out, result.describe()


@functools.cache
def implemented_rules() -> frozenset[str]:
    """Rule ids ``kernlint rules`` lists (KL4 rules land one by one)."""
    run = kernlint("rules", "--format", "json")
    assert run.code == 0, run.stderr
    return frozenset(r["id"] for r in json.loads(run.stdout)["rules"])


#: kernlint's findings per (path, args), filled by :func:`prefetch` or on demand.
_FINDINGS: dict[tuple[str, tuple[str, ...]], tuple[dict, ...]] = {}


def prefetch(items: Iterable[tuple[Path, tuple[str, ...]]]) -> None:
    """Run kernlint once per distinct ``args`` over all the paths given with them
    (one process instead of one per file: ~0.3 s each) and keep the findings for
    :func:`assert_kernlint`."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for path, args in items:
        if (str(path), args) not in _FINDINGS:
            groups.setdefault(args, []).append(str(path))
    for args, paths in groups.items():
        paths = sorted(set(paths))
        run = kernlint("check", "--format", "json", *args, *paths)
        # Status 2 (one unreadable input, KL001) still reports on the others.
        assert run.code in (0, 1, 2) and run.stdout, f"kernlint exit {run.code}\n{run.stderr}"
        for path in paths:
            _FINDINGS[path, args] = ()
        for finding in run.report["findings"]:
            key = (finding["path"], args)
            _FINDINGS[key] = (*_FINDINGS.get(key, ()), finding)


def _findings(path: str, args: tuple[str, ...]) -> tuple[dict, ...]:
    if (path, args) not in _FINDINGS:
        prefetch([(Path(path), args)])
    return _FINDINGS[path, args]


def assert_kernlint(path: Path, rule: str, reported: bool, args: tuple[str, ...] = ()) -> None:
    """kernlint on ``path`` (``check --format json ARGS PATH``) reports ``rule`` (as an
    error or warning) iff ``reported``; when not, it reports no KL4 error either. An
    ``info`` finding of the rule (KL406's "could not check: no relocation data") counts
    as neither. Skips, after the boot half of the test has passed, when ``rule`` must
    be reported but kernlint does not have it yet."""
    import pytest

    findings = _findings(str(path), args)
    decided = {f["rule"] for f in findings if f["severity"] in ("error", "warning")}
    shown = "\n".join(f"{f['rule']} {f['severity']}: {f['message']}" for f in findings)
    if reported:
        if rule not in implemented_rules():
            pytest.skip(f"loader outcome confirmed; {rule} is not implemented yet")
        assert rule in decided, f"kernlint missed {rule} on {path}:\n{shown or '(no findings)'}"
    else:
        assert rule not in decided, f"kernlint reports {rule} on {path}, which loads:\n{shown}"
        errors = [f for f in findings if f["rule"].startswith("KL4") and f["severity"] == "error"]
        assert not errors, f"KL4 error on {path}, which loads:\n{shown}"
