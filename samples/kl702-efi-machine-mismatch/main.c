/* A UEFI application that prints KERNLINT-UEFI-OK through ConOut, then powers the
 * machine off with ResetSystem(EfiResetShutdown). Only the fields it uses of the
 * UEFI 2.10 tables (4.3 EFI_SYSTEM_TABLE, 8.1 EFI_RUNTIME_SERVICES, 12.4
 * EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL) are spelled out. The message is reached through a
 * pointer in .data, so the image holds an absolute address (a DIR64 base relocation). */
typedef unsigned long long u64;
typedef unsigned short u16;
#define EFIAPI __attribute__((ms_abi))

struct text_out { void *reset; u64 (EFIAPI *output_string)(struct text_out *, const u16 *); };
struct runtime { char hdr[24]; void *other[10]; void (EFIAPI *reset_system)(int, u64, u64, void *); };
struct system_table {
  char hdr[24]; void *vendor; unsigned revision;
  void *con_in_handle, *con_in, *con_out_handle; struct text_out *con_out;
  void *std_err_handle, *std_err; struct runtime *runtime;
};

const u16 *volatile message = u"KERNLINT-UEFI-OK\r\n";

u64 EFIAPI efi_main(void *image, struct system_table *st) {
  (void)image;
  st->con_out->output_string(st->con_out, message);
  st->runtime->reset_system(2 /* EfiResetShutdown */, 0, 0, 0);
  return 0;
}
