# kl206: a BIOS boot sector. The code goes in `.boot`, the (empty) partition
# table in `.ptable`; the linker script places the table at offset 446 and the
# 0x55 0xAA signature at offset 510.
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

    .section .ptable, "a", @progbits
    .zero   64

    .section .note.GNU-stack, "", @progbits
