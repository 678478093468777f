"""Ground truth: GRUB's own `grub-file` agrees with kernlint's "header valid" verdict.

`grub-file --is-x86-multiboot FILE` / `--is-x86-multiboot2 FILE` (exit 0 yes, 1 no)
scan the first 8192 / 32768 bytes of the file as the `multiboot` / `multiboot2`
commands do (`grub-core/commands/file.c`). For Multiboot 1 they check what the loader
checks: magic and checksum. For Multiboot 2 `grub-file` checks magic and checksum
only, while the loader also wants architecture 0: kernlint's ``grub_multiboot2`` (the
header the loader takes) may then say no where `grub-file` says yes, and only then —
``grub_file_multiboot2`` mirrors `grub-file` itself. The boot tests (tests/boot/)
show the loader's answer for those.

Run over every committed sample ELF and over real images from Debian packages: the
Xen hypervisor (both headers), GRUB's kernel.img and modules (none), Linux's vmlinux.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.boot.headers import read_headers
from kernlint.elf.reader import read_image
from tests.conftest import elf_files
from tests.support import debian_binaries as debian

pytestmark = pytest.mark.skipif(
    shutil.which("grub-file") is None and not os.environ.get("CI"),
    reason="grub-file is not installed (grub-common; sh tests/setup.sh)",
)

ELF_SAMPLES = elf_files()


def grub_file(kind: str, path: Path) -> bool:
    proc = subprocess.run(
        ["grub-file", f"--is-x86-{kind}", str(path)], capture_output=True, timeout=30
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode == 0


def verdicts(path: Path) -> dict[str, bool]:
    h = read_headers(read_image(str(path)))
    mb2 = h.grub_multiboot2
    return {
        "multiboot": h.grub_multiboot1 is not None,
        "multiboot2": h.grub_file_multiboot2,
        "multiboot2-loader": mb2 is not None,
        # grub-file's yes with no header the loader takes: only a bad architecture
        "arch-only": h.grub_file_multiboot2
        and mb2 is None
        and all(x.architecture != 0 for x in h.multiboot2 if x.in_window and x.checksum_ok),
    }


def check_agreement(path: Path) -> dict[str, bool]:
    v = verdicts(path)
    assert grub_file("multiboot", path) == v["multiboot"], f"{path}: Multiboot 1"
    assert grub_file("multiboot2", path) == v["multiboot2"], f"{path}: Multiboot 2"
    assert v["multiboot2-loader"] == v["multiboot2"] or v["arch-only"], path
    return v


@pytest.mark.parametrize("path", ELF_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_samples_agree_with_grub_file(path):
    check_agreement(path)


def test_the_agreement_covers_both_answers():
    """The samples hold valid and invalid headers of both kinds, and the one case
    where grub-file and GRUB's loader differ (architecture 4)."""
    seen = {p: verdicts(p) for p in ELF_SAMPLES if "kl40" in p.parent.name}
    for key in ("multiboot", "multiboot2", "multiboot2-loader"):
        assert {v[key] for v in seen.values()} == {True, False}, key
    arch_only = sorted(p.name for p, v in seen.items() if v["arch-only"])
    assert arch_only == ["bad-arch4.elf"]


def _real(fetch):
    try:
        return fetch()
    except debian.Unavailable as exc:
        pytest.skip(f"real binary unavailable: {exc}")


@pytest.mark.realbin
def test_xen_has_both_headers():
    v = check_agreement(_real(debian.xen_hypervisor))
    assert v["multiboot"] and v["multiboot2"] and v["multiboot2-loader"]


@pytest.mark.realbin
def test_grub_images_have_none():
    for path in [_real(debian.grub_kernel_img), *_real(debian.grub_modules)]:
        v = check_agreement(path)
        assert not v["multiboot"] and not v["multiboot2"], path


@pytest.mark.realbin
def test_linux_vmlinux_has_none():
    v = check_agreement(_real(debian.linux_vmlinux))
    assert not v["multiboot"] and not v["multiboot2"]
