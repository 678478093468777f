# A higher-half x86-64 kernel booted by GRUB's `multiboot2` (and, through its Xen
# PVH note, by QEMU -kernel). The linker scripts decide where it is linked and
# where it is loaded.
#
# Both loaders enter it in 32-bit protected mode with paging off, at a physical
# address: the entry code below is position independent (boot-ok.inc uses no
# memory operand), so it runs wherever the bytes are. A real kernel would build
# page tables here and jump to kmain in the higher half; this one only reports
# the hand-off it received on COM1 (see boot-ok.inc).
        .include "../boot-ok.inc"

        .section .multiboot2, "a"
        .balign 8
mb2_header:
        .long   0xE85250D6                      # magic
        .long   0                               # architecture: i386
        .long   mb2_end - mb2_header            # header_length
        .long   -(0xE85250D6 + (mb2_end - mb2_header))
        .short  0, 0                            # end tag
        .long   8
mb2_end:

        .section .boot, "ax", @progbits
        .code32
        .globl  _start
        .type   _start, @function
_start:                                         # Multiboot 2: EAX = 0x36d76289
        KERNLINT_BOOT_OK 0x36d76289
        .size   _start, . - _start

        .globl  pvh_start
        .type   pvh_start, @function
pvh_start:                                      # Xen PVH: EBX -> hvm_start_info
        KERNLINT_BOOT_OK_PVH
        .size   pvh_start, . - pvh_start

        .text
        .code64
        .globl  kmain
        .type   kmain, @function
kmain:                                          # the 64-bit kernel, linked high
        incq    boot_count(%rip)
1:      hlt
        jmp     1b
        .size   kmain, . - kmain

        .data
        .balign 8
boot_count:
        .quad   0

        .include "../pvh-note.inc"
