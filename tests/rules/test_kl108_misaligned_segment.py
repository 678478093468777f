import shutil
import subprocess

from tests.conftest import findings_of, needs_toolchain, sample


def test_lld_unaligned_image_base():
    (f,) = findings_of(sample("kl108", "bad-image-base.elf"), "KL108")
    assert "0x10 vs 0x0" in f.message
    assert f.severity == "error"


def test_empty_segment_is_info():
    (f,) = findings_of(sample("kl108", "bad-empty-phdr.elf"), "KL108")
    assert f.severity == "info"
    assert "is empty (p_filesz = p_memsz = 0): nothing is mapped and loaders skip it" in f.message
    assert "p_vaddr 0x0 and p_offset 0xe8 differ modulo p_align 0x1000" in f.message
    assert f.fix.startswith("drop the unused phdr from PHDRS")


def test_fixed_twin():
    assert findings_of(sample("kl108", "good-aligned.elf"), "KL108") == []


#: A Multiboot 1 kernel whose `data` phdr gets nothing (it has no .data or .bss).
EMPTY_DATA_PHDR = """\
ENTRY(_start)
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
SECTIONS {
  . = 1M;
  .text : { KEEP(*(.mbhdr1)) *(.text) } :text
  . = ALIGN(4K);
  .data : { *(.data) } :data
  .bss : { *(.bss) } :data
}
"""


@needs_toolchain
def test_empty_phdr_of_gnu_ld_boots(tmp_path):
    """GNU ld 2.40 writes the empty `data` PT_LOAD with p_vaddr 0 and p_offset 0x74
    (modulo 0x1000: not congruent); eu-elflint complains; GRUB 2.06 and QEMU 7.2 boot
    the kernel all the same (they skip a segment with nothing in it). kernlint: info."""
    from tests.boot.kernels import MB1_HEADER, OK_MB1, assemble
    from tests.support import boot
    from tests.support.readelf import readelf

    elf = assemble("empty-phdr", MB1_HEADER + OK_MB1, tmp_path, script=EMPTY_DATA_PHDR)
    # assemble() links with -n (p_align 4, congruent by luck): link again paged.
    paged = tmp_path / "paged.elf"
    subprocess.run(
        [
            "ld",
            "-m",
            "elf_i386",
            "-z",
            "max-page-size=0x1000",
            "-T",
            str(tmp_path / "empty-phdr.ld"),
            "-o",
            str(paged),
            str(tmp_path / "empty-phdr.o"),
        ],
        check=True,
    )
    loads = [p for p in readelf(paged).program_headers if p.type == "LOAD"]
    empty = loads[1]
    assert (empty.filesz, empty.memsz, empty.vaddr, empty.align) == (0, 0, 0, 0x1000)
    assert empty.offset % 0x1000 != 0
    if shutil.which("eu-elflint"):
        lint = subprocess.run(["eu-elflint", str(paged)], capture_output=True, text=True)
        assert "file offset and virtual address not module of alignment" in lint.stdout
    (f,) = findings_of(paged, "KL108")
    assert f.severity == "info" and "is empty" in f.message
    assert findings_of(elf, "KL108") == []
    boot.require(grub=True)
    for result in (boot.grub_boot(paged, "multiboot"), boot.qemu_kernel(paged)):
        assert result.outcome() == "booted", result.describe()
