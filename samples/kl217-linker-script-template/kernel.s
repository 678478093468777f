# The kernel every script of this sample links: an entry point, a string, a counter
# and a stack.
	.section .text, "ax", @progbits
	.globl _start
_start:
	lea	msg(%rip), %rsi
	incq	counter(%rip)
1:	hlt
	jmp	1b

	.section .rodata, "a", @progbits
msg:	.asciz	"hello"

	.section .data, "aw", @progbits
counter:
	.quad	0

	.section .bss, "aw", @nobits
	.balign	16
stack:	.skip	4096
