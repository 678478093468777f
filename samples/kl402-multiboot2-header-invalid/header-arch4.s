# Architecture 4 ("32-bit MIPS" in the spec's table) instead of 0 (i386), with a
# checksum that matches it. `grub-file --is-x86-multiboot2` says yes (it checks only
# magic and checksum); GRUB's multiboot2 command says there is no header.
        .set    MB2_MAGIC, 0xE85250D6
        .set    MB2_ARCH, 4                     # wrong: x86 is 0
        .set    MB2_LENGTH, mb2_header_end - mb2_header

        .section .multiboot2, "a", @progbits
        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH
        .long   MB2_LENGTH
        .long   -(MB2_MAGIC + MB2_ARCH + MB2_LENGTH)

        .balign 8
        .short  0, 0                            # end tag
        .long   8
mb2_header_end:
