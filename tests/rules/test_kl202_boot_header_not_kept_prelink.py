"""KL202 on the layout a script predicts before linking, with `gc-sections`
configured: the sample's scripts against what GNU ld 2.40 --gc-sections
--print-gc-sections printed, and generated links (header names and contents, KEEP,
references from code, orphans) where KL202 must name exactly the header sections ld
says it removes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kernlint.config import Config, load_config
from kernlint.engine import run, select_rules
from tests.conftest import sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

FOLDER = "kl202-boot-header-not-kept-prelink"
GC = Config(gc_sections=True)
REMOVED = re.compile(r"removing unused section '([^']+)' in file '([^']+)'")
WILL_REMOVE = re.compile(r"`--gc-sections` will remove (\S+)\(([^)]+)\), ")


def _kl202(*paths, config=GC):
    return run([str(p) for p in paths], select_rules(["KL202"]), config).findings


def test_sample_header_found_by_content():
    path = sample(FOLDER, "bad-header.ld")
    (f,) = _kl202(path)
    stderr = path.with_name("bad-header.ld-stderr").read_text()
    assert REMOVED.findall(stderr) == [(".header", "header.o")]
    assert WILL_REMOVE.search(f.message).groups() == ("header.o", ".header")
    assert "the Multiboot2 header, found by its magic and checksum (24 bytes)" in f.message
    assert "removing unused section '.header' in file 'header.o'" in f.message
    assert "placed by `*(.header)` in output section `.boot`" in f.message
    assert (f.location.line, f.location.column) == (8, 15)
    assert f.fix == "wrap it: `KEEP(*(.header))`"
    # ld's output has no .boot: the header is gone.
    assert ".boot" not in path.with_name("bad-header.readelf").read_text()
    # The name says nothing: without --gc-sections, or by name alone, nothing to say.
    assert _kl202(path, config=Config()) == []


def test_sample_named_header_is_reported_once():
    path = sample(FOLDER, "bad-named.ld")
    (f,) = _kl202(path)
    assert REMOVED.findall(path.with_name("bad-named.ld-stderr").read_text()) == [
        (".multiboot_header", "header-named.o")
    ]
    assert WILL_REMOVE.search(f.message).groups() == ("header-named.o", ".multiboot_header")
    assert "the Multiboot2 header (24 bytes)" in f.message
    (plain,) = _kl202(path, config=Config())  # the pattern check alone
    assert "is not inside KEEP()" in plain.message
    assert (plain.location.line, plain.location.column) == (f.location.line, f.location.column)


def test_sample_config_and_good_twins():
    config = load_config(sample(FOLDER, "kernlint.toml"))
    assert config.gc_sections and config.gc_sections_for("anything.ld")
    for name in ("good-keep.ld", "good-referenced.ld"):
        path = sample(FOLDER, name)
        assert _kl202(path, config=config) == [], name
        assert path.with_name(name + "-stderr").read_text() == ""
        assert ".boot" in path.with_name(name.replace(".ld", ".readelf")).read_text()


def test_target_gc_sections_key(tmp_path):
    (tmp_path / "kernlint.toml").write_text(
        '[[target]]\nimage = "k.elf"\nscript = "k.ld"\nobjects = ["k.o"]\ngc-sections = true\n'
    )
    config = load_config(tmp_path / "kernlint.toml")
    assert config.gc_sections_for(str(tmp_path / "k.ld"))
    assert not config.gc_sections_for(str(tmp_path / "other.ld"))
    (tmp_path / "kernlint.toml").write_text('gc-sections = "yes"\n')
    with pytest.raises(Exception, match="gc-sections` must be true or false"):
        load_config(tmp_path / "kernlint.toml")


# ----------------------------------------------------------------------------- generated

MB2 = (
    ".balign 8\nhdr:\n.long 0xe85250d6, 0, 24, 0x100000000 - (0xe85250d6 + 24)\n"
    ".word 0, 0\n.long 8\n"
)
MB1 = ".balign 4\nhdr:\n.long 0x1badb002, 3, -(0x1badb002 + 3)\n"
NOT_A_HEADER = "hdr:\n.long 0x1badb002, 3, 0\n"  # bad checksum: data, not a header
CONTENTS = {"mb2": MB2, "mb1": MB1, "junk": NOT_A_HEADER}
NAMES = (".header", ".multiboot_header", ".mb2_hdr", ".rodata.hdr")
PATTERNS = {
    "plain": "  .boot : { *(NAME) }\n",
    "keep": "  .boot : { KEEP(*(NAME)) }\n",
    "shared": "  .boot : { *(NAME .rodata .rodata.*) }\n",
    "orphan": "",
}
LD = ("ld", "-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack")


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_agrees_with_ld_print_gc_sections(tmp_path, pattern):
    for content_name, content in CONTENTS.items():
        for name in NAMES:
            for referenced in (False, True):
                case = tmp_path / f"{content_name}{NAMES.index(name)}{int(referenced)}"
                case.mkdir()
                ref = "lea hdr(%rip), %rax\n" if referenced else ""
                (case / "h.s").write_text(
                    f'.section {name},"a"\n{content}'
                    f".text\n.globl _start\n_start:\n{ref}hlt\n"
                    '.section .note.GNU-stack,"",@progbits\n'
                )
                subprocess.run(
                    ["as", "--64", "-o", str(case / "h.o"), str(case / "h.s")], check=True
                )
                script = case / "k.ld"
                script.write_text(
                    "INPUT(h.o)\nENTRY(_start)\nSECTIONS {\n  . = 1M;\n"
                    + PATTERNS[pattern].replace("NAME", name)
                    + "  .text : { *(.text) }\n"
                    "  /DISCARD/ : { *(.comment) *(.note.GNU-stack) }\n}\n"
                )
                proc = subprocess.run(
                    [*LD, "--gc-sections", "--print-gc-sections", "-T", "k.ld", "-o", "k.elf"],
                    cwd=case,
                    capture_output=True,
                    text=True,
                )
                assert proc.returncode == 0, proc.stderr
                removed = {(f, s) for s, f in REMOVED.findall(proc.stderr) if s == name}
                found = _kl202(script)
                layout = {
                    WILL_REMOVE.search(f.message).groups() for f in found if "will" in f.message
                }
                header = content_name != "junk" or name in (".multiboot_header", ".mb2_hdr")
                want = removed if header else set()
                assert layout == want, (pattern, content_name, name, referenced, proc.stderr)
                assert bool(removed) == (not referenced and pattern != "keep"), proc.stderr


def test_gc_sections_option_on_the_command_line(tmp_path):
    """`kernlint check --gc-sections` says what the sample's kernlint.toml says."""
    from tests.conftest import kernlint

    folder = sample("kl202-boot-header-not-kept-prelink", "bad-header.ld").parent
    for name in ("bad-header.ld", "header.o"):
        shutil.copy(folder / name, tmp_path / name)
    script = str(tmp_path / "bad-header.ld")
    assert kernlint("check", "--select", "KL202", script).code == 0
    run = kernlint("check", "--select", "KL202", "--gc-sections", "--format", "json", script)
    assert run.code == 1 and [f["rule"] for f in run.report["findings"]] == ["KL202"]  # warning
    assert "header.o(.header)" in run.report["findings"][0]["message"]
