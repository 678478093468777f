"""`-L DIR` and `search-dirs`: where INCLUDEs are found, as GNU ld 2.40 finds them
(the current directory, then the -L folders), checked against real ld runs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kernlint.cli import cli
from kernlint.config import ConfigError, load_config

pytestmark = pytest.mark.skipif(not shutil.which("ld"), reason="GNU ld is needed")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def ld(script: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    obj = cwd / "empty.o"
    subprocess.run(["as", "-o", str(obj)], input="", text=True, check=True)
    return subprocess.run(
        ["ld", *args, "-T", str(script), str(obj), "-o", str(cwd / "out.elf")],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def kernlint(cwd: Path, *args: str) -> tuple[int, list[dict]]:
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, ["check", "--format", "json", "--fail-on", "info", *args])
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


@pytest.fixture
def board(tmp_path):
    """Tock's layout: a board script INCLUDEs a file found only through -L."""
    (tmp_path / ".git").mkdir()
    main = write(
        tmp_path / "boards" / "b1" / "layout.ld",
        "MEMORY { rom : ORIGIN = 0, LENGTH = 1M }\nINCLUDE kernel_layout.ld\n",
    )
    # The included file collects `.text` only: KL201 reports it when the file is read.
    write(
        tmp_path / "boards" / "build" / "kernel_layout.ld",
        "SECTIONS { .text : { *(.text) } > rom }\n",
    )
    return tmp_path, main


def test_without_dash_l_the_include_is_info_and_ld_fails_too(board):
    root, main = board
    proc = ld(main, root)
    assert "cannot open linker script file kernel_layout.ld" in proc.stderr
    code, found = kernlint(root, str(main.relative_to(root)))
    assert [(f["rule"], f["severity"]) for f in found] == [("KL002", "info")]
    assert "give it as -L DIR or search-dirs" in found[0]["message"]
    assert code == 1  # --fail-on info


def test_dash_l_follows_the_include_as_ld_does(board):
    root, main = board
    assert ld(main, root, "-L", "boards/build").returncode == 0
    _, found = kernlint(root, "-L", "boards/build", str(main.relative_to(root)))
    assert "KL002" not in {f["rule"] for f in found}
    assert "KL201" in {f["rule"] for f in found}  # the included file was read


def test_dash_l_given_and_still_not_found_is_ld_s_error(board):
    root, main = board
    (root / "elsewhere").mkdir()
    proc = ld(main, root, "-L", "elsewhere")
    assert "cannot open linker script file kernel_layout.ld" in proc.stderr
    _, found = kernlint(root, "-L", "elsewhere", str(main.relative_to(root)))
    (f,) = [f for f in found if f["rule"] == "KL002"]
    assert f["severity"] == "error"
    assert f["message"].startswith("cannot open linker script file kernel_layout.ld")


def test_search_dirs_key_top_level_and_per_target(board):
    root, main = board
    write(root / "kernlint.toml", 'search-dirs = ["boards/build"]\n')
    _, found = kernlint(root, str(main.relative_to(root)))
    assert "KL002" not in {f["rule"] for f in found}
    write(
        root / "kernlint.toml",
        '[[target]]\nimage = "out.elf"\nscript = "boards/b1/layout.ld"\n'
        'search-dirs = ["boards/build"]\n',
    )
    config = load_config(str(root / "kernlint.toml"))
    assert config.search_dirs_for(str(main)) == (str(root / "boards" / "build"),)
    assert config.search_dirs_for(str(root / "other.ld")) == ()


def test_search_dirs_must_be_a_list_of_folders(tmp_path):
    write(tmp_path / "kernlint.toml", 'search-dirs = "lib"\n')
    with pytest.raises(ConfigError, match="search-dirs` must be a list of folders"):
        load_config(str(tmp_path / "kernlint.toml"))
    write(tmp_path / "kernlint.toml", '[[target]]\nimage = "a.elf"\nsearch-dirs = ["lib"]\n')
    with pytest.raises(ConfigError, match="needs the target's `script`"):
        load_config(str(tmp_path / "kernlint.toml"))


def test_a_missing_dash_l_folder_is_a_usage_error(board):
    root, main = board
    result = CliRunner().invoke(cli, ["check", "-L", str(root / "nope"), str(main)])
    assert result.exit_code == 2
    assert "no such folder" in result.output


def test_include_outside_the_repository_is_a_warning_naming_the_path(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    main = write(repo / "link.ld", "INCLUDE ../outside.ld\nSECTIONS { .text : { *(.text) } }\n")
    write(tmp_path / "outside.ld", "x = 1;\n")
    assert ld(main, repo, "-L", str(repo)).returncode == 0  # ld follows it
    _, found = kernlint(repo, "link.ld")
    (f,) = [f for f in found if f["rule"] == "KL002"]
    assert f["severity"] == "warning"
    assert "outside.ld" in f["message"] and "outside the repository" in f["message"]
    # Named as a search folder, it is read.
    _, found = kernlint(repo, "-L", str(tmp_path), "link.ld")
    assert "KL002" not in {f["rule"] for f in found}


def test_layout_takes_dash_l(board):
    root, main = board
    obj = root / "a.o"
    subprocess.run(["as", "-o", str(obj)], input=".text\nnop\n", text=True, check=True)
    args = ["layout", "--script", str(main), str(obj)]
    result = CliRunner().invoke(cli, [*args, "-L", str(root / "boards" / "build")])
    assert result.exit_code == 0, result.output
    assert ".text" in result.output
    assert ld(main, root, "-L", "boards/build").returncode == 0
