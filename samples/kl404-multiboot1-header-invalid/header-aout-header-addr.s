# The a.out kludge with header_addr written as a constant, "the header is at the start
# of the kernel". It is not: the script puts the entry code first, so the header is at
# 0x1002f0. The loader then copies the file from 0x2f0 bytes too far on: the header's
# own bytes land at 0x100000, where entry_addr points.
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00010003

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)
        .long   0x00100000                      # header_addr: wrong, the header is at 0x1002f0
        .long   _kernel_start                   # load_addr
        .long   _edata                          # load_end_addr
        .long   _end                            # bss_end_addr
        .long   _start                          # entry_addr
