"""KL413: dynamic relocations and TLS segments the rust-osdev bootloader cannot handle
(common/src/load_kernel.rs @ b970f7d)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from kernlint.boot import bootloader_api as api
from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import kernlint, needs_toolchain, sample

GOOD = sample("kl413", "good-pie-relative.elf")
BAD = sample("kl413", "bad-pie-r-x86-64-64.elf")


def findings(path: Path, protocol: str | None = None) -> list:
    return run([str(path)], select_rules(["KL413"]), Config(boot_protocol=protocol)).findings


def test_symbolic_r_x86_64_64_in_a_pie():
    (f,) = findings(BAD)
    assert f.message == (
        "1 of the 2 relocations at DT_RELA 0x278 (.rela.dyn) name a symbol (R_X86_64_64);"
        " the first, entry 1, is R_X86_64_64 at 0x2340 against `ext_handler`; the"
        " bootloader panics: `relocations using the symbol table are not supported`"
    )
    assert f.location.section == ".data.rel.ro" and f.location.address == 0x2340
    assert "hidden visibility" in f.fix


def test_relative_only_pie_is_clean():
    assert findings(GOOD) == []


def test_protocol_gates_the_rule():
    assert findings(BAD, protocol="none") == []
    assert findings(BAD, protocol="multiboot2") == []
    out = kernlint("check", "--boot-protocol", "none", str(BAD))
    assert out.code == 0


def test_non_pie_kernels_have_nothing_to_apply():
    assert findings(sample("kl412", "good-config.elf")) == []
    assert findings(sample("kl105", "good-split.elf"), protocol="bootloader-api") == []


# -- the loader's other checks, on patched copies of the good kernel --------------------


def dynamic(data: bytes) -> tuple[int, list[tuple[int, int, int]]]:
    """(file offset of PT_DYNAMIC, [(entry offset, tag, value)]) of an ELF64 LE file."""
    (phoff,) = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize
        )
        if p_type == 2:
            entries = []
            for at in range(p_offset, p_offset + p_filesz, 16):
                tag, val = struct.unpack_from("<qQ", data, at)
                if tag == 0:
                    break
                entries.append((at, tag, val))
            return p_offset, entries
    raise AssertionError("no PT_DYNAMIC")


def patched(tmp_path: Path, name: str, edit) -> Path:
    data = bytearray(GOOD.read_bytes())
    edit(data, dynamic(bytes(data))[1])
    out = tmp_path / name
    out.write_bytes(bytes(data))
    return out


def set_entry(data: bytearray, entries, tag: int, new_tag: int, new_val: int | None = None):
    at, _, val = next(e for e in entries if e[1] == tag)
    struct.pack_into("<qQ", data, at, new_tag, val if new_val is None else new_val)


def rela(entries) -> int:
    return next(v for _, t, v in entries if t == api.DT_RELA)  # vaddr == file offset here


def only(path: Path):
    (f,) = findings(path)
    return f


def test_relaent_other_than_24(tmp_path):
    path = patched(tmp_path, "ent.elf", lambda d, e: set_entry(d, e, 9, 9, 16))
    f = only(path)
    assert "DT_RELAENT is 16, not 24" in f.message
    assert "`unsupported entry size: 16`" in f.message


def test_missing_relasz_and_relaent(tmp_path):
    path = patched(tmp_path, "sz.elf", lambda d, e: set_entry(d, e, 8, 21))  # -> DT_DEBUG
    assert '`no entry point: "RelaSize entry is missing"`' in only(path).message
    path = patched(tmp_path, "ent.elf", lambda d, e: set_entry(d, e, 9, 21))
    assert '`no entry point: "RelaEnt entry is missing"`' in only(path).message
    path = patched(tmp_path, "rela.elf", lambda d, e: set_entry(d, e, 7, 21))
    assert "Rela entry is missing but RelaSize or RelaEnt have been provided" in (
        only(path).message
    )


def test_duplicate_entries(tmp_path):
    # DT_RELACOUNT (0x6ffffff9) becomes a second DT_RELA
    path = patched(tmp_path, "dup.elf", lambda d, e: set_entry(d, e, 0x6FFFFFF9, 7))
    f = only(path)
    assert "has 2 DT_RELA entries" in f.message
    assert "Dynamic section contains more than one Rela entry" in f.message


def test_unsupported_type_and_offset_outside_every_load(tmp_path):
    def glob_dat(data, entries):
        struct.pack_into("<Q", data, rela(entries) + 8, 6)  # info: sym 0, R_X86_64_GLOB_DAT

    f = only(patched(tmp_path, "type.elf", glob_dat))
    assert "1 of the 1 relocations at DT_RELA" in f.message
    assert "are not R_X86_64_RELATIVE (R_X86_64_GLOB_DAT)" in f.message
    assert "`not implemented: relocation type 6 not supported`" in f.message

    def far(data, entries):
        struct.pack_into("<Q", data, rela(entries), 0x900000)  # r_offset

    f = only(patched(tmp_path, "far.elf", far))
    assert "patch an address in no PT_LOAD; the first, entry 0, R_X86_64_RELATIVE at 0x900000" in (
        f.message
    )
    assert '`no entry point: "offset is not in load segment"`' in f.message


def test_table_outside_the_mapped_segments(tmp_path):
    path = patched(tmp_path, "table.elf", lambda d, e: set_entry(d, e, 7, 7, 0x900000))
    f = only(path)
    assert "are not inside one PT_LOAD" in f.message
    assert "`address is not mapped to the kernel's memory space`" in f.message


def test_tables_the_loader_never_reads(tmp_path):
    # DT_DEBUG (21) becomes DT_RELR pointing at .rela.dyn: a table the loader skips
    def relr(data, entries):
        set_entry(data, entries, 21, api.DT_RELR, rela(entries))

    f = only(patched(tmp_path, "relr.elf", relr))
    assert "DT_RELR 0x" in f.message and "never applied" in f.message
    assert "the bootloader never applies them" in f.message


@needs_toolchain
def test_more_than_one_tls_segment(tmp_path):
    src = tmp_path / "tls.s"
    src.write_text(
        ".text\n.globl _start\n_start: hlt\n"
        '.section .tdata, "awT", @progbits\n.quad 1\n'
        '.section .tdata.two, "awT", @progbits\n.quad 2\n'
    )
    script = tmp_path / "tls.ld"
    script.write_text(
        "ENTRY(_start)\n"
        "PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); tls1 PT_TLS; tls2 PT_TLS; }\n"
        "SECTIONS {\n  . = 0x200000;\n  .text : { *(.text) } :text\n  . = ALIGN(4K);\n"
        "  .bootloader-config : { KEEP(*(.bootloader-config)) } :data\n"
        "  .tdata : { *(.tdata) } :data :tls1\n"
        "  .tdata.two : { *(.tdata.two) } :data :tls2\n}\n"
    )
    config = GOOD.parent / "config.s"
    objs = []
    for s in (src, config):
        obj = tmp_path / (s.stem + ".o")
        subprocess.run(["as", "--64", "-o", str(obj), str(s)], check=True)
        objs.append(str(obj))
    image = tmp_path / "tls.elf"
    ld = ["ld", "-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]
    subprocess.run(
        [*ld, "-z", "max-page-size=0x1000", "-T", str(script), "-o", str(image), *objs], check=True
    )
    (f,) = findings(image)
    assert f.message.startswith("2 PT_TLS program headers (segments 2, 3)")
    assert '`no entry point: "multiple TLS segments not supported"`' in f.message
    assert f.location.segment == 3


def test_truncated_dynamic_section_is_not_a_crash(tmp_path):
    data = GOOD.read_bytes()
    offset, _ = dynamic(data)
    path = tmp_path / "cut.elf"
    path.write_bytes(data[: offset + 8])
    result = run([str(path)], select_rules(["KL413"]))
    assert {f.rule for f in result.findings} <= {"KL001", "KL413"}


def test_loader_problems_reads_the_sample_table():
    from kernlint.elf.reader import read_image

    image = read_image(str(BAD))
    try:
        (p,) = api.loader_problems(image)
    finally:
        image.reader.close()
    assert (p.kind, p.count, p.address, p.section) == ("symbol", 1, 0x2340, ".rela.dyn")


def test_named_protocol_checks_a_pie_without_the_config(tmp_path):
    data = BAD.read_bytes()
    data = data.replace(b".bootloader-config\0", b".bootloader-other\0\0")
    data = data.replace(b"__BOOTLOADER_CONFIG\0", b"__SOMETHING_ELSE___\0")
    path = tmp_path / "plain-pie.elf"
    path.write_bytes(data)
    assert findings(path) == []  # not detected as a bootloader-api kernel
    (f,) = findings(path, protocol="bootloader-api")
    assert "against `ext_handler`" in f.message
