"""Issue #16's messages printed by the real tools, explained: QEMU's one message for
three images (decided by ``--artifacts``), GNU ld's "shared object" relocation error,
ld.lld's relocation error in a demangled C++ function, NASM's `.bss:` typo.

Each builds its input in ``tmp_path`` or boots a committed sample, runs the tool,
asserts what the tool printed, then what ``kernlint explain`` makes of it."""

from __future__ import annotations

import subprocess

import pytest

from tests.explain.conftest import ENV, SAMPLES, assemble, explain, explain_log, needs, tool

PVH_LINE = "Error loading uncompressed kernel without PVH ELF Note"


def _qemu_kernel(image) -> str:
    """What ``qemu-system-x86_64 -kernel image`` prints when it refuses the image."""
    cmd = ["qemu-system-x86_64", "-display", "none", "-nodefaults", "-no-reboot"]
    proc = subprocess.run(
        [*cmd, "-serial", "none", "-kernel", str(image)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert proc.returncode != 0, proc.stderr
    return proc.stderr


@needs("qemu-system-x86_64")
@pytest.mark.parametrize(
    ("image", "rule"),
    [
        ("kl408-multiboot-qemu-unloadable/bad-mb2-only.elf", "KL408"),
        ("kl403-multiboot1-header-missing/bad-header-past-8k.elf", "KL403"),
        ("kl404-multiboot1-header-invalid/bad-checksum.elf", "KL404"),
    ],
)
def test_qemus_pvh_message_is_decided_by_the_image(tmp_path, image, rule):
    log = _qemu_kernel(SAMPLES / image)
    assert f"qemu-system-x86_64: {PVH_LINE}" in log
    (alone,) = {
        f["rule"] for f in explain_log(tmp_path, log, "--artifacts", SAMPLES / image).findings
    }
    assert alone == rule
    # Without the image: every candidate, each finding saying it is one of them.
    found = explain_log(tmp_path, log).findings
    assert [f["rule"] for f in found] == ["KL411", "KL403", "KL404", "KL408"]
    assert all(f["message"].startswith("One of 4 causes") for f in found)
    text = explain(tmp_path / "build.log").stdout
    assert "pass the image with --artifacts to tell which" in text
    decided = explain(tmp_path / "build.log", "--artifacts", SAMPLES / image).stdout
    assert "(shown by the artifacts)" in decided and f"rule {rule} " in decided


@needs("qemu-system-x86_64")
def test_an_image_that_shows_none_of_the_causes_names_no_rule(tmp_path):
    """A good Multiboot 1 ELF32 loads; its log line, pasted against it, is no rule's."""
    log = f"qemu-system-x86_64: {PVH_LINE}\n"
    good = SAMPLES / "kl408-multiboot-qemu-unloadable" / "good-mb1-elf32.elf"
    run = explain_log(tmp_path, log, "--artifacts", good)
    assert run.findings == []
    text = explain(tmp_path / "build.log", "--artifacts", good).stdout
    assert "none of KL411 pvh-entry-invalid" in text and "no rule." in text


@needs("as", "ld")
def test_gnu_ld_shared_object_relocation_is_kl502(tmp_path):
    assemble(tmp_path, "abs", "    .text\n    .globl f\nf:  movl $d, %eax\n    .data\nd: .long 1\n")
    log = tool("ld", "-shared", "-o", "abs.so", "abs.o", cwd=tmp_path)
    assert "can not be used when making a shared object" in log
    (f,) = explain_log(tmp_path, log).findings
    assert f["rule"] == "KL502"
    assert "abs.o stores section `.data` in a 32-bit absolute field" in f["message"]


@needs("g++", "ld.lld")
def test_lld_relocation_in_a_demangled_cpp_function_is_kl501(tmp_path):
    """ld.lld names the function as demangled (`ns::f<int>(int)`), spaces and `::`
    included; the line used to go unexplained."""
    (tmp_path / "k.cc").write_text(
        "extern char far_data[];\nnamespace ns {\ntemplate <class T> long f(T) {"
        " return (long)(unsigned)(unsigned long)far_data; }\n"
        "template long f<int>(int);\n}\n"
    )
    subprocess.run(
        ["g++", "-O1", "-fno-pic", "-mcmodel=small", "-c", "k.cc"],
        cwd=tmp_path,
        check=True,
        env=ENV,
    )
    assemble(tmp_path, "far", '    .section .far, "aw"\n    .globl far_data\nfar_data: .byte 1\n')
    (tmp_path / "k.ld").write_text(
        "SECTIONS { . = 0x100000; .text : { *(.text*) }"
        " .far 0xffffffff80000000 : AT(0x200000) { *(.far) } }\n"
    )
    log = tool("ld.lld", "-T", "k.ld", "-o", "k.elf", "k.o", "far.o", cwd=tmp_path)
    assert "(function long ns::f<int>(int): .text" in log
    (f,) = [f for f in explain_log(tmp_path, log).findings if f["rule"] == "KL501"]
    assert "in function `long ns::f<int>(int)`" in f["message"]
    assert "-mcmodel=kernel" in f["message"]


@needs("nasm", "ld")
def test_nasm_bss_colon_typo_is_an_orphan(tmp_path):
    (tmp_path / "k.asm").write_text(
        "section .text\nglobal _start\n_start: hlt\nsection .bss:\nstack: resb 64\n"
    )
    (tmp_path / "k.ld").write_text(
        "ENTRY(_start)\nSECTIONS { . = 1M; .text : { *(.text) } .bss : { *(.bss) } }\n"
    )
    log = tool("nasm", "-f", "elf32", "-o", "k.o", "k.asm", cwd=tmp_path, ok=True)
    log += tool(
        *("ld", "-m", "elf_i386", "--orphan-handling=warn", "-T", "k.ld", "-o", "k.elf"),
        "k.o",
        cwd=tmp_path,
        ok=True,
    )
    assert "non-BSS section `.bss:': zeroing" in log
    assert "orphan section `.bss:'" in log
    by_line = {f["matched"]: f for f in explain_log(tmp_path, log).findings}
    (nasm,) = [f for m, f in by_line.items() if "zeroing" in m]
    (ld,) = [f for m, f in by_line.items() if "orphan section `.bss:'" in m]
    assert nasm["rule"] == ld["rule"] == "KL210"
    assert "drop the colon" in nasm["message"] and "section .bss:" in ld["message"]


@needs("as", "ld", "ld.lld")
def test_header_room_errors_name_no_rule(tmp_path):
    """`FILEHDR PHDRS` in a segment that starts 16 bytes into the address space: no
    room for the headers. No rule checks that (tf-issues#675, rpi2-hyp-boot#5 hit it
    with -pie), so explain names none rather than a wrong one."""
    assemble(tmp_path, "a", "    .text\n    .globl _start\n_start: ret\n")
    (tmp_path / "s.ld").write_text(
        "ENTRY(_start)\nPHDRS { text PT_LOAD FILEHDR PHDRS; }\n"
        "SECTIONS { . = 0x10; .text : { *(.text) } :text }\n"
    )
    log = tool("ld", "-T", "s.ld", "-o", "a.elf", "a.o", cwd=tmp_path)
    log += tool("ld.lld", "-T", "s.ld", "-o", "b.elf", "a.o", cwd=tmp_path)
    assert "not enough room for program headers, try linking with -N" in log
    assert "ld.lld: error: could not allocate headers" in log
    assert explain_log(tmp_path, log).findings == []
