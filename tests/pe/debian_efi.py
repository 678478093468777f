"""Debian's own UEFI images, fetched at test time (nothing is committed): each package
is fetched with ``apt-get download`` (no root needed), unpacked with ``dpkg-deb -x``
into a temporary folder, and the wanted files are kept in
``<cache>/efi/<package>/`` (the cache of ``tests/support/debian_binaries.py``:
``$KERNLINT_TEST_CACHE`` or ``~/.cache/kernlint-tests``), with a ``.complete`` marker
written last. ``KERNLINT_TEST_OFFLINE=1`` uses the cache only. Any failure raises
:class:`tests.support.debian_binaries.Unavailable` with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.debian_binaries import Unavailable, cache_dir

#: (package, file in the package) of each image the tests lint.
IMAGES: dict[str, tuple[str, str]] = {
    "systemd-bootx64.efi": ("systemd-boot-efi", "usr/lib/systemd/boot/efi/systemd-bootx64.efi"),
    "linuxx64.efi.stub": ("systemd-boot-efi", "usr/lib/systemd/boot/efi/linuxx64.efi.stub"),
    "grubx64.efi.signed": (
        "grub-efi-amd64-signed",
        "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed",
    ),
    "grubx64.efi": ("grub-efi-amd64-bin", "usr/lib/grub/x86_64-efi/monolithic/grubx64.efi"),
    "shimx64.efi.signed": ("shim-signed", "usr/lib/shim/shimx64.efi.signed"),
    "memtest86+x64.efi": ("memtest86+", "boot/memtest86+x64.efi"),
    "xen-4.17-amd64.efi": ("xen-hypervisor-4.17-amd64", "boot/xen-4.17-amd64.efi"),
}


def _offline() -> bool:
    return os.environ.get("KERNLINT_TEST_OFFLINE", "").strip().lower() not in ("", "0", "no")


def image(name: str) -> Path:
    """The cached path of the Debian image ``name`` (a key of :data:`IMAGES`)."""
    package, member = IMAGES[name]
    folder = cache_dir() / "efi" / package
    done = folder / ".complete"
    if not done.is_file():
        if _offline():
            raise Unavailable(f"{package}: not in cache {folder} and KERNLINT_TEST_OFFLINE is set")
        _fetch(package, folder)
    path = folder / member
    if not path.is_file():
        raise Unavailable(f"{package} has no {member}")
    return path


def _fetch(package: str, folder: Path) -> None:
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise Unavailable("apt-get and dpkg-deb are needed to fetch Debian packages")
    with tempfile.TemporaryDirectory(prefix="kernlint-efi-") as tmp:
        try:
            subprocess.run(
                ["apt-get", "-q", "download", package],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            why = getattr(exc, "stderr", "") or str(exc)
            raise Unavailable(f"apt-get download {package}: {why.strip()[-300:]}") from None
        debs = list(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise Unavailable(f"apt-get download {package} left {[d.name for d in debs]}")
        staging = Path(tmp) / "x"
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(staging)], check=True)
        wanted = {m for p, m in IMAGES.values() if p == package}
        partial = folder.with_name(folder.name + f".{os.getpid()}.tmp")
        shutil.rmtree(partial, ignore_errors=True)
        for member in wanted:
            if (staging / member).is_file():
                (partial / member).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(staging / member, partial / member)
        (partial / ".complete").parent.mkdir(parents=True, exist_ok=True)
        (partial / ".complete").write_text(debs[0].name + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(partial, folder)
