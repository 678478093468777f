"""Debian bookworm's own UEFI images (systemd-boot 252 and its Linux stub, GRUB 2.06
signed and unsigned, shim 16.1 signed, memtest86+ 6.10, Xen 4.17's xen.efi, and the
Linux 6.1 bzImage with its EFI stub) get no error-level KL7 finding: they all boot.
Warnings are allowed where a policy rule applies and are pinned here: Xen's `.text`
and `.init` are writable and executable (KL709). Skipped when a package cannot be
fetched (tests/pe/debian_efi.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.pe import debian_efi
from tests.support import debian_binaries

#: Default-set warnings each image is known to get (rule ids); none gets an error.
EXPECTED_WARNINGS = {"xen-4.17-amd64.efi": {"KL709"}}


def _lint(path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "kernlint", "check", "--format", "json", *args, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _fetch(name: str):
    try:
        if name == "vmlinuz":
            return debian_binaries.linux_bzimage()
        return debian_efi.image(name)
    except debian_binaries.Unavailable as exc:
        pytest.skip(f"real image unavailable: {exc}")


@pytest.mark.realbin
@pytest.mark.parametrize("name", [*debian_efi.IMAGES, "vmlinuz"])
def test_debian_uefi_images_get_no_error(name: str, tmp_path) -> None:
    path = _fetch(name)
    report = _lint(path, "--select", "KL7")
    assert report["summary"]["files"] == 1 and report["summary"]["skipped"] == []
    assert not [f for f in report["findings"] if f["severity"] == "error"], report["findings"]
    warned = {f["rule"] for f in report["findings"] if f["severity"] == "warning"}
    assert warned == EXPECTED_WARNINGS.get(name, set()), report["findings"]
    # The same file as the removable-media boot loader: still no error (all are X64
    # applications; the name adds the KL701/KL702 checks).
    boot = tmp_path / "EFI" / "BOOT" / "BOOTX64.EFI"
    boot.parent.mkdir(parents=True)
    boot.write_bytes(path.read_bytes())
    report = _lint(boot, "--select", "KL7")
    assert not [f for f in report["findings"] if f["severity"] == "error"], report["findings"]
