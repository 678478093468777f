import os
import re
import shutil
import subprocess

import pytest

from rules.kl201_missing_subsection_wildcard import covers_family
from tests.conftest import findings_of, lint_script, sample

RULE = "KL201"


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_text_only():
    (f,) = findings_of(sample("kl201", "bad-text-only.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (9, 11, 16)
    assert "output section `.text` collects `.text`" in f.message
    # The sample names kernel.o (INPUT), so the finding names the real orphan.
    assert f.severity == "warning"
    assert "`.text.*`" in f.message and "the objects' `.text.kmain` (kernel.o)" in f.message
    assert "orphans" in f.message
    assert f.fix == "collect the subsections too: `*(.text .text.*)`"


def test_all_families():
    found = findings_of(sample("kl201", "bad-all-families.ld"), RULE)
    assert [(f.location.line, f.location.column) for f in found] == [
        (9, 11),
        (15, 11),
        (20, 11),
        (24, 11),
    ]
    for f, family in zip(found, (".text", ".rodata", ".data", ".bss"), strict=True):
        assert f"collects `{family}`" in f.message and f"`{family}.*`" in f.message
        assert f"`*({family} {family}.*)`" in f.fix
    assert "`.data.ticks` (kernel.o)" in found[2].message


def test_fixed_twins():
    for name in ("good-text-only.ld", "good-all-families.ld"):
        assert findings_of(sample("kl201", name), RULE) == [], name


SHELL = "SECTIONS {{\n  .text : {{ {text} }}\n  .other : {{ {other} }}\n}}\n"


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("*(.text*)", ""),
        ("*(.text .text.*)", ""),
        ("*(.text) *(.text.[a-z]*)", ""),
        ("*(.text) *(SORT(.text.*))", ""),
        ("*(.text) *(SORT_BY_ALIGNMENT(SORT_BY_NAME(.text.*)))", ""),
        ("*(.text) EXCLUDE_FILE(*crtend.o) *(.text.*)", ""),
        ("*(.text) *(EXCLUDE_FILE(*crtend.o) .text.*)", ""),
        ("*(.text) [ .text.* ]", ""),
        ("*(.text)", "*(.text.*)"),  # collected by another output section
        ("boot.o(.text)", "*(.text.*)"),
        ("boot.o(.text)", "boot.o(.text.*)"),
        ("KEEP(*(.text))", "KEEP(*(.text.*))"),
        ("*(*)", ""),
        ("*(.text .rodata)", "*(.text.* .rodata.*)"),
        ("*(.text.boot)", ""),  # not the plain `.text`
        ("*(.textual)", ""),
    ],
)
def test_subsections_taken(tmp_path, text, other):
    assert lint(tmp_path, SHELL.format(text=text, other=other)) == []


@pytest.mark.parametrize(
    ("text", "other", "column"),
    [
        ("*(.text)", "", 15),
        ("*(.text) *(.text.unlikely .text.hot)", "", 15),  # names, not a family
        ("*(.text) *(.text.hot.*)", "", 15),
        ("*(.text) *(.text.?)", "", 15),
        ("*(.text)", "boot.o(.text.*)", 15),  # only boot.o's subsections
        ("KEEP(*(SORT(.text)))", "", 20),
        ("*(EXCLUDE_FILE(*crtend.o) .text)", "", 15),
    ],
)
def test_subsections_missing(tmp_path, text, other, column):
    (f,) = lint(tmp_path, SHELL.format(text=text, other=other))
    assert (f.location.line, f.location.column) == (2, column)
    assert "collects `.text`" in f.message and "`.text.*`" in f.message


def test_fix_keeps_the_statement(tmp_path):
    (f,) = lint(tmp_path, SHELL.format(text="KEEP(*(SORT(.text)))", other=""))
    assert f.fix == "collect the subsections too: `KEEP(*(SORT(.text) .text.*))`"


