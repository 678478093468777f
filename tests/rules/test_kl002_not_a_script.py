"""KL002 on files that are not whole GNU ld scripts (fragments, version scripts, other
toolchains' files) and on what only ld.lld accepts, decided by the build files: each
case linked with GNU ld (and ld.lld) as the project would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kernlint.buildfacts import build_facts
from kernlint.cli import cli

pytestmark = pytest.mark.skipif(not shutil.which("ld"), reason="GNU ld is needed")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def links(linker: str, script: Path) -> bool:
    folder = script.parent
    obj = folder / "t.o"
    subprocess.run(["as", "-o", str(obj)], input=".text\nnop\n", text=True, check=True)
    proc = subprocess.run(
        [linker, "-T", script.name, "t.o", "-o", "out.elf"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    obj.unlink()
    return proc.returncode == 0


def kl002(root: Path, *paths: str) -> list[dict]:
    if (root / ".git").exists():  # the repository's scripts are its tracked ones
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    old = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(
            cli, ["check", "--format", "json", "--fail-on", "info", "--select", "KL002", *paths]
        )
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_fragment_included_inside_sections_is_one_info(repo):
    # micropython's ports/stm32/boards/common_text.ld
    write(repo / "boards" / "common_text.ld", ".text : {\n  *(.text*)\n  _etext = .;\n}\n")
    main = write(repo / "boards" / "basic.ld", "SECTIONS {\n  INCLUDE common_text.ld\n}\n")
    assert links("ld", main)
    (f,) = kl002(repo, "boards/common_text.ld")
    assert f["severity"] == "info"
    assert "boards/basic.ld INCLUDEs inside SECTIONS" in f["message"]
    assert kl002(repo, "boards") == [f]  # the includer itself is clean


def test_fragment_with_an_error_where_it_is_included_is_an_error(repo):
    write(repo / "part.ld", ".text : { *(.text) }\n.data : { *(.data)\n")
    main = write(repo / "main.ld", "SECTIONS {\n  INCLUDE part.ld\n}\n")
    assert not links("ld", main)
    (f,) = kl002(repo, "part.ld")
    assert f["severity"] == "error" and "`.data`" in f["message"]
    assert "read inside SECTIONS, as main.ld INCLUDEs it" in f["message"]


def test_memory_fragment_alone_is_info(repo):
    write(repo / "mem.ld", "ram (rwx) : ORIGIN = 0x20000000, LENGTH = 64K\n")
    (f,) = kl002(repo, "mem.ld")
    assert f["severity"] == "info" and "memory region lines" in f["message"]


def test_version_script_is_one_info(repo):
    write(repo / "version.lds", "LIBFDT_1.2 {\n\tglobal:\n\t\tfdt_move;\n\tlocal:\n\t\t*;\n};\n")
    (f,) = kl002(repo, "version.lds")
    assert f["severity"] == "info" and "version script" in f["message"]


def test_green_hills_file_is_one_info(repo):
    write(
        repo / "ghs" / "SPC.ld",
        'MEMORY\n{\n  flash : org = 0, len = 512k\n}\nOPTION ("-e=_reset_address")\n'
        "SECTIONS\n{\n  .boot0 ALIGN(16) : { *(.boot) } > flash\n}\n",
    )
    assert not links("ld", repo / "ghs" / "SPC.ld")
    (f,) = kl002(repo, "ghs/SPC.ld")
    assert (f["severity"], f["location"]["line"]) == ("info", 5)
    assert "Green Hills" in f["message"]


ASSERT_NO_SEMICOLON = (
    'SECTIONS {\n  .rodata : {\n    ASSERT(. >= 0, "x")\n    *(.rodata*)\n  }\n}\n'
)


@pytest.mark.skipif(not shutil.which("ld.lld"), reason="ld.lld is needed")
@pytest.mark.parametrize(
    ("files", "severity"),
    [
        # a Cargo build for a bare-metal target: rustc links with rust-lld
        (
            {
                "Cargo.toml": '[package]\nname = "k"\n',
                "Makefile": "TARGET = aarch64-unknown-none\n",
            },
            "info",
        ),
        # named outright
        ({".cargo/config.toml": '[target.x]\nlinker = "rust-lld"\n'}, "info"),
        ({"Makefile": "LD = ld.lld\n"}, "info"),
        # another linker named as well: GNU ld must accept it
        (
            {
                "Cargo.toml": '[package]\nname = "k"\n',
                "Makefile": "TARGET = aarch64-unknown-none\n",
                ".cargo/config.toml": '[target.x]\nlinker = "aarch64-none-elf-gcc"\n',
            },
            "error",
        ),
        # cortex-m-rt's scripts are linked with GNU ld too (embassy's memory.x)
        (
            {
                "Cargo.toml": '[package]\nname = "k"\n[dependencies]\ncortex-m-rt = "0.7"\n',
                ".cargo/config.toml": '[build]\ntarget = "thumbv7em-none-eabihf"\n',
            },
            "error",
        ),
        # no build files: nothing says which linker
        ({}, "error"),
    ],
)
def test_what_only_lld_accepts_depends_on_the_build(repo, files, severity):
    script = write(repo / "k" / "symbols.ld", ASSERT_NO_SEMICOLON)
    for name, text in files.items():
        write(repo / "k" / name, text)
    assert not links("ld", script) and links("ld.lld", script)
    (f,) = kl002(repo, "k/symbols.ld")
    assert f["severity"] == severity
    if severity == "info":
        assert "GNU ld 2.40 rejects this and ld.lld accepts it" in f["message"]
        assert build_facts(str(script)).lld_only is not None
    else:
        assert f["message"].endswith("(ld.lld accepts this; GNU ld 2.40 does not)")


@pytest.mark.skipif(not shutil.which("ld.lld"), reason="ld.lld is needed")
def test_included_assignment_without_semicolon_through_lld(repo):
    # rust-raspberrypi-OS-tutorials: `INCLUDE kernel_virt_addr_space_size.ld;` of a file
    # holding `size = 1024 * 1024 * 1024` without `;`
    write(repo / "k" / "Cargo.toml", '[package]\nname = "k"\n')
    write(repo / "k" / "Makefile", "TARGET = aarch64-unknown-none-softfloat\n")
    write(repo / "k" / "size.ld", "size = 1024 * 1024 * 1024\n")
    main = write(repo / "k" / "kernel.ld", "INCLUDE size.ld;\nSECTIONS { .text : { *(.text) } }\n")
    assert not links("ld", main) and links("ld.lld", main)
    found = kl002(repo, "k/kernel.ld", "k/size.ld")
    assert [(f["path"], f["severity"]) for f in found] == [
        ("k/kernel.ld", "info"),
        ("k/size.ld", "info"),
    ]
