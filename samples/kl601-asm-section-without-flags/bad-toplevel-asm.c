/*
 * KL601 in C: file-scope asm puts the boot entry in ".boot" with no flags.
 * GCC passes the string to GNU as unchanged; the section is not allocated.
 */
void kmain(void);

__asm__(".pushsection .boot\n"
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
