# KL601 with reserved space only: the boot stack in ".section .bootstack" with
# no flags. Not allocated, so `stack_top` points at memory nobody reserved.
	.section .bootstack
	.balign 16
stack_bottom:
	.skip 16384
	.globl stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
