// An arm64 kernel's entry: the boot loader jumps to its physical load address
// (0x40080000) with the MMU off, so it reaches its data PC-relatively (adr, adrp,
// ldr literal) and enters the kernel proper through an absolute address.
    .section .head.text, "ax"
    .globl _start
_start:
    adr     x0, boot_args           // R_AARCH64_ADR_PREL_LO21: ±1 MiB
    ldr     w1, boot_magic          // R_AARCH64_LD_PREL_LO19: ±1 MiB
    adrp    x2, init_pg_dir         // R_AARCH64_ADR_PREL_PG_HI21: ±4 GiB of pages
    cbz     w1, early_panic         // R_AARCH64_CONDBR19: ±1 MiB
    ldr     x8, =primary_switched   // R_AARCH64_ABS64 (a literal): any address
    br      x8

    .text
    .globl primary_switched
primary_switched:
    b       primary_switched
early_panic:
    wfe
    b       early_panic

    .data
    .balign 8
boot_args:
    .quad   0, 0, 0, 0
boot_magic:
    .word   0x644d5241              // "ARM\x64"

    .bss
    .balign 4096
init_pg_dir:
    .skip   4096
