# A tiny kernel with code and read-only data, and no writable data at all.
	.text
	.globl _start
	.type _start, @function
_start:
	lea banner(%rip), %rsi
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .rodata, "a", @progbits
	.type banner, @object
banner:
	.asciz "kernlint"
	.size banner, . - banner

	.section .note.GNU-stack, "", @progbits
