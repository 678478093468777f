; NASM flavour of the seed case. In NASM's ELF output a section name it does
; not know gets "progbits alloc noexec nowrite": .bootcode is SHF_ALLOC but
; not SHF_EXECINSTR, so the code in it lands in a segment without PF_X.
bits 64

section .text
global _start:function
_start:
	call bootfn
.halt:
	hlt
	jmp .halt

section .bootcode
global bootfn:function
bootfn:
	mov eax, 0x2badb002
	ret
