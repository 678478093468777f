"""KL406: absolute references in the boot code of a relocatable Multiboot 2 image."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import kernlint, needs_toolchain, sample

FOLDER = "kl406"
MB2_MAGIC = 0xE85250D6


def _sample(name: str) -> Path:
    return sample(FOLDER, name)


def findings(path: Path, *objects: Path, protocol: str | None = None) -> list:
    config = Config(objects=tuple(str(o) for o in objects), boot_protocol=protocol)
    return run([str(path)], select_rules(["KL406"]), config).findings


# -- the samples ----------------------------------------------------------------------


def test_bad_sample_with_its_object_names_each_absolute_reference():
    found = findings(_sample("bad-absolute.elf"), _sample("obj-absolute.o"))
    assert [f.severity for f in found] == ["error", "error"]
    first, second = found
    assert "obj-absolute.o: .text+0x3 (`_start+0x3`; boot.s:74; image address 0x100033)" in (
        first.message
    )
    assert "R_386_32 against `msg` holds the link-time address 0x101000" in first.message
    assert "GRUB may load the image at any 0x1000-aligned base from 0x200000 to 0x1000000" in (
        first.message
    )
    assert first.location.section == ".text"
    assert first.location.address == 0x100033
    assert first.location.symbol == "_start"
    assert "`pvh_start+0x1`; boot.s:88" in second.message
    assert "call 1f; 1: pop %ebp" in first.fix


def test_fixed_twin_with_its_object_is_clean():
    assert findings(_sample("good-pic.elf"), _sample("obj-pic.o")) == []


def test_pc_relative_references_are_read_and_not_reported():
    from kernlint.boot.absolute_refs import from_objects
    from kernlint.elf.reader import read_image

    image = read_image(str(_sample("good-pic.elf")))
    try:
        scan = from_objects(image, (str(_sample("obj-pic.o")),))
    finally:
        image.reader.close()
    assert scan.checked == [f"{_sample('obj-pic.o')}: .text"]
    assert scan.refs == [] and scan.notes == []


def test_config_target_objects_are_used():
    folder = _sample("bad-absolute.elf").parent
    config = str(folder / "kernlint.toml")
    bad = kernlint(
        "check", "--format", "json", "--config", config, str(folder / "bad-absolute.elf")
    )
    assert bad.code == 1
    assert [f["rule"] for f in bad.report["findings"]] == ["KL406", "KL406"]
    good = kernlint("check", "--format", "json", "--config", config, str(folder / "good-pic.elf"))
    assert good.code == 0 and good.report["findings"] == []
    # and in the folder itself, with no paths: the configured targets and their objects
    here = kernlint("check", "--format", "json", cwd=folder)
    assert here.code == 1
    assert {f["path"] for f in here.report["findings"]} == {"bad-absolute.elf"}


def test_without_relocation_data_one_info_finding():
    for name in ("bad-absolute.elf", "good-pic.elf"):
        (f,) = findings(_sample(name))
        assert f.severity == "info"
        assert "relocatable tag (at offset 0x1010" in f.message
        assert "could not check the boot code for absolute references" in f.message
        assert "--objects" in f.fix and "--emit-relocs" in f.fix
        assert f.location.section == ".multiboot2" and f.location.offset == 0x1010
    out = kernlint("check", "--format", "json", str(_sample("good-pic.elf")))
    assert out.code == 0
    assert [(f["rule"], f["severity"]) for f in out.report["findings"]] == [("KL406", "info")]
    assert kernlint("check", "--fail-on", "info", str(_sample("good-pic.elf"))).code == 1


def test_boot_protocol_selects_the_rule():
    bad, obj = _sample("bad-absolute.elf"), _sample("obj-absolute.o")
    assert findings(bad, obj, protocol="none") == []
    assert findings(bad, obj, protocol="pvh") == []
    assert len(findings(bad, obj, protocol="multiboot2")) == 2
    out = kernlint("check", "--boot-protocol", "none", "--objects", str(obj), str(bad))
    assert out.code == 0


@pytest.mark.skipif(not shutil.which("grub-file"), reason="grub-file (grub-common) missing")
def test_grub_file_agrees_that_both_headers_are_valid():
    from kernlint.boot.headers import read_headers
    from kernlint.elf.reader import read_image

    for name in ("bad-absolute.elf", "good-pic.elf"):
        path = _sample(name)
        proc = subprocess.run(["grub-file", "--is-x86-multiboot2", str(path)])
        assert proc.returncode == 0, name
        image = read_image(str(path))
        try:
            header = read_headers(image).grub_multiboot2
            assert header is not None and header.defects == ()
            assert header.tag(10).fields == (0x200000, 0x1000000, 0x1000, 1)
        finally:
            image.reader.close()


# -- targeted builds -------------------------------------------------------------------

LINK = """\
ENTRY(_start)
PHDRS {{ text PT_LOAD FLAGS(5); high PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); }}
SECTIONS {{
    . = 0x100000;
    .multiboot2 : {{ KEEP(*(.multiboot2)) }} :text
    .text : {{ *(.text .text.*) }} :text
    . = ALIGN(4K);
    .rodata : {{ *(.rodata .rodata.*) }} :rodata
    . = 0x400000;
    .high : {{ *(.high) }} :high
    /DISCARD/ : {{ *(.note.GNU-stack) *(.comment) }}
}}
"""


def mb2_header(*tags: bytes) -> bytes:
    """A Multiboot 2 header (spec §3.1.1): magic, architecture 0, length, checksum,
    ``tags`` (each 8-byte aligned), end tag."""
    body = b"".join(t + bytes(-len(t) % 8) for t in tags) + struct.pack("<HHI", 0, 0, 8)
    length = 16 + len(body)
    return struct.pack("<4I", MB2_MAGIC, 0, length, (-(MB2_MAGIC + length)) & 0xFFFFFFFF) + body


def relocatable_tag(min_addr=0x200000, max_addr=0x1000000, align=0x1000, preference=1) -> bytes:
    """Header tag 10 (spec §3.1.11): min_addr, max_addr, align, preference."""
    return struct.pack("<HHI4I", 10, 0, 24, min_addr, max_addr, align, preference)


def header_asm(header: bytes) -> str:
    return '.section .multiboot2, "a"\n.balign 8\n.byte ' + ", ".join(str(b) for b in header) + "\n"


ENTRY_ABSOLUTE = """\
.section .rodata
msg: .asciz "HI"
.text
.code32
.globl _start
_start:
    movl $msg, %esi
