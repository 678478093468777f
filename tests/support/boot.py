"""Ground truth by booting: run a kernel image under QEMU ``-kernel`` or under GRUB.

kernlint's KL4 rules (Multiboot 1, Multiboot 2, Xen PVH) predict what a loader does
with an image. This module asks the loaders themselves, so the tests can hold each
verdict against a real boot: Debian bookworm's ``qemu-system-x86`` 7.2 and
``grub-pc-bin`` 2.06 (i386-pc, booted from an ISO made by ``grub-mkrescue``), TCG
only (no KVM), each boot bounded by a hard timeout of a few seconds.

Success convention (what a test kernel must do)
-----------------------------------------------
The sample kernels' entry code follows this contract; ``samples/boot-ok.inc`` is a
GNU as implementation of it (``KERNLINT_BOOT_OK magic`` / ``KERNLINT_BOOT_OK_PVH``):

1. At the entry point (32-bit protected mode, paging off, no stack assumed) check the
   hand-off: ``EAX == 0x2BADB002`` under Multiboot 1 (GRUB ``multiboot``, QEMU
   ``-kernel``), ``EAX == 0x36d76289`` under Multiboot 2 (GRUB ``multiboot2``), or,
   under Xen PVH (QEMU ``-kernel`` through the ``XEN_ELFNOTE_PHYS32_ENTRY`` note),
   the u32 at ``[EBX]`` (``hvm_start_info.magic``) ``== 0x336ec578``.
2. If it holds, write the 17 ASCII bytes ``KERNLINT-BOOT-OK\\n`` to COM1 (I/O port
   ``0x3f8``; poll LSR bit 5 at ``0x3fd`` before each byte), then ``outb`` **0x10**
   to I/O port **0xf4**. QEMU runs with
   ``-device isa-debug-exit,iobase=0xf4,iosize=0x04``, which ends the process at once
   with exit status ``(0x10 << 1) | 1 = 33`` (:data:`EXIT_OK`).
3. If it does not hold (a wrong-protocol hand-off), write
   ``KERNLINT-BOOT-BADMAGIC\\n`` and ``outb`` **0x11** to 0xf4 (exit status 35,
   :data:`EXIT_BADMAGIC`).
4. In both cases then ``cli; hlt`` in a loop (for a machine without the exit device).

A kernel may print anything else on COM1 before (the harness keeps it in
:attr:`BootResult.serial`), e.g. data read through an absolute address, but
:attr:`BootResult.booted` is true only when the line ``KERNLINT-BOOT-OK`` appears in
the serial output. Exit status alone is not trusted (a triple fault with
``-no-reboot`` also ends QEMU, with status 0).

Machines
--------
Both paths run ``qemu-system-x86_64 -nodefaults -accel tcg -display none -serial
stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04`` (COM1 is QEMU's
stdout; a guest reset ends QEMU instead of rebooting):

* :func:`qemu_kernel` adds ``-m 64 -kernel kernel.elf``, run in a fresh directory
  holding a copy of the image under that fixed name: QEMU hands its ``-kernel``
  argument to a Multiboot 1 kernel as the command line, in memory next to the boot
  information, so the caller's path length must not change what the guest sees.
* :func:`grub_boot` adds ``-vga std -m 128 -cdrom ISO``. The ISO (``grub-mkrescue``,
  i386-pc, only the modules the script needs: about 0.9 MB, built in ~0.3 s) holds
  the image as ``/boot/kernel.elf``; it is cached in ``$TMPDIR/kernlint-boot-iso-<uid>/``
  by the SHA-256 of the image, the protocol, the script, the grub-mkrescue options and
  the GRUB version, so each is built once and reused by later runs (ISOs unused for a
  week are deleted). The VGA card is there because without one GRUB's Multiboot 1
  loader prints a spurious, non-fatal ``error: Can't get controller info..`` (VBE
  probe).

Timings here (2 CPUs, TCG): QEMU ``-kernel`` boots or refuses in 0.03-0.2 s, a GRUB
boot or refusal takes 0.5-0.8 s; only a hung guest costs its full timeout.

Loader errors
-------------
* QEMU ``-kernel`` refuses an image before the guest runs, with one line on stderr
  such as ``qemu-system-x86_64: Cannot load x86-64 image, give a 32bit one.`` and exit
  status 1; :attr:`BootResult.loader_error` is that line (the first stderr line that
  starts with ``qemu-system-x86_64:`` or ``qemu:``).
* GRUB is driven by a ``grub.cfg`` on the ISO that sets a serial console
  (``serial --unit=0 --speed=115200``, ``terminal_input/terminal_output serial``,
  ``terminfo ... dumb`` so no escape sequences), prints :data:`GRUB_LOADING`, runs
  ``multiboot /boot/kernel.elf`` or ``multiboot2 /boot/kernel.elf`` and ``boot``; if
  loading fails GRUB prints its error (``error: no multiboot header found.``) and
  the script prints :data:`GRUB_FAILED` and powers the machine off (``halt``), so a
  refused image costs about as much as a successful boot.
  :attr:`BootResult.loader_error` is the first ``error: ...`` line GRUB printed
  after :data:`GRUB_LOADING` (the verbatim text, trailing period included), unless
  the kernel went on to print a marker.

Tool availability: :func:`qemu_kernel` and :func:`grub_boot` call :func:`require`
first, which skips the calling test (``pytest.skip``) when a tool is missing
(``qemu-system-x86_64``; for GRUB also ``grub-mkrescue``, ``xorriso``, ``mformat`` and
``/usr/lib/grub/i386-pc``), unless the ``CI`` environment variable is set: there the
tools must be present and :class:`BootUnavailable` is raised, failing the test (the
``needs_toolchain`` pattern of ``tests/conftest.py``). ``sh tests/setup.sh`` installs
them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "BOOT_BADMAGIC",
    "BOOT_OK",
    "EXIT_BADMAGIC",
    "EXIT_OK",
    "GRUB_FAILED",
    "GRUB_LOADING",
    "BootResult",
    "BootUnavailable",
    "grub_boot",
    "grub_iso",
    "missing_tools",
    "qemu_kernel",
    "require",
    "tool_versions",
]

#: The line a test kernel prints on COM1 when its hand-off checked out.
BOOT_OK = "KERNLINT-BOOT-OK"
#: The line it prints when the hand-off magic was wrong.
BOOT_BADMAGIC = "KERNLINT-BOOT-BADMAGIC"
#: QEMU's exit status after ``outb 0x10, 0xf4`` (isa-debug-exit: ``(v << 1) | 1``).
EXIT_OK = (0x10 << 1) | 1
#: QEMU's exit status after ``outb 0x11, 0xf4``.
EXIT_BADMAGIC = (0x11 << 1) | 1
#: Printed by the GRUB script just before the ``multiboot``/``multiboot2`` command.
GRUB_LOADING = "KERNLINT-GRUB-LOADING"
#: Printed by the GRUB script when ``boot`` returned (loading or booting failed).
GRUB_FAILED = "KERNLINT-GRUB-FAILED"

QEMU = "qemu-system-x86_64"
GRUB_PC_DIR = Path("/usr/lib/grub/i386-pc")
Protocol = Literal["multiboot", "multiboot2"]
#: The file name QEMU ``-kernel`` is given (a copy of the image, in a fresh directory):
#: it is also the Multiboot 1 command line, so it must not vary with the caller's path.
KERNEL_NAME = "kernel.elf"

#: Machine options shared by every boot: no default devices (no VGA, NIC, monitor;
#: a faster start), TCG, COM1 on stdout, the exit device, and no reboot so that a
#: triple fault ends QEMU instead of looping through the BIOS.
_COMMON = [
    "-nodefaults",
    "-accel",
    "tcg",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-no-reboot",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
]

#: The ``grub.cfg`` put on every ISO; ``{command}`` is ``multiboot`` or ``multiboot2``.
#: ``terminfo serial dumb`` keeps GRUB's output free of cursor escape sequences after
#: the first screen clear; ``halt`` powers the machine off (QEMU exits with status 0).
GRUB_CFG = f"""\
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
terminfo serial dumb
set timeout=0
echo {GRUB_LOADING}
{{command}} /boot/kernel.elf
boot
echo {GRUB_FAILED}
halt
"""

#: grub-mkrescue options: only the modules the script needs (and their dependencies),
#: no locales, fonts or themes: an ISO of ~0.9 MB instead of ~9.5 MB, booting as fast.
GRUB_MKRESCUE_OPTIONS = [
    "--install-modules=normal serial terminfo echo halt multiboot multiboot2",
    "--locales=",
    "--fonts=",
    "--themes=",
]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class BootUnavailable(RuntimeError):
    """A tool needed to boot (QEMU, grub-mkrescue, xorriso, mformat) is missing."""


@dataclass
class BootResult:
    """What one boot produced.

    ``serial`` is COM1's output as text (UTF-8, undecodable bytes replaced), with
    ANSI escape sequences and carriage returns removed; ``stderr`` is QEMU's stderr
    verbatim. ``returncode`` is QEMU's exit status (:data:`EXIT_OK` after a
    successful test kernel, 0 after GRUB's ``halt``, 1 when ``-kernel`` refuses the
    image), or ``None`` when the boot was killed at the timeout (``timed_out``).
    ``seconds`` is the wall-clock time of the QEMU run (ISO building excluded).
    """

    command: list[str]
    serial: str
    stderr: str
    returncode: int | None
    timed_out: bool
    seconds: float
    loader_error: str | None = None
    #: The ``KERNLINT-BOOT-OK`` line was printed.
    booted: bool = field(init=False)
    #: The ``KERNLINT-BOOT-BADMAGIC`` line was printed (wrong hand-off magic).
    bad_magic: bool = field(init=False)

    def __post_init__(self) -> None:
        lines = self.serial.splitlines()
        self.booted = BOOT_OK in lines
        self.bad_magic = BOOT_BADMAGIC in lines

    def outcome(self) -> str:
        """One word for assertions and reports: the loader error if any, else
        ``"booted"``, ``"bad-magic"``, ``"timeout"`` or ``"no-marker"``."""
        if self.loader_error:
            return self.loader_error
        if self.booted:
            return "booted"
        if self.bad_magic:
            return "bad-magic"
        return "timeout" if self.timed_out else "no-marker"

    def describe(self) -> str:
        """A multi-line account for assertion messages."""
        return (
            f"$ {' '.join(self.command)}\n"
            f"returncode={self.returncode} timed_out={self.timed_out} "
            f"seconds={self.seconds:.2f}\n--- serial ---\n{self.serial}\n"
            f"--- stderr ---\n{self.stderr}"
        )


def missing_tools(grub: bool = False) -> list[str]:
    """Names of the tools (or GRUB's i386-pc module folder) not found on this machine;
    ``grub=True`` adds what :func:`grub_boot` needs to build its ISO."""
    needed = [QEMU]
    if grub:
        needed += ["grub-mkrescue", "xorriso", "mformat"]
    missing = [t for t in needed if shutil.which(t) is None]
    if grub and not (GRUB_PC_DIR / "multiboot2.mod").is_file():
        missing.append(str(GRUB_PC_DIR))
    return missing


def require(grub: bool = False) -> None:
    """Skip the calling test when a boot tool is missing, except on CI (``CI`` set),
    where :class:`BootUnavailable` is raised so the test fails."""
    missing = missing_tools(grub)
    if not missing:
        return
    reason = f"boot tests need {', '.join(missing)} (sh tests/setup.sh installs them)"
    if os.environ.get("CI"):
        raise BootUnavailable(reason)
    import pytest

    pytest.skip(reason)


def tool_versions() -> dict[str, str]:
    """Debian package versions of the loaders, e.g. ``{"qemu-system-x86":
    "1:7.2+dfsg-7+deb12u18+b3", "grub-pc-bin": "2.06-13+deb12u2", "seabios":
    ...}`` (empty values for packages not installed or without dpkg)."""
    pkgs = ["qemu-system-x86", "grub-pc-bin", "seabios", "xorriso", "mtools"]
    versions = dict.fromkeys(pkgs, "")
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Package}\\t${Version}\\n", *pkgs],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return versions
    for line in out.splitlines():
        name, _, version = line.partition("\t")
        if name in versions:
            versions[name] = version
    return versions


def _clean(raw: bytes) -> str:
    return _ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r", "")


def _run(
    command: list[str], timeout: float, cwd: str | None = None
) -> tuple[str, str, int | None, bool, float]:
    """Run QEMU with a hard timeout; ``(serial, stderr, returncode, timed_out, s)``."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, cwd=cwd
        )
        out, err, code, timed_out = proc.stdout, proc.stderr, proc.returncode, False
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed QEMU
        out, err, code, timed_out = exc.stdout or b"", exc.stderr or b"", None, True
    return _clean(out), err.decode("utf-8", "replace"), code, timed_out, time.monotonic() - start


