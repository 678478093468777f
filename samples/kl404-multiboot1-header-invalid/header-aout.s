# The a.out kludge (flags bit 16): the loader takes the load addresses from the header
# and ignores the ELF program headers. Every address is a symbol, so it stays right.
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00010003           # bit 16: address fields valid

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)
        .long   mb1_header                      # header_addr: where the magic lands
        .long   _kernel_start                   # load_addr: start of the loaded bytes
        .long   _edata                          # load_end_addr: end of the file bytes
        .long   _end                            # bss_end_addr: end of the zeroed memory
        .long   _start                          # entry_addr
