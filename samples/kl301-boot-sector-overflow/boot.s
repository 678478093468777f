# A BIOS boot sector in GNU as (16-bit real mode): prints a line through the BIOS
# teletype service (int 0x10, AH=0x0e) and halts. The linker scripts place it at
# 0x7c00 and add the partition table and the 55 AA signature.
# Built with --defsym BIG=1, it carries a long usage text: 14 bytes too many for an MBR.
    .code16
    .section .text, "ax"
    .globl _start
_start:
    cli
    xor     %ax, %ax
    mov     %ax, %ds
    mov     %ax, %es
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
.ifdef BIG
usage:
    .ascii  "usage: this boot sector prints a line and halts; it carries this long text"
    .ascii  " to show what happens when messages grow: the code and data no longer fit"
    .ascii  " in the 446 bytes an MBR leaves before its partition table at 0x1be, and"
    .ascii  " the partition table that fdisk writes later overwrites the last bytes of"
    .ascii  " this text.            "
    .ascii  " It also explains the layout: code first, then the table, then 55 AA at the very end.     "
.endif
    .set    msg_len, . - msg
