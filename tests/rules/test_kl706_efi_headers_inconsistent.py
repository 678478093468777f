from tests.conftest import findings_of, sample


def test_truncated_file():
    (f,) = findings_of(sample("kl706", "bad-truncated.efi"), "KL706")
    assert "section .reloc's raw data (file offset 0xa00-0xc00)" in f.message
    assert "(0xa28 bytes)" in f.message and f.location.offset == 0xA00


def test_whole_file_is_silent():
    assert findings_of(sample("kl706", "good-whole.efi"), "KL706") == []
