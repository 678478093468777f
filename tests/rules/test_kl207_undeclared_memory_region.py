"""KL207 undeclared-memory-region: samples, edge cases, and GNU ld / ld.lld as ground
truth (an undeclared region is a warning and address 0 for GNU ld, an error for
ld.lld; a late REGION_ALIAS is fatal for GNU ld)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from rules.kl207_undeclared_memory_region import check
from tests.conftest import findings_of, lint_script, sample

RULE = "KL207"
HAVE_GNU = bool(shutil.which("as") and shutil.which("ld"))
HAVE_LLD = bool(shutil.which("as") and shutil.which("ld.lld"))


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, must_parse=True, **others)


MEMORY = "MEMORY\n{\n  ram (rwx) : ORIGIN = 0x100000, LENGTH = 16M\n}\n"


def script(trailer: str, before: str = MEMORY, after: str = "") -> str:
    return (
        f"ENTRY(_start)\n{before}SECTIONS\n{{\n"
        f"  .text : {{ *(.text .text.*) }} {trailer}\n}}\n{after}"
    )


# ----------------------------------------------------------------------------- samples


def test_typo_in_region_name():
    (f,) = findings_of(sample("kl207", "bad-typo.ld"), RULE)
    loc = f.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (14, 9, 14, 12)
    assert "output section `.text` uses `> RAM`" in f.message
    assert "no MEMORY region `RAM` is declared (declared: ram)" in f.message
    assert "memory region `RAM' not declared" in f.message  # GNU ld's words
    assert "links `.text` at address 0" in f.message
    assert "memory region 'RAM' not declared" in f.message  # ld.lld's words
    assert f.fix == "> ram"


def test_undeclared_lma_region():
    (f,) = findings_of(sample("kl207", "bad-lma-region.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (21, 17, 22)
    assert "`.rodata` uses `AT> flash`" in f.message and "(declared: ram, rom)" in f.message
    assert "loads `.rodata` from address 0" in f.message
    assert f.fix == "name a declared region (ram, rom), or declare `flash` in MEMORY"


def test_alias_after_its_uses():
    found = findings_of(sample("kl207", "bad-alias-order.ld"), RULE)
    assert [(f.location.line, f.location.column) for f in found] == [
        (12, 9),
        (17, 9),
        (22, 9),
        (30, 9),
    ]
    assert "uses `> REGION_TEXT` before REGION_ALIAS defines `REGION_TEXT` (line 33)" in (
        found[0].message
    )
    assert "redefinition of memory region alias `REGION_TEXT'" in found[0].message
    assert "(line 34)" in found[3].message
    assert all(f.fix == "move the REGION_ALIAS above SECTIONS" for f in found)


def test_fixed_twins():
    for name in ("good-typo.ld", "good-lma-region.ld", "good-alias-order.ld"):
        assert findings_of(sample("kl207", name), RULE) == [], name


def test_committed_logs_hold_the_linkers_words():
    folder = sample("kl207", "README.md").parent
    logs = {p.name: p.read_text() for p in folder.glob("linked-bad-*.log")}
    if not logs:
        pytest.skip("sample not built (make -C samples/kl207-undeclared-memory-region)")
    assert "warning: memory region `RAM' not declared" in logs["linked-bad-typo.log"]
    assert "ld.lld: error: memory region 'RAM' not declared" in logs["linked-bad-typo.lld.log"]
    assert "warning: memory region `flash' not declared" in logs["linked-bad-lma-region.log"]
    assert (
        "error: redefinition of memory region alias `REGION_TEXT'"
        in (logs["linked-bad-alias-order.log"])
    )


# ----------------------------------------------------------------------------- edge cases


def test_declared_region_and_alias_are_fine(tmp_path):
    assert lint(tmp_path, script("> ram")) == []
    aliased = MEMORY + 'REGION_ALIAS("REGION_TEXT", ram);\n'
    assert lint(tmp_path, script("> REGION_TEXT AT> REGION_TEXT", before=aliased)) == []
    chained = aliased + 'REGION_ALIAS("CODE", REGION_TEXT);\n'
    assert lint(tmp_path, script("> CODE", before=chained)) == []


def test_memory_after_sections_is_fine(tmp_path):
    # GNU ld warns ("not declared", then "redeclaration") but places .text in ram.
    assert lint(tmp_path, script("> ram", before="", after=MEMORY)) == []


def test_region_from_an_included_file(tmp_path):
    text = script("> ram", before="INCLUDE regions.inc\n")
    assert lint(tmp_path, text, **{"regions.inc": MEMORY}) == []
    inside = "MEMORY\n{\n  INCLUDE ram.inc\n}\n"
    body = "ram (rwx) : ORIGIN = 0x100000, LENGTH = 16M\n"
    assert lint(tmp_path, script("> ram", before=inside), **{"ram.inc": body}) == []


def test_use_in_an_included_file_is_reported_at_the_include(tmp_path):
    sections = "SECTIONS\n{\n  .text : { *(.text .text.*) } > RAM\n}\n"
    text = f"ENTRY(_start)\n{MEMORY}INCLUDE sections.inc\n"
    (f,) = lint(tmp_path, text, **{"sections.inc": sections})
    assert (f.location.line, f.location.column) == (6, 1)
    assert f"(in {tmp_path / 'sections.inc'}:3:3, included here)" in f.message
    assert f.fix == "> ram"


def test_fragment_without_memory_is_not_checked(tmp_path):
    assert lint(tmp_path, script("> FLASH AT> RAM", before="")) == []


def test_unfollowed_include_silences_the_rule(tmp_path):
    text = script("> FLASH", before=MEMORY + "INCLUDE missing.inc\n")
    assert lint(tmp_path, text) == []


def test_overlay_regions(tmp_path):
    text = (
        f"ENTRY(_start)\n{MEMORY}SECTIONS\n{{\n"
        "  OVERLAY : { .a { *(.a) } .b { *(.b) } } > ovl AT> ram\n}\n"
    )
    (f,) = lint(tmp_path, text)
    assert "the OVERLAY uses `> ovl`" in f.message
    assert (f.location.line, f.location.column) == (8, 45)


def test_both_trailers_undeclared(tmp_path):
    found = lint(tmp_path, script("> Ram AT > rom"))
    assert [(f.location.column, f.location.end_column, f.fix) for f in found] == [
        (34, 37, "> ram"),
        (43, 46, "AT> ram"),
    ]


def test_alias_of_undeclared_region(tmp_path):
    text = script("> CODE", before=MEMORY + 'REGION_ALIAS("CODE", flash);\n')
    (f,) = lint(tmp_path, text)
    assert f.location.line == 6
    assert "memory region `flash' for alias `CODE' does not exist" in f.message
    assert f.fix == "declare `flash` in MEMORY or alias a declared region"


def test_alias_before_memory(tmp_path):
    text = script("> CODE", before='REGION_ALIAS("CODE", ram);\n' + MEMORY)
    (f,) = lint(tmp_path, text)
    assert f.location.line == 2
    assert "comes before the MEMORY command that declares `ram` (line 5)" in f.message
    assert f.fix == "move the REGION_ALIAS below the MEMORY command"


def test_silent_without_a_script():
    from kernlint.config import Config
    from kernlint.context import SCRIPT_INVALID, Context

    ctx = Context("x.ld", SCRIPT_INVALID, Config(), script_text="SECTIONS {")
    assert list(check(ctx)) == []


# ----------------------------------------------------------------------------- ground truth

KERNEL = ".text\n.globl _start\n_start: hlt\n"
LDFLAGS = ["-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack"]


def link(tmp_path, linker: str, text: str) -> tuple[subprocess.CompletedProcess, str]:
    (tmp_path / "k.s").write_text(KERNEL)
    subprocess.run(["as", "--64", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)
    (tmp_path / "s.ld").write_text(text)
    proc = subprocess.run(
        [linker, *LDFLAGS, "-T", "s.ld", "-o", "k.elf", "k.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    return proc, str(tmp_path / "k.elf")


def text_address(elf: str) -> int:
    out = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    (line,) = [x for x in out.splitlines() if x.endswith(" _start")]
    return int(line.split()[0], 16)


@pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
def test_gnu_ld_warns_and_links_at_zero(tmp_path):
    bad = script("> RAM")
    proc, elf = link(tmp_path, "ld", bad)
    assert proc.returncode == 0
    assert "warning: memory region `RAM' not declared" in proc.stderr
    assert text_address(elf) == 0
    assert lint(tmp_path, bad)
    proc, elf = link(tmp_path, "ld", script("> ram"))
    assert proc.returncode == 0 and proc.stderr == "" and text_address(elf) == 0x100000


@pytest.mark.skipif(not HAVE_GNU, reason="needs GNU as/ld")
def test_gnu_ld_rejects_a_late_alias_and_accepts_a_late_memory(tmp_path):
    late_alias = script("> CODE", after='REGION_ALIAS("CODE", ram);\n')
    proc, _ = link(tmp_path, "ld", late_alias)
    assert proc.returncode != 0
    assert "error: redefinition of memory region alias `CODE'" in proc.stderr
    assert lint(tmp_path, late_alias)
    late_memory = script("> ram", before="", after=MEMORY)
    proc, elf = link(tmp_path, "ld", late_memory)
    assert proc.returncode == 0 and "redeclaration of memory region `ram'" in proc.stderr
    assert text_address(elf) == 0x100000
    assert lint(tmp_path, late_memory) == []


@pytest.mark.skipif(not HAVE_LLD, reason="needs ld.lld")
def test_lld_refuses_the_undeclared_region(tmp_path):
    proc, _ = link(tmp_path, "ld.lld", script("AT> flash"))
    assert proc.returncode != 0
    assert "error: memory region 'flash' not declared" in proc.stderr


# --------------------------------------------------------------- issue 12: exactness

CCFG = """\
MEMORY { FLASH (rx) : ORIGIN = 0x1000, LENGTH = 64K }
SECTIONS {
  .text : { *(.text) } > FLASH
  .ccfg : { KEEP(*(.ccfg)) } > ccfg
}
"""
CODE = ".text\n.globl _start\n_start: nop\n"
WITH_CCFG = CODE + '.section .ccfg,"a"\n.long 1\n'


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("as", "ld", "ld.lld", "readelf")), reason="needs both linkers"
)
@pytest.mark.parametrize("source, has_input", [(CODE, False), (WITH_CCFG, True)])
def test_undeclared_region_of_a_section_that_may_be_empty(tmp_path, source, has_input):
    """`.ccfg : { KEEP(*(.ccfg)) } > ccfg` with no `ccfg` region: GNU ld 2.40 warns
    either way (an empty .ccfg is dropped, a non-empty one is linked at 0); ld.lld
    accepts it while it is empty and stops only when it gets input."""
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    (tmp_path / "k.s").write_text(source)
    (tmp_path / "link.ld").write_text(CCFG)
    subprocess.run(["as", "-o", "k.o", "k.s"], cwd=tmp_path, check=True)

    def link(tool):
        return subprocess.run(
            [tool, "-T", "link.ld", "-o", f"{tool}.elf", "k.o"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": "C"},
        )

    gnu, lld = link("ld"), link("ld.lld")
    assert gnu.returncode == 0 and "memory region `ccfg' not declared" in gnu.stderr
    sections = subprocess.run(
        ["readelf", "-SW", "ld.elf"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    ccfg = [x for x in sections.splitlines() if " .ccfg " in x]
    assert bool(ccfg) == has_input and all(" 0000000000000000 " in x for x in ccfg)
    assert (lld.returncode != 0) == has_input
    assert ("memory region 'ccfg' not declared" in lld.stderr) == has_input

    (alone,) = run([str(tmp_path / "link.ld")], select_rules([RULE])).findings
    assert alone.severity == "warning"
    assert "if it stays empty, GNU ld drops it and ld.lld accepts it" in alone.message
    config = Config(objects=(str(tmp_path / "k.o"),))
    (laid,) = run([str(tmp_path / "link.ld")], select_rules([RULE]), config).findings
    if has_input:
        assert laid.severity == "error" and "ld.lld stops" in laid.message
    else:
        assert laid.severity == "info" and "ld.lld stops" not in laid.message


def test_conventional_contents_stay_an_error(tmp_path):
    text = "MEMORY { ram : ORIGIN = 1M, LENGTH = 1M }\nSECTIONS { .text : { *(.text) } > RAM }\n"
    (f,) = lint(tmp_path, text)
    assert f.severity == "error" and "ld.lld stops" in f.message


def test_fragment_included_by_a_sibling(tmp_path):
    """RIOT's shape: cortexm.ld declares rom/ram, then INCLUDEs cortexm_base.ld, whose
    own MEMORY declares only the auxiliary regions."""
    base = (
        "MEMORY { rom_aux (rx) : ORIGIN = 0x8000, LENGTH = 4K }\n"
        "SECTIONS { .text : { *(.text) } > rom }\n"
    )
    (tmp_path / "cortexm.ld").write_text(
        "MEMORY { rom (rx) : ORIGIN = 0, LENGTH = 32K }\nINCLUDE cortexm_base.ld\n"
    )
    (tmp_path / "cortexm_base.ld").write_text(base)
    from kernlint.engine import run, select_rules

    assert run([str(tmp_path / "cortexm_base.ld")], select_rules([RULE])).findings == []
    assert run([str(tmp_path / "cortexm.ld")], select_rules([RULE])).findings == []
