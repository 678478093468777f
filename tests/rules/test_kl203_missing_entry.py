import os
import shutil
import subprocess

import pytest

from tests.conftest import findings_of, lint_script, sample

RULE = "KL203"
LAYOUT = "SECTIONS {\n  . = 1M;\n  .text : { *(.text .text.*) }\n}\n"


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_no_entry():
    (f,) = findings_of(sample("kl203", "bad-no-entry.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (3, 1, 9)
    assert f.message.startswith("no ENTRY() command")
    assert "`-e SYMBOL`" in f.message and "`_start`" in f.message
    assert "start of `.text`" in f.message and "--gc-sections" in f.message
    assert "cannot find entry symbol _start; not setting start address" in f.message
    assert "ENTRY(_start)" in f.fix


def test_fixed_twin():
    assert findings_of(sample("kl203", "good-no-entry.ld"), RULE) == []


@pytest.mark.parametrize(
    "text",
    [
        "ENTRY(_start)\n" + LAYOUT,
        LAYOUT.replace("  . = 1M;", "  ENTRY(boot)\n  . = 1M;"),  # inside SECTIONS
        LAYOUT + "ENTRY(kmain)\n",  # anywhere at top level
        "MEMORY { ram : ORIGIN = 1M, LENGTH = 1M }\n",  # a fragment: no SECTIONS
        "GROUP ( libc.so.6 libc_nonshared.a )\n",
        "SECTIONS { .mine : { *(.mine) } } INSERT AFTER .text;\n",  # adds to ld's script
    ],
)
def test_not_reported(tmp_path, text):
    assert lint(tmp_path, text) == []


def test_entry_in_an_included_file(tmp_path):
    assert lint(tmp_path, "INCLUDE entry.ld\n" + LAYOUT, **{"entry.ld": "ENTRY(_start)\n"}) == []
    text = "SECTIONS {\n  INCLUDE body.ld\n}\n"
    assert lint(tmp_path, text, **{"body.ld": "ENTRY(_start)\n.text : { *(.text) }\n"}) == []
    (f,) = lint(tmp_path, "INCLUDE memory.ld\n" + LAYOUT, **{"memory.ld": "/* none */\n"})
    assert f.location.line == 2


def test_silent_when_an_include_is_missing(tmp_path):
    assert lint(tmp_path, "INCLUDE nowhere.ld\n" + LAYOUT) == []


def test_sections_only_in_an_included_file(tmp_path):
    (f,) = lint(tmp_path, "/* main */\nINCLUDE layout.ld\n", **{"layout.ld": LAYOUT})
    assert (f.location.line, f.location.column, f.location.end_column) == (2, 1, 18)


def _link(tmp_path, *args: str, source: str | None = None, tool: str = "ld"):
    folder = sample("kl203", "kernel.s").parent
    src = folder / "kernel.s"
    if source is not None:
        src = tmp_path / "start.s"
        src.write_text(source)
    obj = tmp_path / "kernel.o"
    subprocess.run(["as", "--64", "-o", obj, src], check=True)
    out = tmp_path / "out.elf"
    emulation = ["-m", "elf_x86_64"] if tool == "ld" else []
    proc = subprocess.run(
        [
            tool,
            *emulation,
            "-nostdlib",
            "-z",
            "noexecstack",
            *args,
            "-T",
            folder / "bad-no-entry.ld",
            "-o",
            out,
            obj,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    data = out.read_bytes()
    return proc.stderr, int.from_bytes(data[24:32], "little"), data


needs_ld = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="needs GNU as/ld"
)


@needs_ld
def test_gnu_ld_silently_enters_at_the_start_of_text(tmp_path):
    """Ground truth for the message: no warning, e_entry = first byte of `.text`
    (`halt_forever`, not `boot_entry`)."""
    said, entry, _ = _link(tmp_path)
    assert said == "" and entry == 0x100000


@needs_ld
def test_gnu_ld_gc_sections_without_entry_drops_the_code(tmp_path):
    said, entry, _ = _link(tmp_path, "--gc-sections", "--print-gc-sections")
    assert "removing unused section '.text' in file '" in said and entry == 0
    # ... even when the object defines `_start`: the default is not a GC root.
    start = "    .text\n    .globl _start\n_start:\n    hlt\n"
    said, entry, _ = _link(tmp_path, "--gc-sections", "--print-gc-sections", source=start)
    assert "removing unused section '.text' in file '" in said and entry == 0
    said, entry, _ = _link(tmp_path, "--gc-sections", "-e", "_start", source=start)
    assert entry == 0x100000


@pytest.mark.skipif(not shutil.which("ld.lld") or not shutil.which("as"), reason="needs ld.lld")
def test_lld_warns_and_uses_zero(tmp_path):
    said, entry, _ = _link(tmp_path, tool="ld.lld")
    assert "warning: cannot find entry symbol _start; not setting start address" in said
    assert entry == 0
