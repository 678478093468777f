# kl202: a Multiboot2 kernel. Nothing refers to the header; GRUB finds it by
# scanning the first 32 KiB of the file for the magic.

    .section .multiboot_header, "a", @progbits
    .balign 8
mb2_header:
    .long   0xe85250d6                  # magic
    .long   0                           # architecture: i386 (protected mode)
    .long   mb2_header_end - mb2_header # header_length
    .long   0x100000000 - (0xe85250d6 + 0 + (mb2_header_end - mb2_header))
    .short  0, 0                        # end tag: type 0, flags 0
    .long   8                           #          size 8
mb2_header_end:

    .text
    .globl _start
_start:
    lea     stack_top(%rip), %rsp
1:  hlt
    jmp     1b

    .section .bss, "aw", @nobits
    .balign 16
stack:
    .zero   4096
stack_top:
