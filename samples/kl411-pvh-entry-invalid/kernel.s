# A kernel with no Multiboot header at all: QEMU -kernel (and Xen, and
# cloud-hypervisor) enter it through its Xen PVH note, XEN_ELFNOTE_PHYS32_ENTRY,
# in 32-bit protected mode with paging off, EBX -> hvm_start_info. The note
# holds PVH_ENTRY, which each linker script defines from pvh_start.
        .include "../boot-ok.inc"

        .text
        .code32
        .globl  pvh_start
        .type   pvh_start, @function
pvh_start:
        KERNLINT_BOOT_OK_PVH
        .size   pvh_start, . - pvh_start

        .include "../pvh-note.inc"
