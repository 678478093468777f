"""--write-baseline / --baseline: CI fails only on new findings."""

import json
import shutil

from tests.conftest import kernlint, sample


def test_baseline_hides_recorded_findings_and_shows_new_ones(tmp_path):
    shutil.copy(sample("kl105", "bad-phdrs-rwx.elf"), tmp_path / "k.elf")
    base = tmp_path / "baseline.json"
    w = kernlint(
        "check", "--fail-on", "warning", "--write-baseline", str(base), "k.elf", cwd=tmp_path
    )
    assert w.code == 0 and base.is_file()
    doc = json.loads(base.read_text())
    assert doc["findings"] == [{"rule": "KL105", "path": "k.elf", "where": "segment:0", "count": 1}]
    again = kernlint(
        "check", "--fail-on", "warning", "--baseline", str(base), "k.elf", cwd=tmp_path
    )
    assert again.code == 0 and "(1 in the baseline)" in again.stdout
    shutil.copy(sample("kl101", "bad-bootcode.elf"), tmp_path / "new.elf")
    new = kernlint(
        "check", "--format", "json", "--baseline", str(base), "k.elf", "new.elf", cwd=tmp_path
    )
    assert new.code == 1 and new.rules == {"KL101"}
    assert new.report["summary"]["baselined"] == 1


def test_baseline_keys_survive_address_changes(tmp_path):
    """A section moved to another address is the same finding."""
    from kernlint.baseline import finding_key
    from kernlint.finding import Finding, Location

    a = Finding(
        "x at 0x100000", Location(section=".boot", address=0x100000), rule="KL101", path="k.elf"
    )
    b = Finding(
        "x at 0x200000", Location(section=".boot", address=0x200000), rule="KL101", path="k.elf"
    )
    assert finding_key(a) == finding_key(b)


def test_bad_baseline_is_exit_2(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text("[]")
    run = kernlint("check", "--baseline", str(bad), str(sample("kl101", "bad-bootcode.elf")))
    assert run.code == 2 and "not a kernlint baseline" in run.stderr


def test_write_baseline_counts_what_it_wrote_and_names_unreadable_inputs(tmp_path):
    """KL001 is never recorded (an unreadable input must fail every run), so the count
    printed is what the file holds, and the unreadable inputs are named apart."""
    shutil.copy(sample("kl105", "bad-phdrs-rwx.elf"), tmp_path / "k.elf")
    (tmp_path / "junk.elf").write_bytes(b"MZ" + bytes(100))
    base = tmp_path / "baseline.json"
    run = kernlint(
        "check", "--write-baseline", str(base), "k.elf", "junk.elf", "gone.elf", cwd=tmp_path
    )
    assert run.code == 2
    doc = json.loads(base.read_text())
    assert [e["rule"] for e in doc["findings"]] == ["KL105"]
    written = sum(e["count"] for e in doc["findings"])
    lines = run.stderr.splitlines()
    assert lines[0] == f"kernlint: wrote {written} finding(s) to {base}"
    assert lines[1] == (
        "kernlint: error: left out 2 unreadable input(s), which a baseline never records (KL001):"
    )
    assert sorted(ln.split(":")[0].strip() for ln in lines[2:]) == ["gone.elf", "junk.elf"]
    clean = kernlint("check", "--write-baseline", str(base), "k.elf", cwd=tmp_path)
    assert clean.code == 0 and clean.stderr == f"kernlint: wrote 1 finding(s) to {base}\n"
