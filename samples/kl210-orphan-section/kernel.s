# A kernel built with -ffunction-sections/-fdata-sections: every function and
# object has its own section.
	.section .text,"ax",@progbits
	.globl _start
_start:
	call	kmain
	hlt

	.section .text.kmain,"ax",@progbits
	.globl kmain
kmain:
	lea	banner(%rip), %rsi
	ret

	.section .rodata.banner,"a",@progbits
banner:
	.asciz	"hello"

	.section .data,"aw",@progbits
	.quad	0
	.section .note.GNU-stack,"",@progbits
