# A code section the kernel patches at run time, declared "awx": the section
# is SHF_ALLOC|SHF_WRITE|SHF_EXECINSTR, writable and executable at once.
	.text
	.globl _start
	.type _start, @function
_start:
	movb $0x90, patch_site(%rip)	# self-modifying: write into .trampoline
	incq patch_count(%rip)
	call trampoline
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .trampoline, "awx", @progbits
	.globl trampoline
	.type trampoline, @function
trampoline:
patch_site:
	int3
	ret
	.size trampoline, . - trampoline

	.data
	.balign 8
	.type patch_count, @object
patch_count:
	.quad 0
	.size patch_count, . - patch_count

	.section .note.GNU-stack, "", @progbits
