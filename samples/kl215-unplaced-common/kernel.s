# kl215: the boot code zeroes [__bss_start, __bss_end) and nothing else;
# `tick_count` is a COMMON symbol, as `int tick_count;` under `-fcommon` gives.

    .text
    .globl _start
_start:
    lea     __bss_start(%rip), %rdi
    lea     __bss_end(%rip), %rcx
    sub     %rdi, %rcx
    xor     %eax, %eax
    rep stosb
    lea     stack_top(%rip), %rsp
    incq    tick_count(%rip)
1:  hlt
    jmp     1b

    .section .bss, "aw", @nobits
    .balign 16
stack:
    .zero   4096
stack_top:

    .comm   tick_count, 8, 8
