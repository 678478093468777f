# Fixed twin of bootcode-noflags.s: GAS knows .init and gives it "ax"
# by default, so no flags string is needed.
	.section .init
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
