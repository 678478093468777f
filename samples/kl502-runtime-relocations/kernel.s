# A Multiboot 1 kernel (ELF32) that keeps one pointer in .data and prints it on
# COM1 before the boot marker: "banner_ptr=00101000" when the value is right.
# Linked -pie, that pointer is a dynamic relocation (R_386_RELATIVE) that a
# dynamic linker would apply; Multiboot loaders copy bytes and apply nothing.
        .include "../boot-ok.inc"

        .section .multiboot, "a"
        .balign 4
        .long   0x1BADB002, 0, -0x1BADB002      # magic, flags, checksum

        .text
        .code32
        .globl  _start
        .type   _start, @function
_start:
        movl    %eax, %edi                      # keep the hand-off magic
        call    1f                              # where are we? (no absolute
1:      popl    %ebx                            #  address in the code: -pie)
        movl    banner_ptr - 1b(%ebx), %ecx     # the pointer, as loaded
        KERNLINT_COM1_BYTES 0x62,0x61,0x6e,0x6e,0x65,0x72,0x5f,0x70,0x74,0x72,0x3d
        .irp    shift, 28, 24, 20, 16, 12, 8, 4, 0
        movl    %ecx, %eax                      # one hex digit per round
        shrl    $\shift, %eax
        andl    $0xf, %eax
        cmpb    $10, %al
        jb      2f
        addb    $0x27, %al                      # 10-15 -> 'a'-'f'
2:      addb    $0x30, %al
        KERNLINT_COM1_PUTC_AL
        .endr
        KERNLINT_COM1_PUTC 0x0a
        movl    %edi, %eax
        KERNLINT_BOOT_OK 0x2BADB002
        .size   _start, . - _start

        .section .rodata, "a"
banner:
        .asciz  "kernlint"

        .data
        .balign 4
        .globl  banner_ptr
banner_ptr:
        .long   banner                          # R_386_32: an absolute address
