"""KL412: the rust-osdev bootloader's `.bootloader-config` section, decoded as
`BootloaderConfig::deserialize` (api/src/config.rs @ aee3504) does."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from kernlint.boot import bootloader_api as api
from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import kernlint, needs_toolchain, sample


def findings(path: Path, protocol: str | None = None) -> list:
    return run([str(path)], select_rules(["KL412"]), Config(boot_protocol=protocol)).findings


# -- a Python mirror of BootloaderConfig::serialize (api/src/config.rs l.65-157) -------


def mapping(address: int | None = None) -> bytes:
    return bytes(9) if address is None else b"\x01" + struct.pack("<Q", address)


def option(inner: bytes | None, size: int) -> bytes:
    return bytes(size + 1) if inner is None else b"\x01" + inner


def serialize(
    version=(0, 11, 7, 0),
    stack=80 * 1024,
    kernel_stack=None,
    kernel_base=None,
    boot_info=None,
    framebuffer=None,
    physical_memory: bytes | None = None,
    page_table_recursive: bytes | None = None,
    aslr=0,
    dynamic_range_start: int | None = None,
    dynamic_range_end: int | None = None,
    ramdisk=None,
    fb_height: int | None = None,
    fb_width: int | None = None,
) -> bytes:
    def opt_u64(v):
        return option(None if v is None else struct.pack("<Q", v), 8)

    out = api.UUID + struct.pack("<3HB", *version) + struct.pack("<Q", stack)
    out += mapping(kernel_stack) + mapping(kernel_base) + mapping(boot_info)
    out += mapping(framebuffer)
    out += option(physical_memory, 9) + option(page_table_recursive, 9) + bytes([aslr])
    out += opt_u64(dynamic_range_start) + opt_u64(dynamic_range_end) + mapping(ramdisk)
    out += opt_u64(fb_height) + opt_u64(fb_width)
    return out


def test_decode_a_full_config():
    data = serialize(
        version=(0, 11, 9, 1),
        stack=0x20000,
        kernel_base=0xFFFF800000000000,
        physical_memory=mapping(),
        page_table_recursive=mapping(0xFFFFFF0000000000),
        aslr=1,
        dynamic_range_end=0xFFFFFFFFFFFFF000,
        fb_width=1024,
    )
    assert len(data) == api.SERIALIZED_LEN == 133
    decoded = api.decode_config(data)
    assert decoded.ok and decoded.uuid_ok
    assert str(decoded.version) == "0.11.9 (pre-release)"
    v = decoded.values
    assert v["kernel_stack_size"] == 0x20000
    assert v["mappings.kernel_stack"] == api.Mapping()
    assert v["mappings.kernel_base"] == api.Mapping(0xFFFF800000000000)
    assert v["mappings.physical_memory"] == api.Mapping()
    assert str(v["mappings.page_table_recursive"]) == "fixed at 0xffffff0000000000"
    assert v["mappings.aslr"] is True
    assert v["mappings.dynamic_range_start"] is None
    assert v["mappings.dynamic_range_end"] == 0xFFFFFFFFFFFFF000
    assert v["frame_buffer.minimum_framebuffer_height"] is None
    assert v["frame_buffer.minimum_framebuffer_width"] == 1024


@pytest.mark.parametrize(
    ("offset", "byte", "error"),
    [
        (22, 2, "invalid pre version"),
        (31, 2, "invalid mapping value"),
        (67, 7, "invalid phys memory value"),
        (77, 2, "invalid page table recursive value"),
        (87, 3, "invalid aslr value"),
        (88, 9, "invalid dynamic range start value"),
        (97, 9, "invalid dynamic range end value"),
        (106, 5, "invalid mapping value"),
        (115, 2, "minimum_framebuffer_height invalid"),
        (124, 2, "minimum_framebuffer_width invalid"),
    ],
)
def test_each_tag_byte_is_checked(offset, byte, error):
    data = bytearray(serialize())
    data[offset] = byte
    (problem,) = api.decode_config(bytes(data)).problems
    assert (problem.offset, problem.error) == (offset, error)


def test_none_with_leftover_bytes_is_refused():
    data = bytearray(serialize())
    data[40 + 3] = 1  # Mapping::Dynamic must be followed by zeros
    (problem,) = api.decode_config(bytes(data)).problems
    assert (problem.field, problem.error) == ("mappings.kernel_base", "invalid mapping value")


def test_length_and_uuid_come_first():
    decoded = api.decode_config(serialize()[:118])
    assert [p.error for p in decoded.problems] == ["invalid len"]
    assert "an earlier bootloader_api 0.11 layout" in decoded.problems[0].detail
    decoded = api.decode_config(api.UUID_GUID_ORDER + serialize()[16:])
    assert [p.error for p in decoded.problems] == ["invalid UUID"]
    assert decoded.guid_order and str(decoded.version) == "0.11.7"
    assert api.decode_config(b"").problems[0].error == "invalid len"


# -- the samples -----------------------------------------------------------------------


def test_good_config_is_clean():
    assert findings(sample("kl412", "good-config.elf")) == []


def test_missing_section_found_by_its_symbol():
    (f,) = findings(sample("kl412", "bad-missing-config.elf"))
    assert f.message.startswith(
        "no section .bootloader-config: symbol __BOOTLOADER_CONFIG (133 bytes at"
        " 0xffffffff80001000) is in section .rodata"
    )
    assert "a valid config for bootloader_api 0.11.7" in f.message
    assert "`bootloader config section not found; kernel must be compiled against" in f.message
    assert f.location.section == ".rodata" and f.location.symbol == "__BOOTLOADER_CONFIG"
    assert "KEEP(*(.bootloader-config))" in f.fix


def test_wrong_uuid():
    (f,) = findings(sample("kl412", "bad-wrong-uuid.elf"))
    assert "starts with 61 A9 3C 74 36 09 A0 46 BB 55 5C 15 89 15 25 3D" in f.message
    assert "GUID order" in f.message and "bootloader_api 0.11.7" in f.message
    assert 'incompatible bootloader_api version: "invalid UUID"`' in f.message
    assert f.location.section == ".bootloader-config" and f.location.offset == 0x2000


def test_old_layout_length():
    (f,) = findings(sample("kl412", "bad-old-layout.elf"))
    assert "the section is 118 bytes, not 133" in f.message
    assert "bootloader_api 0.11.0" in f.message and '"invalid len"' in f.message


def test_boot_protocol_none_silences_and_explicit_protocol_fires():
    assert findings(sample("kl412", "bad-wrong-uuid.elf"), protocol="none") == []
    # an ordinary Multiboot-less kernel: nothing unless the protocol is named
    plain = sample("kl105", "good-split.elf")
    assert findings(plain) == []
    (f,) = findings(plain, protocol="bootloader-api")
    assert "no section .bootloader-config and no symbol __BOOTLOADER_CONFIG" in f.message
    out = kernlint("check", "--boot-protocol", "bootloader-api", "--select", "KL412", str(plain))
    assert out.code == 1


def test_detection():
    from kernlint.boot.headers import read_headers
    from kernlint.boot.protocol import BOOTLOADER_API, detect
    from kernlint.elf.reader import read_image

    for name in ("good-config.elf", "bad-missing-config.elf", "bad-wrong-uuid.elf"):
        image = read_image(str(sample("kl412", name)))
        try:
            assert BOOTLOADER_API in detect(read_headers(image)), name
        finally:
            image.reader.close()


@needs_toolchain
def test_a_non_allocated_config_section_is_read(tmp_path):
    """The bootloader reads the section from the file, loaded or not (issue #290)."""
    config = sample("kl412", "good-config.elf").parent / "config.s"
    text = config.read_text().replace(
        '.section .bootloader-config, "a"', '.section .bootloader-config, ""'
    )
    src = tmp_path / "config.s"
    src.write_text(text + "\n.text\n.globl _start\n_start: hlt\n")
    obj, image = tmp_path / "k.o", tmp_path / "k.elf"
    subprocess.run(["as", "--64", "-o", str(obj), str(src)], check=True)
    subprocess.run(
        ["ld", "-nostdlib", "--build-id=none", "-z", "noexecstack", "-o", str(image), str(obj)],
        check=True,
    )
    assert findings(image) == []
    data = bytearray(image.read_bytes())
    at = data.index(api.UUID)
    data[at + 22] = 7  # the pre-release byte
    image.write_bytes(bytes(data))
    (f,) = findings(image)
    assert "the pre-release byte is 0x07, not 0 or 1 (byte 22)" in f.message
    assert f.location.address is None
