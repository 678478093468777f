# An address tag (type 2), kept from a flat-binary build, without the entry address
# tag (type 3) that must go with it: GRUB refuses the image.
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
        .short  2, 0                            # address tag
        .long   24
        .long   mb2_header                      # header_addr
        .long   _kernel_start                   # load_addr
        .long   _edata                          # load_end_addr
        .long   _end                            # bss_end_addr
        .balign 8
        .short  0, 0                            # end tag
        .long   8
mb2_header_end:
