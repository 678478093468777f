/* Addresses shared by the C code and the linker script template. */
#define KERNEL_BASE 0x100000
