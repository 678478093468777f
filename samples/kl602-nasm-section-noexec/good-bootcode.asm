; Fixed twin of bad-bootcode.asm: exec (and the rest of what .text gets).
bits 64

section .bootcode progbits alloc exec nowrite align=16
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
