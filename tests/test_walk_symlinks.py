"""A dangling symbolic link met while walking a folder is not an input (a link to a
file the build has not made yet); named outright, it is still unreadable (KL001)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kernlint.classify import expand
from kernlint.cli import cli


def test_walk_skips_a_dangling_link_and_keeps_the_others(tmp_path):
    (tmp_path / "grub").mkdir()
    (tmp_path / "grub" / "hello.img.sym").symlink_to("../hello.img")  # not built yet
    (tmp_path / "link.ld").write_text("SECTIONS { .text : { *(.text .text.*) } }\n")
    (tmp_path / "alias.ld").symlink_to("link.ld")  # a live link is an input
    found = [t.path for t in expand([str(tmp_path)])]
    assert found == [str(tmp_path / "alias.ld"), str(tmp_path / "link.ld")]
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []


def test_a_dangling_link_named_outright_is_kl001(tmp_path):
    link = tmp_path / "hello.img.sym"
    link.symlink_to("hello.img")
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(link)])
    assert result.exit_code == 2
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "KL001"
