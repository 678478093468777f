# kl404: the kernel behind every header variant (GNU as, 32-bit).

        .include "../boot-ok.inc"

        .text
        .code32
        .globl  _start
_start:                                         # EAX = 0x2BADB002 from the loader
        KERNLINT_BOOT_OK 0x2BADB002

        .bss
        .balign 16
stack:                                          # gives the a.out kludge a bss to clear
        .skip   4096
