# Fixed twin of bootcode-noflags.s: GAS derives flags "ax" from the .text.
# prefix, so .text.boot is allocated and executable without a flags string.
	.section .text.boot
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
