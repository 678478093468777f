# A BIOS boot sector in GNU as (16-bit real mode): prints a line through the BIOS
# teletype service (int 0x10, AH=0x0e) and halts. The linker scripts place it at
# 0x7c00 and put the 55 AA signature at 0x7c00 + 510.
# --defsym BIG=1 adds a usage text: 460 bytes in all, 14 too many for an MBR (446)
# but within a raw sector's 510. --defsym HUGE=1 adds more: 582 bytes, past 510 too.
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
.ifdef HUGE
more:
    .ascii  "and a second paragraph of help that pushes the sector past 510 bytes:"
    .ascii  " the signature word no longer has a place of its own."
.endif
    .set    msg_len, . - msg
