"""Headers built byte by byte with :mod:`struct`, and tiny ELF kernels around them.

The builders follow the specs (Multiboot 0.6.96 §3.1, Multiboot2 2.0 §3.1) and let a
test break any field. :func:`kernel` links a header blob into a real ELF with GNU
as/ld (``.incbin``), so that the rules see what a linker writes.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

MB1_MAGIC = 0x1BADB002
MB2_MAGIC = 0xE85250D6


def mb1(
    flags: int = 0,
    checksum: int | None = None,
    aout: tuple[int, int, int, int, int] | None = None,
    video: tuple[int, int, int, int] | None = None,
) -> bytes:
    """A Multiboot 1 header: magic, ``flags``, ``checksum`` (right unless given), the
    a.out-kludge fields and the video fields when given (the flags bits are the
    caller's business)."""
    if checksum is None:
        checksum = -(MB1_MAGIC + flags) & 0xFFFFFFFF
    out = struct.pack("<3I", MB1_MAGIC, flags, checksum)
    if aout is not None or video is not None:
        out += struct.pack("<5I", *(aout or (0, 0, 0, 0, 0)))
    if video is not None:
        out += struct.pack("<4I", *video)
    return out


def tag(
    type_: int, *fields: int, flags: int = 0, size: int | None = None, pad: bool = True
) -> bytes:
    """A Multiboot 2 header tag: ``u16 type, u16 flags, u32 size`` and ``fields`` as u32,
    ``size`` right unless given, zero-padded to 8 bytes when ``pad``."""
    body = struct.pack(f"<{len(fields)}I", *fields)
    raw = struct.pack("<HHI", type_, flags, 8 + len(body) if size is None else size) + body
    return raw + bytes(-len(raw) % 8) if pad else raw


END = tag(0)


def mb2(
    *tags: bytes,
    arch: int = 0,
    length: int | None = None,
    checksum: int | None = None,
    end: bool = True,
) -> bytes:
    """A Multiboot 2 header with ``tags`` and (when ``end``) the end tag; ``length`` and
    ``checksum`` right unless given."""
    body = b"".join(tags) + (END if end else b"")
    if length is None:
        length = 16 + len(body)
    if checksum is None:
        checksum = -(MB2_MAGIC + arch + length) & 0xFFFFFFFF
    return struct.pack("<4I", MB2_MAGIC, arch, length, checksum) + body


def kernel(
    tmp_path: Path,
    header: bytes,
    *,
    name: str = "kernel",
    align: int = 8,
    before: int = 0,
    section_flags: str = "a",
    elf64: bool = False,
    phdrs: str = "",
    extra: str = "",
    placed: bool = True,
) -> Path:
    """Link ``header`` (in section ``.hdr``, ``align``-aligned, flags ``section_flags``)
    into an ELF kernel loaded at 1 MiB, after ``before`` bytes of code in ``.text``
    (0: the header comes first). ``phdrs`` is an optional PHDRS body (then everything
    goes to the first entry); ``extra`` is more assembly; ``placed=False`` leaves
    ``.hdr`` out of the script (an orphan, placed by ld after ``.text``). Returns the
    ELF's path."""
    (tmp_path / f"{name}.bin").write_bytes(header)
    (tmp_path / f"{name}.s").write_text(
        f"""\
        .section .hdr, "{section_flags}"
        .balign {align}
hdr:    .incbin "{name}.bin"
        .text
        .globl _start
_start: hlt
        jmp _start
        .section .big, "ax"
        .fill {before}, 1, 0x90
{extra}
"""
    )
    into = " :p0" if phdrs else ""
    script = f"""\
ENTRY(_start)
{"PHDRS { " + phdrs + " }" if phdrs else ""}
SECTIONS {{
  . = 1M;
  .text : {{ *(.big) {"KEEP(*(.hdr))" if placed else ""} *(.text) }}{into}
  /DISCARD/ : {{ *(.comment) *(.note.GNU-stack) *(.eh_frame) }}
}}
"""
    (tmp_path / f"{name}.ld").write_text(script)
    obj, elf = tmp_path / f"{name}.o", tmp_path / f"{name}.elf"
    run(["as", "--64" if elf64 else "--32", "-o", str(obj), f"{name}.s"], tmp_path)
    run(
        [
            "ld",
            "-m",
            "elf_x86_64" if elf64 else "elf_i386",
            "-nostdlib",
            "--build-id=none",
            "-z",
            "noexecstack",
            "-z",
            "max-page-size=0x1000",
            "-T",
            f"{name}.ld",
            "-o",
            str(elf),
            str(obj),
        ],
        tmp_path,
    )
    return elf


def run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"


def move_phdrs(elf: Path, offset: int) -> Path:
    """A copy of ``elf`` whose program header table is appended at file offset
    ``offset`` or later (zero padding before it), with ``e_phoff`` pointing at it: what
    patchelf or LIEF do when they add a segment. Writes ``NAME.far.elf``."""
    data = bytearray(elf.read_bytes())
    is64 = data[4] == 2
    fmt, at, ph_at = ("<Q", 32, 54) if is64 else ("<I", 28, 42)
    (phoff,) = struct.unpack_from(fmt, data, at)
    phentsize, phnum = struct.unpack_from("<HH", data, ph_at)
    table = bytes(data[phoff : phoff + phentsize * phnum])
    data += bytes(max(0, offset - len(data)))
    struct.pack_into(fmt, data, at, len(data))
    data += table
    out = elf.with_name(elf.stem + ".far.elf")
    out.write_bytes(bytes(data))
    return out


def findings(path: Path, rule: str, protocol: str | None = None) -> list:
    """Findings of ``rule`` on ``path``, in-process, with ``--boot-protocol protocol``."""
    from kernlint.config import Config
    from kernlint.engine import run as run_rules
    from kernlint.engine import select_rules

    return run_rules([str(path)], select_rules([rule]), Config(boot_protocol=protocol)).findings
