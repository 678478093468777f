"""The PE reader against GNU objdump 2.40 (``objdump -p``/``-h``, binutils' own PE
parser), and classification by content."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kernlint.classify import classify
from kernlint.engine import run, select_rules
from kernlint.pe.reader import read_pe
from tests.conftest import sample

SAMPLES = [
    ("kl703", "good-dynamic.efi"),
    ("kl703", "bad-fixed.efi"),
    ("kl708", "good-gnuefi.efi"),
    ("kl711", "bad-align512.efi"),
    ("kl701", "bad-console.efi"),
]


def _objdump(path) -> str:
    if not shutil.which("objdump"):
        pytest.skip("objdump is not installed")
    return subprocess.run(
        ["objdump", "-p", "-h", str(path)], capture_output=True, text=True, check=True
    ).stdout


def _field(text: str, name: str) -> int:
    return int(re.search(rf"^{name}\s+(?:0x)?([0-9a-fA-F]+)", text, re.M)[1], 16)


@pytest.mark.parametrize("folder,name", SAMPLES)
def test_headers_match_objdump(folder, name):
    path = sample(folder, name)
    pe, text = read_pe(str(path)), _objdump(path)
    assert pe.ImageBase == _field(text, "ImageBase")
    assert pe.SectionAlignment == _field(text, "SectionAlignment")
    assert pe.FileAlignment == _field(text, "FileAlignment")
    assert pe.AddressOfEntryPoint == _field(text, "AddressOfEntryPoint")
    assert pe.SizeOfImage == _field(text, "SizeOfImage")
    assert pe.SizeOfHeaders == _field(text, "SizeOfHeaders")
    assert pe.Subsystem == _field(text, "Subsystem")
    assert pe.DllCharacteristics == _field(text, "DllCharacteristics")
    assert pe.Characteristics == _field(text, "Characteristics")
    m = re.search(r"^Entry 5 ([0-9a-f]+) ([0-9a-f]+) Base Relocation", text, re.M)
    assert (pe.reloc_rva, pe.reloc_size) == (int(m[1], 16), int(m[2], 16))
    rows = re.findall(
        r"^\s+\d+ (\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", text, re.M
    )
    got = [
        (s.Name, s.VirtualSize, pe.ImageBase + s.VirtualAddress, s.PointerToRawData)
        for s in pe.sections
    ]
    want = [(n, int(size, 16), int(vma, 16), int(off, 16)) for n, size, vma, off in rows]
    assert got == want


def test_relocation_blocks_match_objdump():
    path = sample("kl704", "good-linked.efi")
    text = _objdump(path).split("PE File Base Relocations")[1]
    (block,) = read_pe(str(path)).relocation_blocks
    m = re.search(r"Virtual Address: ([0-9a-f]+) Chunk size (\d+)", text)
    assert (block.VirtualAddress, block.SizeOfBlock) == (int(m[1], 16), int(m[2]))
    assert block.entries == ((10, 0), (0, 0))  # DIR64, then ABSOLUTE padding


def test_classified_by_content_whatever_the_name(tmp_path):
    for name in ("BOOTX64.EFI", "loader", "kernel.bin", "app.exe"):
        copy = tmp_path / name
        shutil.copy(sample("kl703", "good-dynamic.efi"), copy)
        assert classify(str(copy)).kind == "pe-image", name
    dos = tmp_path / "stub.exe"  # MZ without a PE signature: not a PE image
    dos.write_bytes(b"MZ" + bytes(200))
    assert classify(str(dos)).kind == "unknown"


def test_malformed_pe_is_one_input_error(tmp_path):
    cut = tmp_path / "cut.efi"
    cut.write_bytes(sample("kl703", "good-dynamic.efi").read_bytes()[:200])
    (f,) = run([str(cut)], select_rules()).findings
    assert f.rule == "KL001" and "malformed PE/COFF image" in f.message


def test_without_lief_a_pe_file_is_one_input_error():
    """Without LIEF (a dependency, imported only for PE files) a PE file gets one
    KL001 line saying so."""
    import subprocess
    import sys

    probe = (
        "import sys; sys.modules['lief'] = None\n"
        "from kernlint.engine import run, select_rules\n"
        f"(f,) = run([{str(sample('kl703', 'good-dynamic.efi'))!r}], select_rules()).findings\n"
        "print(f.rule, f.message)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "KL001 reading PE/COFF images needs LIEF, a dependency of kernlint that is missing"
        " here: reinstall kernlint (pip install kernlint)"
    )
