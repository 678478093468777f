# Fixed twin of bad-multiboot.s: "a" (allocated, read-only: nothing writes the
# header) puts it in the image's first PT_LOAD.
	.section .multiboot, "a", @progbits
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