def qemu_kernel(image: Path, timeout: float = 10.0, memory_mib: int = 64) -> BootResult:
    """Boot ``image`` with QEMU's own loader: ``qemu-system-x86_64 -kernel IMAGE``
    (Multiboot 1, or Xen PVH through the ``PHYS32_ENTRY`` note, or a Linux bzImage).

    ``timeout`` is in seconds of wall-clock time; ``memory_mib`` the guest RAM.
    ``loader_error`` is QEMU's first ``qemu-system-x86_64: ...`` (or ``qemu: ...``)
    stderr line, e.g. ``qemu-system-x86_64: Cannot load x86-64 image, give a 32bit
    one.``, when QEMU refused to load the image.
    """
    require()
    # QEMU passes the -kernel argument to a Multiboot 1 kernel as its command line,
    # stored in low memory next to the boot information: a kernel that overwrites
    # that area (one loaded below 1 MiB) behaves differently with a longer path. So
    # QEMU always boots a copy named "kernel.elf" in a fresh directory.
    command = [QEMU, *_COMMON, "-m", str(memory_mib), "-kernel", KERNEL_NAME]
    with tempfile.TemporaryDirectory(prefix="kernlint-boot-") as work:
        shutil.copyfile(image, Path(work) / KERNEL_NAME)
        serial, stderr, code, timed_out, seconds = _run(command, timeout, cwd=work)
    error = next(
        (line.strip() for line in stderr.splitlines() if line.startswith((f"{QEMU}:", "qemu:"))),
        None,
    )
    return BootResult(command, serial, stderr, code, timed_out, seconds, error)


