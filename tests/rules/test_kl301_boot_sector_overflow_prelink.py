"""KL301 on the layout a script predicts before linking: the sample's scripts, and
generated boot sectors (MBR, MBR with disk signature, raw, FAT16 VBR; code and data
of many sizes) linked with GNU ld 2.40 — where ld links, KL301 on the linked ELF
gives the same overflow as on the script; where ld refuses, its overlap message
gives it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

PAST = re.compile(r"end at sector offset 0x[0-9a-f]+ \((\d+) bytes\), (\d+) bytes past the (\S+)")
#: ld 2.40's overlap error, elf_i386: "section .sig LMA [00007dfe,00007dff] overlaps
#: section .text LMA [00007c00,00007e45]"
OVERLAP = re.compile(r"overlaps section (\S+) LMA \[([0-9a-f]+),([0-9a-f]+)\]")


def _kl301(*paths, config=None):
    return run([str(p) for p in paths], select_rules(["KL301"]), config).findings


def _past(finding) -> tuple[int, int, str]:
    """(end offset, bytes over, layout name) from a KL301 ELF or layout finding."""
    end, over, layout = PAST.search(finding.message).groups()
    return int(end), int(over), layout


def test_sample_mbr_ld_links_silently():
    path = sample("kl301-boot-sector-overflow-prelink", "bad-mbr.ld")
    assert path.with_name("bad-mbr.ld-stderr").read_text() == ""
    (f,) = _kl301(path)
    assert _past(f) == (460, 14, "mbr")
    assert "from symbol _partition_table at 0x7dbe" in f.message
    assert (
        "largest input sections: big.o(.rodata) (431 bytes at 0x1d),"
        " big.o(.text) (29 bytes at 0x0)" in f.message
    )
    assert "GNU ld links it without an error" in f.message
    assert f.location.line == 10  # `.rodata : { ... }` holds byte 446
    # readelf -SW of what ld made: .rodata at 0x7c1d, 0x1af bytes: ends at 0x1cc = 460.
    readelf = path.with_name("bad-mbr.readelf").read_text()
    assert re.search(r"\.rodata\s+PROGBITS\s+00007c1d \S+ 0001af", readelf)
    assert _kl301(path.with_name("good-mbr.ld")) == []


def test_sample_raw_ld_says_only_overlap():
    path = sample("kl301-boot-sector-overflow-prelink", "bad-raw.ld")
    stderr = path.with_name("bad-raw.ld-stderr").read_text()
    section, start, end = OVERLAP.search(stderr).groups()
    assert section == ".text"
    (f,) = _kl301(path)
    used = int(end, 16) + 1 - int(start, 16)  # 0x7e45 + 1 - 0x7c00 = 582
    assert _past(f) == (used, used - 510, "raw")
    assert "huge.o(.rodata) (553 bytes at 0x1d)" in f.message
    assert "GNU ld stops with an error (section .signature LMA" in f.message
    good = path.with_name("good-raw.ld")
    assert good.with_name("good-raw.ld-stderr").read_text() == ""
    assert _kl301(good) == []  # the same 460 bytes as bad-mbr.ld fit 510


def test_configured_layout_changes_the_budget():
    good = sample("kl301-boot-sector-overflow-prelink", "good-raw.ld")
    (f,) = _kl301(good, config=Config(boot_sector_layout="mbr"))
    assert _past(f) == (460, 14, "mbr")
    assert "from the boot-sector-layout setting" in f.message


# ----------------------------------------------------------------------------- generated

BPB = (  # jump over a FAT12 BPB (1.44 MB floppy) and extended BPB: 0x3e bytes
    '.byte 0xeb, 0x3c, 0x90\n.ascii "KERNLINT"\n.word 512\n.byte 1\n.word 1\n.byte 2\n'
    ".word 224, 2880\n.byte 0xf0\n.word 9, 18, 2\n.long 0, 0\n.byte 0, 0, 0x29\n"
    '.long 0x4b4c3031\n.ascii "KERNLINT   FAT12   "\n'
)
#: layout -> (script statements after the code, expected budget name)
SCRIPTS = {
    "mbr": (
        "  _partition_table = 0x7c00 + 446;\n  . = 0x7c00 + 510;\n  .magic : { SHORT(0xaa55) }\n",
        "mbr",
    ),
    "disk": (
        "  disk_signature = 0x7c00 + 440;\n  partition_table = 0x7c00 + 446;\n"
        "  .signature 0x7c00 + 510 : { SHORT(0xaa55) }\n",
        "mbr-disk-signature",
    ),
    "raw": ("  .signature 0x7c00 + 510 : { SHORT(0xaa55) }\n", "raw"),
    "fat16": ("  . = 0x7c00 + 510;\n  .sig : { SHORT(0xaa55) }\n", "fat16-vbr"),
}
LD = ("ld", "-m", "elf_i386", "-nostdlib", "--build-id=none", "-z", "noexecstack")
SIZES = (120, 439, 440, 441, 446, 447, 448, 460, 510, 511, 600)


def _case(tmp_path, kind: str, total: int):
    head = BPB if kind == "fat16" else ""
    source = (
        '.code16\n.section .text,"ax"\n.globl _start\n_start:\n'
        + head
        + "cli\nhlt\ntext_end:\n"
        + '.section .rodata,"a"\n'
        + f".fill {total} - (text_end - _start), 1, 0x41\n"
    )
    (tmp_path / "boot.s").write_text(source)
    subprocess.run(
        ["as", "--32", "-o", str(tmp_path / "boot.o"), str(tmp_path / "boot.s")], check=True
    )
    tail, layout = SCRIPTS[kind]
    script = tmp_path / "boot.ld"
    script.write_text(
        "INPUT(boot.o)\nENTRY(_start)\nSECTIONS {\n  . = 0x7c00;\n"
        "  .text : { *(.text) }\n  .rodata : { *(.rodata) }\n"
        + tail
        + "  /DISCARD/ : { *(.note*) *(.comment) }\n}\n"
    )
    elf = tmp_path / "boot.elf"
    proc = subprocess.run(
        [*LD, "-T", str(script), "-o", str(elf)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    return script, elf, proc, layout


@pytest.mark.parametrize("kind", sorted(SCRIPTS))
def test_agrees_with_the_linked_sector(tmp_path, kind):
    budgets = {"mbr": 446, "mbr-disk-signature": 440, "raw": 510, "fat16-vbr": 510}
    for total in SIZES:
        folder = tmp_path / str(total)
        folder.mkdir()
        script, elf, proc, layout = _case(folder, kind, total)
        planned = _kl301(script)
        fits = total <= budgets[layout]
        if fits:
            assert planned == [], (kind, total, planned)
        else:
            (f,) = planned
            assert _past(f) == (total, total - budgets[layout], layout), (kind, total, f.message)
        if proc.returncode == 0:
            assert proc.stderr == "", proc.stderr
            linked = _kl301(elf)  # the linked ELF: KL301's image variant
            assert [_past(f) for f in linked] == [_past(f) for f in planned], (kind, total)
        else:
            # ld refuses only when the code runs into the signature at 510.
            assert total > 510, (kind, total, proc.stderr)
            _, _, end = OVERLAP.search(proc.stderr).groups()
            assert int(end, 16) + 1 - 0x7C00 == total, proc.stderr
            assert "GNU ld stops with an error" in planned[0].message


def test_a_kernel_is_not_a_boot_sector(tmp_path):
    (tmp_path / "k.s").write_text(
        '.section .text,"ax"\n.globl _start\n_start: .fill 600, 1, 0x90\n'
    )
    subprocess.run(["as", "--32", "-o", str(tmp_path / "k.o"), str(tmp_path / "k.s")], check=True)
    for base, tail in (
        ("0x100000", "  .sig 0x100000 + 510 : { SHORT(0xaa55) }\n"),
        ("0x7c00", ""),  # at 0x7c00 but no signature, no partition table: a stage 2
    ):
        script = tmp_path / "k.ld"
        script.write_text(
            f"INPUT(k.o)\nENTRY(_start)\nSECTIONS {{\n  .text {base} : {{ *(.text) }}\n"
            + tail
            + "}\n"
        )
        assert _kl301(script) == [], base
