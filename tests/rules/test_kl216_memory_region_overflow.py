"""KL216 runs GNU ld's MEMORY region checks on the predicted layout, before linking:
on the samples, and on small links whose region errors are compared line for line
with what ld 2.40 prints."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import kernlint, sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

BOOT = """
    .code16
    .section .boot, "ax", @progbits
    .globl _start
_start:
    cli
    .fill 400, 1, 0x90
    hlt
    .section .rodata.msg, "a", @progbits
    .fill 100, 1, 0x41
    .section .bss, "aw", @nobits
    .skip 64
"""

MEMORY = """MEMORY {
    CODE (rx) : ORIGIN = 0x7c00, LENGTH = 446
    RAM (rwx) : ORIGIN = 0x10000, LENGTH = 0x1000
}
"""

#: SECTIONS bodies: each links with region errors, or none, under GNU ld.
CASES = {
    "alone": ".boot : { *(.boot) *(.rodata*) } > CODE /DISCARD/ : { *(.bss) }",
    "then-bss": ".boot : { *(.boot) *(.rodata*) } > CODE .bss : { *(.bss) } > CODE",
    "other-region": ".boot : { *(.boot) *(.rodata*) } > CODE .bss : { *(.bss) } > RAM",
    "second-overflows": ".boot : { *(.boot) } > CODE .r : { *(.rodata*) } > CODE",
    "own-address": ".boot 0x8000 : { *(.boot) } > CODE .bss : { *(.bss) } > CODE",
    "lma-region": ".boot : { *(.boot) } > RAM AT> CODE .r : { *(.rodata*) } > RAM AT> CODE",
    "fits": ".boot : { *(.boot) } > CODE .r : { *(.rodata*) } > RAM .bss : { *(.bss) } > RAM",
    "bss-default-w": ".boot : { *(.boot) } > CODE .r : { *(.rodata*) } > CODE .bss : { *(.bss) }",
}

NO_W = "MEMORY { CODE (rx) : ORIGIN = 0x7c00, LENGTH = 0x400 }\n"
NO_W_CASES = {
    "bss-no-region": ".boot : { *(.boot) } > CODE .bss : { *(.bss) }",
    "bss-noload-no-region": ".boot : { *(.boot) } > CODE .bss (NOLOAD) : { *(.bss) }",
}

REGION_LINE = re.compile(
    r"(?:will not fit in region|overflowed by|not within region|no memory region specified)"
)


def _normalise(line: str) -> str:
    """A region line of ld's stderr without `ld: `, `error: ` and the output's name."""
    line = re.sub(r"^(?:ld: )?(?:error: )?", "", line)
    line = re.sub(r"of \S+\.elf section", "of section", line)
    return re.sub(r"^\S+\.elf section", "section", line)


@pytest.fixture(scope="module")
def boot_o(tmp_path_factory):
    d = tmp_path_factory.mktemp("kl216")
    (d / "boot.s").write_text(BOOT)
    subprocess.run(["as", "--32", "-o", str(d / "boot.o"), str(d / "boot.s")], check=True)
    return d / "boot.o"


def _compare(tmp_path, boot_o, name: str, memory: str, body: str) -> list[str]:
    script = tmp_path / f"{name}.ld"
    script.write_text(f"ENTRY(_start)\n{memory}SECTIONS {{ {body} }}\n")
    out = tmp_path / f"{name}.elf"
    cmd = ["ld", "-m", "elf_i386", "--no-warn-rwx-segments", "-T", str(script)]
    ld = subprocess.run([*cmd, "-o", str(out), str(boot_o)], capture_output=True, text=True)
    want = [_normalise(x) for x in ld.stderr.splitlines() if REGION_LINE.search(x)]
    # each message once, in ld's order (ld repeats "not within" on a relaxation pass)
    want = list(dict.fromkeys(want))
    from kernlint.layout import lay_out_files

    lay = lay_out_files(str(script), [str(boot_o)])
    got = [_normalise(e) for e in lay.errors if REGION_LINE.search(e)]
    assert got == want, (name, ld.stderr)
    assert (ld.returncode != 0) == bool(want), (name, ld.stderr)
    return got


@pytest.mark.parametrize("name", sorted(CASES))
def test_region_errors_agree_with_gnu_ld(tmp_path, boot_o, name):
    _compare(tmp_path, boot_o, name, MEMORY, CASES[name])


@pytest.mark.parametrize("name", sorted(NO_W_CASES))
def test_no_memory_region_agrees_with_gnu_ld(tmp_path, boot_o, name):
    got = _compare(tmp_path, boot_o, name, NO_W, NO_W_CASES[name])
    assert got == ["no memory region specified for loadable section `.bss'"]


def test_a_single_output_section_gets_no_overflow_total(tmp_path, boot_o):
    """ld's lang_check_section_addresses stops at once for a one-section output."""
    got = _compare(tmp_path, boot_o, "alone", MEMORY, CASES["alone"])
    assert got == ["section `.boot' will not fit in region `CODE'"]


def test_sample_code_area_overflow():
    run = kernlint("check", "--format", "json", str(sample("kl216", "bad-mbr-code-area.ld")))
    (f,) = [f for f in run.report["findings"] if f["rule"] == "KL216"]
    assert "31 bytes past 0x7dbe" in f["message"]
    assert "boot.o(.boot) 382 bytes, boot.o(.rodata.msg) 95 bytes" in f["message"]
    assert f["location"]["line"] == 11
    stderr = sample("kl216", "bad-mbr-code-area.ld-stderr").read_text()
    assert "region `CODE' overflowed by 31 bytes" in stderr


def test_sample_no_region():
    run = kernlint("check", "--format", "json", str(sample("kl216", "bad-no-region.ld")))
    (f,) = [f for f in run.report["findings"] if f["rule"] == "KL216"]
    assert "`.bss'" in f["message"] and f["location"]["line"] == 14
    stderr = sample("kl216", "bad-no-region.ld-stderr").read_text()
    assert "no memory region specified for loadable section `.bss'" in stderr


def test_explain_maps_the_samples_ld_output_to_kl216():
    for name in ("bad-mbr-code-area.ld-stderr", "bad-no-region.ld-stderr"):
        run = kernlint("explain", "--format", "json", str(sample("kl216", name)))
        rules = {f["rule"] for f in run.report["findings"]}
        assert rules == {"KL216"}, run.stdout


def test_explain_pinpoints_the_overflow_with_artifacts():
    log = sample("kl216", "bad-mbr-code-area.ld-stderr")
    script = sample("kl216", "bad-mbr-code-area.ld")
    out = kernlint("explain", str(log), "--artifacts", str(script)).stdout
    assert "in the artifacts:" in out and "31 bytes past 0x7dbe" in out
