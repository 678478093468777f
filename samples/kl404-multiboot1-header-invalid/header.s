# A valid Multiboot 1 header, checksum computed by the assembler.
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00000003           # bit 0 page-align modules, bit 1 memory map

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)        # checksum: the three words sum to 0
