# kl206: the boot sector's code grown past the partition table: 14 bytes of code
# and 440 bytes standing for the disk-reading routines a real first stage collects,
# 454 bytes in all where the script leaves 446 (`. = _boot_start + 0x1be`).
    .code16
    .section .boot, "ax", @progbits
    .globl _start
_start:
    cli
    xor     %ax, %ax
    mov     %ax, %ds
    mov     %ax, %ss
    mov     $0x7c00, %sp
    sti
1:  hlt
    jmp     1b
    .fill   440, 1, 0x90

    .section .ptable, "a", @progbits
    .zero   64

    .section .note.GNU-stack, "", @progbits
