# kl211: a BIOS boot sector; the linker script pads it and adds the 0x55 0xAA
# signature at offset 510.
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

    .section .note.GNU-stack, "", @progbits
