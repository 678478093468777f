/*
 * Fixed twin of bad-toplevel-asm.c: the flags inside the C string need escaped
 * quotes.
 */
void kmain(void);

__asm__(".pushsection .boot, \"ax\", @progbits\n"
        ".globl boot_entry\n"
        ".type boot_entry, @function\n"
        "boot_entry:\n"
        "    cli\n"
        "    call kmain\n"
        "1:  hlt\n"
        "    jmp 1b\n"
        ".popsection");

void kmain(void)
{
	for (;;)
		__asm__ volatile("hlt");
}
