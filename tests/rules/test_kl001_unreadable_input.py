"""KL001 names what is wrong with a malformed file, for each class of damage."""

import struct

import pytest

from tests.conftest import findings_of, sample

SEED = sample("kl101", "bad-bootcode.elf")


def smashed(tmp_path, patch):
    data = bytearray(SEED.read_bytes())
    patch(data)
    path = tmp_path / "smashed.elf"
    path.write_bytes(bytes(data))
    return path


def e_shoff(data):
    return struct.unpack_from("<Q", data, 40)[0]


@pytest.mark.parametrize(
    "patch, words",
    [
        (lambda d: d.__delitem__(slice(40, None)), "the ELF64 header needs 64 bytes"),
        (lambda d: struct.pack_into("<Q", d, 40, len(d) - 10), "section header table"),
        (lambda d: struct.pack_into("<Q", d, 32, len(d) - 8), "program header table"),
        (lambda d: struct.pack_into("<H", d, 62, 200), "e_shstrndx 200 is not a section"),
        (lambda d: struct.pack_into("<H", d, 54, 8), "entry size is 8 bytes, expected 56"),
        (lambda d: struct.pack_into("<H", d, 58, 8), "entry size is 8 bytes, expected 64"),
        (lambda d: struct.pack_into("<I", d, e_shoff(d) + 64, 0x7FFF), "name offset 0x7fff"),
        (lambda d: struct.pack_into("<Q", d, e_shoff(d) + 64 + 32, 1 << 40), "runs past the end"),
        (lambda d: struct.pack_into("<B", d, 4, 9), "EI_CLASS or EI_DATA"),
    ],
)
def test_each_kind_of_damage_is_named(tmp_path, patch, words):
    (f,) = findings_of(smashed(tmp_path, patch), "KL001")
    assert words in f.message


def test_symbol_table_of_the_wrong_size_is_kl001_not_a_crash(tmp_path):
    from kernlint.elf.reader import read_image

    image = read_image(str(SEED))
    symtab = image.section_by_name(".symtab")
    image.reader.close()
    base = e_shoff(SEED.read_bytes()) + 64 * symtab.index
    path = smashed(tmp_path, lambda d: struct.pack_into("<Q", d, base + 32, symtab.sh_size - 5))
    (f,) = findings_of(path, "KL101")  # KL101 reads the symbol table
    assert f.rule == "KL001" and "symbols are 24 bytes each" in f.message
