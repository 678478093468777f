"""kernlint.ldscript.template: what is a C-preprocessor directive, a substitution
marker, a line splice, and which scripts ld reads as they are."""

from __future__ import annotations

import pytest

from kernlint.config import Config
from kernlint.ldscript.template import (
    directives,
    find_template,
    generated_evidence,
    handed_to_ld,
    is_constant_expression,
    markers,
    splices,
    template_suffix,
)


@pytest.mark.parametrize(
    "expr",
    [
        "0",
        "1",
        "defined(CONFIG_X)",
        "defined CONFIG_X && !defined(CONFIG_Y)",
        "CONFIG(LP_ARCH_X86_64)",
        "IS_ENABLED(CONFIG_SMP) || (PAGE_SHIFT << 2) >= 0x10UL",
        "A ? B : C",
        "__has_include(<asm/layout.h>)",
        "'a' == X",
        "X",
    ],
)
def test_constant_expressions(expr):
    assert is_constant_expression(expr)


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "you need more space for apps, this configuration works",
        "the segments are not aligned to pages.",
        "defined",
        "(A",
        "A +",
        "A B",
    ],
)
def test_not_constant_expressions(expr):
    assert not is_constant_expression(expr)


def words(text: str) -> list[tuple[int, str]]:
    return [(d.line, d.word) for d in directives(text)]


@pytest.mark.parametrize(
    "line",
    [
        "# if you need more space for apps, this configuration works",
        "# if the segments are not aligned to pages.",
        "# define the boot stack here",
        "# error handling lives in the boot code",
        "# else use the default",
        "# include the boot code first",
        "# ifdef'd out below",
        "#ifdef A B",
        "#iffy",
        "#include",
        '# 12 "kernel.lds.S"',
        "/* #include <x.h> */",
        "x = 1; #include <x.h>",
    ],
)
def test_prose_and_look_alikes_are_no_directives(line):
    assert words(f"SECTIONS {{\n{line}\n}}\n") == []


def test_a_one_word_if_counts_only_when_closed():
    assert words("# if needed\nx = 1;\n") == []
    assert words("# if DEBUG\nx = 1;\n# endif\n") == [(1, "if"), (3, "endif")]


@pytest.mark.parametrize(
    "line",
    [
        "#include <asm/page.h>",
        '#  include "layout.h"',
        "#include LAYOUT_HEADER",
        "#define PAGE_SIZE 4096",
        "#define ALIGN_TO(x) . = ALIGN(x)",
        "#  define SRAM_START_ADDR 0x20400000",
        "#undef PAGE_SIZE",
        "#error Unknown MICROPY_HW_FLASH_TYPE",
        "#  error TODO: not supported yet",
        "#pragma once",
        "#ifdef CONFIG_X /* the X */",
        "#ifndef CONFIG_X // the X",
    ],
)
def test_directives(line):
    assert len(words(f"{line}\n#endif\n")) >= 1
    assert words(f"{line}\n")[0][0] == 1


def test_endif_with_a_name_is_gccs_warning_not_prose():
    assert words("#ifdef A\n#else /* !A */\n#endif A\n") == [
        (1, "ifdef"),
        (2, "else"),
        (3, "endif"),
    ]


def test_continued_define():
    text = "#define SECTION(name) \\\n  name : { *(name) }\nSECTIONS { }\n"
    assert words(text) == [(1, "define")]
    assert splices(text, frozenset({1})) == []


def test_splices_outside_comments():
    text = "/* a \\\n b */\nMEMORY { r : ORIGIN = A,\\\n LENGTH = B }\n# x \\\n"
    assert splices(text) == [3]


@pytest.mark.parametrize(
    ("text", "styles"),
    [
        (". = @BASE@;", ["@VAR@"]),
        (". = ${BASE};", ["${VAR}"]),
        (". = %BASE% + %OFF%;", ["%VAR%", "%VAR%"]),
        (". = {{ base }};", ["{{ }}"]),
        ("{% if x %}", ["{% %}"]),
    ],
)
def test_markers(text, styles):
    assert [m.style for m in markers(f"SECTIONS {{\n{text}\n}}\n")] == styles


@pytest.mark.parametrize(
    "text",
    [
        "/* ${HOME} and @VERSION@ */",
        "x = 1; # see ${HOME}",
        "x = a % b % c;",
        "x = (a)%B%c;",
        "x = $1000;",
    ],
)
def test_not_markers(text):
    assert markers(f"SECTIONS {{\n{text}\n}}\n") == []


def test_template_suffixes():
    assert template_suffix("a/vmlinux.lds.S") == ".lds.S"
    assert template_suffix("fw_jump.elf.ldS") == ".ldS"
    assert template_suffix("link.x.in") == ".x.in"
    assert template_suffix("pico_flash_region.template.ld") == ".template.ld"
    assert template_suffix("kernel.ld") is None
    assert template_suffix(".ld.in") is None


def test_a_plain_script_is_no_template():
    assert find_template("kernel.ld", "SECTIONS { .text : { *(.text) } } # the end\n") is None


def test_handed_to_ld(tmp_path):
    path = tmp_path / "kernel.ld"
    path.write_text("SECTIONS { }\n")
    assert handed_to_ld(str(path), "", Config()) is None
    assert handed_to_ld(str(path), "", Config(scripts=(str(path),))) == (
        "it was named with --script"
    )
    config = Config(targets=("kernel.ld",), root=str(tmp_path))
    assert handed_to_ld(str(path), "", config) == "it is the script of a configured target"
    assert "cpp line markers" in generated_evidence(str(path), '# 1 "kernel.ld.S"\n')
    (tmp_path / "kernel.ld.in").write_text("")
    assert generated_evidence(str(path), "") == "its template `kernel.ld.in` is beside it"
