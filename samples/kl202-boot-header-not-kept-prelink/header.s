# A Multiboot2 kernel whose header lives in a section named `.header` (not a name
# KL202 knows: only the magic says what it is). Nothing references the header; GRUB
# finds it by scanning the first 32 KiB of the file for the magic.
# --defsym REF=1 makes _start take the header's address, so --gc-sections keeps it.
# --defsym NAMED=1 names the section `.multiboot_header` instead.
    .set    MAGIC, 0xe85250d6
    .set    ARCH, 0                         # i386 protected mode
    .set    LENGTH, header_end - header_start
.ifdef NAMED
    .section .multiboot_header, "a"
.else
    .section .header, "a"
.endif
    .balign 8
header_start:
    .long   MAGIC
    .long   ARCH
    .long   LENGTH
    .long   0x100000000 - (MAGIC + ARCH + LENGTH)
    .word   0, 0                            # end tag
    .long   8
header_end:

    .text
    .globl  _start
_start:
.ifdef REF
    lea     header_start(%rip), %rax
.endif
    cli
1:  hlt
    jmp     1b

    .section .note.GNU-stack, "", @progbits
