"""The boot harness proves itself on tiny kernels built here with GNU as/ld.

Each row boots one kernel of :mod:`tests.boot.kernels` with one loader and states what
Debian bookworm's loaders do (observed with qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3
= QEMU 7.2.22, grub-pc-bin 2.06-13+deb12u2, seabios 1.16.2-1): the exact loader
message, a successful boot (``KERNLINT-BOOT-OK``), a wrong-protocol hand-off
(``KERNLINT-BOOT-BADMAGIC``) or a hang ended by the timeout.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.boot.kernels import BOOT_OK_INC, require_binutils
from tests.boot.oracle import (
    BADMAGIC,
    BOOTS,
    HANGS,
    NO_HEADER,
    QEMU_NO_PVH,
    QEMU_X86_64,
    assert_outcome,
    run_loader,
)
from tests.support import boot

# (kernel, loader, expected outcome); loader is "qemu" (-kernel) or "grub-<command>".
MATRIX = [
    ("mb1-elf32", "qemu", BOOTS),
    ("mb1-elf32", "grub-multiboot", BOOTS),
    ("mb1-elf32", "grub-multiboot2", NO_HEADER),
    ("mb2-elf32", "grub-multiboot2", BOOTS),
    ("mb2-elf32", "grub-multiboot", NO_HEADER),
    ("mb2-elf32", "qemu", QEMU_NO_PVH),
    ("mb2-elf64", "grub-multiboot2", BOOTS),
    ("mb2-elf64", "qemu", QEMU_NO_PVH),
    ("mb1-elf64", "qemu", QEMU_X86_64),
    ("mb1-elf64", "grub-multiboot", BOOTS),  # GRUB loads ELF64 under Multiboot 1
    ("no-header", "grub-multiboot", NO_HEADER),
    ("no-header", "grub-multiboot2", NO_HEADER),
    ("no-header", "qemu", QEMU_NO_PVH),
    ("mb1mb2-wants-mb2", "grub-multiboot2", BOOTS),
    ("mb1mb2-wants-mb2", "grub-multiboot", BADMAGIC),
    ("mb1mb2-wants-mb2", "qemu", BADMAGIC),
    ("pvh-elf32", "qemu", BOOTS),
]


@pytest.mark.parametrize(("name", "loader", "expected"), MATRIX, ids=lambda v: str(v)[:24])
def test_boot_matrix(kernel, name, loader, expected):
    result = run_loader(kernel(name), loader)
    assert_outcome(result, expected, loader)
    assert result.seconds < 10, result.describe()


def test_timeout_ends_a_hung_guest(kernel):
    """A kernel that never reports is killed at the timeout; what it printed is kept."""
    result = boot.qemu_kernel(kernel("mb1-hang"), timeout=1.5)
    assert_outcome(result, HANGS, "qemu")
    assert result.returncode is None and 1.5 <= result.seconds < 5


def test_iso_is_cached(kernel):
    """Asked again, grub_iso returns the same file, not a rebuilt one (a rebuild is
    renamed into place: a new inode)."""
    first = boot.grub_iso(kernel("mb2-elf32"), "multiboot2")
    inode = first.stat().st_ino
    again = boot.grub_iso(kernel("mb2-elf32"), "multiboot2")
    assert again == first and again.stat().st_ino == inode
    assert boot.grub_iso(kernel("mb2-elf32"), "multiboot") != first


def test_grub_protocol_is_checked(kernel):
    with pytest.raises(ValueError):
        boot.grub_iso(kernel("mb2-elf32"), "linux")  # type: ignore[arg-type]


def test_tool_versions_name_the_loaders():
    boot.require(grub=True)
    versions = boot.tool_versions()
    assert versions["qemu-system-x86"] and versions["grub-pc-bin"], versions


def test_boot_ok_inc_is_position_independent(tmp_path):
    """The convention's code leaves no relocation: it runs wherever a loader puts
    it (PIE kernels, the Multiboot 2 relocatable tag) without being patched."""
    require_binutils()
    src = tmp_path / "e.s"
    src.write_text(
        f'.include "{BOOT_OK_INC}"\n.text\n.code32\n'
        "KERNLINT_BOOT_OK 0x36d76289\nKERNLINT_BOOT_OK_PVH\n"
        "KERNLINT_COM1_BYTES 0x41, 0x0a\nKERNLINT_COM1_PUTC_AL\nKERNLINT_QEMU_EXIT 0x10\n"
    )
    for mode in ("--32", "--64"):
        obj = tmp_path / f"e{mode}.o"
        subprocess.run(["as", mode, "-o", str(obj), str(src)], check=True, timeout=60)
        sections = subprocess.run(
            ["readelf", "-SW", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        assert " REL" not in sections and ".rel" not in sections, sections


def test_boot_ok_inc_goes_through_cpp(tmp_path):
    """``.S`` samples may ``#include`` it: the C preprocessor must leave it intact."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to preprocess a .S file")
    src = tmp_path / "e.S"
    src.write_text(f'#include "{BOOT_OK_INC}"\n.text\n.code32\nKERNLINT_BOOT_OK 0x2BADB002\n')
    proc = subprocess.run(
        ["gcc", "-m32", "-c", "-Werror", "-o", str(tmp_path / "e.o"), str(src)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
