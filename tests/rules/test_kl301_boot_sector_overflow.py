from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, sample


def test_elf_mbr_overflow_states_bytes_and_contributors():
    for name, how in (
        ("bad-mbr-over.elf", "from section .partition_table"),
        ("bad-mbr-symbol.elf", "from symbol partition_table at 0x7dbe"),
    ):
        (f,) = findings_of(sample("kl301", name), "KL301")
        assert "14 bytes past the mbr budget of 446 bytes" in f.message, f.message
        assert "end at sector offset 0x1cc (460 bytes)" in f.message
        assert how in f.message
        assert "sections .rodata (431 bytes at 0x1d), .text (29 bytes at 0x0)" in f.message
        assert "symbols usage (405 bytes at 0x37)" in f.message
        assert f.location.address == 0x7DBE and f.location.section == ".rodata"
        assert f.location.symbol == "usage"


def test_raw_overflow_needs_the_layout():
    path = sample("kl301", "forced-mbr-over.bin")
    assert findings_of(path, "KL301") == []  # raw: 510 bytes, and it fits
    forced = Config(boot_sector_layout="mbr")
    (f,) = run([str(path)], select_rules(["KL301"]), forced).findings
    assert "14 bytes past the mbr budget of 446 bytes" in f.message
    assert "14 non-zero bytes at 0x1be-0x1cb" in f.message
    assert "from the boot-sector-layout setting" in f.message
    assert f.location.offset == 0x1BE


def test_fat16_code_in_a_fat32_layout():
    path = sample("kl301", "good-fat16-448.bin")
    (f,) = run(
        [str(path)], select_rules(["KL301"]), Config(boot_sector_layout="fat32-vbr")
    ).findings
    assert "goes to 0x3e, 28 bytes inside the BPB" in f.message
    assert "fat32-vbr budget of 420 bytes" in f.message


def test_disk_signature_layout_accepts_a_signature_but_not_code(tmp_path):
    data = bytearray(sample("kl301", "good-mbr.bin").read_bytes())
    data[0x1B8:0x1BC] = b"\x01\x02\x03\x04"
    img = tmp_path / "disk.img"
    img.write_bytes(bytes(data))
    cfg = Config(boot_sector_layout="mbr-disk-signature")
    assert run([str(img)], select_rules(["KL301"]), cfg).findings == []
    data[0x1BC:0x1BE] = b"\x90\x90"
    img.write_bytes(bytes(data))
    (f,) = run([str(img)], select_rules(["KL301"]), cfg).findings
    assert "6 bytes past the mbr-disk-signature budget of 440 bytes" in f.message


def test_good_twins_are_silent():
    for name in ("good-mbr.elf", "good-mbr.bin", "good-fat16-448.bin"):
        assert findings_of(sample("kl301", name), "KL3") == [], name


def test_kernels_are_not_boot_sectors():
    assert findings_of(sample("kl105", "good-split.elf"), "KL3") == []
