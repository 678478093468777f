# A tiny kernel for the linker-script samples: code, read-only data, data, zeroed space.
    .text
    .globl _start
_start:
    lea     banner(%rip), %rsi
    mov     ticks(%rip), %rax
1:  hlt
    jmp     1b

    .section .rodata, "a"
banner:
    .asciz  "kernlint"

    .data
ticks:
    .quad   1

    .bss
    .globl  boot_stack
boot_stack:
    .skip   4096
