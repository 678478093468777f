"""Reproductions (written for kernlint, assembled and linked here with GNU as/ld
2.40) of real-mode ELF shapes that are not BIOS boot sectors, or are not only that:
the shapes of Linux's x86 ``realmode.elf`` and ``setup.elf`` and of a boot sector
built the xv6 way (linked at 0x7c00, only ``.text`` extracted, the signature
appended by a later step). None of them is third-party code."""

from __future__ import annotations

import subprocess
from pathlib import Path

#: A real-mode trampoline blob shaped like Linux's ``realmode.elf``: a header of
#: pointers at 0, 16-bit code further on, and a 4-byte integrity marker in
#: ``.signature`` at the end (the kernel compares it before using the blob).
REALMODE_S = """\
\t.section .header, "a"
\t.long\ttramp_start
\t.long\ttramp_end
\t.long\t0
\t.section .text16, "ax"
\t.code16
tramp_start:
\tcli
\tmovw\t%cs, %ax
\tmovw\t%ax, %ds
\tlgdtl\tgdt_ptr
\thlt
tramp_end:
\t.section .rodata, "a"
gdt_ptr:
\t.word 0
\t.long 0
\t.fill 600, 1, 0
\t.section .signature, "a"
\t.long\t0x65a22c82
"""
REALMODE_LD = """\
SECTIONS {
\t. = 0;
\t.header : { *(.header) }
\t. = ALIGN(4);
\t.rodata : { *(.rodata*) }
\t. = ALIGN(4096);
\t.text : { *(.text16) }
\t. = ALIGN(4);
\t.signature : { *(.signature) }
\t/DISCARD/ : { *(.note*) }
}
"""

#: Shaped like Linux's ``setup.elf`` (the x86 boot protocol's real-mode part): an
#: MZ stub at 0 (``stub``), the setup header at 0x1f1 with ``boot_flag`` 0xAA55 at
#: 0x1fe, the entry ``_start`` (a 2-byte jump, in the ``"a"`` section ``.header``) at
#: 0x200, code after it, and a 4-byte setup signature (bytes 55 AA 5A 5A) at the end.
SETUP_S = """\
\t.code16
\t.section .bstext, "ax"
{stub}
\t.org 0x3c
\t.long 0
\t.section .header, "a"
sentinel: .byte 0xff, 0xff
\t.globl hdr
hdr:\t.byte 0
\t.word 1
\t.long 0
\t.word 0, 0xffff, 0
boot_flag: .word 0xAA55
\t.globl _start
_start:\t.byte 0xeb, start_of_setup - 1f
1:\t.ascii "HdrS"
\t.word 0x020f
\t.section .entrytext, "ax"
start_of_setup:
\tmovw %ds, %ax
\tmovw %ax, %es
\tcmpl $0x5a5aaa55, setup_sig
\thlt
\t.text
\t.fill 700, 1, 0x90
"""
#: Linux 6.7 and later: only the MZ/PE stub in front.
MZ_STUB = "\t.byte 0x4d, 0x5a"
#: Linux before 6.7: a legacy boot sector that prints "use a boot loader" and reboots.
LEGACY_STUB = "\tljmp $0x07c0, $start2\nstart2:\tmovw %cs, %ax\n\tint $0x19"
SETUP_LD = """\
ENTRY(_start)
SECTIONS {
\t. = 0;
\t.bstext : { *(.bstext) }
\t. = 495;
\t.header : { *(.header) }
\t.entrytext : { *(.entrytext) }
\t.text : { *(.text) }
\t.signature : { setup_sig = .; LONG(0x5a5aaa55) }
\t. = ALIGN(16);
\t.bss : { *(.bss) }
\t/DISCARD/ : { *(.note*) }
\t. = ASSERT(hdr == 0x1f1, "The setup header has the wrong offset!");
}
"""


