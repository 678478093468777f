"""Flat (non-ELF) kernels named with ``--boot-protocol multiboot1`` (issue #12, item 7).

A ``nasm -f bin`` kernel is loadable only through its Multiboot 1 header's a.out
kludge (flags bit 16, Multiboot Specification 0.6.96 §3.1.3). kernlint used to skip
such a file ("not recognised as an ELF file"); with the protocol named it now looks
for the header as the loaders do and reports what is missing (KL403) or what cannot
describe the load (KL404). Each kernel is assembled here with NASM and, where the
tools are installed, booted with QEMU ``-kernel`` and GRUB 2.06 ``multiboot``: the
loaders' messages below are what they printed (QEMU 7.2.22, grub-pc-bin 2.06).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.bootproto.build import run
from tests.conftest import kernlint, needs_toolchain
from tests.support import boot

pytestmark = needs_toolchain

#: The success convention of tests/support/boot.py in NASM: check the hand-off magic
#: in EAX, print the marker on COM1, leave through isa-debug-exit.
REPORT = """\
entry:
        cmp     eax, 0x2BADB002
        jne     .bad
        mov     esi, msg_ok
        mov     bl, 0x10
        jmp     .print
.bad:   mov     esi, msg_bad
        mov     bl, 0x11
.print: mov     dx, 0x3fd
.wait:  in      al, dx
        test    al, 0x20
        jz      .wait
        mov     dx, 0x3f8
        lodsb
        test    al, al
        jz      .done
        out     dx, al
        jmp     .print
.done:  mov     al, bl
        out     0xf4, al
.halt:  cli
        hlt
        jmp     .halt
msg_ok:  db "KERNLINT-BOOT-OK", 10, 0
msg_bad: db "KERNLINT-BOOT-BADMAGIC", 10, 0
"""

KLUDGE = """\
FLAGS   equ     1 << 16
header:
        dd      0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)
        dd      header                  ; header_addr
        dd      $$                      ; load_addr
        dd      {load_end}              ; load_end_addr
        dd      load_end + 0x1000       ; bss_end_addr
        dd      {entry}                 ; entry_addr
"""

KERNELS = {
    "good": KLUDGE.format(load_end="load_end", entry="entry"),
    "no-header": "",
    "no-kludge": "        dd      0x1BADB002, 0, -0x1BADB002\n",
    "bad-checksum": "        dd      0x1BADB002, 0x10000, 0x12345678\n",
    "entry-outside": KLUDGE.format(load_end="load_end", entry="entry + 0x2000"),
}


def build(tmp_path: Path, name: str) -> Path:
    """``name``'s kernel, assembled with ``nasm -f bin`` at 1 MiB."""
    source = f"bits 32\norg 0x100000\n{KERNELS[name]}{REPORT}load_end:\n"
    (tmp_path / f"{name}.asm").write_text(source)
    run(["nasm", "-f", "bin", "-o", f"{name}.bin", f"{name}.asm"], tmp_path)
    return tmp_path / f"{name}.bin"


def check(path: Path, *args: str):
    out = kernlint("check", "--format", "json", *args, str(path))
    assert out.code in (0, 1), out.stderr
    return out, [(f["rule"], f["severity"], f["message"]) for f in out.report["findings"]]


MB1 = ("--boot-protocol", "multiboot1")


def test_without_the_protocol_a_flat_file_is_skipped(tmp_path):
    path = build(tmp_path, "no-header")
    out, found = check(path)
    assert found == [] and "not recognised as an ELF file; skipped" in out.stdout


def test_good_kludge_header_is_clean(tmp_path):
    out, found = check(build(tmp_path, "good"), *MB1)
    assert found == [] and "not recognised" not in out.stdout


def test_no_header_is_kl403(tmp_path):
    (rule, severity, message), *rest = check(build(tmp_path, "no-header"), *MB1)[1]
    assert (rule, severity, rest) == ("KL403", "error", [])
    assert "flat (non-ELF) file" in message and "qemu: invalid kernel header" in message


def test_header_without_kludge_is_kl404(tmp_path):
    ((rule, _, message),) = check(build(tmp_path, "no-kludge"), *MB1)[1]
    assert rule == "KL404" and "without bit 16 (the a.out kludge)" in message
    assert "invalid arch-dependent ELF magic." in message


def test_bad_checksum_is_kl404(tmp_path):
    ((rule, _, message),) = check(build(tmp_path, "bad-checksum"), *MB1)[1]
    assert rule == "KL404" and "should be 0xe4514ffe" in message


def test_kludge_fields_are_checked_against_the_file(tmp_path):
    ((rule, _, message),) = check(build(tmp_path, "entry-outside"), *MB1)[1]
    assert rule == "KL404" and "entry_addr 0x102" in message and "outside the image" in message


def test_only_named_files_become_flat_kernels(tmp_path):
    """A folder walk never guesses: unrecognised files in it stay skipped."""
    build(tmp_path, "no-header")
    _, found = check(tmp_path, *MB1)
    assert not [f for f in found if f[0].startswith("KL4")]


def test_multiboot2_does_not_make_a_flat_kernel(tmp_path):
    out, found = check(build(tmp_path, "no-header"), "--boot-protocol", "multiboot2")
    assert found == [] and "not recognised as an ELF file" in out.stdout


# -- the loaders' verdicts --------------------------------------------------------------

needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None and not boot.os.environ.get("CI"),
    reason="qemu-system-x86_64 is not installed (sh tests/setup.sh)",
)

#: (kernel, QEMU -kernel, GRUB multiboot): the message or "booted"/"timeout".
LOADERS = [
    ("good", "booted", "booted"),
    ("no-header", "qemu: invalid kernel header", "error: no multiboot header found."),
    (
        "no-kludge",
        "qemu-system-x86_64: Error while loading elf kernel",
        "error: invalid arch-dependent ELF magic.",
    ),
    ("bad-checksum", "qemu: invalid kernel header", "error: no multiboot header found."),
]


@needs_qemu
@pytest.mark.parametrize(("name", "qemu", "grub"), LOADERS, ids=[r[0] for r in LOADERS])
def test_loaders_agree(tmp_path, name, qemu, grub):
    path = build(tmp_path, name)
    assert boot.qemu_kernel(path, timeout=5).outcome() == qemu
    assert boot.grub_boot(path, "multiboot", timeout=15).outcome() == grub
    _, found = check(path, *MB1)
    assert bool(found) == (qemu != "booted")
