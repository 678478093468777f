# A BIOS boot sector in GNU as (16-bit real mode): prints a line through the BIOS
# teletype service (int 0x10, AH=0x0e) and halts. The linker scripts place it at
# 0x7c00 and add the 55 AA signature, in the right place or not.
    .code16
    .section .text, "ax"
    .globl _start
_start:
    cli
    xor     %ax, %ax
    mov     %ax, %ds
    mov     %ax, %ss
    mov     $0x7c00, %sp
    sti
    mov     $msg, %si
    mov     $msg_len, %cx
1:  lodsb
    mov     $0x0e, %ah
    int     $0x10
    loop    1b
2:  hlt
    jmp     2b

    .section .rodata, "a"
msg:
    .ascii  "kernlint: boot sector ok\r\n"
    .set    msg_len, . - msg
