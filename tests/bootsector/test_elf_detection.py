"""Which ELF files are BIOS boot sectors (:mod:`kernlint.bootsector.elf`): real
evidence, not a section name. Each shape is linked here with GNU as/ld."""

from __future__ import annotations

import subprocess

import pytest

from kernlint.bootsector.elf import elf_boot_sector
from kernlint.elf.reader import read_image
from tests.bootsector import shapes
from tests.conftest import findings_of, needs_toolchain

pytestmark = needs_toolchain


def flat(elf) -> bytes:
    """What ``objcopy -O binary`` writes for ``elf``."""
    out = elf.with_suffix(".bin")
    shapes.run("objcopy", "-O", "binary", str(elf), str(out))
    return out.read_bytes()


def test_realmode_signature_marker_is_no_boot_sector(tmp_path):
    elf = shapes.realmode(tmp_path)
    data = flat(elf)
    assert data[-4:] == bytes.fromhex("822ca265")  # the marker, at the end
    assert data[510:512] != b"\x55\xaa"
    assert elf_boot_sector(read_image(str(elf))) is None
    assert findings_of(elf, "KL3") == []


def test_setup_header_boot_flag_is_no_boot_sector(tmp_path):
    elf = shapes.setup(tmp_path)
    data = flat(elf)
    assert data[:2] == b"MZ" and data[0x1FE:0x200] == b"\x55\xaa"
    assert data[0x1F1] == 0 and data[0x202:0x206] == b"HdrS"
    assert data[-4:] == b"\x55\xaa\x5a\x5a"  # the setup signature, 1 KiB in
    assert len(data) > 1024
    assert elf_boot_sector(read_image(str(elf))) is None
    assert findings_of(elf, "KL3") == []


def test_legacy_setup_is_a_boot_sector_without_findings(tmp_path):
    """Before Linux 6.7 the first sector of setup really was a boot sector (it
    prints that direct floppy boot is unsupported): `ljmp $0x07c0` in its code."""
    elf = shapes.setup(tmp_path, legacy=True)
    bs = elf_boot_sector(read_image(str(elf)))
    assert bs is not None and bs.origin_ok and "ljmp $0x07c0" in bs.origin_from
    assert findings_of(elf, "KL3") == []


def test_segment_setup_bytes_in_data_prove_nothing(tmp_path):
    """`B8 C0 07` (mov $0x07c0, %ax) in a data section at 0 is not code."""
    src = '.section .header, "a"\n.byte 0xb8, 0xc0, 0x07\n.fill 1000, 1, 0\n'
    elf = shapes.link(tmp_path, "data0", src, "SECTIONS { . = 0; .header : { *(.header) } }")
    assert elf_boot_sector(read_image(str(elf))) is None


SECTOR_AND_STAGE2 = """\
start:\tjmp start
msg:\t.asciz "stage 1"
\t.section .sig, "a"
\t.word 0xaa55
\t.section .stage2, "ax"
\t.fill 600, 1, 0x90
"""


@pytest.mark.parametrize(
    ("script", "origin"),
    [
        # One ELF, sector then stage 2, linked at 0x1000 by mistake: its own
        # signature section at offset 510 makes it a sector (KL303).
        (
            "SECTIONS { . = 0x1000; .text : { *(.text) }"
            " .sig 0x1000 + 510 : { *(.sig) } .stage2 : { *(.stage2) } }",
            0x1000,
        ),
    ],
)
def test_sector_linked_elsewhere_with_its_own_signature(tmp_path, script, origin):
    elf = shapes.link(tmp_path, "s12", SECTOR_AND_STAGE2, script, code16=True)
    assert flat(elf)[510:512] == b"\x55\xaa"
    bs = elf_boot_sector(read_image(str(elf)))
    assert bs is not None and not bs.origin_ok and bs.origin == origin
    (f,) = findings_of(elf, "KL303")
    assert f"linked at {origin:#x}" in f.message


def test_signature_section_elsewhere_is_not_enough(tmp_path):
    """The same sector with `.sig` right after the code (at 0x1000 + 5): no 55 AA at
    510 and a 600-byte stage 2: nothing says it is a boot sector."""
    script = (
        "SECTIONS { . = 0x1000; .text : { *(.text) } .sig : { *(.sig) } .stage2 : { *(.stage2) } }"
    )
    elf = shapes.link(tmp_path, "s12b", SECTOR_AND_STAGE2, script, code16=True)
    assert elf_boot_sector(read_image(str(elf))) is None
    proc = subprocess.run(["readelf", "-SW", str(elf)], capture_output=True, text=True)
    assert ".sig" in proc.stdout
