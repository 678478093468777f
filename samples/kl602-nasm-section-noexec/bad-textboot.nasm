; KL602: ".text.boot" is a name GNU as makes "ax" from its ".text." prefix, but
; NASM matches names exactly: to NASM it is unknown, so noexec.
bits 64

section .text.boot
global early_entry:function
early_entry:
	xor eax, eax
	ret
