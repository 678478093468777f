# Identity-mapped boot code in .boot (runs before paging) and the kernel
# proper in .text, linked into the higher half.
	.section .boot, "ax", @progbits
	.code32
	.globl _start
	.type _start, @function
_start:
	mov $0x2badb002, %eax
1:	hlt
	jmp 1b
	.size _start, . - _start

	.text
	.code64
	.globl kmain
	.type kmain, @function
kmain:
1:	hlt
	jmp 1b
	.size kmain, . - kmain

	.section .note.GNU-stack, "", @progbits
