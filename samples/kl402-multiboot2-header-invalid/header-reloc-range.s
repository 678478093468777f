# A relocatable tag (type 10) meant as "load me anywhere from 2 MiB, at 2 MiB at the
# highest": max_addr is read as the highest *base*, but it is the highest address the
# image may *end* at, so no base fits the image's bytes.
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
        .short  10, 0                           # relocatable tag
        .long   24
        .long   0x00200000                      # min_addr
        .long   0x00200000                      # max_addr: wrong, the end must fit too
        .long   0x1000                          # align
        .long   1                               # preference: lowest address
        .balign 8
        .short  0, 0                            # end tag
        .long   8
mb2_header_end:
