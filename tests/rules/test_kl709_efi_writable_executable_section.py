from kernlint.engine import run, select_rules
from tests.conftest import sample


def test_rwe_text_is_a_warning():
    result = run([str(sample("kl709", "bad-wx.efi"))], select_rules())
    (f,) = result.findings
    assert (f.rule, f.severity, f.location.section) == ("KL709", "warning", ".text")


def test_split_sections_are_silent():
    assert run([str(sample("kl709", "good-split.efi"))], select_rules(["KL709"])).findings == []
