from tests.conftest import findings_of, sample


def test_entry_in_data():
    (f,) = findings_of(sample("kl707", "bad-entry-data.efi"), "KL707")
    assert "AddressOfEntryPoint (0x3000) is in section .data" in f.message
    assert f.location.section == ".data" and f.location.address == 0x140003000


def test_entry_in_text_is_silent():
    for name in ("good-entry-code.efi",):
        assert findings_of(sample("kl707", name), "KL707") == []
    assert findings_of(sample("kl708", "good-gnuefi.efi"), "KL707") == []
