from kernlint.engine import run, select_rules
from tests.conftest import findings_of, sample


def test_opt_in_only():
    image = str(sample("kl711", "bad-align512.efi"))
    assert run([image], select_rules()).findings == []
    (f,) = run([image], select_rules(["pedantic"])).findings
    assert f.rule == "KL711" and "SectionAlignment is 0x200, not a multiple of 4 KiB" in f.message


def test_default_alignment_is_silent():
    assert findings_of(sample("kl711", "good-align4k.efi"), "KL711") == []
