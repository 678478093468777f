# A valid Multiboot 2 header: an information request (memory map, command line), a
# module-alignment tag and the end tag, each 8-byte aligned; length and checksum
# computed by the assembler.
        .set    MB2_MAGIC, 0xE85250D6
        .set    MB2_ARCH, 0                     # i386, 32-bit protected mode
        .set    MB2_LENGTH, mb2_header_end - mb2_header

        .section .multiboot2, "a", @progbits
        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH
        .long   MB2_LENGTH
        .long   -(MB2_MAGIC + MB2_ARCH + MB2_LENGTH)    # checksum

        .balign 8
        .short  1, 0                            # information request, required
        .long   16                              # size: 8 + 2 requests
        .long   6, 1                            # memory map, command line
        .balign 8
        .short  6, 0                            # module alignment
        .long   8
        .balign 8
        .short  0, 0                            # end tag
        .long   8
mb2_header_end:
