# An x86-64 Multiboot 2 kernel (with a Xen PVH note, so QEMU -kernel boots it
# too). With --defsym POINTER=1 it keeps a pointer in .data: an absolute
# address, which a position-independent link (-pie) turns into a dynamic
# relocation in .rela.dyn.
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

        .text
        .code32
        .globl  _start
        .type   _start, @function
_start:
        KERNLINT_BOOT_OK 0x36d76289
        .size   _start, . - _start

        .globl  pvh_start
        .type   pvh_start, @function
pvh_start:
        KERNLINT_BOOT_OK_PVH
        .size   pvh_start, . - pvh_start

.ifdef POINTER
        .data
        .balign 8
        .globl  banner_ptr
banner_ptr:
        .quad   banner                          # R_X86_64_64
banner:
        .asciz  "kernlint"
.endif

        .include "../pvh-note.inc"
