# Fixed twin of bad-stack.s: "aw", @nobits reserves zeroed, writable memory
# (like .bss) without taking room in the file.
	.section .bootstack, "aw", @nobits
	.balign 16
stack_bottom:
	.skip 16384
	.globl stack_top
stack_top:

	.section .note.GNU-stack, "", @progbits
