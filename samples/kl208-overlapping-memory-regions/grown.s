# kernel.s after a few months: 36 KiB of code (bad-regions.ld's `code` region
# overlaps `data` after 32 KiB).
    .text
    .globl _start
_start:
    hlt
    .fill   0x9000, 1, 0x90

    .data
ticks:
    .quad   1