#: Cached ISOs unused for this long are deleted (seconds).
CACHE_MAX_AGE = 7 * 24 * 3600


@functools.cache
def _cache_dir() -> Path:
    """Where built ISOs are kept: ``$TMPDIR/kernlint-boot-iso-<uid>`` (one ISO per
    image content, protocol, script and GRUB version; reused across test runs). Once
    per process, ISOs unused for :data:`CACHE_MAX_AGE` are removed (a use refreshes
    the file's mtime)."""
    path = Path(tempfile.gettempdir()) / f"kernlint-boot-iso-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - CACHE_MAX_AGE
    for old in path.glob("*.iso"):
        with contextlib.suppress(OSError):  # a concurrent run may remove it first
            if old.stat().st_mtime < cutoff:
                old.unlink()
    return path


def _grub_version() -> str:
    proc = subprocess.run(
        ["grub-mkrescue", "--version"], capture_output=True, text=True, timeout=30
    )
    return proc.stdout.strip()


def grub_iso(image: Path, protocol: Protocol) -> Path:
    """A bootable i386-pc ISO holding ``image`` as ``/boot/kernel.elf`` and the
    :data:`GRUB_CFG` script for ``protocol``; built by ``grub-mkrescue`` once per
    (image bytes, protocol, script, options, GRUB version) and cached (~0.9 MB, ~0.3 s)."""
    if protocol not in ("multiboot", "multiboot2"):
        raise ValueError(f"protocol must be multiboot or multiboot2, not {protocol!r}")
    require(grub=True)
    cfg = GRUB_CFG.format(command=protocol)
    data = Path(image).read_bytes()
    key = hashlib.sha256()
    options = " ".join(GRUB_MKRESCUE_OPTIONS)
    for part in (data, protocol.encode(), cfg.encode(), options.encode(), _grub_version().encode()):
        key.update(hashlib.sha256(part).digest())
    iso = _cache_dir() / f"{key.hexdigest()[:32]}.iso"
    if iso.is_file():
        with contextlib.suppress(OSError):
            os.utime(iso)  # used: keep it past the next pruning
        return iso
    with tempfile.TemporaryDirectory(dir=_cache_dir()) as work:
        root = Path(work) / "root"
        (root / "boot" / "grub").mkdir(parents=True)
        (root / "boot" / "kernel.elf").write_bytes(data)
        (root / "boot" / "grub" / "grub.cfg").write_text(cfg)
        out = Path(work) / "out.iso"
        proc = subprocess.run(
            [
                "grub-mkrescue",
                "-d",
                str(GRUB_PC_DIR),
                *GRUB_MKRESCUE_OPTIONS,
                "-o",
                str(out),
                str(root),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0 or not out.is_file():
            raise BootUnavailable(f"grub-mkrescue failed ({proc.returncode}):\n{proc.stderr}")
        os.replace(out, iso)  # atomic: concurrent builders of one key agree
    return iso


def grub_boot(
    image: Path, protocol: Protocol, timeout: float = 20.0, memory_mib: int = 128
) -> BootResult:
    """Boot ``image`` through GRUB 2 (i386-pc, BIOS, from CD-ROM) with its
    ``multiboot`` or ``multiboot2`` command (``protocol``).

    ``timeout`` is in seconds (a boot takes well under 2 s with TCG here).
    ``loader_error`` is the first ``error: ...`` line GRUB printed after the script's
    :data:`GRUB_LOADING` marker, verbatim (``error: no multiboot header found.``),
    when the kernel then printed neither marker; ``None`` once the kernel ran (any
    non-fatal GRUB complaint stays visible in ``serial``).
    """
    iso = grub_iso(image, protocol)
    # A VGA card: without one GRUB's Multiboot 1 loader prints a spurious (non-fatal)
    # "error: Can't get controller info.." while probing VBE modes.
    command = [QEMU, *_COMMON, "-vga", "std", "-m", str(memory_mib), "-cdrom", str(iso)]
    serial, stderr, code, timed_out, seconds = _run(command, timeout)
    _, seen, after = serial.partition(GRUB_LOADING)
    error = None
    if seen and BOOT_OK not in after and BOOT_BADMAGIC not in after:
        error = next(
            (line.strip() for line in after.splitlines() if line.startswith("error: ")), None
        )
    return BootResult(command, serial, stderr, code, timed_out, seconds, error)
