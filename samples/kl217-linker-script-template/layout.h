/* Where the kernel is linked; included by bad-cpp.ld through the C preprocessor. */
#define KERNEL_BASE 0x100000
#define STACK_SIZE 0x4000
