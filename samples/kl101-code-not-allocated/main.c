/* The "high-level language" part of seed case (b), linked into the higher half. */
void entry_highlevel_lang(void)
{
	for (;;)
		__asm__ volatile("hlt");
}
