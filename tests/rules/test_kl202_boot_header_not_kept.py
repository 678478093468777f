import os
import shutil
import subprocess

import pytest

from tests.conftest import findings_of, lint_script, sample

RULE = "KL202"


def lint(tmp_path, text: str, **others: str) -> list:
    return lint_script(tmp_path, RULE, text, **others)


def test_multiboot2_header():
    (f,) = findings_of(sample("kl202", "bad-multiboot2.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (9, 11, 28)
    assert f.message.startswith(
        "`*(.multiboot_header)` in output section `.text` is not inside KEEP()"
    )
    assert "`--gc-sections` removes it" in f.message
    assert f.fix == "wrap it: `KEEP(*(.multiboot_header))`"


def test_header_sharing_a_statement():
    (f,) = findings_of(sample("kl202", "bad-shared-statement.ld"), RULE)
    assert (f.location.line, f.location.column) == (9, 11)
    assert "`*(.multiboot_header)`" in f.message
    assert "`KEEP(*(.multiboot_header))`" in f.fix and "`*(.text .text.*)`" in f.fix


def test_fixed_twins():
    for name in ("good-multiboot2.ld", "good-shared-statement.ld"):
        assert findings_of(sample("kl202", name), RULE) == [], name


SHELL = "SECTIONS {{\n  .hdr : {{ {body} }}\n  .text : {{ *(.text .text.*) }}\n}}\n"


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (".multiboot", "the Multiboot header"),
        (".multiboot2", "the Multiboot header"),
        (".MULTIBOOT_HEADER", "the Multiboot header"),
        (".multiboot*", "the Multiboot header"),
        (".mb2_hdr", "the Multiboot2 header"),
        (".mbhdr", "the Multiboot header"),
        (".boot_header", "a boot-protocol header"),
        (".linux_boot_header", "a boot-protocol header"),
        (".limine_reqs", "the Limine requests"),
        (".limine_requests", "the Limine requests"),
        (".limine_requests_start", "the Limine requests"),
        (".bootloader-config", "the bootloader_api config"),
        (".note.Xen", "the Xen PVH note"),
    ],
)
def test_header_names(tmp_path, pattern, what):
    (f,) = lint(tmp_path, SHELL.format(body=f"*({pattern})"))
    assert (f.location.line, f.location.column) == (2, 14)
    assert f"`*({pattern})` in output section `.hdr` is not inside KEEP()" in f.message
    if what == "the Xen PVH note":
        assert "SHT_NOTE" in f.message and "@progbits" in f.message
    else:
        assert f"nothing references {what}" in f.message


@pytest.mark.parametrize(
    "body",
    [
        "KEEP(*(.multiboot_header))",
        "KEEP(*(SORT(.multiboot*)))",
        "KEEP(*(SORT_BY_NAME(.limine_requests*)))",
        "KEEP(*(EXCLUDE_FILE(*crt*.o) .mb2_hdr))",
        "KEEP(*(.note.Xen))",
        "*(.note.*)",  # matches a Xen note, does not name one
        "*(.rodata*)",
        "*(.multiboot.text)",  # code, rooted by the entry point
        "*(.text.multiboot)",
        "*(.numb2 .kmbhdrx)",  # markers inside other words
        "*(.boot2)",
    ],
)
def test_not_reported(tmp_path, body):
    assert lint(tmp_path, SHELL.format(body=body)) == []


def test_discarded_header_is_not_this_rule(tmp_path):
    text = "SECTIONS {\n  .text : { *(.text) }\n  /DISCARD/ : { *(.multiboot) }\n}\n"
    assert lint(tmp_path, text) == []


def test_first_match_wins(tmp_path):
    text = (
        "SECTIONS {\n"
        "  .hdr : { KEEP(*(.multiboot_header)) }\n"
        "  .text : { *(.multiboot_header) *(.text .text.*) }\n"
        "}\n"
    )
    assert lint(tmp_path, text) == []
    assert lint(tmp_path, text.replace("KEEP(*(.multiboot_header))", "KEEP(*(.multi*))")) == []
    text = (
        "SECTIONS {\n"
        "  .text : { *(.multiboot_header) *(.text .text.*) }\n"
        "  .hdr : { KEEP(*(.multiboot_header)) }\n"
        "}\n"
    )
    (f,) = lint(tmp_path, text)
    assert f.location.line == 2


