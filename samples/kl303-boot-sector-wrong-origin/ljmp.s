# A boot sector linked at 0 that first sets up segment 0x07c0: `ljmp $0x07c0, $go`
# makes %cs 0x07c0, so offsets from 0 in that segment are the addresses the BIOS
# loaded it at (0x7c00 + offset).
    .code16
    .section .text, "ax"
    .globl _start
_start:
    ljmp    $0x07c0, $go
go:
    cli
    mov     %cs, %ax
    mov     %ax, %ds
    mov     %ax, %ss
    xor     %sp, %sp
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
