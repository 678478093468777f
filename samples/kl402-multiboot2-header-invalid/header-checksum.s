# The checksum leaves out header_length: -(magic + architecture). GRUB then sees no
# header at all.
        .set    MB2_MAGIC, 0xE85250D6
        .set    MB2_ARCH, 0
        .set    MB2_LENGTH, mb2_header_end - mb2_header

        .section .multiboot2, "a", @progbits
        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH
        .long   MB2_LENGTH
        .long   -(MB2_MAGIC + MB2_ARCH)         # wrong: header_length is missing

        .balign 8
        .short  0, 0                            # end tag
        .long   8
mb2_header_end:
