"""Boot-sector decoders (layouts, partition table, BPB), layout inference,
classification, configuration and the --boot-sector-layout option."""

from __future__ import annotations

import random
import struct

import pytest

from kernlint.bootsector import (
    CONFIGURED,
    LAYOUT_NAMES,
    LAYOUTS,
    infer_layout,
    is_boot_sector,
    read_boot_sector,
)
from kernlint.bootsector.bpb import bpb_jump_target, decode_bpb, vbr_layout
from kernlint.bootsector.elf import PARTITION_NAME, is_reserved_name, segment_setup
from kernlint.bootsector.mbr import disk_signature, has_partition_table, partition_entries
from kernlint.classify import classify
from kernlint.config import ConfigError, load_config
from kernlint.engine import run, select_rules
from tests.conftest import kernlint, sample


def sector(code: bytes = b"\xfa\xf4", sig: bool = True) -> bytearray:
    data = bytearray(512)
    data[: len(code)] = code
    if sig:
        data[510:] = b"\x55\xaa"
    return data


def with_partition(data: bytearray, slot: int = 0, status: int = 0x80) -> bytearray:
    off = 0x1BE + 16 * slot
    data[off : off + 16] = bytes([status, 0x20, 0x21, 0, 0x0C, 0x41, 2, 0]) + struct.pack(
        "<II", 2048, 2048
    )
    return data


def fat_bpb(fat32: bool = False) -> bytearray:
    data = sector(b"\xeb\x58\x90" if fat32 else b"\xeb\x3c\x90")
    data[3:11] = b"KERNLINT"
    root, spf16 = (0, 0) if fat32 else (224, 9)
    struct.pack_into("<HBHBHHBH", data, 0x0B, 512, 1, 32 if fat32 else 1, 2, root, 0, 0xF8, spf16)
    struct.pack_into("<I", data, 0x20, 2_000_000 if fat32 else 0)
    if fat32:
        struct.pack_into("<I", data, 0x24, 2000)
    else:
        struct.pack_into("<H", data, 0x13, 2880)
    return data


def test_layout_budgets_match_the_research_table():
    budgets = {n: LAYOUTS[n].budget for n in LAYOUT_NAMES}
    assert budgets == {
        "mbr": 446,
        "mbr-disk-signature": 440,
        "fat16-vbr": 448,
        "fat32-vbr": 420,
        "raw": 510,
    }
    assert (LAYOUTS["fat16-vbr"].code_start, LAYOUTS["fat16-vbr"].code_end) == (0x3E, 0x1FE)
    assert LAYOUTS["fat32-vbr"].code_start == 0x5A
    assert LAYOUTS["mbr"].describe_reserved() == "partition table at 0x1be"


def test_partition_entries_decode():
    data = with_partition(sector(), slot=1)
    entries = partition_entries(data)
    assert [e.offset for e in entries] == [0x1BE, 0x1CE, 0x1DE, 0x1EE]
    e = entries[1]
    assert (e.status, e.type, e.lba_first, e.sectors) == (0x80, 0x0C, 2048, 2048)
    assert e.is_plausible and entries[0].is_empty
    assert has_partition_table(data)
    assert not has_partition_table(sector())  # all zero proves nothing
    data[0x1BE] = 0x41  # code spilling into entry 0
    assert not has_partition_table(data)


def test_disk_signature():
    data = with_partition(sector())
    assert disk_signature(data) is None
    data[0x1B8:0x1BC] = b"\x78\x56\x34\x12"
    assert disk_signature(data) == 0x12345678
    data[0x1BC] = 1
    assert disk_signature(data) is None


def test_bpb_jump_and_decode():
    assert bpb_jump_target(b"\xeb\x3c\x90") == 0x3E
    assert bpb_jump_target(b"\xeb\x58\x90") == 0x5A
    assert bpb_jump_target(b"\xe9\x3b\x00") == 0x3E
    assert bpb_jump_target(b"\xeb\x3c\x00") is None
    assert bpb_jump_target(b"\xfa") is None
    bpb = decode_bpb(fat_bpb())
    assert bpb.bytes_per_sector == 512 and bpb.plausible and not bpb.fat32
    assert decode_bpb(fat_bpb(fat32=True)).fat32
    assert vbr_layout(fat_bpb()) == "fat16-vbr"
    assert vbr_layout(fat_bpb(fat32=True)) == "fat32-vbr"
    assert decode_bpb(b"\xeb\x3c\x90") is None
    junk = fat_bpb()
    junk[0x0B:0x0D] = b"\x00\x03"  # 768 bytes per sector
    assert vbr_layout(junk) is None


def test_layout_inference():
    assert infer_layout(sector())[0].name == "raw"
    assert infer_layout(with_partition(sector()))[0].name == "mbr"
    disk = with_partition(sector())
    disk[0x1B8:0x1BC] = b"\x01\x02\x03\x04"
    assert infer_layout(disk)[0].name == "mbr-disk-signature"
    assert infer_layout(fat_bpb())[0].name == "fat16-vbr"
    assert infer_layout(fat_bpb(fat32=True))[0].name == "fat32-vbr"
    layout, how = infer_layout(sector(), "fat32-vbr")
    assert layout.name == "fat32-vbr" and how == CONFIGURED


def test_committed_raw_samples_infer_their_layouts():
    def name(f):
        return read_boot_sector(str(sample(*f))).layout.name

    assert name(("kl301", "good-mbr.bin")) == "mbr"
    assert name(("kl301", "good-fat16-448.bin")) == "fat16-vbr"
    assert name(("kl301", "forced-mbr-over.bin")) == "raw"


def test_elf_names_and_segment_setup():
    for n in (".partition_table", "_partition_table", ".parttable", "mbr_partitions", "ptable"):
        assert PARTITION_NAME.match(n), n
    assert is_reserved_name(".magic_number") and is_reserved_name(".signature")
    assert not is_reserved_name(".text") and not is_reserved_name("partition_start")
    assert segment_setup(b"\xea\x05\x00\xc0\x07") == "ljmp $0x07c0 at offset 0x0"
    assert segment_setup(b"\xfa\xb8\xc0\x07") == "mov $0x07c0 at offset 0x1"
    assert segment_setup(b"\x68\xc0\x07") == "push $0x07c0 at offset 0x0"
    assert segment_setup(b"\xfa\x31\xc0") is None


def test_is_boot_sector():
    assert is_boot_sector(bytes(sector()), 512)
    assert not is_boot_sector(bytes(sector(sig=False)), 512)
    assert not is_boot_sector(bytes(sector())[:511], 511)


def test_classification_by_content(tmp_path):
    good = tmp_path / "disk.img"
    good.write_bytes(sector())
    assert classify(str(good)).kind == "boot-sector"
    nosig = tmp_path / "nosig.img"
    nosig.write_bytes(sector(sig=False))
    assert classify(str(nosig)).kind == "unknown"
    big = tmp_path / "floppy.img"
    big.write_bytes(bytes(sector()) + bytes(1024))
    assert classify(str(big)).kind == "unknown"
    script = tmp_path / "boot.ld"  # a script by name stays a script
    script.write_bytes(sector())
    assert classify(str(script)).kind == "script"
    assert classify(str(sample("kl301", "good-mbr.elf"))).kind == "image"


def test_unsigned_sector_is_skipped_unless_forced(tmp_path):
    nosig = tmp_path / "nosig.img"
    nosig.write_bytes(sector(sig=False))
    result = run([str(nosig)], select_rules())
    assert result.files == 0 and result.skipped and not result.findings
    walked = run([str(tmp_path)], select_rules())  # not named: silently left out
    assert walked.files == 0 and not walked.skipped
    cfg = tmp_path / "kernlint.toml"
    cfg.write_text('boot-sector-layout = "raw"\n')
    forced = run([str(nosig)], select_rules(), load_config(cfg))
    assert [f.rule for f in forced.findings] == ["KL302"]
    assert not run([str(tmp_path)], select_rules(), load_config(cfg)).findings  # walk: no


