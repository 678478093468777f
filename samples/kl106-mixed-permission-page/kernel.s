# A tiny kernel with code, read-only data and a writable counter.
	.text
	.globl _start
	.type _start, @function
_start:
	incq counter(%rip)
	lea banner(%rip), %rsi
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .rodata, "a", @progbits
	.type banner, @object
banner:
	.asciz "kernlint"
	.size banner, . - banner

	.data
	.balign 8
	.type counter, @object
counter:
	.quad 0
	.size counter, . - counter

	.section .note.GNU-stack, "", @progbits
