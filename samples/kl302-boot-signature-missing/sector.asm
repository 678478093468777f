; A raw boot sector (nasm -f bin). With -DNOSIG the padding runs to 512 bytes and
; the 55 AA signature is missing: the file is not recognised as a boot sector on its
; own, so check it with `kernlint check --boot-sector-layout raw forced-nosig.bin`.
bits 16
org 0x7c00

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7c00
        sti
        mov     si, msg
        mov     cx, msg_len
.next:  lodsb
        mov     ah, 0x0e
        int     0x10
        loop    .next
.halt:  hlt
        jmp     .halt

msg:    db      "kernlint: boot sector ok", 13, 10
msg_len equ $ - msg

%ifdef NOSIG
        times   512-($-$$) db 0         ; pads the whole sector, forgets the signature
%else
        times   510-($-$$) db 0
        dw      0xaa55
%endif