def run(*cmd: str) -> subprocess.CompletedProcess:
    """Run one tool; fail with its stderr."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return proc


def link(
    out: Path, name: str, source: str, script: str | None, *ld_args: str, code16: bool = False
) -> Path:
    """Assemble ``source`` (GNU as, 32-bit; ``code16`` prepends ``.code16``) and link
    it with ``script`` (None: ld's default) and ``ld_args`` (``-m elf_i386``) into
    ``out/NAME.elf``; ``NAME.o`` stays beside it."""
    src, obj, elf = out / f"{name}.s", out / f"{name}.o", out / f"{name}.elf"
    src.write_text((".code16\n" if code16 else "") + source)
    run("as", "--32", "-o", str(obj), str(src))
    args = list(ld_args)
    if script is not None:
        lds = out / f"{name}.ld"
        lds.write_text(script)
        args += ["-T", str(lds)]
    run("ld", "-m", "elf_i386", *args, "-o", str(elf), str(obj))
    return elf


def realmode(out: Path) -> Path:
    """The ``realmode.elf`` shape."""
    return link(out, "realmode", REALMODE_S, REALMODE_LD)


def setup(out: Path, legacy: bool = False) -> Path:
    """The ``setup.elf`` shape: with the MZ stub (Linux >= 6.7), or with the legacy
    boot sector's ``ljmp $0x07c0`` (``legacy``)."""
    stub = LEGACY_STUB if legacy else MZ_STUB
    return link(out, "setup-legacy" if legacy else "setup", SETUP_S.format(stub=stub), SETUP_LD)


#: Boot code of a sector whose build appends the signature (the xv6 way): real mode
#: at 0x7c00, prints "OK" on COM1 and leaves QEMU through isa-debug-exit (status
#: 33), then calls C code; ``PAD`` bytes of ``nop`` make it as long as a test needs.
XV6_BOOTASM_S = """\
\t.include "boot-ok.inc"
\t.code16
\t.globl start
start:
\tcli
\txorw %ax, %ax
\tmovw %ax, %ds
\tKERNLINT_COM1_BYTES 0x4f, 0x4b, 0x0a
\tKERNLINT_QEMU_EXIT 0x10
\tcalll bootmain
1:\thlt
\tjmp 1b
\t.fill PAD, 1, 0x90
"""
#: Its C part: GCC's default -fasynchronous-unwind-tables gives it an `.eh_frame`.
XV6_BOOTMAIN_C = """\
static inline void outb(unsigned short port, unsigned char v)
{
\t__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
void bootmain(void)
{
\tfor (int i = 0; i < 4; i++)
\t\toutb(0x3f8, 'm' + i);
}
"""


def xv6_sector(out: Path, pad: int) -> tuple[Path, Path | None]:
    """Build the xv6-style sector with ``pad`` bytes of padding: GNU as + gcc -m32,
    ``ld -N -e start -Ttext 0x7C00`` into ``bootblock-PAD.o`` (an ET_EXEC despite
    the name, as in xv6), then ``objcopy -S -O binary -j .text``, padded to 510 bytes
    and signed with ``55 AA``. Returns the ELF and the signed sector (None when the
    code is longer than 510 bytes: xv6's ``sign.pl`` refuses it)."""
    from tests.boot.kernels import BOOT_OK_INC

    asm, c = out / f"bootasm-{pad}.S", out / "bootmain.c"
    asm.write_text(XV6_BOOTASM_S)
    c.write_text(XV6_BOOTMAIN_C)
    aso, co = out / f"bootasm-{pad}.o", out / "bootmain.o"
    run(
        "as", "--32", "-I", str(BOOT_OK_INC.parent), f"--defsym=PAD={pad}", "-o", str(aso), str(asm)
    )
    run(
        "gcc",
        "-m32",
        "-Os",
        "-falign-functions=1",
        "-fno-pic",
        "-ffreestanding",
        "-fno-stack-protector",
        "-c",
        "-o",
        str(co),
        str(c),
    )
    elf = out / f"bootblock-{pad}.o"
    run(
        "ld",
        "-m",
        "elf_i386",
        "-N",
        "-e",
        "start",
        "-Ttext",
        "0x7C00",
        "-o",
        str(elf),
        str(aso),
        str(co),
    )
    flat = out / f"bootblock-{pad}"
    run("objcopy", "-S", "-O", "binary", "-j", ".text", str(elf), str(flat))
    code = flat.read_bytes()
    if len(code) > 510:
        return elf, None
    flat.write_bytes(code + bytes(510 - len(code)) + b"\x55\xaa")
    return elf, flat


def boot_sector(disk: Path, timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Boot ``disk`` (a raw image whose first sector is the boot sector) with SeaBIOS in
    QEMU; status 33 means the sector ran and wrote 0x10 to isa-debug-exit."""
    from tests.support import boot

    boot.require()
    cmd = [
        boot.QEMU,
        "-nodefaults",
        "-accel",
        "tcg",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-drive",
        f"format=raw,file={disk}",
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
