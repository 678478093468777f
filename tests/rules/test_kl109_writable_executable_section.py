from tests.conftest import findings_of, sample


def test_awx_section():
    for name in ("bad-awx.elf", "bad-awx-rwx.elf"):
        (f,) = findings_of(sample("kl109", name), "KL109")
        assert f.location.section == ".trampoline" and '"ax"' in f.fix


def test_omagic_text():
    (f,) = findings_of(sample("kl109", "bad-omagic.elf"), "KL109")
    assert f.location.section == ".text"


def test_fixed_twin():
    assert findings_of(sample("kl109", "good-ax.elf"), "KL109") == []
