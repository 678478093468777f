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
    """The sample names its object (INPUT(kernel.o)), which defines no `_start`:
    GNU ld silently enters at the start of `.text` (test_gnu_ld_silently_...)."""
    (f,) = findings_of(sample("kl203", "bad-no-entry.ld"), RULE)
    assert (f.location.line, f.location.column, f.location.end_column) == (4, 1, 9)
    assert f.severity == "warning"
    assert f.message.startswith("no ENTRY() command: no object defines `_start`")
    assert "`-e SYMBOL`" in f.message and "start of `.text` (0x100000)" in f.message
    assert "cannot find entry symbol _start; not setting start address" in f.message
    assert "ENTRY(_start)" in f.fix


def test_without_objects_only_a_note(tmp_path):
    """Without the objects the link's `-e` and `_start` are out of sight: info."""
    (f,) = lint(tmp_path, LAYOUT)
    assert f.severity == "info"
    assert "`-e SYMBOL`" in f.message and "`_start`" in f.message
    assert "--gc-sections" in f.message and "needs the objects" in f.message


START = "    .text\n    .globl _start\n_start:\n    hlt\n"


@pytest.mark.skipif(not shutil.which("as"), reason="needs GNU as")
def test_with_objects(tmp_path):
    from kernlint.config import Config
    from kernlint.engine import run, select_rules

    (tmp_path / "start.s").write_text(START)
    (tmp_path / "other.s").write_text("    .text\n    .globl kmain\nkmain:\n    hlt\n")
    for name in ("start", "other"):
        subprocess.run(["as", "--64", "-o", f"{name}.o", f"{name}.s"], cwd=tmp_path, check=True)
    (tmp_path / "link.ld").write_text(LAYOUT)

    def found(obj: str, **config):
        cfg = Config(objects=(str(tmp_path / obj),), **config)
        return run([str(tmp_path / "link.ld")], select_rules([RULE]), cfg).findings

    assert found("start.o") == []  # GNU ld and ld.lld take `_start`
    (f,) = found("other.o")
    assert f.severity == "warning" and "no object defines `_start`" in f.message
    (f,) = found("start.o", gc_sections=True)
    assert f.severity == "warning" and "removes all the code, even `_start`" in f.message


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
    # The sample script names its object with INPUT(); here it is given instead.
    script = tmp_path / "link.ld"
    text = (folder / "bad-no-entry.ld").read_text()
    script.write_text("".join(x for x in text.splitlines(True) if not x.startswith("INPUT(")))
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
            script,
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


# Scripts that cannot or need not choose an entry (issue 12: 27 findings, none useful).
MEMORY_X = (
    "MEMORY\n{\n  FLASH : ORIGIN = 0x08000000, LENGTH = 2048K\n"
    "  RAM_D3 : ORIGIN = 0x38000000, LENGTH = 64K\n}\n"
    "SECTIONS\n{\n  .ram_d3 : { *(.ram_d3) } > RAM_D3\n}\n"
)
STUB = (
    "MEMORY {\n  PRERAM (rwx): ORIGIN = 0, LENGTH = 4096\n}\n"
    "SECTIONS\n{\n  .armstub8 . : {\n    *armstub8_header.o(.text*)\n"
    "    KEEP(*(.armstub8))\n  } >PRERAM\n}\n"
)
MODULE_LDS = (
    "SECTIONS {\n  /DISCARD/ : { *(.discard) *(.discard.*) }\n"
    "  __ksymtab 0 : { *(SORT(___ksymtab+*)) }\n"
    "  .init_array 0 : ALIGN(8) { *(SORT(.init_array.*)) *(.init_array) }\n"
    "  .text : { *(.text .text.[0-9a-zA-Z_]*) }\n}\n"
)
PARTIAL = "SECTIONS {\n  .text : { *(.text .text.*) }\n  .rodata : { *(.rodata .rodata.*) }\n}\n"
VDSO = (
    "SECTIONS {\n  . = SIZEOF_HEADERS;\n  .hash : { *(.hash) }\n  .dynsym : { *(.dynsym) }\n"
    "  .dynstr : { *(.dynstr) }\n  .text : { *(.text) }\n  .dynamic : { *(.dynamic) }\n}\n"
    "VERSION {\n  LINUX_2.6 {\n  global:\n    vdso_time;\n  local: *;\n  };\n}\n"
)
RAW = (
    'OUTPUT_FORMAT("binary")\nSECTIONS {\n  . = 0x7c00;\n  .text : { *(.text) }\n'
    "  .sig 0x7dfe : { SHORT(0xaa55) }\n}\n"
)
TABLES = (
    "SECTIONS {\n  .sa0_bootrom 0x00000000 : { KEEP(*(.sa0_bootrom)) }\n"
    "  .sa0_bl2dst 0x00001d60 : { KEEP(*(.sa0_bl2dst)) }\n}\n"
)
DISCARD_ONLY = "SECTIONS {\n  /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) }\n}\n"


@pytest.mark.parametrize(
    "text",
    [MEMORY_X, STUB, MODULE_LDS, PARTIAL, VDSO, RAW, TABLES, DISCARD_ONLY],
    ids=[
        "memory-x",
        "small-region-stub",
        "module-lds",
        "partial-link",
        "vdso",
        "raw",
        "tables",
        "discard-only",
    ],
)
def test_scripts_that_choose_no_entry(tmp_path, text):
    assert lint(tmp_path, text) == []


@needs_ld
@pytest.mark.parametrize(
    "text, args, check",
    [
        (MODULE_LDS, ["-r"], "rel"),
        (PARTIAL, ["-r"], "rel"),
        (VDSO, ["-shared", "--hash-style=sysv"], "dyn"),
        (RAW, [], "raw"),
    ],
    ids=["module-lds", "partial-link", "vdso", "raw"],
)
def test_gnu_ld_links_them_without_an_entry(tmp_path, text, args, check):
    """`ld -r` writes ET_REL (no entry point at all), `-shared` an ET_DYN nobody enters
    through e_entry, OUTPUT_FORMAT(binary) no ELF header; ld warns about none."""
    (tmp_path / "a.s").write_text("    .text\n    .globl vdso_time\nvdso_time:\n    ret\n")
    subprocess.run(["as", "--64", "-o", "a.o", "a.s"], cwd=tmp_path, check=True)
    (tmp_path / "link.ld").write_text(text)
    proc = subprocess.run(
        ["ld", "-m", "elf_x86_64", "-z", "noexecstack", *args, "-T", "link.ld", "-o", "out", "a.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "entry" not in proc.stderr  # (the vDSO shape gets only the RWX-segment warning)
    data = (tmp_path / "out").read_bytes()
    if check == "raw":
        assert data[:4] != b"\x7fELF" and data[-2:] == b"\x55\xaa"
    else:
        e_type = int.from_bytes(data[16:18], "little")
        assert e_type == (1 if check == "rel" else 3)  # ET_REL, ET_DYN
