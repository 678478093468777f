from tests.conftest import findings_of, sample


def test_relocation_against_an_undefined_symbol():
    (f,) = findings_of(sample("kl712", "bad-undefined.so"), "KL712")
    assert "of type R_X86_64_64 (the first against `banner`, at 0x4000)" in f.message
    assert (f.location.section, f.location.symbol) == (".data", "banner")


def test_relative_relocations_are_silent():
    assert findings_of(sample("kl712", "good-defined.so"), "KL712") == []


def test_only_gnu_efi_objects():
    """An ELF without gnu-efi's .reloc (a kernel, a Linux shared library) is not judged."""
    assert findings_of(sample("kl105", "bad-nopagealign.elf"), "KL712") == []
    assert findings_of(sample("kl708", "bad-gnuefi-so.efi"), "KL712") == []
