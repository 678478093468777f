from kernlint.engine import run, select_rules
from tests.conftest import findings_of, sample


def test_opt_in_only():
    image = str(sample("kl710", "bad-no-nxcompat.efi"))
    assert run([image], select_rules()).findings == []  # not in the default set
    (f,) = run([image], select_rules(["pedantic"])).findings
    assert f.rule == "KL710" and "lack NX_COMPAT" in f.message


def test_nx_compat_over_a_wx_section():
    (f,) = findings_of(sample("kl709", "bad-wx.efi"), "KL710")
    assert "NX_COMPAT is set, but section .text is writable and executable" in f.message


def test_gnu_efi_objcopy_never_sets_it():
    assert findings_of(sample("kl708", "good-gnuefi.efi"), "KL710")
    assert findings_of(sample("kl710", "good-nxcompat.efi"), "KL710") == []
