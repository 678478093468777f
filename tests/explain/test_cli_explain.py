"""The ``kernlint explain`` command: rule or log, stdin, formats, colour, bad input;
and ``kernlint rules --format json``."""

from __future__ import annotations

import json
import os
import re

import jsonschema
import pytest

from kernlint.engine import all_rules
from tests.conftest import kernlint
from tests.explain.conftest import SCHEMA, explain, explain_log

#: A log we cannot produce here, typed from the sources named on each line's comment
#: in the pattern modules: cargo's wrapper around rust-lld (rust-osdev/bootimage#73,
#: phil-opp/blog_os#937), Linux's vmlinux.lds.S ASSERTs (an LKML build log), GRUB's
#: `error: %s.` (grub-core/kern/err.c), Limine's panics (common/lib/elf.c).
HAND_TYPED = """\
   Compiling blog_os v0.1.0 (/home/u/blog_os)
error: linking with `rust-lld` failed: exit status: 1
  |
  = note: rust-lld: error: bootloader.8xx1g5ts-cgu.1:(.boot+0x6A): relocation R_X86_64_16 \
out of range: 87040 is not in [-32768, 65535]; references _kernel_start_addr
          >>> defined in /t/libbootloader-040dab97d2aff907.rlib(kernel_bin-blog_os.o)

error: aborting due to previous error
  LD      vmlinux
ld.lld: error: Unexpected run-time relocations (.rela) detected!
ld: Unexpected GOT/PLT entries detected!
make[2]: *** [scripts/Makefile.vmlinux:36: vmlinux] Error 1
Booting `kernlint'
error: premature end of file /boot/kernel.elf.
\x1b[31mPANIC\x1b[37;1m\x1b[0m: elf: Attempted to load ELF file with overlapping PHDRs (1 and 2 \
overlap)
"""


def test_hand_typed_lines_from_cargo_linux_grub_and_limine(tmp_path):
    run = explain_log(tmp_path, HAND_TYPED.replace("\\x1b", "\x1b"))
    got = [(f["location"]["line"], f["rule"]) for f in run.findings]
    assert got == [(4, "KL501"), (9, "KL502"), (10, "KL502"), (13, "KL001"), (14, "KL107")]
    cargo = run.findings[0]
    assert "R_X86_64_16 at bootloader.8xx1g5ts-cgu.1:(.boot+0x6A)" in cargo["message"]
    assert "symbol `_kernel_start_addr`" in cargo["message"] and "64 KiB" in cargo["message"]
    assert "kernel_bin-blog_os.o" in cargo["matched"]
    assert "run-time relocations (.rela)" in run.findings[1]["message"]
    assert "/boot/kernel.elf" in run.findings[3]["message"]
    assert "program headers 1 and 2" in run.findings[4]["message"]


def test_stdin_in_a_real_process(tmp_path):
    line = b"ld: warning: kernel.elf has a LOAD segment with RWX permissions\n"
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "kernlint", "explain", "-"],
        input=line,
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=120,
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0
    assert out.startswith("-:1: ld: warning: kernel.elf has a LOAD segment with RWX permissions\n")
    assert "  rule KL105 rwx-segment [warning]\n" in out
    assert "\x1b[" not in out  # not a terminal: no colour
    assert out.rstrip().endswith("Explained 1 of 1 line in -: KL105.")


def test_stdin_json():
    run = explain("-", "--format", "json", stdin=b"bs.asm:5: error: TIMES value -12 is negative\n")
    assert run.code == 0
    jsonschema.validate(run.doc, SCHEMA)
    (f,) = run.doc["findings"]
    assert f["path"] == "-" and f["location"] == {"line": 1} and f["rule"] == "KL301"
    assert f["matched"] == "bs.asm:5: error: TIMES value -12 is negative"
    assert f["checked"] is True and f["severity"] == "error"
    assert run.doc["summary"]["findings"] == 1 and run.doc["summary"]["errors"] == 1


def test_nothing_known_says_so_and_exits_0(tmp_path):
    log = tmp_path / "make.log"
    log.write_text("make: Entering directory '/src'\ncc -c -o main.o main.c\n")
    run = explain(log)
    assert run.code == 0
    assert run.stdout.startswith(f"Nothing known in {log} (2 lines): kernlint recognises")
    doc = explain(log, "--format", "json").doc
    jsonschema.validate(doc, SCHEMA)
    assert doc["findings"] == [] and doc["summary"]["files"] == 1


def test_binary_junk_does_not_crash(tmp_path):
    import time

    junk = tmp_path / "junk.log"
    junk.write_bytes(bytes(range(256)) * 40 + b"\xff\xfe" * 50000 + b"\n\x00ld: \xc3\x28 x\n")
    start = time.monotonic()
    run = explain(junk)
    assert time.monotonic() - start < 20
    lines = 40 + 2  # bytes(range(256)) holds a newline
    assert run.code == 0 and f"Nothing known in {junk} ({lines} lines)" in run.stdout


def test_undecodable_bytes_in_a_known_line(tmp_path):
    log = tmp_path / "b.log"
    log.write_bytes(b"ld: warning: k\xff.elf has a LOAD segment with RWX permissions\n")
    (f,) = explain(log, "--format", "json").doc["findings"]
    assert f["rule"] == "KL105" and "k\ufffd.elf" in f["message"]


