"""The hot path stays light: checking an ELF image imports neither LIEF (a native
library: a crash in it could take the run down, and importing it costs ~0.6 s) nor
networkx (only the graph needs it)."""

import subprocess
import sys

from tests.conftest import sample

PROBE = """
import sys
from kernlint.engine import run, select_rules
run([{path!r}], select_rules())
heavy = sorted(m for m in ("lief", "networkx", "numpy") if m in sys.modules)
print(",".join(heavy))
"""


def test_script_and_source_checks_import_no_lief_networkx_or_numpy(tmp_path):
    """The pre-commit fast path (DESIGN.md): scripts and sources."""
    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n")
    source = tmp_path / "boot.S"
    source.write_text(".section .boot\n    nop\n")
    for path in (script, source):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(path=str(path))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == "", path


def test_check_imports_no_lief_networkx_or_numpy():
    path = str(sample("kl101", "bad-bootcode.elf"))
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(path=path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


#: What each kind of input must not import: the readers and models of the other kinds.
#: (A full rule discovery, when the rule index is stale, imports every rule module, so
#: rule modules import these lazily.)
NOT_FOR = {
    "script": (
        "kernlint.elf.model",
        "kernlint.source.gas",
        "kernlint.bootsector",
        "kernlint.boot.headers",
        "elftools",
    ),
    "source": (
        "kernlint.elf.model",
        "kernlint.bootsector",
        "kernlint.boot.headers",
        "lark",
        "kernlint.ldscript.parser",
    ),
    "image": ("lark", "kernlint.ldscript.parser", "kernlint.source.gas"),
}
KIND_PROBE = """
import sys
from kernlint.engine import run, select_rules
run([{path!r}], select_rules())
print(",".join(sorted(m for m in {modules!r} if m in sys.modules)))
"""


def test_each_kind_imports_only_its_own_readers(tmp_path):
    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n")
    source = tmp_path / "boot.S"
    source.write_text(".section .boot\n    nop\n")
    # Outside any project: beside the sample, KL101's fix reads the sample's linker
    # scripts to name the input section to change, which needs the script parser.
    image = tmp_path / "bad-bootcode.elf"
    image.write_bytes(sample("kl101", "bad-bootcode.elf").read_bytes())
    for kind, path in (("script", script), ("source", source), ("image", image)):
        out = subprocess.run(
            [sys.executable, "-c", KIND_PROBE.format(path=str(path), modules=NOT_FOR[kind])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == "", (kind, out)


def test_classify_sector_size_matches_the_boot_sector_layout():
    from kernlint.bootsector.layout import SECTOR_SIZE
    from kernlint.classify import SECTOR_SIZE as CLASSIFY_SECTOR_SIZE

    assert CLASSIFY_SECTOR_SIZE == SECTOR_SIZE


RULES_PROBE = """
import json, sys
from kernlint import ruleindex
from kernlint.engine import all_rules, run, select_rules
run([{path!r}], select_rules())
source = ruleindex.last_source
applies = {{r.module_name: sorted(r.applies_to) for r in all_rules()}}
imported = sorted(m for m in sys.modules if m.startswith("kernlint.rules."))
print(json.dumps({{"source": source, "applies": applies, "imported": imported}}))
"""


def test_a_run_imports_only_the_rule_modules_that_apply(tmp_path):
    """With the rule index current (kernlint/ruleindex.py), checking a script imports
    the script rules only, and checking a source the source rules only: no image,
    boot-sector or boot-protocol rule module."""
    import json

    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n")
    source = tmp_path / "boot.S"
    source.write_text(".section .boot\n    nop\n")
    for kind, path in (("script", script), ("source", source)):
        for _ in range(5):  # another process editing a rule makes a run rediscover
            out = subprocess.run(
                [sys.executable, "-c", RULES_PROBE.format(path=str(path))],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            probe = json.loads(out)
            if probe["source"] == "index":
                break
        assert probe["source"] == "index"
        assert probe["imported"], kind
        for module in probe["imported"]:
            assert kind in probe["applies"][module], (kind, module)


def test_lief_is_imported_only_for_pe_images(tmp_path):
    """Issue #15: LIEF (and the PE reader) load only when a PE file is checked; an ELF,
    script or source run, and a directory without PE files, import neither."""
    probe = KIND_PROBE
    modules = ("lief", "kernlint.pe.reader", "kernlint.pe.model")
    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n")
    for path in (
        script,
        sample("kl101", "bad-bootcode.elf"),
        sample("kl101", "bad-bootcode.elf").parent,
    ):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(path=str(path), modules=modules)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == "", (path, out)
    pe = sample("kl703", "good-dynamic.efi")
    out = subprocess.run(
        [sys.executable, "-c", probe.format(path=str(pe), modules=modules)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "kernlint.pe.model,kernlint.pe.reader,lief", out
