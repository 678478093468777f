"""Tiny test kernels for the boot harness, assembled and linked with GNU as/ld.

Each kernel is a Multiboot 1/2 header (or none, or a Xen PVH note) plus an entry
point that runs ``samples/boot-ok.inc``'s check of the hand-off magic (see the
convention in :mod:`tests.support.boot`). They are built in a temporary directory at
test time; nothing here is committed as a binary.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

BOOT_OK_INC = SAMPLES / "boot-ok.inc"

MB1_MAGIC = 0x2BADB002
MB2_MAGIC = 0x36D76289

#: Multiboot 1 header: magic, flags 0, checksum (spec §3.1.1), 4-byte aligned.
MB1_HEADER = """\
.section .mbhdr1, "a"
.balign 4
.long 0x1BADB002, 0, -0x1BADB002
"""

#: Multiboot 2 header with only the end tag (spec §3.1.1-3.1.3), 8-byte aligned.
MB2_HEADER = """\
.section .mbhdr2, "a"
.balign 8
mb2_start:
.long 0xE85250D6, 0, mb2_end - mb2_start, -(0xE85250D6 + (mb2_end - mb2_start))
.short 0, 0
.long 8
mb2_end:
"""

#: Xen PVH note: name "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY), desc = 32-bit entry.
PVH_NOTE = """\
.section .note.Xen, "a", @note
.balign 4
.long 4, 4, 18
.asciz "Xen"
.long _start
"""


def entry(check: str) -> str:
    """The ``_start`` routine: ``check`` is ``KERNLINT_BOOT_OK 0x...`` or
    ``KERNLINT_BOOT_OK_PVH`` or any other 32-bit code."""
    return f"""\
.text
.code32
.globl _start
_start:
\t{check}
"""


#: Link script: everything at 1 MiB, headers first (within the 8 KiB / 32 KiB windows).
LINK_SCRIPT = """\
ENTRY(_start)
SECTIONS {
  . = 1M;
  .text : { KEEP(*(.mbhdr1)) KEEP(*(.mbhdr2)) *(.text) }
  .note : { KEEP(*(.note.Xen)) }
}
"""


def mb1_header(flags: int = 0, checksum_delta: int = 0, tail: str = "") -> str:
    """A Multiboot 1 header in section ``.mbhdr1``: magic, ``flags``, checksum (plus
    ``checksum_delta`` to break it), then ``tail`` (a.out-kludge fields)."""
    return f"""\
