; Fixed twin of bootcode-noexec.asm: the "exec" attribute (in full:
; "progbits alloc exec nowrite align=16") makes .bootcode SHF_ALLOC|SHF_EXECINSTR.
bits 64

section .text
global _start:function
_start:
	call bootfn
.halt:
	hlt
	jmp .halt

section .bootcode exec
global bootfn:function
bootfn:
	mov eax, 0x2badb002
	ret
