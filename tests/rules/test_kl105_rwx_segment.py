from tests.conftest import findings_of, sample


def test_rwx_segments_are_reported_with_their_sections():
    for name in ("bad-nopagealign.elf", "bad-phdrs-rwx.elf"):
        (f,) = findings_of(sample("kl105", name), "KL105")
        assert f.location.segment == 0 and "RWE" in f.message and ".data" in f.message


def test_fixed_twin():
    assert findings_of(sample("kl105", "good-split.elf"), "KL105") == []
