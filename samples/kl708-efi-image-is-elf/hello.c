/* A UEFI application built the gnu-efi way (an ELF shared object, then objcopy to
 * PE32+), with no gnu-efi code in it: efi_main is the entry point itself, called
 * with the UEFI (Microsoft x64) ABI, and it uses no absolute address, so it needs no
 * self-relocation. It prints KERNLINT-UEFI-OK through ConOut (UEFI 2.10, 12.4), then
 * powers the machine off with ResetSystem(EfiResetShutdown) (8.5.1). */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
#define EFIAPI __attribute__((ms_abi))

struct text_out { void *reset; u64 (EFIAPI *output_string)(struct text_out *, const u16 *); };
struct runtime { char hdr[24]; void *other[10]; void (EFIAPI *reset_system)(int, u64, u64, void *); };
struct system_table {
  char hdr[24]; void *vendor; unsigned revision;
  void *con_in_handle, *con_in, *con_out_handle; struct text_out *con_out;
  void *std_err_handle, *std_err; struct runtime *runtime;
};

static const u16 message[] = u"KERNLINT-UEFI-OK\r\n";

/* objcopy --target efi-app-x86_64 copies .reloc as the base relocation table; one
 * block of two ABSOLUTE (no-op) entries keeps the image relocatable (without a
 * .reloc, objcopy marks it IMAGE_FILE_RELOCS_STRIPPED: KL703). */
__attribute__((section(".reloc"), used)) static const u32 reloc_block[3] = {0, 12, 0};

u64 EFIAPI efi_main(void *image, struct system_table *st) {
  (void)image;
  st->con_out->output_string(st->con_out, message);
  st->runtime->reset_system(2 /* EfiResetShutdown */, 0, 0, 0);
  return 0;
}
