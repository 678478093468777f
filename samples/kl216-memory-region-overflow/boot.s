# A 16-bit first stage whose code and message must fit the MBR's 446-byte code area.
# `make` assembles it with `as --32`; the scripts name boot.o with INPUT().
    .code16
    .section .boot, "ax", @progbits
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw $msg, %si
print:
    lodsb
    testb %al, %al
    jz done
    movb $0x0e, %ah
    int $0x10
    jmp print
done:
    hlt
    jmp done
    # Stands for the disk-reading code a real first stage grows.
    .fill 360, 1, 0x90

    .section .rodata.msg, "a", @progbits
msg:
    .asciz "kernlint: loading stage 2 from the active partition..."
    .fill 40, 1, 0

    .section .bss, "aw", @nobits
sector_buffer:
    .skip 512
