"""`kernlint layout` agrees with GNU ld on every shipped sample whose script names its
objects (`INPUT()`): each script is linked with the exact ld command its sample's
Makefile runs (read with `make -n`), with `--noinhibit-exec` so that a bad sample's
non-fatal errors (relocation overflow, region overflow) still leave an image to
compare, and the prediction for the same options is compared section by section and
PT_LOAD by PT_LOAD (tests/layout/harness.py's rules)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.layout.harness import ld_facts

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SCRIPTS = sorted(
    p for p in SAMPLES.glob("kl*/*.ld") if re.search(r"^\s*INPUT\(", p.read_text(), re.M)
)
#: ld emulations the layout names itself; others are taken from the objects.
MACHINES = ("elf_x86_64", "elf_i386")


def _ld_command(script: Path, folder: Path) -> list[str] | None:
    """The sample Makefile's ld command for ``script``, without its redirections."""
    make = subprocess.run(
        ["make", "-n", "-B"], cwd=folder, capture_output=True, text=True, check=False
    )
    for line in make.stdout.splitlines():
        words = shlex.split(line.replace("!", " ", 1) if line.startswith("!") else line)
        if not words or not re.search(r"(^|-)ld$", words[0]) or "-T" not in words:
            continue
        if words[words.index("-T") + 1] != script.name:
            continue
        cut = [i for i, w in enumerate(words) if w.startswith(("2>", ">"))]
        return words[: cut[0]] if cut else words
    return None


def _options(words: list[str]):
    from kernlint.layout.model import Options

    kw: dict = {}
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "-m" and nxt in MACHINES:
            kw["machine"] = nxt
        elif w == "--gc-sections":
            kw["gc_sections"] = True
        elif w == "-z" and nxt.startswith("max-page-size="):
            kw["max_page_size"] = int(nxt.split("=", 1)[1], 0)
        elif w == "-z" and nxt.startswith("common-page-size="):
            kw["common_page_size"] = int(nxt.split("=", 1)[1], 0)
        elif w == "-z" and nxt in ("separate-code", "noseparate-code"):
            kw["separate_code"] = nxt == "separate-code"
        elif w == "-e":
            kw["entry"] = nxt
    return Options(**kw)


@pytest.mark.skipif(not shutil.which("make"), reason="make is needed")
@pytest.mark.parametrize("script", SCRIPTS, ids=[f"{p.parent.name}/{p.name}" for p in SCRIPTS])
def test_sample_layout_agrees_with_ld(script: Path, tmp_path: Path):
    folder = tmp_path / script.parent.name
    shutil.copytree(script.parent, folder)
    words = _ld_command(script, folder)
    assert words is not None, f"{script.parent.name}/Makefile does not link {script.name}"
    if not shutil.which(words[0]):
        pytest.skip(f"{words[0]} is not installed (sh tests/setup.sh)")
    out = folder / "kernlint-check.elf"
    o = words.index("-o")
    cmd = [*words[:o], "-o", str(out), *words[o + 2 :], "--noinhibit-exec"]
    ld = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)

    from kernlint.layout import lay_out_files

    predicted = lay_out_files(str(folder / script.name), [], options=_options(words))
    if not out.exists():
        # an error fatal in ld even with --noinhibit-exec ("cannot move location
        # counter backwards", "no memory region specified"): the model predicts it
        fatal = [re.sub(r"^.*?(?=cannot move|no memory region)", "", e) for e in predicted.errors]
        assert any(f and f in ld.stderr for f in fatal), (ld.stderr, predicted.errors)
        return
    assert out.exists(), ld.stderr
    sections, loads = ld_facts(out)
    mask = (1 << (32 if predicted.ei_class == 32 else 64)) - 1
    ours = {}
    for s in predicted.sections:
        if not s.flags & 2:  # SHF_ALLOC
            continue
        lma = s.vma
        for seg in predicted.segments:
            if seg.p_type == 1 and seg.p_vaddr <= s.vma < seg.p_vaddr + max(seg.p_memsz, 1):
                lma = seg.p_paddr + s.vma - seg.p_vaddr
                break
        ours[s.name] = (s.vma & mask, lma & mask, s.size)
    assert ours == sections, ld.stderr
    table = [
        (s.p_vaddr, s.p_paddr, s.p_filesz, s.p_memsz, s.p_flags)
        for s in predicted.segments
        if s.p_type == 1
    ]
    assert table == loads, ld.stderr


def test_every_layout_sample_is_covered():
    """The INPUT() scripts are the layout samples of KL206, KL209, KL210, KL216, KL501
    and the before-linking KL101/KL202/KL301 folders."""
    folders = {p.parent.name.split("-")[0] for p in SCRIPTS}
    assert {"kl101", "kl202", "kl206", "kl209", "kl210", "kl216", "kl301", "kl501"} <= folders
