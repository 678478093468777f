; A classic MBR (nasm -f bin): prints a line through the BIOS teletype service and
; halts. With -DBIG it carries a long usage text and its code and data end at byte
; 460: `times 510-($-$$)` still assembles, but the partition table an installer
; writes at 0x1be overwrites the last 14 bytes of the text.
bits 16
org 0x7c00

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
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
%ifdef BIG
usage:  db      "usage: this boot sector prints a line and halts; it carries this long text"
        db      " to show what happens when messages grow: the code and data no longer fit"
        db      " in the 446 bytes an MBR leaves before its partition table at 0x1be, and"
        db      " the partition table that fdisk writes later overwrites the last bytes of"
        db      " this text.             It also explains the layout: code first, then the"
        db      " table, then 55 AA at the very end, 510."
%endif
msg_len equ $ - msg

%ifdef BIG
        times   510-($-$$) db 0         ; no room reserved for the partition table
%else
        times   446-($-$$) db 0         ; NASM fails here if the code outgrows 446 bytes
partition_table:                        ; one active FAT32 (LBA) partition, 1 MiB in
        db      0x80, 0x20, 0x21, 0x00, 0x0c, 0x41, 0x02, 0x00
        dd      2048, 2048
        times   48 db 0
%endif
        dw      0xaa55