1:  hlt
    jmp 1b
"""


def build(
    tmp_path: Path,
    *sources: str,
    elf64: bool = False,
    emit_relocs: bool = False,
    debug: bool = False,
) -> tuple[Path, list[Path]]:
    """Assemble each source into its own object (boot0.o, boot1.o, ...) and link them
    with :data:`LINK`; (image, objects)."""
    objects = []
    for i, text in enumerate(sources):
        src = tmp_path / f"boot{i}.s"
        src.write_text(text)
        obj = tmp_path / f"boot{i}.o"
        flags = ["--64" if elf64 else "--32"] + (["-g"] if debug else [])
        subprocess.run(["as", *flags, "-o", str(obj), str(src)], check=True, cwd=tmp_path)
        objects.append(obj)
    script = tmp_path / "link.ld"
    script.write_text(LINK.format())
    image = tmp_path / "kernel.elf"
    ld = ["ld", "-m", "elf_x86_64" if elf64 else "elf_i386", "-nostdlib", "--build-id=none"]
    ld += ["-z", "max-page-size=0x1000", "-z", "noexecstack", "-T", str(script)]
    ld += ["--emit-relocs"] if emit_relocs else []
    subprocess.run([*ld, "-o", str(image), *map(str, objects)], check=True)
    return image, objects


@needs_toolchain
def test_emit_relocs_build_is_read_without_objects(tmp_path):
    image, _ = build(
        tmp_path, header_asm(mb2_header(relocatable_tag())) + ENTRY_ABSOLUTE, emit_relocs=True
    )
    (f,) = findings(image)
    assert f.severity == "error"
    assert f"{image}: .text+0x1 (`_start+0x1`; image address 0x100031)" in f.message
    assert "R_386_32 against" in f.message and "holds the link-time address 0x101000" in f.message


@needs_toolchain
def test_elf64_boot_code_gives_r_x86_64_32_with_its_source_line(tmp_path):
    source = header_asm(mb2_header(relocatable_tag())) + ENTRY_ABSOLUTE
    line = source.splitlines().index("    movl $msg, %esi") + 1
    image, objects = build(tmp_path, source, elf64=True, debug=True)
    (f,) = findings(image, *objects)
    assert f"boot0.o: .text+0x1 (`_start+0x1`; boot0.s:{line}; image address 0x100031)" in (
        f.message
    )
    assert "R_X86_64_32 against `msg` holds the link-time address 0x101000" in f.message


@needs_toolchain
def test_no_relocatable_tag_no_finding(tmp_path):
    image, objects = build(tmp_path, header_asm(mb2_header()) + ENTRY_ABSOLUTE)
    assert findings(image, *objects) == []
    assert findings(image) == []  # not even the info finding


@needs_toolchain
def test_other_objects_and_other_segments_are_not_boot_code(tmp_path):
    entry = header_asm(mb2_header(relocatable_tag())) + (
        ".text\n.code32\n.globl _start\n_start:\n    call later\n"
        '.section .high, "ax"\n    movl $0x12345678, %eax\n    movl $_start, %ebx\n'
    )
    other = (
        '.section .rodata\nmsg2: .asciz "X"\n'
        ".text\n.code32\n.globl later\nlater:\n    movl $msg2, %esi\n    ret\n"
    )
    image, objects = build(tmp_path, entry, other)
    assert findings(image, *objects) == []
    from kernlint.boot.absolute_refs import from_objects
    from kernlint.elf.reader import read_image

    img = read_image(str(image))
    try:
        scan = from_objects(img, tuple(str(o) for o in objects))
    finally:
        img.reader.close()
    assert scan.checked == [f"{objects[0]}: .text"]  # not .high (other PT_LOAD), not boot1.o


@needs_toolchain
def test_references_inside_the_header_are_skipped(tmp_path):
    entry = (
        """\
.section .multiboot2, "ax"
.balign 8
mb2_start:
.long 0xE85250D6, 0, mb2_end - mb2_start, 0x100000000 - (0xE85250D6 + (mb2_end - mb2_start))
.balign 8
.short 2, 0
.long 24
.long mb2_start, 0x100000, 0, 0
.balign 8
.short 3, 0
.long 12
.long _start
.balign 8
.short 10, 0
.long 24
.long 0x200000, 0x1000000, 0x1000, 1
.balign 8
.short 0, 0
.long 8
mb2_end:
"""
        + ENTRY_ABSOLUTE
    )
    image, objects = build(tmp_path, entry)
    (f,) = findings(image, *objects)
    assert "`_start+0x1`" in f.message and "against `msg`" in f.message


@needs_toolchain
def test_objects_that_cannot_be_used_are_named(tmp_path):
    image, _ = build(tmp_path, header_asm(mb2_header(relocatable_tag())) + ENTRY_ABSOLUTE)
    missing = tmp_path / "nowhere.o"
    (f,) = findings(image, image, missing)
    assert f.severity == "info"
    assert f"{image}: ET_EXEC, not a relocatable object" in f.message
    assert f"{missing}: cannot read" in f.message