.section .mbhdr1, "a"
.balign 4
mb1_hdr:
.long 0x1BADB002, {flags:#x}, -(0x1BADB002 + {flags:#x}) + {checksum_delta}
{tail}
"""


def mb2_header(tags: str = "", arch: int = 0, checksum_delta: int = 0) -> str:
    """A Multiboot 2 header in section ``.mbhdr2``: the four fixed fields (``arch``;
    checksum plus ``checksum_delta``), the ``tags`` given (GNU as text, each tag's
    size right), then the end tag, each 8-byte aligned."""
    return f"""\
.section .mbhdr2, "a"
.balign 8
mb2_start:
.long 0xE85250D6, {arch}, mb2_end - mb2_start
.long -(0xE85250D6 + {arch} + (mb2_end - mb2_start)) + {checksum_delta}
{tags}
.balign 8
.short 0, 0
.long 8
mb2_end:
"""


#: Puts a big ``.big`` section before the headers (header pushed out of the window).
BIG_FIRST_SCRIPT = """\
ENTRY(_start)
SECTIONS { . = 1M; .text : { *(.big) KEEP(*(.mbhdr1)) KEEP(*(.mbhdr2)) *(.text) } }
"""
#: With a ``.data`` output section (for kernels holding an absolute pointer).
DATA_SCRIPT = LINK_SCRIPT.replace(".note :", ".data : { *(.data) }\n  .note :")


def big(size: int) -> str:
    """``size`` bytes of ``nop`` in section ``.big``."""
    return f'.section .big, "ax"\n.fill {size}, 1, 0x90\n'


def higher_half(address: int, at: bool, header: str = ".mbhdr2", phdrs: str = "") -> str:
    """A script linking ``.text`` at virtual ``address``, loaded at 1 MiB when ``at``
    (``AT(0x100000)``), else at ``address`` too; ``phdrs`` is an optional PHDRS
    command (then ``.text`` goes to ``:text``)."""
    load = " AT(0x100000)" if at else ""
    into = " :text" if phdrs else ""
    return f"""\
ENTRY(_start)
{phdrs}
SECTIONS {{ . = {address:#x}; .text :{load} {{ KEEP(*({header})) *(.text) }}{into} }}
"""


def far_phdrs(elf: Path, offset: int = 40000) -> Path:
    """Copy the program header table of ELF32/ELF64 ``elf`` to the end of the file,
    padded to at least ``offset`` bytes, and point ``e_phoff`` at the copy (past
    both Multiboot search windows, 8 KiB and 32 KiB). Writes ``NAME.patched.elf``."""
    data = bytearray(elf.read_bytes())
    is64 = data[4] == 2
    phoff_fmt, phoff_at, ph_at = ("<Q", 32, 54) if is64 else ("<I", 28, 42)
    (phoff,) = struct.unpack_from(phoff_fmt, data, phoff_at)
    phentsize, phnum = struct.unpack_from("<HH", data, ph_at)
    table = bytes(data[phoff : phoff + phentsize * phnum])
    data += bytes(max(0, offset - len(data)))
    struct.pack_into(phoff_fmt, data, phoff_at, len(data))
    data += table
    out = elf.with_name(elf.stem + ".patched.elf")
    out.write_bytes(data)
    return out


@dataclass(frozen=True)
class Kernel:
    """How to build one test kernel: GNU as ``source`` (``boot-ok.inc`` included
    first), ELF64 or ELF32, link ``script`` and extra ``ld_flags``, and an optional
    ``post`` step turning the linked ELF into the file to boot."""

    source: str
    elf64: bool = False
    script: str = LINK_SCRIPT
    ld_flags: tuple[str, ...] = ()
    post: Callable[[Path], Path] | None = None


OK_MB1 = entry(f"KERNLINT_BOOT_OK {MB1_MAGIC:#x}")
OK_MB2 = entry(f"KERNLINT_BOOT_OK {MB2_MAGIC:#x}")
#: Reads one byte through an absolute address (``movb msg, %al``), prints it, then
#: reports: after GRUB moves a relocatable image, the byte comes from the link address.
ABSOLUTE_READ = f"""\
.text
.code32
.globl _start
_start:
\tmovl %eax, %edi
\tmovb msg, %al
\tKERNLINT_COM1_PUTC_AL
\tKERNLINT_COM1_BYTES 0x0a
\tmovl %edi, %eax
\tKERNLINT_BOOT_OK {MB2_MAGIC:#x}
msg: .ascii "X"
"""
#: Relocatable tag (type 10): min 2 MiB, max 4 MiB, align 4 KiB, preference lowest.
RELOCATABLE_TAG = ".short 10, 0\n.long 24, 0x200000, 0x400000, 4096, 1"

KERNELS: dict[str, Kernel] = {
    # The harness's own proofs (test_harness.py).
    "mb1-elf32": Kernel(MB1_HEADER + OK_MB1),
    "mb2-elf32": Kernel(MB2_HEADER + OK_MB2),
    "mb2-elf64": Kernel(MB2_HEADER + OK_MB2, elf64=True),
    "mb1-elf64": Kernel(MB1_HEADER + OK_MB1, elf64=True),
    "no-header": Kernel(OK_MB1),
    # Both headers, but it insists on the Multiboot 2 magic: a Multiboot 1 hand-off
    # must be reported as a wrong-protocol boot.
    "mb1mb2-wants-mb2": Kernel(MB1_HEADER + MB2_HEADER + OK_MB2),
    "pvh-elf32": Kernel(PVH_NOTE + entry("KERNLINT_BOOT_OK_PVH")),
    # Boots but never reports: exercises the timeout.
    "mb1-hang": Kernel(MB1_HEADER + entry("1: hlt\n\tjmp 1b")),
    # One loader fact each (test_loader_facts.py).
    "mb2-past-32k": Kernel(big(40000) + mb2_header() + OK_MB2, script=BIG_FIRST_SCRIPT),
    "mb2-within-32k": Kernel(big(30000) + mb2_header() + OK_MB2, script=BIG_FIRST_SCRIPT),
    "mb2-bad-checksum": Kernel(mb2_header(checksum_delta=1) + OK_MB2),
    "mb2-arch4": Kernel(mb2_header(arch=4) + OK_MB2),
    "mb2-unknown-tag": Kernel(mb2_header(".short 11, 0\n.long 8") + OK_MB2),
    "mb2-unknown-optional-tag": Kernel(mb2_header(".short 11, 1\n.long 8") + OK_MB2),
    "mb2-address-no-entry": Kernel(
        mb2_header(".short 2, 0\n.long 24, mb2_start, 0x100000, 0, 0") + OK_MB2
    ),
    "mb2-relocatable-range": Kernel(
        mb2_header(".short 10, 0\n.long 24, 0x200000, 0x200010, 4096, 0") + OK_MB2
    ),
    "mb2-relocatable-absolute": Kernel(mb2_header(RELOCATABLE_TAG) + ABSOLUTE_READ),
    "mb2-absolute": Kernel(mb2_header() + ABSOLUTE_READ),  # its control: not moved
    "mb1-past-8k": Kernel(big(9000) + mb1_header() + OK_MB1, script=BIG_FIRST_SCRIPT),
    "mb1-bad-checksum": Kernel(mb1_header(checksum_delta=1) + OK_MB1),
    "mb1-flag8": Kernel(mb1_header(flags=8) + OK_MB1),
    "mb1-flags-b": Kernel(mb1_header(flags=0xB) + OK_MB1),
    "mb1-elf64-aout-kludge": Kernel(
        mb1_header(0x10000, tail=".long mb1_hdr, 0x100000, _edata, _end, _start") + OK_MB1,
        elf64=True,
        script=LINK_SCRIPT.replace(".note : { KEEP(*(.note.Xen)) }", "_edata = .; _end = .;"),
    ),
    "mb2-emit-relocs": Kernel(
        mb2_header() + OK_MB2 + ".data\nptr: .quad _start\n",
        elf64=True,
        script=DATA_SCRIPT,
        ld_flags=("--emit-relocs",),
    ),
    "mb2-pie-rela": Kernel(
        mb2_header() + OK_MB2 + ".data\nptr: .quad _start\n",
        elf64=True,
        script="",  # no script: ld's default, with -Ttext
        ld_flags=("-pie", "--no-dynamic-linker", "-Ttext=0x100000", "-e", "_start"),
    ),
    "mb2-higher-half-no-at": Kernel(
        mb2_header() + OK_MB2, elf64=True, script=higher_half(0xFFFFFFFF80100000, at=False)
    ),
    "mb2-higher-half-at": Kernel(
        mb2_header() + OK_MB2, elf64=True, script=higher_half(0xFFFFFFFF80100000, at=True)
    ),
    "mb2-entry-outside": Kernel(mb2_header() + OK_MB2, ld_flags=("-e", "0x500000")),
    "mb1-entry-outside": Kernel(mb1_header() + OK_MB1, ld_flags=("-e", "0x500000")),
    # ELF32 higher half, AT() to 1 MiB, but the one PT_LOAD is R only (no PF_X).
    "mb1-higher-half-not-x": Kernel(
        mb1_header() + OK_MB1,
        script=higher_half(0xC0100000, True, ".mbhdr1", "PHDRS { text PT_LOAD FLAGS(4); }"),
    ),
    "mb2-phdrs-far": Kernel(mb2_header() + OK_MB2, post=far_phdrs),
    "mb1-phdrs-far": Kernel(mb1_header() + OK_MB1, post=far_phdrs),
    "pvh-entry-outside": Kernel(
        PVH_NOTE.replace(".long _start", ".long 0x500000") + entry("KERNLINT_BOOT_OK_PVH")
    ),
    "pvh-note-not-allocated": Kernel(
        PVH_NOTE.replace('"a", @note', '"", @note') + entry("KERNLINT_BOOT_OK_PVH")
    ),
}


def have_binutils() -> bool:
    return all(shutil.which(t) for t in ("as", "ld"))


def require_binutils() -> None:
    """Skip without GNU as/ld, except on CI (``CI`` set) where they must exist."""
    if not have_binutils() and not os.environ.get("CI"):
        pytest.skip("GNU as and ld are needed (sh tests/setup.sh installs binutils)")


def build(name: str, out_dir: Path) -> Path:
    """Build kernel ``name`` of :data:`KERNELS` in ``out_dir``; the file to boot
    (``NAME.elf``, or what its ``post`` step made). ``NAME.o`` stays beside it."""
    k = KERNELS[name]
    elf = assemble(name, k.source, out_dir, elf64=k.elf64, script=k.script, ld_flags=k.ld_flags)
    return k.post(elf) if k.post else elf


def assemble(
    name: str,
    source: str,
    out_dir: Path,
    *,
    elf64: bool = False,
    script: str = LINK_SCRIPT,
    ld_flags: tuple[str, ...] = (),
) -> Path:
    """Assemble ``source`` (GNU as, AT&T; ``boot-ok.inc`` is included first) and link
    it with ``script`` and ``ld_flags`` into ``out_dir/NAME.elf``; ``elf64`` selects
    ``--64``/``elf_x86_64`` over ``--32``/``elf_i386``; an empty ``script`` links
    with ld's default script."""
    src = out_dir / f"{name}.s"
    obj = out_dir / f"{name}.o"
    elf = out_dir / f"{name}.elf"
    lds = out_dir / f"{name}.ld"
    src.write_text(f'.include "{BOOT_OK_INC.name}"\n{source}')
    lds.write_text(script)
    as_mode, ld_mode = ("--64", "elf_x86_64") if elf64 else ("--32", "elf_i386")
    link_script = ["-T", str(lds)] if script else []
    for cmd in (
        ["as", as_mode, "-I", str(BOOT_OK_INC.parent), "-o", str(obj), str(src)],
        ["ld", "-m", ld_mode, "-n", *ld_flags, *link_script, "-o", str(elf), str(obj)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return elf
