# The fix: the boot entry's section declared allocated and executable ("ax"),
# as GNU as needs for a section name it does not know.
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