def test_discard_takes_subsections_but_is_not_reported(tmp_path):
    text = "SECTIONS {\n  .text : { *(.text) }\n  /DISCARD/ : { *(.text.*) *(.data) }\n}\n"
    assert lint(tmp_path, text) == []


def test_included_files(tmp_path):
    main = "SECTIONS {\n  .text : { *(.text) }\n  INCLUDE rest.ld\n}\n"
    assert lint(tmp_path, main, **{"rest.ld": ".more : { *(.text.*) }\n"}) == []
    (f,) = lint(tmp_path, main, **{"rest.ld": ".data : { *(.data .data.*) }\n"})
    assert f.location.line == 2 and "`.text.*`" in f.message
    inner = "/* main */\nSECTIONS {\n  INCLUDE text.ld\n}\n"
    (f,) = lint(tmp_path, inner, **{"text.ld": "\n.text : {\n    *(.text)\n}\n"})
    assert (f.location.line, f.location.column, f.location.end_column) == (3, 3, 18)
    assert "text.ld:3:7, included here)" in f.message
    assert f.fix == "collect the subsections too: `*(.text .text.*)`"


def test_overlay_sections(tmp_path):
    text = "SECTIONS {\n  OVERLAY : { .ov1 { *(.data) } .ov2 { *(.ov2) } }\n}\n"
    (f,) = lint(tmp_path, text)
    assert "output section `.ov1` collects `.data`" in f.message


def test_covers_family():
    assert covers_family(".text.*", ".text")
    assert covers_family(".text*", ".text")
    assert covers_family("*", ".text")
    assert covers_family(".t?xt.*", ".text")
    assert covers_family(".[dt]ext.[!.]*", ".text")
    assert covers_family("\\.text.*", ".text")
    assert not covers_family(".text", ".text")
    assert not covers_family(".text.unlikely", ".text")
    assert not covers_family(".text.hot.*", ".text")
    assert not covers_family(".data.*", ".text")


@pytest.mark.skipif(not (shutil.which("as") and shutil.which("ld")), reason="needs GNU as/ld")
def test_gnu_ld_orphans_what_the_rule_reports(tmp_path):
    """Ground truth: GNU ld makes orphans of the subsections the bad scripts leave out,
    and of none with the fixed twins."""
    folder = sample("kl201", "kernel.s").parent
    obj = tmp_path / "kernel.o"
    subprocess.run(["as", "--64", "-o", obj, folder / "kernel.s"], check=True)

    def link(script: str) -> str:
        # The sample scripts name kernel.o with INPUT(); here it is given instead.
        copy = tmp_path / script
        copy.write_text((folder / script).read_text().replace(" INPUT(kernel.o)", ""))
        proc = subprocess.run(
            [
                "ld",
                "-m",
                "elf_x86_64",
                "-nostdlib",
                "--orphan-handling=warn",
                "-z",
                "noexecstack",
                "-T",
                copy,
                "-o",
                tmp_path / "out.elf",
                obj,
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "LC_ALL": "C"},
        )
        return proc.stderr

    said = link("bad-text-only.ld")
    assert (
        "warning: orphan section `.text.kmain' from `" in said
        and "' being placed in section `.text.kmain'" in said
    )
    said = link("bad-all-families.ld")
    for name in (".text.kmain", ".rodata.banner", ".data.ticks", ".bss.stack"):
        assert f"orphan section `{name}'" in said
    for good in ("good-text-only.ld", "good-all-families.ld"):
        said = link(good)
        assert not any(
            f"orphan section `{p}" in said for p in (".text.", ".rodata.", ".data.", ".bss.")
        )


# --------------------------------------------------------------- issue 12: context

PLAIN = (
    "ENTRY(f)\nSECTIONS {\n  . = 1M;\n  .text : { *(.text) }\n  .rodata : { *(.rodata) }\n"
    "  .data : { *(.data) }\n  .bss : { *(.bss) }\n"
    "  /DISCARD/ : { *(.comment) *(.note.*) *(.eh_frame) }\n}\n"
)
C_SOURCE = "int counter = 1;\nint zeroed;\nint f(void) { return counter + zeroed; }\n"


@pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("ld")), reason="needs gcc, GNU ld")
@pytest.mark.parametrize(
    "flags, orphans",
    [
        ([], []),  # plain C: only .text/.data/.bss inputs, no orphan
        (["-ffunction-sections"], [".text.f"]),
        (["-fdata-sections"], [".data.counter", ".bss.zeroed"]),
    ],
)
def test_with_objects_only_real_orphans(tmp_path, flags, orphans):
    """With the objects the rule fires exactly for the families GNU ld reports orphans
    of (`--orphan-handling=warn`), naming them."""
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    (tmp_path / "c.c").write_text(C_SOURCE)
    subprocess.run(
        [
            "gcc",
            "-c",
            "-O2",
            "-fno-pic",
            "-fno-asynchronous-unwind-tables",
            *flags,
            "-o",
            "c.o",
            "c.c",
        ],
        cwd=tmp_path,
        check=True,
    )
    (tmp_path / "link.ld").write_text(PLAIN)
    said = subprocess.run(
        [
            "ld",
            "-z",
            "noexecstack",
            "--orphan-handling=warn",
            "-T",
            "link.ld",
            "-o",
            "c.elf",
            "c.o",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    ).stderr
    families = r"orphan section `(\.(?:text|rodata|data|bss)\.[^']+)'"  # not ld's .got, .iplt
    assert sorted(re.findall(families, said)) == sorted(orphans)
    config = Config(objects=(str(tmp_path / "c.o"),))
    found = run([str(tmp_path / "link.ld")], select_rules([RULE]), config).findings
    named = sorted(n for f in found for n in re.findall(r"`(\.[a-z]+\.[a-z]+)` \(", f.message))
    assert named == sorted(orphans)
    assert all(f.severity == "warning" for f in found)


@pytest.mark.parametrize(
    "build, text, data",
    [
        # No build file: the flags cannot be seen, so every family is a note (the `.text`
        # warning fired falsely on arjun024/mkernel, built from its README's commands).
        (None, "info", "info"),
        ({"Makefile": "CFLAGS += -O2\n"}, "info", "info"),
        ({"Makefile": "CFLAGS += -O2 -ffunction-sections\n"}, "warning", "info"),
        ({"Makefile": "CFLAGS += -ffunction-sections -fdata-sections\n"}, "warning", "warning"),
        ({"Cargo.toml": "[package]\nname = 'k'\n"}, "warning", "warning"),
    ],
    ids=["none", "plain-cflags", "function-sections", "both", "cargo"],
)
def test_without_objects_the_build_files_decide(tmp_path, build, text, data):
    folder = tmp_path / "k"
    folder.mkdir()
    for name, body in (build or {}).items():
        (folder / name).write_text(body)
    found = lint(folder, PLAIN)
    severities = {f.message.split("`")[3]: f.severity for f in found}
    assert severities == {".text": text, ".rodata": data, ".data": data, ".bss": data}


def test_scripts_naming_subsections_get_a_note(tmp_path):
    """vmlinux.lds-style: the script places chosen `.text.`/`.data.` subsections by
    hand (`*(.text.hot .text.hot.*)`, `*(.data..percpu)`); without the objects
    that is the author's decision, not a mistake kernlint can see."""
    text = (
        "SECTIONS {\n  . = 1M;\n"
        "  .text : { *(.text.hot .text.hot.*) *(.text .text.fixup) *(.text.unlikely) }\n"
        "  .data : { *(.data..percpu) *(.data) }\n}\n"
    )
    found = lint(tmp_path, text)
    assert [f.severity for f in found] == ["info", "info"]
    assert "names some `.text.` subsections itself" in found[0].message
