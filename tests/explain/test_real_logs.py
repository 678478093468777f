"""``kernlint explain`` on logs the real tools print: GNU ld, ld.lld, rust-lld (inside
rustc's "linking with `rust-lld` failed" block), gcc driving ld, NASM, SeaBIOS in QEMU.

Each test builds its input in ``tmp_path`` (small assembly and scripts, or the
samples' sources), runs the tool, feeds what it printed to ``kernlint explain`` and
checks the rule, the values parsed from the line, and the culprit ``--artifacts``
points at."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.explain.conftest import (
    ENV,
    SAMPLES,
    assemble,
    checked,
    explain,
    explain_log,
    needs,
    only,
    tool,
)

FAR = """\
    .globl _start
    .text
_start:
    movl $far_sym, %eax
    call far_func
    .section .far, "ax"
    .globl far_sym, far_func
far_sym:
far_func:
    ret
"""
#: ``.far`` in the higher half; AT() keeps ld.lld's output small.
FAR_LD = """\
ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .text : { *(.text) }
  .far 0xffffffff80000000 : AT(0x200000) { *(.far) }
}
"""
KERNEL = """\
    .globl _start
    .text
_start: ret
    .data
d:  .long 1
    .section .multiboot_header, "a"
    .long 0x1badb002
"""


@needs("as", "ld", "ld.lld")
def test_relocation_overflow_gnu_and_lld(tmp_path):
    assemble(tmp_path, "a", FAR)
    (tmp_path / "far.ld").write_text(FAR_LD)
    log = tool("ld", "-T", "far.ld", "-o", "a_bfd.elf", "a.o", cwd=tmp_path)
    log += tool("ld.lld", "-T", "far.ld", "-o", "a_lld.elf", "a.o", cwd=tmp_path)
    run = explain_log(tmp_path, log)
    found = only(run.findings, "KL501")
    assert [f["location"]["line"] for f in found] == [2, 3, 4, 7]
    gnu32, gnu_pc, lld32, lld_pc = found
    for f in found:
        assert f["name"] == "relocation-overflow" and f["checked"] is checked("KL501")
    assert "R_X86_64_32 at a.o:(.text+0x1) in function `_start`" in gnu32["message"]
    assert "symbol `far_sym` (defined in .far of a.o)" in gnu32["message"]
    assert "-mcmodel=kernel" in gnu32["message"] and "below 4 GiB" in gnu32["message"]
    assert "R_X86_64_PLT32" in gnu_pc["message"] and "±2 GiB" in gnu_pc["message"]
    assert "0xffffffff80000000" in lld32["message"] and "0 to 4294967295" in lld32["message"]
    assert lld32["matched"].endswith(">>> defined in a.o")
    assert "-0x8010000a" in lld_pc["message"]
    text = explain(tmp_path / "build.log").stdout
    status = "" if checked("KL501") else " (not yet checked by kernlint)"
    assert f"rule KL501 relocation-overflow{status} [error]" in text


@needs("as", "ld", "ld.lld")
def test_real_mode_relocation_overflow(tmp_path):
    src = '    .code16\n    .section .boot, "ax"\n    .globl _start\n_start:\n'
    src += '    movw $fardata, %ax\n    .section .fardata, "aw"\nfardata: .byte 1\n'
    assemble(tmp_path, "r16", src, "--32")
    script = "ENTRY(_start)\nSECTIONS { . = 0x7c00; .boot : { *(.boot) }"
    script += " .fardata 0x20000 : { *(.fardata) } }\n"
    (tmp_path / "r16.ld").write_text(script)
    log = tool("ld", "-m", "elf_i386", "-T", "r16.ld", "-o", "r.elf", "r16.o", cwd=tmp_path)
    log += tool("ld.lld", "-T", "r16.ld", "-o", "rl.elf", "r16.o", cwd=tmp_path)
    gnu, lld = only(explain_log(tmp_path, log).findings, "KL501")
    assert "R_386_16 at r16.o:(.boot+0x1)" in gnu["message"]
    assert "section `.fardata`" in gnu["message"] and "64 KiB" in gnu["message"]
    assert "0x20000" in lld["message"] and "-32768 to 65535" in lld["message"]


@needs("as", "ld")
def test_rwx_segment_points_at_the_image_and_the_script(tmp_path):
    sample = SAMPLES / "kl105-rwx-segment"
    assemble(tmp_path, "kernel", (sample / "kernel.s").read_text(), "--64")
    log = tool(
        *("ld", "-nostdlib", "-z", "noexecstack", "-T", sample / "phdrs-rwx.ld"),
        *("-o", "bad-phdrs-rwx.elf", "kernel.o"),
        cwd=tmp_path,
        ok=True,
    )
    assert "has a LOAD segment with RWX permissions" in log
    image = tmp_path / "bad-phdrs-rwx.elf"
    run = explain_log(tmp_path, log, "--artifacts", image, "--artifacts", sample / "phdrs-rwx.ld")
    (f,) = run.findings
    assert f["rule"] == "KL105" and "PT_LOAD of bad-phdrs-rwx.elf" in f["message"]
    by_rule = {c["rule"]: c for c in f["culprits"]}
    assert by_rule["KL105"]["path"] == str(image)
    assert by_rule["KL105"]["location"]["segment"] == 0
    assert by_rule["KL204"]["path"].endswith("phdrs-rwx.ld")
    assert by_rule["KL204"]["location"]["line"] == 8  # kernel PT_LOAD FLAGS(7);
    # Another image's RWX segment is not this line's culprit.
    other = explain_log(tmp_path, log, "--artifacts", sample / "bad-nopagealign.elf")
    assert "culprits" not in other.findings[0]


def _mbr_over(tmp_path: Path) -> None:
    """The kl301 sample's 460-byte boot code, linked with its good script, which puts
    the partition table at 0x7c00 + 446."""
    sample = SAMPLES / "kl301-boot-sector-overflow"
    assemble(tmp_path, "big", (sample / "boot.s").read_text(), "--32", "--defsym", "BIG=1")
    shutil.copy(sample / "good-mbr.ld", tmp_path / "mbr.ld")


@needs("as", "ld")
def test_boot_sector_overlap_gnu_ld(tmp_path):
    _mbr_over(tmp_path)
    log = tool(
        *("ld", "-m", "elf_i386", "-nostdlib", "-z", "noexecstack", "-T", "mbr.ld"),
        *("-o", "over.elf", "big.o"),
        cwd=tmp_path,
    )
    sample = SAMPLES / "kl301-boot-sector-overflow"
    run = explain_log(tmp_path, log, "--artifacts", sample)
    overlap = run.findings[0]
    assert overlap["rule"] == "KL107" and overlap["location"]["line"] == 1
    assert "overlap by 14 bytes (LMA)" in overlap["message"]
    assert ".partition_table [0x7dbe, 0x7dfd] and .rodata [0x7c1d, 0x7dcb]" in overlap["message"]
    culprits = overlap["culprits"]
    kl301 = [c for c in culprits if c["rule"] == "KL301"]
    assert {Path(c["path"]).name for c in kl301} == {"bad-mbr-over.elf", "bad-mbr-symbol.elf"}
    assert all("14 bytes past the mbr budget of 446 bytes" in c["message"] for c in kl301)
    adjusted = [f for f in run.findings if "adjusted to" in f["matched"]]
    assert adjusted and "moved it 14 bytes on to 0x7dcc" in adjusted[0]["message"]


@needs("as", "ld.lld")
def test_boot_sector_overlap_lld(tmp_path):
    _mbr_over(tmp_path)
    log = tool("ld.lld", "-m", "elf_i386", "-T", "mbr.ld", "-o", "over.elf", "big.o", cwd=tmp_path)
    run = explain_log(tmp_path, log, "--artifacts", SAMPLES / "kl301-boot-sector-overflow")
    found = only(run.findings, "KL107")
    kinds = [f["message"].split(" of ")[0] for f in found]
    assert kinds == [
        "The file ranges",
        "The virtual address ranges",
        "The load address ranges",
    ]
    assert ">>> .partition_table range is [0x7DBE, 0x7DFD]" in found[1]["matched"]
    assert any(c["rule"] == "KL301" for c in found[0]["culprits"])


@needs("as", "ld", "ld.lld")
def test_location_counter_backwards(tmp_path):
    sample = SAMPLES / "kl206-location-counter-backwards"
    assemble(tmp_path, "boot", (sample / "boot.s").read_text(), "--32")
    for name in ("bad-step-back.ld", "bad-swapped-offsets.ld"):
        shutil.copy(sample / name, tmp_path / name)
    log = tool("ld", "-m", "elf_i386", "-T", "bad-step-back.ld", "-o", "x", "boot.o", cwd=tmp_path)
    log += tool("ld.lld", "-T", "bad-swapped-offsets.ld", "-o", "y", "boot.o", cwd=tmp_path)
    run = explain_log(tmp_path, log, "--artifacts", sample)
    gnu, lld = only(run.findings, "KL206")[:2]
    assert "At bad-step-back.ld:20" in gnu["message"]
    assert "back 2 bytes, from 0x7e00 to 0x7dfe" in gnu["message"]
    (c,) = gnu["culprits"]
    assert c["path"].endswith("bad-step-back.ld") and c["location"]["line"] == 20
    assert "At bad-swapped-offsets.ld:20" in lld["message"] and "in .boot" in lld["message"]
    assert {c["path"].rsplit("/", 1)[1] for c in lld["culprits"]} == {"bad-swapped-offsets.ld"}


@needs("nasm")
def test_nasm_times_negative_points_at_the_budget(tmp_path):
    sample = (SAMPLES / "kl301-boot-sector-overflow" / "mbr.asm").read_text()
    src = sample.replace("times   510-($-$$) db 0", "times   446-($-$$) db 0", 1)
    assert src != sample
    (tmp_path / "mbr.asm").write_text(src)
    log = tool("nasm", "-f", "bin", "-DBIG", "-o", "mbr.bin", "mbr.asm", cwd=tmp_path)
    run = explain_log(tmp_path, log, "--artifacts", tmp_path / "mbr.asm")
    (f,) = run.findings
    assert f["rule"] == "KL301" and "came out at -14" in f["message"]
    assert "14 bytes longer" in f["message"]
    (c,) = f["culprits"]
    line = src.splitlines().index(next(t for t in src.splitlines() if "446-($-$$)" in t)) + 1
    assert c["location"]["line"] == line
    assert "pads to 446 bytes, but the code and data before it take 460" in c["message"]
    assert "partition table starts" in c["message"]


ASSERTS = """\
ENTRY(_start)
SECTIONS {
  . = 0x7c00;
  .text : { *(.text) }
  ASSERT(SIZEOF(.text) == 0, "boot sector code exceeds 446 bytes")
  .data : { *(.data) }
  . = ASSERT(. < 0x7c00, "location counter past the budget");
}
"""


@needs("as", "ld", "ld.lld")
def test_assert_messages_are_traced_to_the_script(tmp_path):
    assemble(tmp_path, "k", KERNEL)
    (tmp_path / "as.ld").write_text(ASSERTS)
    log = tool("ld", "--no-warn-rwx-segments", "-T", "as.ld", "-o", "a.elf", "k.o", cwd=tmp_path)
    log += tool("ld.lld", "-T", "as.ld", "-o", "b.elf", "k.o", cwd=tmp_path)
    bare = explain_log(tmp_path, log)
    assert bare.findings == []
    text = explain(tmp_path / "build.log").stdout
    assert "Nothing known" in text and "pass the script with --artifacts" in text
    run = explain_log(tmp_path, log, "--artifacts", tmp_path / "as.ld")
    found = only(run.findings, "KL209")
    assert len(found) == len([ln for ln in log.splitlines() if "exceeds" in ln or "past" in ln])
    for f in found:
        assert f["checked"] is checked("KL209")
        (c,) = [c for c in f["culprits"] if "ld printed its message" in c["message"]]
        assert c["path"] == str(tmp_path / "as.ld")
        expected = 5 if "exceeds" in f["matched"] else 7
        assert c["location"]["line"] == expected
    assert (
        'ASSERT(SIZEOF(.text) == 0, "boot sector code exceeds 446 bytes")'
        in (found[0]["culprits"][0]["message"])
    )


@needs("as", "ld", "ld.lld")
def test_missing_entry_is_kl203_an_undefined_named_entry_is_not(tmp_path):
    """`_start` in the message means nothing named an entry (KL203's cause); another
    name came from ENTRY() or -e, so the entry is named and its symbol is undefined:
    no rule checks that, so the line gets no rule (ClangBuiltLinux/linux#216 against
    mit-pdos/xv6-riscv#27)."""
    assemble(tmp_path, "ne", ".text\nfoo: ret\n")
    (tmp_path / "n.ld").write_text("SECTIONS { . = 1M; .text : { *(.text) } }\n")
    # GNU ld warns only without a script (ldlang.c lang_end: a script with no ENTRY()
    # is not warned about); ld.lld with the script too.
    log = tool("ld", "-Ttext", "0x100000", "-o", "a", "ne.o", cwd=tmp_path, ok=True)
    log += tool("ld.lld", "-T", "n.ld", "-o", "b", "ne.o", cwd=tmp_path, ok=True)
    assert "entry symbol _start; defaulting to 0000000000100000" in log
    gnu, lld = explain_log(tmp_path, log).findings
    assert gnu["rule"] == lld["rule"] == "KL203"
    assert "no `ENTRY()`" in gnu["message"] and "entry point to 0x100000" in gnu["message"]
    assert "left the entry point at 0" in lld["message"]
    (tmp_path / "e.ld").write_text("ENTRY(kmain)\nSECTIONS { . = 1M; .text : { *(.text) } }\n")
    log = tool("ld", "-T", "e.ld", "-o", "a", "ne.o", cwd=tmp_path, ok=True)
    log += tool("ld.lld", "-T", "e.ld", "-o", "b", "ne.o", cwd=tmp_path, ok=True)
    assert "cannot find entry symbol kmain" in log
    assert explain_log(tmp_path, log).findings == []


@needs("as", "ld", "ld.lld")
def test_orphans_are_pending_kl210(tmp_path):
    assemble(tmp_path, "k", KERNEL)
    (tmp_path / "o.ld").write_text("SECTIONS { . = 1M; .text : { *(.text) } }\n")
    log = tool("ld", "--orphan-handling=error", "-T", "o.ld", "-o", "a", "k.o", cwd=tmp_path)
    log += tool(
        "ld.lld", "--orphan-handling=warn", "-T", "o.ld", "-o", "b", "k.o", cwd=tmp_path, ok=True
    )
    run = explain_log(tmp_path, log)
    found = only(run.findings, "KL210")
    orphan_lines = [n for n, t in enumerate(log.splitlines(), 1) if "orphan" in t or "placed" in t]
    assert [f["location"]["line"] for f in found] == orphan_lines
    assert all(f["checked"] is checked("KL210") for f in found)
    assert any(".multiboot_header" in f["message"] for f in found)


@needs("as", "ld", "ld.lld")
def test_script_syntax_and_template_errors(tmp_path):
    assemble(tmp_path, "k", KERNEL)
    (tmp_path / "syn.ld").write_text("SECTIONS {\n  .text : { *(.text) }\n  // c\n}\n")
    (tmp_path / "at.ld").write_text("SECTIONS {\n  . = @BASE@;\n  .text : { *(.text) }\n}\n")
    (tmp_path / "und.ld").write_text(
        "MEMORY { RAM : ORIGIN = 0x100000, LENGTH = 1M }\n"
        "SECTIONS { .text : { *(.text) } > FLASH }\n"
    )
    log = ""
    for script in ("syn.ld", "at.ld", "und.ld"):
        log += tool("ld", "-T", script, "-o", "a", "k.o", cwd=tmp_path, ok=None)
        log += tool("ld.lld", "-T", script, "-o", "b", "k.o", cwd=tmp_path)
    run = explain_log(tmp_path, log, "--artifacts", tmp_path / "syn.ld")
    rules = [f["rule"] for f in run.findings]
    assert rules[:2] == ["KL002", "KL002"]
    assert {"KL212", "KL207"} <= set(rules)
    gnu_syntax = run.findings[0]
    assert "at syn.ld:4" in gnu_syntax["message"]
    (c,) = gnu_syntax["culprits"]  # KL002 on the script, where ld gave up too
    assert c["rule"] == "KL002" and c["location"]["line"] == 4
    kl212 = only(run.findings, "KL212")
    assert "`@` at at.ld:2" in kl212[0]["message"]
    kl207 = only(run.findings, "KL207")
    assert all("`FLASH`" in f["message"] for f in kl207)


@needs("as", "ld", "ld.lld")
def test_boot_header_dropped_by_gc_sections(tmp_path):
    assemble(tmp_path, "k", KERNEL)
    (tmp_path / "gc.ld").write_text(
        "ENTRY(_start)\nSECTIONS {\n . = 1M;\n .text : { *(.multiboot_header) *(.text) }\n}\n"
    )
    args = ("--gc-sections", "--print-gc-sections", "-T", "gc.ld", "k.o")
    log = tool("ld", *args, "-o", "a", cwd=tmp_path, ok=True)
    log += tool("ld.lld", *args, "-o", "b", cwd=tmp_path, ok=True)
    run = explain_log(tmp_path, log, "--artifacts", tmp_path / "gc.ld")
    found = only(run.findings, "KL202")
    assert len(found) == 2  # the header, not .data or .bss
    assert all("KEEP(*(.multiboot_header))" in f["message"] for f in found)
    assert found[0]["culprits"][0]["location"]["line"] == 4


@needs("as", "ld", "ld.lld", "gcc")
def test_pie_absolute_references(tmp_path):
    assemble(tmp_path, "pie", ".globl _start\n.text\n_start: movl $d, %eax\n.data\nd: .long 1\n")
    log = tool("ld", "-pie", "-o", "a", "pie.o", cwd=tmp_path)
    log += tool("ld.lld", "-pie", "-o", "b", "pie.o", cwd=tmp_path)
    log += tool("gcc", "-nostdlib", "-o", "c", "pie.o", cwd=tmp_path)  # gcc's default PIE
    run = explain_log(tmp_path, log)
    found = only(run.findings, "KL502")
    assert len(found) == 3 and all(f["checked"] is checked("KL502") for f in found)
    assert "pie.o stores section `.data`" in found[0]["message"]
    assert "-no-pie" in found[0]["message"]
    assert ">>> referenced by pie.o:(.text+0x1)" in found[1]["matched"]
    assert found[2]["matched"].startswith("/usr/bin/ld: ") or "ld: " in found[2]["matched"]
    assert "collect2" in log  # passed over: the driver's summary names no cause


@needs("as", "ld")
def test_allocated_section_outside_every_load_segment(tmp_path):
    assemble(tmp_path, "k", KERNEL)
    (tmp_path / "nis.ld").write_text(
        "PHDRS { text PT_LOAD; note PT_NOTE; }\nSECTIONS {\n . = 1M;\n"
        " .text : { *(.text) } :text\n .data : { *(.data) } :note\n}\n"
    )
    log = tool("ld", "-T", "nis.ld", "-o", "nis.elf", "k.o", cwd=tmp_path, ok=True)
    (f,) = only(explain_log(tmp_path, log, "--artifacts", tmp_path / "nis.elf").findings, "KL103")
    assert ".data is allocated" in f["message"]
    assert any(
        c["rule"] == "KL103" and c["location"].get("section") == ".data" for c in f["culprits"]
    )


def _rust_lld() -> Path | None:
    if shutil.which("rustc") is None:
        return None
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True)
    found = list(Path(sysroot.stdout.strip()).glob("lib/rustlib/*/bin/rust-lld"))
    return found[0] if found else None


RUST_MAIN = """\
#![no_std]
#![no_main]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }
#[no_mangle]
pub extern "C" fn _start() -> ! { loop {} }
"""


@pytest.mark.skipif(_rust_lld() is None, reason="needs rustc with rust-lld")
def test_rust_lld_inside_rustc_block(tmp_path):
    """rustc wraps rust-lld's output in `= note:` lines; cargo prints what rustc says."""
    (tmp_path / "main.rs").write_text(RUST_MAIN)
    script = "ENTRY(_start)\nSECTIONS {\n  . = 0x7c00;\n  .text : { *(.text .text.*) }\n"
    script += '  ASSERT(SIZEOF(.text) <= 1, "kernel text exceeds its budget")\n}\n'
    (tmp_path / "rs.ld").write_text(script)
    env = {**ENV, "PATH": f"{_rust_lld().parent}{os.pathsep}{ENV['PATH']}"}
    proc = subprocess.run(
        [
            *("rustc", "--edition", "2021", "-C", "panic=abort", "-C", "linker=rust-lld"),
            *("-C", "linker-flavor=ld.lld", "-C", "link-arg=-Trs.ld", "-o", "k.elf", "main.rs"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "linking with `rust-lld` failed" in proc.stderr
    assert "= note: rust-lld: error: kernel text exceeds its budget" in proc.stderr
    run = explain_log(tmp_path, proc.stderr, "--artifacts", tmp_path / "rs.ld")
    (f,) = run.findings
    assert f["rule"] == "KL209" and f["culprits"][0]["location"]["line"] == 5
    # The same toolchain's newer "unable to move location counter" form (KL206).
    sample = SAMPLES / "kl206-location-counter-backwards"
    assemble(tmp_path, "boot", (sample / "boot.s").read_text(), "--32")
    log = tool(
        _rust_lld(), "-flavor", "gnu", "-m", "elf_i386", "-T", sample / "bad-step-back.ld",
        "-o", "x", "boot.o", cwd=tmp_path,
    )  # fmt: skip
    (f,) = explain_log(tmp_path, log).findings
    assert f["rule"] == "KL206" and "back 2 bytes, from 0x7e00 to 0x7dfe" in f["message"]


@needs("qemu-system-x86_64")
def test_seabios_refuses_a_sector_without_signature(tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(512))
    console = tmp_path / "seabios.log"
    proc = subprocess.Popen(
        [
            *("qemu-system-x86_64", "-display", "none", "-nodefaults", "-m", "32"),
            *("-drive", f"file={disk},format=raw,if=ide", "-boot", "c"),
            *("-chardev", f"file,id=dbg,path={console}"),
            *("-device", "isa-debugcon,iobase=0x402,chardev=dbg"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if console.exists() and b"not a bootable disk" in console.read_bytes():
                break
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    log = console.read_bytes()
    assert b"Boot failed: not a bootable disk" in log
    path = tmp_path / "boot.log"
    path.write_bytes(log)
    run = explain(path, "--format", "json", "--artifacts", disk)
    assert run.code == 0
    (f,) = only(run.doc["findings"], "KL302")
    assert "no `55 AA` at bytes 510-511" in f["message"]
