from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, needs_toolchain, sample


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


def _text_size(elf) -> int:
    from tests.support.readelf import readelf

    (text,) = [s for s in readelf(elf).sections if s.name == ".text"]
    return text.size


@needs_toolchain
def test_overflow_is_not_capped_at_512(tmp_path):
    """A sector whose code runs to 700 bytes (GNU ld links it without a word) is 700
    bytes, 190 past the raw budget, and .text is a 700-byte contributor."""
    from tests.bootsector import shapes

    probe, _ = shapes.xv6_sector(tmp_path, 0)
    elf, signed = shapes.xv6_sector(tmp_path, 700 - _text_size(probe))
    assert _text_size(elf) == 700 and signed is None  # sign.pl would refuse it too
    (f,) = findings_of(elf, "KL301")
    assert f.severity == "error"
    assert "end at sector offset 0x2bc (700 bytes), 190 bytes past the raw budget" in f.message
    assert "sections .text (700 bytes at 0x0)" in f.message


@needs_toolchain
def test_unwind_tables_past_the_budget_are_info(tmp_path):
    """xv6 links its sector with GCC's `.eh_frame` after `.text` and extracts only
    `.text` (`objcopy -j .text`), then appends the signature: the sector boots. Only
    `.eh_frame` runs past 510, so KL301 says what its verdict assumes, at info."""
    from tests.bootsector import shapes

    probe, _ = shapes.xv6_sector(tmp_path, 0)
    elf, signed = shapes.xv6_sector(tmp_path, 480 - _text_size(probe))
    from tests.support.readelf import readelf

    names = [s.name for s in readelf(elf).sections]
    assert ".eh_frame" in names
    (f,) = findings_of(elf, "KL301")
    assert f.severity == "info"
    assert f.message.startswith("with .eh_frame (")
    assert "without it they end at 0x1e0 (480 bytes), within it" in f.message
    assert "if the build extracts only the code (`objcopy -j .text`), nothing is wrong" in f.message
    assert f.location.section == ".eh_frame"
    assert signed is not None and len(signed.read_bytes()) == 512
    result = shapes.boot_sector(signed)
    assert result.returncode == 33 and "OK" in result.stdout, result
