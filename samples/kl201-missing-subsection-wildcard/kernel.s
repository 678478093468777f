# kl201: what `-ffunction-sections -fdata-sections` (and rustc, always) hand the
# linker: one section per function and per variable. Only the hand-written entry
# stub is in plain `.text`.

    .text
    .globl _start
_start:
    lea     stack_top(%rip), %rsp
    call    kmain
1:  hlt
    jmp     1b

    .section .text.kmain, "ax", @progbits
    .globl kmain
kmain:
    lea     banner(%rip), %rsi
    incq    ticks(%rip)
    ret

    .section .rodata.banner, "a", @progbits
banner:
    .asciz  "kl201"

    .section .data.ticks, "aw", @progbits
    .balign 8
ticks:
    .quad   1

    .section .bss.stack, "aw", @nobits
    .balign 16
stack:
    .zero   4096
stack_top:
