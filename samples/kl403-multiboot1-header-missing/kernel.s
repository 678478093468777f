# kl403: a Multiboot 1 kernel (GNU as, 32-bit). The header is in its own section,
# .multiboot; where it lands in the file is up to the linker script.

        .include "../boot-ok.inc"

        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00000003           # bit 0 page-align modules, bit 1 memory map

        .section .multiboot, "a", @progbits
        .balign 4
mb1_header:
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)        # checksum: the three words sum to 0

        .text
        .code32
        .globl  _start
_start:                                         # EAX = 0x2BADB002 from the loader
        KERNLINT_BOOT_OK 0x2BADB002

        # The rest of the kernel: 12 KiB of code this example never runs, enough to
        # push whatever the script places after .text past the first 8 KiB of the file.
        .balign 16
rest_of_kernel:
        .fill   12288, 1, 0x90
