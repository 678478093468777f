# An entry address tag (size 12) followed at once by the next tag, without `.balign 8`:
# GRUB looks for the next tag at ALIGN_UP(12, 8) = 16 bytes on, 4 bytes into the
# module-alignment tag, and reads its size field as the type (8).
        .set    MB2_MAGIC, 0xE85250D6
        .set    MB2_ARCH, 0
        .set    MB2_LENGTH, mb2_header_end - mb2_header

        .section .multiboot2, "a", @progbits
        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH
        .long   MB2_LENGTH
        .long   -(MB2_MAGIC + MB2_ARCH + MB2_LENGTH)

        .balign 8
        .short  3, 0                            # entry address tag
        .long   12
        .long   _start
        .short  6, 0                            # module alignment: misaligned (+28)
        .long   8
        .short  0, 0                            # end tag (+36)
        .long   8
mb2_header_end:
