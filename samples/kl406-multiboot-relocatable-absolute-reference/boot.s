/*
 * A Multiboot 2 kernel that declares itself relocatable (header tag 10) and reads a
 * message in its 32-bit boot code. Linked at 1 MiB; the tag asks GRUB for a base in
 * [2 MiB, 16 MiB), so GRUB always moves it. Assembled twice:
 *   as --32 -g               -> obj-absolute.o: `movl $msg, %esi` (R_386_32, absolute)
 *   as --32 -g --defsym PIC=1 -> obj-pic.o: call/pop base + `leal (msg - 1b)(%ebp)`
 * Both entries print "MSG:" and the 5 bytes found at the address they computed, then
 * check them: "HELLO" -> the boot-ok convention (../boot-ok.inc); anything else ->
 * "KERNLINT-MSG-WRONG" and isa-debug-exit 0x12 (QEMU exit status 37).
 */
        .include "boot-ok.inc"

        .set    MB2_MAGIC, 0xE85250D6
        .set    MB2_LENGTH, mb2_end - mb2_start

        .section .multiboot2, "a"
        .balign 8
mb2_start:
        .long   MB2_MAGIC
        .long   0                               /* architecture: i386 */
        .long   MB2_LENGTH
        .long   0x100000000 - (MB2_MAGIC + MB2_LENGTH)
        /* relocatable tag: any 4 KiB-aligned base in [2 MiB, 16 MiB), lowest first */
        .balign 8
        .short  10, 0
        .long   24
        .long   0x200000                        /* min_addr */
        .long   0x1000000                       /* max_addr */
        .long   0x1000                          /* align */
        .long   1                               /* preference: lowest */
        .balign 8
        .short  0, 0                            /* end tag */
        .long   8
mb2_end:

        .section .rodata
msg:    .asciz  "HELLO"

/* Print "MSG:" and the 5 bytes at ESI ('.' for non-printable ones), then check them. */
.macro SHOW_MSG
        KERNLINT_COM1_BYTES 0x4d, 0x53, 0x47, 0x3a      /* "MSG:" */
        xorl    %ecx, %ecx
.Lnext\@:
        movb    (%esi,%ecx), %al
        cmpb    $0x20, %al
        jb      .Ldot\@
        cmpb    $0x7e, %al
        jbe     .Lput\@
.Ldot\@:
        movb    $0x2e, %al
.Lput\@:
        KERNLINT_COM1_PUTC_AL
        incl    %ecx
        cmpl    $5, %ecx
        jb      .Lnext\@
        KERNLINT_COM1_PUTC 0x0a
        cmpl    $0x4c4c4548, (%esi)             /* "HELL" */
        jne     msg_wrong
        cmpb    $0x4f, 4(%esi)                  /* "O" */
        jne     msg_wrong
.endm

        .text
        .code32
        .globl  _start
_start:                                         /* GRUB multiboot2: EAX magic, EBX MBI */
        movl    %eax, %edi
.ifdef PIC
        leal    8(%ebx), %esp                   /* ESP is undefined at hand-off: borrow */
        call    1f                              /* the MBI's second word as a stack     */
1:      popl    %ebp                            /* EBP = where 1: runs                  */
        leal    (msg - 1b)(%ebp), %esi          /* PC-relative: right wherever we are   */
.else
        movl    $msg, %esi                      /* absolute: where msg was at link time */
.endif
        SHOW_MSG
        movl    %edi, %eax
        KERNLINT_BOOT_OK 0x36d76289

        .globl  pvh_start
pvh_start:                                      /* QEMU -kernel (PVH): EBX start_info */
.ifdef PIC
        leal    8(%ebx), %esp
        call    2f
2:      popl    %ebp
        leal    (msg - 2b)(%ebp), %esi
.else
        movl    $msg, %esi
.endif
        SHOW_MSG
        KERNLINT_BOOT_OK_PVH

msg_wrong:
        /* "KERNLINT-MSG-WRONG\n" */
        KERNLINT_COM1_BYTES 0x4b,0x45,0x52,0x4e,0x4c,0x49,0x4e,0x54,0x2d,0x4d,0x53,0x47,0x2d,0x57,0x52,0x4f,0x4e,0x47,0x0a
        KERNLINT_QEMU_EXIT 0x12

        .set    PVH_ENTRY, pvh_start
        .include "pvh-note.inc"