def test_forced_floppy_image_reads_the_first_sector(tmp_path):
    floppy = tmp_path / "floppy.img"
    floppy.write_bytes(bytes(sector()) + bytes(1474560 - 512))
    r = kernlint("check", "--format", "json", "--boot-sector-layout", "raw", str(floppy))
    assert r.code == 0 and r.report["findings"] == []
    floppy.write_bytes(bytes(sector(sig=False)) + bytes(1024))
    r = kernlint("check", "--format", "json", "--boot-sector-layout", "raw", str(floppy))
    assert r.code == 1 and r.rules == {"KL302"}


def test_config_key_top_level_and_target(tmp_path):
    cfg = tmp_path / "kernlint.toml"
    cfg.write_text(
        'boot-sector-layout = "fat16-vbr"\n[[target]]\nimage = "mbr.bin"\n'
        'boot-sector-layout = "mbr"\n'
    )
    config = load_config(cfg)
    assert config.layout_for(str(tmp_path / "mbr.bin")) == "mbr"
    assert config.layout_for(str(tmp_path / "other.bin")) == "fat16-vbr"
    assert config.layout_for(str(tmp_path / "other.bin"), targeted=True) is None


@pytest.mark.parametrize(
    "text, key",
    [
        ('boot-sector-layout = "gpt"\n', "`boot-sector-layout`"),
        ("boot-sector-layout = 446\n", "`boot-sector-layout`"),
        (
            '[[target]]\nimage = "a.bin"\nboot-sector-layout = "MBR"\n',
            "`target[0].boot-sector-layout`",
        ),
    ],
)
def test_config_bad_layout_names_key_and_file(tmp_path, text, key):
    cfg = tmp_path / "kernlint.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert str(cfg) in str(exc.value) and key in str(exc.value)
    assert "mbr, mbr-disk-signature, fat16-vbr, fat32-vbr, raw" in str(exc.value)


def test_cli_choices_are_the_layouts():
    from kernlint.cli import check

    (opt,) = [p for p in check.params if p.name == "boot_sector_layout"]
    assert tuple(opt.type.choices) == LAYOUT_NAMES


def test_truncated_and_odd_sectors_never_traceback(tmp_path):
    """Mutations of the committed sectors, read as every layout: findings or silence,
    never an exception."""
    rng = random.Random(301)
    seeds = [
        sample("kl301", "good-mbr.bin"),
        sample("kl301", "good-fat16-448.bin"),
        sample("kl301", "forced-mbr-over.bin"),
    ]
    rules = select_rules(["KL3"])
    target = tmp_path / "m.img"
    for seed in seeds:
        base = seed.read_bytes()
        for i in range(40):
            data = bytearray(base)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            cut = rng.choice([0, 1, 3, 11, 62, 89, 90, 300, 446, 510, 511, 512, 513, 700])
            data = data[:cut] if cut <= 512 else data + bytes(cut - 512)
            target.write_bytes(bytes(data))
            for layout in (None, *LAYOUT_NAMES):
                cfg = tmp_path / "kernlint.toml"
                cfg.write_text(f'boot-sector-layout = "{layout}"\n' if layout else "")
                result = run([str(target)], rules, load_config(cfg))
                assert all(f.rule.startswith("KL3") for f in result.findings), i


def test_truncated_elf_boot_sector_is_kl001_not_a_traceback(tmp_path):
    data = sample("kl301", "good-mbr.elf").read_bytes()
    for cut in (0xC00, 0xC40, 0xDFF, 0xE00):
        bad = tmp_path / f"cut{cut:x}.elf"
        bad.write_bytes(data[:cut])
        result = run([str(bad)], select_rules(["KL3"]))
        assert {f.rule for f in result.findings} <= {"KL001", "KL302"}
