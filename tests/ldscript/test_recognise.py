"""Files named like linker scripts that are something else: fragments, version
scripts, other toolchains' files, and what only ld.lld accepts. Each class is checked
with GNU ld 2.40 (and ld.lld where it matters) on scripts written for these tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.ldscript import ScriptSyntaxError, parse_script
from kernlint.ldscript.recognise import (
    fragment,
    includer_of,
    lld_accepts,
    other_toolchain,
    version_script,
)

needs_ld = pytest.mark.skipif(not shutil.which("ld"), reason="GNU ld is needed")
needs_lld = pytest.mark.skipif(not shutil.which("ld.lld"), reason="ld.lld is needed")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def links(linker: str, script: Path, *args: str) -> bool:
    folder = script.parent
    obj = folder / "t.o"
    subprocess.run(["as", "-o", str(obj)], input=".text\nnop\n", text=True, check=True)
    proc = subprocess.run(
        [linker, *args, "-T", str(script), str(obj), "-o", str(folder / "out.elf")],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0


def error_of(text: str, path: str = "t.ld") -> ScriptSyntaxError:
    with pytest.raises(ScriptSyntaxError) as info:
        parse_script(text, path)
    return info.value


SECTIONS_FRAGMENT = ".text : {\n  *(.text*)\n  _etext = .;\n}\n.data : { *(.data) }\n"


@needs_ld
def test_output_section_fragment_links_only_inside_sections(tmp_path):
    frag = write(tmp_path / "common_text.ld", SECTIONS_FRAGMENT)
    main = write(tmp_path / "main.ld", "SECTIONS {\n  INCLUDE common_text.ld\n}\n")
    assert links("ld", main)  # ld reads it where the INCLUDE stands
    assert not links("ld", frag)  # alone, a syntax error
    found = includer_of(str(frag), [str(main)])
    assert found == (str(main), "sections", False)
    got = fragment(str(frag), SECTIONS_FRAGMENT, found)
    assert got is not None and got.error is None and got.includer == str(main)
    assert "INCLUDEs inside SECTIONS" in got.describe()


def test_fragment_without_an_includer_is_known_by_its_text():
    got = fragment("frag.ld", SECTIONS_FRAGMENT)
    assert got is not None and got.context == "sections" and got.includer is None
    regions = "ram (rwx) : ORIGIN = 0x20000000, LENGTH = 64K\nrom : ORIGIN = 0, LENGTH = 1M\n"
    assert fragment("mem.ld", regions).context == "memory"
    assert fragment("junk.ld", "SECTIONS { .text : { *(.text) }\n") is None


@needs_ld
def test_fragment_with_an_error_where_it_is_included_keeps_the_error(tmp_path):
    text = ".text : { *(.text) }\n.data : { *(.data)\n"  # `.data` not closed
    frag = write(tmp_path / "part.ld", text)
    main = write(tmp_path / "main.ld", "SECTIONS {\n  INCLUDE part.ld\n}\n")
    assert not links("ld", main)
    got = fragment(str(frag), text, includer_of(str(frag), [str(main)]))
    assert got is not None and got.error is not None


@needs_ld
def test_version_script(tmp_path):
    text = "LIBX_1.2 {\n  global:\n    x_open;\n    x_close;\n  local:\n    *;\n};\n"
    vs = write(tmp_path / "version.lds", text)
    obj = tmp_path / "v.o"
    subprocess.run(
        ["as", "-o", str(obj)], input=".globl x_open\nx_open: nop\n", text=True, check=True
    )
    proc = subprocess.run(
        ["ld", "-shared", f"--version-script={vs}", str(obj), "-o", str(tmp_path / "v.so")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr  # what it is for
    assert not links("ld", vs)  # not a linker script
    assert version_script(str(vs), text)
    assert version_script("anon.lds", "{ global: a; b; local: *; };\n")
    assert not version_script("s.ld", SECTIONS_FRAGMENT)


def test_other_toolchain_directives():
    ghs = (
        "MEMORY\n{\n  flash : org = 0, len = 512k\n}\n\n"
        'OPTION ("-e=_reset_address")\n\n'
        "SECTIONS\n{\n  .boot0 ALIGN(16) : { *(.boot) } > flash\n}\n"
    )
    got = other_toolchain(ghs, error_of(ghs))
    assert got == ("a Green Hills (GHS) linker directives file", 6)
    iar = (
        "define symbol __ICFEDIT_intvec_start__ = 0x08000000;\nplace in ROM_region { readonly };\n"
    )
    assert other_toolchain(iar, error_of(iar))[0] == "an IAR ILINK configuration file"
    plain = "SECTIONS { .text : { *(.text) } \n"
    assert other_toolchain(plain, error_of(plain)) is None


@needs_ld
@needs_lld
@pytest.mark.parametrize(
    ("text", "included", "accepted"),
    [
        # ASSERT without `;` inside an output section (rust-raspberrypi-OS-tutorials'
        # kernel_symbols.ld)
        ('SECTIONS { .text : {\n ASSERT(. >= 0, "x")\n *(.text) } }\n', None, True),
        # a comma right after a name (embassy's `REGION_ALIAS(FLASH, FLASH1)`)
        (
            "MEMORY { F1 : ORIGIN = 0, LENGTH = 1M }\nREGION_ALIAS(FLASH, F1);\n"
            "SECTIONS { .text : { *(.text) } > FLASH }\n",
            None,
            True,
        ),
        # the included file's last assignment without `;`, and `INCLUDE x.ld;`
        ("INCLUDE size.ld;\nSECTIONS { .text : { *(.text) } }\n", "size = 1024 * 1024\n", True),
        # ... but not without the `;` after the INCLUDE
        ("INCLUDE size.ld\nSECTIONS { .text : { *(.text) } }\n", "size = 1024 * 1024\n", False),
        # an assignment without `;` in the main file: both reject it
        ("SECTIONS { .text : { *(.text) } }\nfoo = 1\n", None, False),
        # `//` comments: both reject them
        ("SECTIONS { .text : { *(.text) } // c\n}\n", None, False),
    ],
)
def test_lld_accepts_matches_ld_lld(tmp_path, text, included, accepted):
    main = write(tmp_path / "main.ld", text)
    if included is not None:
        inc = write(tmp_path / "size.ld", included)
    assert not links("ld", main)  # GNU ld 2.40 rejects every case
    assert links("ld.lld", main) is accepted
    if included is None:
        assert lld_accepts(text, str(main), error_of(text, str(main))) is accepted
    else:
        semicolon = includer_of(str(inc), [str(main)])[2]
        err = error_of(included, str(inc))
        assert lld_accepts(included, str(inc), err, "script", semicolon) is accepted
