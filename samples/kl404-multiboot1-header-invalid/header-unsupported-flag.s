# Bit 3 is set "for modules", as in the boot information's flags (where bit 3 means
# mods_addr/mods_count are valid). In the header, bits 0-15 are requirements, and
# GRUB refuses those it does not know (0x0000fff8). The checksum is right.
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x0000000B           # bits 0, 1 and 3

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)
