# The checksum was written out by hand for flags 0x7 (with the video-mode bit) and
# not updated when the flags became 0x3: the sum is 4, not 0.
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00000003

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   0xE4524FF7                      # = -(0x1BADB002 + 0x7): stale
