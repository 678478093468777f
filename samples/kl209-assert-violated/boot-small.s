# A 16-bit boot sector whose code fits in the 510 bytes before the signature.
	.code16
	.section .boot,"ax",@progbits
	.globl _start
_start:
	cli
	.fill	400, 1, 0x90	# stands for the code
	hlt
	.section .note.GNU-stack,"",@progbits
