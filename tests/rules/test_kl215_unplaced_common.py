import os
import shutil
import subprocess

import pytest

from tests.conftest import findings_of, lint_script, sample

RULE = "KL215"
SAMPLE = sample("kl215", "kernel.s").parent


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_end_symbol_inside_bss_without_common():
    """The sample scripts name kernel.o (INPUT), whose `.comm tick_count` lands past
    `__bss_end` in the predicted layout: a warning naming the symbol."""
    (f,) = findings_of(sample("kl215", "bad-no-common.ld"), RULE)
    assert f.severity == "warning" and "COMMON symbols `tick_count` land there" in f.message
    assert (f.location.line, f.location.column, f.location.end_column) == (25, 9, 23)
    assert f.message.startswith(
        "no `*(COMMON)` between `__bss_start` (line 23) and `__bss_end` (line 25)"
    )
    assert "append COMMON symbols" in f.message and "after `__bss_end`" in f.message
    assert "[__bss_start, __bss_end)" in f.message
    assert f.fix == "add `*(COMMON)` to `.bss`, right before `__bss_end` (line 25)"


def test_common_written_after_the_end_symbol():
    (f,) = findings_of(sample("kl215", "bad-common-after-end.ld"), RULE)
    assert f.location.line == 25
    assert "the `*(COMMON)` at line 26 is after `__bss_end`" in f.message
    assert f.fix.startswith("move `*(COMMON)` into `.bss`, right before `__bss_end`")


def test_no_bss_output_section():
    (f,) = findings_of(sample("kl215", "bad-renamed-bss.ld"), RULE)
    assert f.location.line == 25
    assert "no `.bss` output section" in f.message and "orphan" in f.message
    assert "`.kbss`" in f.fix


def test_fixed_twins():
    for name in ("good-no-common.ld", "good-common-after-end.ld", "good-renamed-bss.ld"):
        assert findings_of(sample("kl215", name), RULE) == [], name


def script(bss: str, after: str = "") -> str:
    return f"ENTRY(_start)\nSECTIONS {{\n  .text : {{ *(.text .text.*) }}\n  {bss}\n{after}}}\n"


@pytest.mark.parametrize(
    ("bss", "after"),
    [
        # symbols around the whole .bss: ld appends COMMON to .bss, inside the range
        ("__bss_start = .; .bss : { *(.bss .bss.*) } __bss_end = .;", ""),
        (".bss : { __bss_start = .; *(.bss .bss.*) } _end = .;", ""),
        (".bss : { _sbss = .; *(.bss .bss.*) *(COMMON) _ebss = .; }", ""),
        (".bss : { __bss_start = .; *(.bss .bss.* COMMON) __bss_stop = .; }", ""),
        (".bss : { PROVIDE(__bss_start__ = .); *(.bss) *(COMMON) PROVIDE(__bss_end__ = .); }", ""),
        (".kbss : { bss_start = .; *(.bss) } .common : { *(COMMON) bss_end = .; }", ""),
        # values from ADDR()/SIZEOF(): not positions in the script
        (
            ".bss : { *(.bss) } __bss_start = ADDR(.bss);",
            "  __bss_end = ADDR(.bss) + SIZEOF(.bss);\n",
        ),
        # no boundary pair at all
        (".bss : { *(.bss) }", ""),
        (".bss : { __bss_start = .; *(.bss) }", ""),
        (".bss : { *(.bss) __bss_end = .; }", ""),
    ],
)
def test_not_reported(tmp_path, bss, after):
    assert lint(tmp_path, script(bss, after)) == []


@pytest.mark.parametrize(
    ("bss", "start", "end", "says"),
    [
        (".bss : { _sbss = .; *(.bss) _ebss = .; }", "_sbss", "_ebss", "after `_ebss`"),
        (
            ".bss : { *(COMMON) __bss_start = .; *(.bss) __bss_end = .; }",
            "__bss_start",
            "__bss_end",
            "before `__bss_start`",
        ),
        (
            ".bss : { HIDDEN(__bss_start = .); *(.bss) PROVIDE_HIDDEN(__bss_end = .); }",
            "__bss_start",
            "__bss_end",
            "after `__bss_end`",
        ),
        (
            ".data : { sbss = .; *(.data) } ebss = .; .bss : { *(.bss) }",
            "sbss",
            "ebss",
            "after `ebss`",
        ),
    ],
)
def test_reported(tmp_path, bss, start, end, says):
    (f,) = lint(tmp_path, script(bss))
    assert f"between `{start}` (line 4) and `{end}` (line 4)" in f.message
    assert says in f.message


def test_included_bss(tmp_path):
    main = "ENTRY(_start)\nSECTIONS {\n  .text : { *(.text) }\n  INCLUDE bss.ld\n}\n"
    inc = ".bss : {\n  __bss_start = .;\n  *(.bss)\n  INCLUDE common.ld\n  __bss_end = .;\n}\n"
    assert lint(tmp_path, main, **{"bss.ld": inc, "common.ld": "*(COMMON)\n"}) == []
    found = lint(tmp_path, main, **{"bss.ld": inc, "common.ld": "*(.sbss)\n"})
    (f,) = found
    assert "`__bss_start` (" in f.message and "bss.ld:2) and `__bss_end` (" in f.message
    assert f.location.line == 4  # the main file's INCLUDE


