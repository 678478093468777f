# A 16-bit boot sector whose code grew past the 510 bytes before the signature.
	.code16
	.section .boot,"ax",@progbits
	.globl _start
_start:
	cli
	.fill	517, 1, 0x90	# stands for the code that grew
	hlt
	.section .note.GNU-stack,"",@progbits
