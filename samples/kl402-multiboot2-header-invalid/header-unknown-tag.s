# A tag of a type the spec does not define (11, say for a loader of one's own), not
# marked optional (flags bit 0 clear): GRUB refuses the image.
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
        .short  11, 0                           # type 11, flags 0: required
        .long   16
        .long   0x4b4c4e54, 0                   # its payload
        .balign 8
        .short  0, 0                            # end tag
        .long   8
mb2_header_end:
