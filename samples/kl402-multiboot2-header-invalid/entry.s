# kl402: the kernel behind every header variant (GNU as, 32-bit). GRUB's multiboot2
# enters at _start; QEMU -kernel and Xen enter at pvh_start through the PVH note.

        .include "../boot-ok.inc"

        .text
        .code32
        .globl  _start
_start:                                         # GRUB multiboot2: EAX = 0x36d76289
        KERNLINT_BOOT_OK 0x36d76289

pvh_start:                                      # QEMU -kernel, Xen: EBX -> start_info
        KERNLINT_BOOT_OK_PVH
        .set    PVH_ENTRY, pvh_start
        .include "../pvh-note.inc"
