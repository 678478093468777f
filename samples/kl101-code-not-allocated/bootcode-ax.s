# Fixed twin of bootcode-noflags.s: the flags string "ax" makes the section
# SHF_ALLOC|SHF_EXECINSTR, so ld puts it in the R E PT_LOAD.
	.section .bootcode, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	mov $0x2badb002, %eax
	call kmain
	.size _start, . - _start

	.text
	.globl kmain
	.type kmain, @function
kmain:
	hlt
	jmp kmain
	.size kmain, . - kmain

	.section .note.GNU-stack, "", @progbits
