; A FAT12/16 volume boot record (nasm -f bin) for a 1.44 MB floppy: the jump over the
; BPB, the BPB and extended BPB (0x00-0x3d), then boot code and data that use the
; whole 448-byte budget (0x3e-0x1fd), then the signature.
bits 16
org 0x7c00

        jmp     short start
        nop
oem:            db "KERNLINT"
bytes_per_sec:  dw 512
sec_per_clus:   db 1
reserved_secs:  dw 1
fat_count:      db 2
root_entries:   dw 224
total_secs:     dw 2880
media:          db 0xf0
secs_per_fat:   dw 9
secs_per_track: dw 18
heads:          dw 2
hidden_secs:    dd 0
total_secs_32:  dd 0
drive:          db 0
                db 0
boot_sig:       db 0x29
volume_id:      dd 0x4b4c3031
volume_label:   db "KERNLINT   "
fs_type:        db "FAT12   "

start:                                  ; offset 0x3e
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

msg:    db      "kernlint: volume boot record ok", 13, 10
msg_len equ $ - msg
banner: times   510-($-$$) db '='       ; the rest of the 448 bytes: up to 0x1fd
        dw      0xaa55
