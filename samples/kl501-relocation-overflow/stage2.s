# A real-mode second stage, loaded at 0x8000 with all segment registers 0: the
# offsets it uses are 16-bit (R_386_16), so what it references must lie below 64 KiB.
    .code16
    .section .text, "ax", @progbits
    .globl _start
_start:
    movw $banner, %si           # R_386_16 against banner
    movw $disk_buffer, %di      # R_386_16 against disk_buffer
    hlt

    .section .data, "aw", @progbits
banner:
    .asciz "stage2"

    .section .bss, "aw", @nobits
    .globl disk_buffer
disk_buffer:
    .skip 0x10000               # a 64 KiB track buffer
