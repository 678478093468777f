# Fixed twin of trampoline-awx.s: the trampoline is plain "ax" code; what has
# to change at run time lives in .data (here: the call target).
	.text
	.globl _start
	.type _start, @function
_start:
	call *trampoline_target(%rip)
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .trampoline, "ax", @progbits
	.globl trampoline
	.type trampoline, @function
trampoline:
	ret
	.size trampoline, . - trampoline

	.data
	.balign 8
	.type trampoline_target, @object
trampoline_target:
	.quad trampoline
	.size trampoline_target, . - trampoline_target

	.section .note.GNU-stack, "", @progbits
