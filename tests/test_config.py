"""Configuration files: discovery, keys, errors naming the key and the file, targets,
per-path ignores."""

from __future__ import annotations

import shutil

import pytest

from kernlint.config import ConfigError, find_config, load_config
from tests.conftest import kernlint, sample

RWX = sample("kl105", "bad-phdrs-rwx.elf")
SEED = sample("kl101", "bad-bootcode.elf")


def write(path, text):
    path.write_text(text)
    return path


def test_nearest_file_wins_and_pyproject_needs_the_table(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.kernlint]\nfail-on = 'warning'\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config(str(sub)) == tmp_path / "pyproject.toml"
    write(tmp_path / "a" / "kernlint.toml", "fail-on = 'info'\n")
    assert find_config(str(sub)) == tmp_path / "a" / "kernlint.toml"
    write(sub / ".kernlint.toml", "")
    assert find_config(str(sub)) == sub / ".kernlint.toml"


@pytest.mark.parametrize(
    "text, found",
    [
        ("[tool.kernlint]\nselect = ['KL1']\n", True),
        ('[ tool . "kernlint" ]\nselect = ["KL1"]\n', True),
        ("[tool.kernlint.per-path-ignores]\n'a.ld' = ['KL201']\n", True),
        ("tool.kernlint.select = ['KL1']\n", True),
        ("[tool]\nkernlint = { select = ['KL1'] }\n", True),
        ("[tool]\nkernlint.select = ['KL1']\n", True),
        # a project that only names kernlint: no table
        (
            "[project]\nname = 'kernlint'\n[project.scripts]\nkernlint = 'kernlint.cli:main'\n",
            False,
        ),
        ("[tool.kernlintish]\nx = 1\n", False),
        ("[tool.ruff]\nline-length = 100 # kernlint\n", False),
    ],
)
def test_pyproject_table_forms(tmp_path, text, found):
    """Every TOML spelling of a [tool.kernlint] table is found, and what only names
    kernlint is not (and not parsed)."""
    write(tmp_path / "pyproject.toml", text)
    assert (find_config(str(tmp_path)) == tmp_path / "pyproject.toml") is found


def test_keys_are_read(tmp_path):
    cfg = load_config(
        write(
            tmp_path / "kernlint.toml",
            """
select = ["KL1"]
ignore = ["rwx-segment"]
fail-on = "warning"
page-size = 16384
[per-path-ignores]
"build/**" = ["KL106"]
[[target]]
image = "build/kernel.elf"
script = "link.ld"
objects = ["boot.o"]
""",
        )
    )
    assert cfg.select == ("KL1",) and cfg.ignore == ("rwx-segment",)
    assert cfg.fail_on == "warning" and cfg.page_size == 16384
    assert cfg.targets == ("build/kernel.elf", "link.ld", "boot.o")
    assert cfg.ignored_for(str(tmp_path / "build" / "x" / "k.elf")) == ("KL106",)
    assert cfg.ignored_for(str(tmp_path / "src" / "k.elf")) == ()


