/*
 * Fixed twin of bad-bootcode.S: the flags string makes .bootcode allocated and
 * executable, so the linker puts it in an R E PT_LOAD.
 */
#define STACK_SIZE 16384

	.section .bootcode, "ax", @progbits
	.code32
	.globl _start
	.type _start, @function
_start:
	cli
	mov $stack_top, %esp
	call kmain
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
