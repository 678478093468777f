# kl203: the entry point is `boot_entry`; there is no `_start`. The linker puts the
# panic handler first in `.text`.

    .text
    .globl halt_forever
halt_forever:
    cli
1:  hlt
    jmp     1b

    .globl boot_entry
boot_entry:
    lea     stack_top(%rip), %rsp
    incq    boot_count(%rip)
    jmp     halt_forever

    .section .data, "aw", @progbits
    .balign 8
boot_count:
    .quad   0

    .section .bss, "aw", @nobits
    .balign 16
stack:
    .zero   4096
stack_top:
