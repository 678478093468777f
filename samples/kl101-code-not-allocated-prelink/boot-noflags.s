# A boot entry in a section named with NO flags string: GNU as gives an unknown
# section name no flags at all (not SHF_ALLOC, not SHF_EXECINSTR).
	.section .bootcode
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