def test_one_finding_per_header_pattern(tmp_path):
    (a, b) = lint(tmp_path, SHELL.format(body="*(.multiboot .limine_requests .rodata)"))
    assert "`*(.multiboot)`" in a.message and "`*(.limine_requests)`" in b.message
    assert "`*(.limine_requests .rodata)` for the rest" in a.fix


def test_included_output_section(tmp_path):
    main = "/* main */\nSECTIONS {\n  INCLUDE header.ld\n  .text : { *(.text .text.*) }\n}\n"
    (f,) = lint(tmp_path, main, **{"header.ld": ".hdr : {\n\n  *(.mb2_header)\n}\n"})
    assert (f.location.line, f.location.column, f.location.end_column) == (3, 3, 20)
    assert "`*(.mb2_header)` in output section `.hdr` (in " in f.message
    assert "header.ld:3:5, included here)" in f.message


def test_overlay_and_quoted(tmp_path):
    text = 'SECTIONS {\n  OVERLAY : { .a { *(".multiboot") } .b { *(.b) } }\n}\n'
    (f,) = lint(tmp_path, text)
    assert "output section `.a`" in f.message


def _gc_link(tmp_path, script) -> tuple[str, bytes]:
    folder = sample("kl202", "kernel.s").parent
    obj = tmp_path / "kernel.o"
    subprocess.run(["as", "--64", "-o", obj, folder / "kernel.s"], check=True)
    out = tmp_path / "out.elf"
    proc = subprocess.run(
        [
            "ld",
            "-m",
            "elf_x86_64",
            "-nostdlib",
            "-z",
            "noexecstack",
            "-z",
            "max-page-size=0x1000",
            "--gc-sections",
            "--print-gc-sections",
            "-T",
            folder / script,
            "-o",
            out,
            obj,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    return proc.stderr, out.read_bytes()


MB2_MAGIC = (0xE85250D6).to_bytes(4, "little")


@pytest.mark.skipif(not (shutil.which("as") and shutil.which("ld")), reason="needs GNU as/ld")
def test_gnu_ld_drops_the_header(tmp_path):
    """Ground truth: GNU ld's --gc-sections removes the header the bad scripts leave
    outside KEEP(), and keeps it with the fixed twins."""
    for name in ("bad-multiboot2.ld", "bad-shared-statement.ld"):
        said, image = _gc_link(tmp_path, name)
        assert "removing unused section '.multiboot_header' in file '" in said
        assert MB2_MAGIC not in image
    for name in ("good-multiboot2.ld", "good-shared-statement.ld"):
        said, image = _gc_link(tmp_path, name)
        assert ".multiboot_header" not in said
        assert image.find(MB2_MAGIC) == 0x1000


HEADER_OUTSIDE_KEEP = "SECTIONS {\n  .text : { *(.multiboot_header) *(.text .text.*) }\n}\n"


def test_warning_only_when_the_build_collects_garbage(tmp_path):
    """The pattern finding is a warning when the build files link with `--gc-sections`
    (or the project is a Cargo one), and info otherwise: without garbage collection the
    header is kept either way (samples/kl202-boot-header-not-kept/Makefile shows ld
    dropping it only under `--gc-sections`)."""
    (f,) = lint(tmp_path, HEADER_OUTSIDE_KEEP)
    assert f.severity == "info" and "no build file" in f.message
    (tmp_path / "Makefile").write_text("LDFLAGS = -T kernel.ld\n")
    from kernlint.buildfacts import _facts_of_folder

    _facts_of_folder.cache_clear()
    (f,) = lint(tmp_path, HEADER_OUTSIDE_KEEP)
    assert f.severity == "info" and "do not link with `--gc-sections`" in f.message
    (tmp_path / "Makefile").write_text("LDFLAGS = -T kernel.ld --gc-sections\n")
    _facts_of_folder.cache_clear()
    (f,) = lint(tmp_path, HEADER_OUTSIDE_KEEP)
    assert f.severity == "warning" and "nothing is lost" not in f.message
    (tmp_path / "Makefile").unlink()
    (tmp_path / "Cargo.toml").write_text("[package]\nname = 'k'\n")
    _facts_of_folder.cache_clear()
    (f,) = lint(tmp_path, HEADER_OUTSIDE_KEEP)
    assert f.severity == "warning"


def test_the_sample_build_uses_gc_sections():
    (f,) = findings_of(sample("kl202", "bad-multiboot2.ld"), RULE)
    assert f.severity == "warning"
