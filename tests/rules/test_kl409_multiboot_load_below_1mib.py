"""KL409: PT_LOAD segments loaded below 1 MiB by Multiboot and PVH loaders."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import SAMPLES, kernlint, sample

FOLDER = "kl409"
OUTPUTS = ("bad-load-below-1mib.elf", "bad-linked-at-0.elf", "good.elf")


def findings(path: Path, protocol: str | None = None) -> list:
    return run([str(path)], select_rules(["KL409"]), Config(boot_protocol=protocol)).findings


def test_linked_at_64k_with_a_large_bss():
    text, bss = findings(sample(FOLDER, "bad-load-below-1mib.elf"))
    assert text.message.startswith(
        "segment 0 (PT_LOAD 0x10000-0x102f7 R E), holding .text, is loaded at physical"
        " 0x10000-0x102f6 (0x2f7 bytes), below 1 MiB: over conventional memory"
        " (0x10000-0x102f6)"
    )
    assert bss.message.startswith(
        "segment 1 (PT_LOAD 0x11000-0xd1000 RW), holding .bss, is loaded at physical"
        " 0x11000-0xd0fff (0xc0000 bytes, 0xc0000 of them .bss), below 1 MiB: over"
        " conventional memory (0x11000-0x7ffff), the EBDA area (0x80000-0x9ffff), VGA memory"
        " (0xa0000-0xbffff) and the option ROMs (0xc0000-0xd0fff)"
    )
    assert "QEMU -kernel writes" not in bss.message  # 0x9000-0x9557 is below it
    assert bss.location.segment == 1 and bss.location.address == 0x11000
    assert "`. = 1M;`" in bss.fix


def test_linked_at_zero():
    text, bss = findings(sample(FOLDER, "bad-linked-at-0.elf"))
    assert "below 1 MiB: over the interrupt vector table (0x0-0x2f6)" in text.message
    assert "over conventional memory (0x1000-0x7ffff)" in bss.message
    assert (
        "QEMU -kernel writes its memory map and Multiboot information at 0x9000-0x9557,"
        " inside it" in bss.message
    )


def test_fixed_twin_is_silent():
    assert findings(sample(FOLDER, "good.elf")) == []


def test_boot_protocol_none_silences_it_and_pvh_keeps_it():
    bad = sample(FOLDER, "bad-linked-at-0.elf")
    assert findings(bad, protocol="none") == []
    pvh = findings(bad, protocol="pvh")
    assert len(pvh) == 2 and "QEMU -kernel writes" not in pvh[1].message  # Multiboot 1 only
    out = kernlint("check", "--select", "KL409", "--boot-protocol", "none", str(bad))
    assert out.code == 0 and "KL409" not in out.stdout


def test_boot_sectors_belong_below_1_mib():
    """A BIOS boot sector at 0x7c00 is not a Multiboot image: silent."""
    path = next(SAMPLES.glob("kl303-*/good-origin-7c00.elf"))
    assert findings(path) == []
    assert findings(path, protocol="bios") == []


def test_the_regions_cover_the_first_mebibyte():
    from kernlint.rules.kl409_multiboot_load_below_1mib import ONE_MIB, REGIONS

    assert REGIONS[0][0] == 0 and REGIONS[-1][1] == ONE_MIB
    assert all(a[1] == b[0] for a, b in itertools.pairwise(REGIONS))


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_agrees_that_the_header_is_valid():
    from kernlint.boot.headers import read_headers
    from kernlint.elf.reader import read_image

    for name in OUTPUTS:
        path = sample(FOLDER, name)
        image = read_image(str(path))
        try:
            assert read_headers(image).grub_multiboot1 is not None, name
        finally:
            image.reader.close()
        assert subprocess.run(["grub-file", "--is-x86-multiboot", str(path)]).returncode == 0
