# KL601 with data: a Multiboot2 header in ".section .multiboot" with no flags.
# The section is not allocated: ld puts it in no PT_LOAD, so the header is not
# in the loaded image where GRUB looks for it ("no multiboot header found").
	.section .multiboot
	.balign 8
mb2_header:
	.long 0xe85250d6                        # magic
	.long 0                                 # architecture: i386
	.long mb2_header_end - mb2_header       # header_length
	.long -(0xe85250d6 + 0 + (mb2_header_end - mb2_header))
	.short 0, 0                             # end tag
	.long 8
mb2_header_end:

	.section .note.GNU-stack, "", @progbits
