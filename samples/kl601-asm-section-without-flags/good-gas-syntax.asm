# Fixed twin of bad-gas-syntax.asm.
	.section .trampoline, "ax", @progbits
	.code64
	.globl trampoline
	.type trampoline, @function
trampoline:
	mov %rdi, %rsp
	jmp *%rsi
	.size trampoline, . - trampoline

	.section .note.GNU-stack, "", @progbits
