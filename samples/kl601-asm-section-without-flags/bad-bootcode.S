/*
 * KL601 in a preprocessed .S file: the boot entry sits in ".section .bootcode"
 * with no flags string. GNU as knows no ".bootcode", so the section gets no
 * flags at all: not SHF_ALLOC, not SHF_EXECINSTR. kernlint reads the file as
 * text; the #define lines are comments to it.
 */
#define STACK_SIZE 16384

	.section .bootcode
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