@pytest.mark.parametrize(
    "text, words",
    [
        ("selct = ['KL1']", "`selct` is not a known key"),
        ("select = ['KL999']", "`select` has unknown rule, prefix or group: 'KL999'"),
        ("select = 'KL1'", "`select` must be a list"),
        ("fail-on = 'fatal'", "`fail-on` must be one of error, warning, info"),
        ("page-size = 3000", "`page-size` must be a positive power of two"),
        ("boot-protocol = 'multiboot3'", "`boot-protocol` must be one of auto, multiboot1,"),
        (
            "[[target]]\nimage = 'k.elf'\nboot-protocol = 'grub'",
            "`target[0].boot-protocol` must be one of auto,",
        ),
        ("[[target]]\nimage = 'k.elf'\nmap = 'k.map'", "`target[0].map` is not supported"),
        ("[[target]]\nimage = 'k.elf'\nobjects = 'a.o'", "`target[0].objects` must be a list"),
        ("[[target]]\nimgae = 'k.elf'", "`target[0].imgae` is not a known key"),
        ("[[target]]\n", "`target[0].image` must be a path"),
        ("select = [", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key_and_the_file(tmp_path, text, words):
    path = write(tmp_path / "kernlint.toml", text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(str(path)) and words in str(err.value)


def test_pyproject_keys_are_prefixed(tmp_path):
    path = write(tmp_path / "pyproject.toml", "[tool.kernlint]\nselcet = []\n")
    with pytest.raises(ConfigError, match=r"`tool\.kernlint\.selcet` is not a known key"):
        load_config(path)


def test_cli_uses_config_and_exits_2_on_a_bad_one(tmp_path):
    write(tmp_path / "kernlint.toml", "fail-on = 'error'\nselect = ['KL105']\n")
    shutil.copy(RWX, tmp_path / "k.elf")
    run = kernlint("check", "--format", "json", "k.elf", cwd=tmp_path)
    assert run.code == 0 and run.rules == {"KL105"}  # a warning, and fail-on = 'error'
    assert kernlint("check", "--fail-on", "warning", "k.elf", cwd=tmp_path).code == 1
    write(tmp_path / "kernlint.toml", "fail-on = 3\n")
    bad = kernlint("check", "k.elf", cwd=tmp_path)
    assert bad.code == 2 and "kernlint.toml: `fail-on` must be one of" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_no_paths_lints_the_configured_targets(tmp_path):
    (tmp_path / "build").mkdir()
    shutil.copy(SEED, tmp_path / "build" / "kernel.elf")
    write(
        tmp_path / "pyproject.toml",
        "[tool.kernlint]\n[[tool.kernlint.target]]\nimage = 'build/kernel.elf'\n",
    )
    sub = tmp_path / "src"
    sub.mkdir()
    run = kernlint("check", "--format", "json", cwd=sub)
    assert run.code == 1
    assert {f["path"] for f in run.report["findings"]} == {"../build/kernel.elf"}


def test_no_paths_and_no_targets_says_how_to_configure(tmp_path):
    run = kernlint("check", cwd=tmp_path)
    assert run.code == 2 and "[[tool.kernlint.target]]" in run.stderr


def test_per_path_ignores(tmp_path):
    (tmp_path / "vendor").mkdir()
    shutil.copy(RWX, tmp_path / "vendor" / "k.elf")
    shutil.copy(RWX, tmp_path / "k.elf")
    write(tmp_path / "kernlint.toml", "[per-path-ignores]\n'vendor/*' = ['KL105']\n")
    run = kernlint("check", "--format", "json", "vendor/k.elf", "k.elf", cwd=tmp_path)
    assert {f["path"] for f in run.report["findings"]} == {"k.elf"}


def test_explicit_config_option(tmp_path):
    """The named file is used: its `fail-on = 'error'` lets the RWX warning pass, which
    fails by default (and with the nearest configuration, which has none)."""
    cfg = write(tmp_path / "lenient.toml", "fail-on = 'error'\n")
    assert kernlint("check", str(RWX), cwd=tmp_path).code == 1
    assert kernlint("check", "--config", str(cfg), str(RWX), cwd=tmp_path).code == 0
    strict = write(tmp_path / "strict.toml", "fail-on = 'info'\n")
    assert kernlint("check", "--config", str(strict), str(RWX), cwd=tmp_path).code == 1


def test_fail_on_defaults_to_warning(tmp_path):
    assert load_config(write(tmp_path / "kernlint.toml", "select = ['KL1']\n")).fail_on == (
        "warning"
    )
    from kernlint.config import Config

    assert Config().fail_on == "warning"


def test_boot_protocol_and_objects_per_target(tmp_path):
    cfg = load_config(
        write(
            tmp_path / "kernlint.toml",
            "boot-protocol = 'multiboot2'\n"
            "[[target]]\nimage = 'build/k.elf'\nboot-protocol = 'auto'\n"
            "objects = ['build/boot.o']\n"
            "[[target]]\nimage = 'build/p.elf'\nboot-protocol = 'pvh'\n",
        )
    )
    assert cfg.protocol_for(str(tmp_path / "build" / "k.elf")) == "auto"
    assert cfg.protocol_for(str(tmp_path / "build" / "p.elf")) == "pvh"
    assert cfg.protocol_for(str(tmp_path / "other.elf")) == "multiboot2"
    assert cfg.objects_for(str(tmp_path / "build" / "k.elf")) == (
        str(tmp_path / "build" / "boot.o"),
    )
    assert cfg.objects_for(str(tmp_path / "build" / "p.elf")) == ()