def _nm(tmp_path, script_path, tool: str = "ld") -> dict[str, int]:
    """Link the sample's kernel.s with ``script_path``; the symbol table as name -> value."""
    obj = tmp_path / "kernel.o"
    subprocess.run(["as", "--64", "-o", obj, SAMPLE / "kernel.s"], check=True)
    out = tmp_path / "out.elf"
    emulation = ["-m", "elf_x86_64"] if tool == "ld" else []
    # The sample scripts name their object with INPUT(); here it is given instead.
    text = script_path.read_text().replace(" INPUT(kernel.o)", "")
    script_path = tmp_path / ("copy-" + script_path.name)
    script_path.write_text(text)
    subprocess.run(
        [tool, *emulation, "-nostdlib", "-z", "noexecstack", "-T", script_path, "-o", out, obj],
        check=True,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    lines = subprocess.run(["nm", out], capture_output=True, text=True, check=True).stdout
    return {parts[2]: int(parts[0], 16) for parts in map(str.split, lines.splitlines())}


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("as", "ld", "nm")), reason="needs GNU as/ld/nm"
)
def test_gnu_ld_puts_common_outside_the_range(tmp_path):
    """Ground truth: with the bad scripts the COMMON symbol is not in
    [__bss_start, __bss_end); with the fixed twins it is."""
    for name in ("bad-no-common.ld", "bad-common-after-end.ld", "bad-renamed-bss.ld"):
        sym = _nm(tmp_path, SAMPLE / name)
        assert sym["tick_count"] >= sym["__bss_end"], name
    for name in ("good-no-common.ld", "good-common-after-end.ld", "good-renamed-bss.ld"):
        sym = _nm(tmp_path, SAMPLE / name)
        assert sym["__bss_start"] <= sym["tick_count"] < sym["__bss_end"], name


@pytest.mark.skipif(not all(shutil.which(t) for t in ("as", "ld.lld", "nm")), reason="needs ld.lld")
def test_lld_agrees(tmp_path):
    for name in ("bad-no-common.ld", "bad-common-after-end.ld", "bad-renamed-bss.ld"):
        sym = _nm(tmp_path, SAMPLE / name, tool="ld.lld")
        assert sym["tick_count"] >= sym["__bss_end"], name


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("as", "ld", "nm")), reason="needs GNU as/ld/nm"
)
def test_gnu_ld_symbols_around_bss_are_safe(tmp_path):
    """Why the rule is silent when the symbols enclose the whole `.bss`."""
    path = tmp_path / "around.ld"
    path.write_text(script("__bss_start = .; .bss : { *(.bss .bss.*) } __bss_end = .;"))
    assert lint(tmp_path, path.read_text()) == []
    sym = _nm(tmp_path, path)
    assert sym["__bss_start"] <= sym["tick_count"] < sym["__bss_end"]


C_SCRIPT = """\
ENTRY(main)
SECTIONS {
  . = 1M;
  .text : { *(.text .text.*) }
  .bss : { __bss_start = .; *(.bss .bss.*) __bss_end = .; }
  /DISCARD/ : { *(.comment) *(.note.*) *(.eh_frame) }
}
"""


def test_without_objects_only_a_note(tmp_path):
    (f,) = lint(tmp_path, C_SCRIPT)
    assert f.severity == "info"
    assert "GCC 10 and later (`-fno-common` by default)" in f.message
    assert "needs the objects" in f.message


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("gcc", "ld", "nm", "readelf")), reason="needs gcc, GNU ld"
)
@pytest.mark.parametrize("flag, fires", [("-fno-common", False), ("-fcommon", True)])
def test_with_objects_only_real_common_symbols(tmp_path, flag, fires):
    """`int counter;` is COMMON only under -fcommon (GCC 10's default is -fno-common:
    it goes to .bss, inside the range); the rule fires only when an object has one."""
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    (tmp_path / "c.c").write_text("int counter;\nint main(void) { return counter; }\n")
    subprocess.run(["gcc", "-c", "-O2", flag, "-o", "c.o", "c.c"], cwd=tmp_path, check=True)
    symbols = subprocess.run(
        ["readelf", "-sW", "c.o"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in symbols.splitlines() if x.endswith(" counter"))
    assert (" COM " in line) == fires
    (tmp_path / "link.ld").write_text(C_SCRIPT)
    subprocess.run(
        ["ld", "-z", "noexecstack", "-T", "link.ld", "-o", "c.elf", "c.o"], cwd=tmp_path, check=True
    )
    sym = _nm_file(tmp_path / "c.elf")
    inside = sym["__bss_start"] <= sym["counter"] < sym["__bss_end"]
    assert inside == (not fires)
    config = Config(objects=(str(tmp_path / "c.o"),))
    found = run([str(tmp_path / "link.ld")], select_rules([RULE]), config).findings
    assert [f.severity for f in found] == (["warning"] if fires else [])
    if fires:
        assert "COMMON symbols `counter` land there" in found[0].message


def _nm_file(path) -> dict[str, int]:
    lines = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    return {p[2]: int(p[0], 16) for p in map(str.split, lines.splitlines()) if len(p) == 3}