@pytest.mark.parametrize(
    "args, words",
    [
        (("KL999",), "KL999: no such rule"),
        (("no-such-rule-or-file",), "no such rule (see `kernlint rules`) or log file"),
        (("KL101", "--artifacts", "x"), "--artifacts goes with a log"),
        (("-", "--artifacts", "/nonexistent/dir"), "--artifacts /nonexistent/dir: no such file"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args, words):
    run = explain(*args, stdin=b"")
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and words in run.stderr


def test_unreadable_log_is_one_line_exit_2(tmp_path):
    run = explain(tmp_path)
    assert run.code == 2 and run.stderr.startswith(f"kernlint: error: {tmp_path}: cannot read")
    locked = tmp_path / "locked.log"
    locked.write_text("x\n")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as a user who reads every file")
        run = explain(locked)
        assert run.code == 2 and "cannot read" in run.stderr and run.stderr.count("\n") == 1
    finally:
        locked.chmod(0o644)


def test_an_existing_file_named_like_a_rule_is_a_log(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "KL105").write_text("ld: warning: a has a LOAD segment with RWX permissions\n")
    assert explain("KL105").stdout.startswith("KL105:1: ld: warning: a has a LOAD segment")
    assert explain("rwx-segment").stdout.startswith("KL105 rwx-segment (warning)\n\n")


def test_rule_documentation_plain_and_in_colour():
    plain = explain("KL105")
    assert plain.code == 0
    assert plain.stdout.startswith("KL105 rwx-segment (warning)\n\nA `PT_LOAD` segment")
    assert "## Use instead\n```ld\n" in plain.stdout
    # The messages end the References section: the template's five headings stay.
    assert re.findall(r"^## (.+)$", plain.stdout, re.M) == [
        "What it does",
        "Why is this bad?",
        "Example",
        "Use instead",
        "References",
    ]
    assert (
        "- Log messages `kernlint explain` names this rule for:\n"
        "  - `ld: warning: rwx_bfd.elf has a LOAD"
    ) in plain.stdout
    from click.testing import CliRunner

    from kernlint.cli import cli

    coloured = CliRunner().invoke(cli, ["explain", "KL105"], color=True).stdout
    assert "\x1b[1mKL105 rwx-segment (warning)\x1b[0m" in coloured
    assert "\x1b[1m\x1b[4mUse instead\x1b[0m" in coloured and "## " not in coloured
    assert "```" not in coloured and "\x1b[36m    PHDRS" in coloured
    no_color = CliRunner(env={"NO_COLOR": "1"}).invoke(cli, ["explain", "KL105"], color=True)
    assert "\x1b[" not in no_color.stdout


def test_log_report_in_colour(tmp_path):
    from click.testing import CliRunner

    from kernlint.cli import cli

    log = tmp_path / "b.log"
    log.write_text("(.text+0x1): relocation truncated to fit: R_X86_64_32 against `.data'\n")
    out = CliRunner().invoke(cli, ["explain", str(log)], color=True).stdout
    assert f"\x1b[1m{log}:1:\x1b[0m" in out
    assert "not yet checked" not in out  # KL501 has its module
    assert "\x1b[31merror\x1b[0m" in out


def test_rule_json():
    doc = json.loads(explain("KL206", "--format", "json").stdout)
    assert doc["id"] == "KL206" and doc["name"] == "location-counter-backwards"
    assert doc["doc"].startswith("An assignment inside an output section")
    assert any("cannot move location counter backwards" in m for m in doc["log_messages"])


def test_rules_json_has_exactly_the_documented_keys():
    run = kernlint("rules", "--format", "json")
    doc = json.loads(run.stdout)
    assert list(doc) == ["rules"]
    ids = [r["id"] for r in doc["rules"]]
    assert ids == sorted(set(ids)) and {r.id for r in all_rules()} <= set(ids)
    for r in doc["rules"]:
        assert list(r) == ["id", "name", "severity", "summary", "applies_to", "group"]
        assert r["group"] in ("default", "pedantic")
        assert r["applies_to"] == sorted(r["applies_to"]) and r["summary"]
    table = kernlint("rules").stdout.splitlines()
    assert [row.split()[0] for row in table] == ids
    assert table[0].startswith("KL001  unreadable-input")


def test_unreadable_artifact_is_reported_without_failing(tmp_path):
    bad = tmp_path / "broken.elf"
    bad.write_bytes(b"\x7fELF" + bytes(10))
    log = tmp_path / "b.log"
    log.write_text("ld: warning: broken.elf has a LOAD segment with RWX permissions\n")
    run = explain(log, "--artifacts", bad)
    assert run.code == 0 and "rule KL105 rwx-segment" in run.stdout
    assert run.stderr.startswith(f"kernlint: warning: --artifacts {bad}: malformed ELF")


def test_every_rule_doc_lists_the_messages_it_explains():
    """Issue #16: each rule's documentation lists, in its References, the log messages
    explain names it for and those it is one possible cause of; headings stay the
    template's."""
    from kernlint.explain.ruledoc import messages

    for rule in all_rules():
        own, shared = messages(rule)
        text = explain(rule.id).stdout
        if own or shared:
            assert re.findall(r"^## (.+)$", text, re.M)[-1] == "References", rule.id
        for sample in own + shared:
            assert f"  - `{sample}`" in text, (rule.id, sample)
        if rule.id == "KL408":
            assert "without PVH ELF Note`" in text.split("one possible cause of")[1]
    doc = json.loads(explain("KL403", "--format", "json").stdout)
    assert "Error 13: Invalid or unsupported executable format" in doc["shared_log_messages"]
