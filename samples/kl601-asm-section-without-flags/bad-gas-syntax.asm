# KL601 in a .asm file written for GNU as (it uses .section/.globl and no NASM
# directive, so kernlint reads it as GNU as; `as --64` assembles it).
	.section .trampoline
	.code64
	.globl trampoline
	.type trampoline, @function
trampoline:
	mov %rdi, %rsp
	jmp *%rsi
	.size trampoline, . - trampoline

	.section .note.GNU-stack, "", @progbits
