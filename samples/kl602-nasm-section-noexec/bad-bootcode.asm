; KL602: code in "section .bootcode" with no exec attribute. NASM gives a
; section name it does not know "progbits alloc noexec nowrite align=1": the
; code is allocated but not executable.
bits 64

section .bootcode
global boot_entry:function
boot_entry:
	cli
	mov rsp, stack_top
	call kmain
.halt:
	hlt
	jmp .halt

section .bss
align 16
	resb 16384
stack_top:

extern kmain
