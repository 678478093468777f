# kl401: a Multiboot 2 kernel (GNU as, 32-bit) that QEMU -kernel can boot too, through
# its Xen PVH note. The header is in its own section, .multiboot2; where it lands in
# the file is up to the linker script.

        .include "../boot-ok.inc"

        .set    MB2_MAGIC, 0xE85250D6
        .set    MB2_ARCH, 0                     # i386, 32-bit protected mode

        .section .multiboot2, "a", @progbits
        .balign 8
mb2_header:
        .long   MB2_MAGIC
        .long   MB2_ARCH
        .long   mb2_header_end - mb2_header     # header_length
        .long   -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))   # checksum
        .short  0, 0                            # end tag: type 0, flags 0,
        .long   8                               #          size 8
mb2_header_end:

        .text
        .code32
        .globl  _start
_start:                                         # GRUB multiboot2: EAX = 0x36d76289
        KERNLINT_BOOT_OK 0x36d76289

pvh_start:                                      # QEMU -kernel, Xen: EBX -> start_info
        KERNLINT_BOOT_OK_PVH
        .set    PVH_ENTRY, pvh_start
        .include "../pvh-note.inc"

        # The rest of the kernel: 40 KiB of code this example never runs, enough to
        # push whatever the script places after .text past the first 32 KiB of the file.
        .balign 16
rest_of_kernel:
        .fill   40960, 1, 0x90
