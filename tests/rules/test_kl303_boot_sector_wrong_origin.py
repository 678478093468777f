from tests.conftest import findings_of, sample


def test_linked_at_zero_without_segment_setup():
    (f,) = findings_of(sample("kl303", "bad-origin-0.elf"), "KL303")
    assert "linked at 0x0 and sets up no 0x07c0 segment" in f.message
    assert "0x7c00 bytes too low" in f.message
    assert f.location.section == ".text" and f.location.address == 0


def test_linked_at_0x1000():
    (f,) = findings_of(sample("kl303", "bad-origin-1000.elf"), "KL303")
    assert "linked at 0x1000" in f.message and "0x6c00 bytes too low" in f.message


def test_good_twins_are_silent():
    for name in ("good-origin-7c00.elf", "good-origin-0-ljmp.elf"):
        assert findings_of(sample("kl303", name), "KL3") == [], name


def test_ordinary_kernels_are_not_boot_sectors():
    for rule, name in (("kl105", "good-split.elf"), ("kl101", "bad-bootcode.elf")):
        try:
            path = sample(rule, name)
        except ValueError:
            continue
        if path.exists():
            assert findings_of(path, "KL303") == [], name
