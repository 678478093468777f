# One tiny kernel, assembled as ELF32 or ELF64, with the boot headers the
# Makefile asks for (--defsym):
#   MB1=1     a Multiboot 1 header (QEMU -kernel's own protocol)
#   KLUDGE=1  ... with flag 16 and the a.out-kludge address fields
#   MB2=1     a Multiboot 2 header (GRUB's multiboot2 only)
#   PVH=1     a Xen PVH entry note (QEMU -kernel's way into an ELF without MB1)
# Whatever the container, the entry code is 32-bit: every loader here enters
# in 32-bit protected mode with paging off (boot-ok.inc reports the hand-off).
        .include "../boot-ok.inc"

        .section .multiboot, "a"
.ifdef MB1
        .balign 4
mb1_header:
.ifdef KLUDGE
        .long   0x1BADB002                      # magic
        .long   0x00010000                      # flags: address fields valid
        .long   -(0x1BADB002 + 0x00010000)      # checksum
        .long   mb1_header                      # header_addr
        .long   _load_start                     # load_addr: first byte loaded
        .long   _load_end                       # load_end_addr: end of file data
        .long   _bss_end                        # bss_end_addr: end of zeroed memory
        .long   _start                          # entry_addr
.else
        .long   0x1BADB002, 0, -0x1BADB002      # magic, flags, checksum
.endif
.endif
.ifdef MB2
        .balign 8
mb2_header:
        .long   0xE85250D6, 0, mb2_end - mb2_header
        .long   -(0xE85250D6 + (mb2_end - mb2_header))
        .short  0, 0                            # end tag
        .long   8
mb2_end:
.endif

        .text
        .code32
        .globl  _start
        .type   _start, @function
_start:
.ifdef MB1
        KERNLINT_BOOT_OK 0x2BADB002
.else
        KERNLINT_BOOT_OK 0x36d76289
.endif
        .size   _start, . - _start

.ifdef PVH
        .globl  PVH_ENTRY
        .type   PVH_ENTRY, @function
PVH_ENTRY:
        KERNLINT_BOOT_OK_PVH
        .size   PVH_ENTRY, . - PVH_ENTRY
        .include "../pvh-note.inc"
.endif

        .bss
        .balign 4096
boot_stack:
        .skip   4096
