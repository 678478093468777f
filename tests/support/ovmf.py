"""Ground truth by booting a UEFI image in OVMF: Debian's ``ovmf`` 2022.11 (EDK2) in
``qemu-system-x86_64`` 7.2, TCG, the image installed as the removable-media boot
loader ``\\EFI\\BOOT\\BOOTX64.EFI`` of a FAT drive QEMU makes from a folder
(``-drive file=fat:rw:DIR,format=raw``); or in AAVMF (``qemu-efi-aarch64``) on
``qemu-system-aarch64 -M virt`` as ``BOOTAA64.EFI`` (:data:`AA64`).

Success convention: a sample application prints :data:`UEFI_OK` through
``ConOut->OutputString`` (OVMF copies ConOut to the serial console, QEMU's stdout
here with ``-nographic -serial stdio``), then calls ``ResetSystem(EfiResetShutdown)``,
which ends QEMU. :attr:`OvmfResult.booted` is true only when that line appears.

Refusal: OVMF's boot manager tries ``Boot0001`` (the disk) and, when the firmware
refuses the image, prints ``BdsDxe: failed to load Boot0001 "..." from ...: <status>``
(``Not Found``, ``Unsupported``, ``Load Error``, ...), then starts the next option,
the internal Shell. :attr:`OvmfResult.status` is that ``<status>``; QEMU is stopped as
soon as the line (or the Shell's start) appears, so a refusal costs about as much as a
boot (~7 s on 2 CPUs with TCG). An image that starts and then hangs or faults (a
release OVMF prints nothing for a CPU exception) costs the full timeout:
:attr:`OvmfResult.started` is true, ``booted`` false, ``timed_out`` true.

Each verdict is cached in ``$TMPDIR/kernlint-ovmf-<uid>/`` as JSON, keyed by the
SHA-256 of the image, of the firmware files and :data:`HARNESS_VERSION`, so a later
run boots only images that changed (the GRUB ISO cache of ``tests/support/boot.py``
does the same). Missing tools skip the calling test, or fail it when ``CI`` is set
(``sh tests/setup.sh`` installs ``ovmf`` and ``qemu-system-x86``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

#: The line a sample prints through ConOut when it runs.
UEFI_OK = "KERNLINT-UEFI-OK"
#: Bump when the command line or the result's meaning changes (invalidates the cache).
HARNESS_VERSION = 1
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS.fd")
QEMU = "qemu-system-x86_64"


@dataclass(frozen=True)
class Firmware:
    """An EDK2 firmware build and the QEMU machine that runs it: ``boot_name`` is the
    removable-media file name it starts (UEFI 2.10, 3.5.1.1), ``drive`` how the FAT
    folder is attached."""

    name: str
    qemu: str
    code: Path
    vars: Path
    machine: tuple[str, ...]
    drive: str
    boot_name: str


#: Debian's OVMF 2022.11 (``ovmf``) on QEMU's default PC, IDE disk.
X64 = Firmware("OVMF", QEMU, OVMF_CODE, OVMF_VARS, (), "", "BOOTX64.EFI")
#: Debian's AAVMF 2022.11 (``qemu-efi-aarch64``) on QEMU's ``virt`` board, virtio disk.
AA64 = Firmware(
    "AAVMF",
    "qemu-system-aarch64",
    Path("/usr/share/AAVMF/AAVMF_CODE.fd"),
    Path("/usr/share/AAVMF/AAVMF_VARS.fd"),
    ("-M", "virt", "-cpu", "cortex-a57"),
    ",if=virtio",
    "BOOTAA64.EFI",
)
#: Seconds a boot may take (OVMF reaches its boot manager in ~5 s under TCG).
TIMEOUT = 40.0

_ESCAPES = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b")
_FAILED = re.compile(
    r'BdsDxe: failed to (?P<step>load|start) Boot0001 ".*?" from .*?: (?P<status>[\w ]+)$'
)
#: The CPU exception dump of EDK2's ``CpuExceptionHandlerLib`` (printed by Debian's
#: OVMF too), and the line that ends it.
_EXCEPTION = re.compile(r"!!!! X64 Exception Type - (?P<type>\w+\([^)]*\))")
_DUMP_END = "!!!! Find image based on IP"


class OvmfUnavailable(RuntimeError):
    """qemu-system-x86_64 or the OVMF firmware files are missing."""


@dataclass(frozen=True)
class OvmfResult:
    """What OVMF did with an image: ``booted`` (it printed :data:`UEFI_OK`), ``started``
    (the boot manager said ``starting Boot0001``), ``status`` (the ``failed to load``
    status, or None), ``timed_out``, and ``serial`` (the console, escapes removed)."""

    booted: bool
    started: bool
    status: str | None
    #: ``load`` or ``start``: the boot manager's step that failed (``failed to start``:
    #: the image loaded and ``StartImage`` refused it), or None.
    step: str | None
    #: The CPU exception the started image caused (``0E(#PF - Page-Fault)``), or None.
    exception: str | None
    timed_out: bool
    serial: str
    seconds: float

    @property
    def failure_line(self) -> str | None:
        """The boot manager's ``BdsDxe: failed to load Boot0001 ...`` line, or None."""
        return next((ln for ln in self.serial.splitlines() if _FAILED.search(ln)), None)


