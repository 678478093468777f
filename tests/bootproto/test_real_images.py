"""The decoders and the Multiboot rules on real images from Debian packages: nothing
to report on kernels that boot, and the headers decoded field by field."""

from __future__ import annotations

import pytest

from kernlint.boot.headers import read_headers
from kernlint.elf.reader import read_image
from tests.bootproto.build import findings
from tests.support import debian_binaries as debian

pytestmark = pytest.mark.realbin

RULES = ("KL401", "KL402", "KL403", "KL404", "KL410")


def _real(fetch):
    try:
        return fetch()
    except debian.Unavailable as exc:
        pytest.skip(f"real binary unavailable: {exc}")


def test_xen_headers_decoded():
    """Xen 4.17 (xen/arch/x86/boot/head.S): a Multiboot 1 header (flags 3) and a
    Multiboot 2 header with an information request, module alignment, a relocatable
    tag (2 MiB up, highest), optional console/framebuffer/EFI tags and an EFI amd64
    entry; its tags are padded with NOPs (GNU as `.align` in a code section)."""
    h = read_headers(read_image(str(_real(debian.xen_hypervisor))))
    mb1 = h.grub_multiboot1
    assert mb1 is not None and mb1.flags == 3 and mb1.offset == 0x88
    mb2 = h.grub_multiboot2
    assert mb2 is not None and mb2.offset == 0x98 and mb2.defects == ()
    assert [t.type for t in mb2.tags] == [1, 6, 10, 4, 5, 7, 9, 0]
    assert mb2.tag(1).fields == (4, 6)
    assert mb2.tag(10).fields == (0x200000, 0xFFFFFFFF, 0x200000, 2)


@pytest.mark.parametrize(
    "fetch", [debian.xen_hypervisor, debian.grub_kernel_img, debian.linux_vmlinux]
)
def test_no_multiboot_findings_on_real_kernels(fetch):
    path = _real(fetch)
    for rule in RULES:
        assert findings(path, rule) == [], (path, rule)


def _grub_file(flag: str, path) -> bool:
    import shutil
    import subprocess

    if not shutil.which("grub-file"):
        pytest.skip("grub-file is not installed (sh tests/setup.sh)")
    return subprocess.run(["grub-file", flag, str(path)]).returncode == 0


@pytest.mark.parametrize("board", ["qemu-x86", "qemu-x86_64"])
def test_u_boot_headers_agree_with_grub_file(board):
    """U-Boot for QEMU's x86 machine (Debian u-boot-qemu): the 32-bit build carries a
    Multiboot 1 header (start.S: "so U-Boot can be loaded by GRUB2"), the 64-bit one
    none; GRUB's own checker and kernlint agree. The 32-bit build is a ROM (a segment
    at the reset vector) whose a.out kludge loads it at 0xfff00000, flash: GRUB and
    QEMU -kernel run nothing there (observed: the guest resets without a word), which
    KL414 says at info only, since that build is started from -bios, not by
    Multiboot. No KL4 rule has anything louder to say."""
    path = _real(lambda: debian.u_boot_qemu_elf(board))
    h = read_headers(read_image(str(path)))
    assert (h.grub_multiboot1 is not None) == _grub_file("--is-x86-multiboot", path)
    assert (h.grub_multiboot2 is not None) == _grub_file("--is-x86-multiboot2", path)
    assert (h.grub_multiboot1 is not None) == (board == "qemu-x86")
    from kernlint.engine import run, select_rules

    found = run([str(path)], select_rules(["KL4"])).findings
    assert [(f.rule, f.severity) for f in found] == (
        [("KL414", "info")] if board == "qemu-x86" else []
    )


def test_grub_boot_img_as_kernlint_reads_it():
    """GRUB's boot.img is a real MBR boot sector: grub-file and kernlint agree it is
    one, and with no layout declared kernlint reports nothing. Declared an `mbr`, it
    holds code where the partition table goes: GRUB's boot.S puts its floppy probe
    (the "Floppy" message and the int 13h retry loop) at 0x1be-0x1f9, which a floppy
    never needs for partitions and `grub-install` overwrites with the disk's table. So
    KL301 is right that the area is not free, and says exactly which bytes."""
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    path = _real(debian.grub_boot_img)
    assert _grub_file("--is-x86-bios-bootsector", path)
    inferred = run([str(path)], select_rules(["KL3"]))
    assert inferred.findings == [] and not inferred.input_errors
    assert b"Floppy" in path.read_bytes()[0x1BE:0x1FE]
    (over,) = run([str(path)], select_rules(["KL3"]), Config(boot_sector_layout="mbr")).findings
    assert over.rule == "KL301" and "0x1be-0x1f9" in over.message
