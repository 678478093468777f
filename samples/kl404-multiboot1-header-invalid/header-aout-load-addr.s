# The a.out kludge with load_addr set to the entry point ("the code starts at _start")
# instead of the start of the loaded bytes: load_addr is above header_addr, which the
# spec forbids. GRUB still loads the right bytes (the mapping is the same affine one);
# QEMU -kernel refuses the image.
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00010003

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)
        .long   mb1_header                      # header_addr
        .long   _start                          # load_addr: wrong, above header_addr
        .long   _edata                          # load_end_addr
        .long   _end                            # bss_end_addr
        .long   _start                          # entry_addr
