# A Multiboot 1 kernel (ELF32) with a 768 KiB early heap in .bss. Where it is
# loaded is up to the linker scripts.
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
        .globl  early_heap
early_heap:
        .skip   0xC0000                         # 768 KiB