def missing(firmware: Firmware = X64) -> list[str]:
    """What is missing to boot in ``firmware``."""
    out = [] if shutil.which(firmware.qemu) else [firmware.qemu]
    return out + [str(p) for p in (firmware.code, firmware.vars) if not p.is_file()]


def require(firmware: Firmware = X64) -> None:
    """Skip the calling test when the firmware or QEMU is missing (fail under ``CI``)."""
    gone = missing(firmware)
    if not gone:
        return
    if os.environ.get("CI"):
        raise OvmfUnavailable(f"missing: {', '.join(gone)} (sh tests/setup.sh)")
    import pytest

    pytest.skip(f"OVMF boot needs {', '.join(gone)} (sh tests/setup.sh)")


def _digest(*paths: Path) -> str:
    h = hashlib.sha256(f"v{HARNESS_VERSION}".encode())
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def _cache_dir() -> Path:
    d = Path(tempfile.gettempdir()) / f"kernlint-ovmf-{os.getuid()}"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def ovmf_boot(image: Path, timeout: float = TIMEOUT, firmware: Firmware = X64) -> OvmfResult:
    """Boot ``image`` as ``\\EFI\\BOOT\\BOOTX64.EFI`` in OVMF, or as the removable-media
    boot loader of another ``firmware`` (``AA64``: ``BOOTAA64.EFI`` in AAVMF); cached
    by content."""
    require(firmware)
    key = _digest(Path(image), firmware.code, firmware.vars)
    cached = _cache_dir() / f"{key}.json"
    if cached.is_file():
        with open(cached) as f:
            return OvmfResult(**json.load(f))
    result = _boot(Path(image), timeout, firmware)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(result)))
    os.replace(tmp, cached)
    return result


def _boot(image: Path, timeout: float, firmware: Firmware = X64) -> OvmfResult:
    with tempfile.TemporaryDirectory(prefix="kernlint-ovmf-") as tmp:
        esp = Path(tmp) / "esp"
        (esp / "EFI" / "BOOT").mkdir(parents=True)
        shutil.copy(image, esp / "EFI" / "BOOT" / firmware.boot_name)
        vars_copy = Path(tmp) / "vars.fd"
        shutil.copy(firmware.vars, vars_copy)
        cmd = [
            firmware.qemu,
            *firmware.machine,
            "-nodefaults",
            "-accel",
            "tcg",
            "-m",
            "256",
            "-nographic",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            "-net",
            "none",
            "-no-reboot",
            "-drive",
            f"if=pflash,format=raw,readonly=on,file={firmware.code}",
            "-drive",
            f"if=pflash,format=raw,file={vars_copy}",
            "-drive",
            f"file=fat:rw:{esp},format=raw{firmware.drive}",
        ]
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        lines: list[str] = []
        done = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                text = _ESCAPES.sub("", raw.decode("utf-8", "replace")).replace("\r", "")
                lines.append(text)
                if (
                    UEFI_OK in text
                    or _FAILED.search(text.rstrip("\n"))
                    or "BdsDxe: starting Boot0002" in text
                    or _DUMP_END in text
                ):
                    done.set()
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        timed_out = not done.wait(timeout)
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)
        serial = "".join(lines)
        m = next((_FAILED.search(ln) for ln in serial.splitlines() if _FAILED.search(ln)), None)
        exc = _EXCEPTION.search(serial)
        return OvmfResult(
            booted=UEFI_OK in serial,
            started="BdsDxe: starting Boot0001" in serial,
            status=m["status"].strip() if m else None,
            step=m["step"] if m else None,
            exception=exc["type"] if exc else None,
            timed_out=timed_out,
            serial=serial,
            seconds=round(time.monotonic() - start, 2),
        )
