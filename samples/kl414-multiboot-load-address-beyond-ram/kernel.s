# A 32-bit higher-half Multiboot 1 kernel: linked to run at 3 GiB (or 2 GiB) once
# paging maps it there. Where it is *loaded* is up to the linker scripts.
#
# GRUB and QEMU -kernel enter it in 32-bit protected mode with paging off, at a
# physical address: the entry code (boot-ok.inc, no memory operand) runs wherever
# the bytes are. A real kernel would build page tables here and jump high.
        .include "../boot-ok.inc"

        .section .multiboot, "a"
        .balign 4
        .long   0x1BADB002, 0, -0x1BADB002      # magic, flags, checksum

        .text
        .code32
        .globl  _start
        .type   _start, @function
_start:
        KERNLINT_BOOT_OK 0x2BADB002
        .size   _start, . - _start

        .bss
        .balign 4096
        .globl  boot_stack
boot_stack:
        .skip   0x4000                          # 16 KiB
