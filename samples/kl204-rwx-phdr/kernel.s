# kl204: a tiny kernel with code, read-only data, a writable counter and a stack.
    .text
    .globl _start
    .type _start, @function
_start:
    lea     stack_top(%rip), %rsp
    incq    counter(%rip)
    lea     banner(%rip), %rsi
1:  hlt
    jmp     1b
    .size _start, . - _start

    .section .rodata, "a", @progbits
banner:
    .asciz  "kl204"

    .data
    .balign 8
counter:
    .quad   0

    .bss
    .balign 16
stack:
    .zero   4096
stack_top:

    .section .note.GNU-stack, "", @progbits
