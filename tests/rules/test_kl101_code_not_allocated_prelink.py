"""KL101 on the layout a script predicts before linking: the sample's scripts against
what GNU ld 2.40 wrote (readelf records), and generated links — section flags ×
where the script puts the section — where KL101 on the script must name the same
output sections as KL101 on the ELF that ld links from it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kernlint.engine import run, select_rules
from tests.conftest import sample

pytestmark = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="GNU as and ld are needed"
)

FOLDER = "kl101-code-not-allocated-prelink"


def _kl101(*paths):
    return run([str(p) for p in paths], select_rules(["KL101"])).findings


def _readelf(name: str) -> str:
    return sample(FOLDER, name).read_text()


def test_sample_own_output_section():
    (f,) = _kl101(sample(FOLDER, "bad-own-section.ld"))
    assert f.message.startswith(
        "boot-noflags.o(.bootcode) holds code (it defines the entry symbol `_start`) but"
        " lacks SHF_ALLOC: the script places it in output section .bootcode, which GNU ld"
        " will leave non-allocated (at 0x100000, in no PT_LOAD)"
    )
    assert "e_entry 0x100000 will land in .text instead" in f.message
    assert f.location.line == 8 and f.location.section == ".bootcode"
    assert '`.section .bootcode, "ax", @progbits`' in f.fix
    # What ld wrote: .bootcode with no flags at 0x100000, .text AX at the same
    # address, the only PT_LOAD holding .text alone, e_entry 0x100000.
    elf = _readelf("bad-own-section.readelf")
    assert re.search(r"\] \.bootcode\s+PROGBITS\s+0000000000100000 \S+ 00000a 00 {6}0", elf)
    assert re.search(r"\] \.text\s+PROGBITS\s+0000000000100000 \S+ 000003 00  AX", elf)
    assert re.search(r"^ +00 +\.text $", elf, re.M)
    assert "Entry point address:               0x100000" in elf
    assert sample(FOLDER, "bad-own-section.ld-stderr").read_text() == ""


def test_sample_phdrs():
    (f,) = _kl101(sample(FOLDER, "bad-phdrs.ld"))
    assert "output section .init_asm, which GNU ld will leave non-allocated" in f.message
    assert "e_entry 0x800000 will be in no PT_LOAD" in f.message
    elf = _readelf("bad-phdrs.readelf")
    assert "Entry point address:               0x800000" in elf
    assert re.search(r"^ +00 +$", elf, re.M)  # the init_asm PT_LOAD holds nothing


def test_good_twins():
    for name in ("good-own-section.ld", "good-merged.ld"):
        assert _kl101(sample(FOLDER, name)) == [], name
    # ld makes the merged output section AX and loads the unflagged input with it.
    merged = _readelf("good-merged.readelf")
    assert re.search(r"\] \.text\s+PROGBITS\s+0000000000100000 \S+ 00000d 00  AX", merged)
    assert re.search(r"^ +00 +\.text $", merged, re.M)
    own = _readelf("good-own-section.readelf")
    assert re.search(r"^ +00 +\.bootcode \.text $", own, re.M)


# ----------------------------------------------------------------------------- generated

#: flags string of `.section .boot` -> (source body)
FLAGS = ("", ', "x"', ', "a"', ', "ax"', ', "w"')
BODIES = {
    "entry": ".globl _start\n_start:\n  hlt\n",
    "function": ".globl helper\n.type helper, @function\nhelper:\n  ret\n.size helper, 1\n",
    "data": ".byte 1, 2, 3, 4\n",
}
PLACES = {
    "own": "  .boot : { *(.boot) }\n  .text : { *(.text) }\n",
    "first": "  .text : { *(.boot) *(.text) }\n",
    "last": "  .text : { *(.text) *(.boot) }\n",
    "orphan": "  .text : { *(.text) }\n",
    "discard": "  .text : { *(.text) }\n  /DISCARD/ : { *(.boot) }\n",
    "keep-own": "  .text : { *(.text) }\n  .boot 0x200000 : { KEEP(*(.boot)) }\n",
}
LD = ("ld", "-m", "elf_x86_64", "-nostdlib", "--build-id=none", "-z", "noexecstack")


@pytest.mark.parametrize("place", sorted(PLACES))
def test_agrees_with_the_linked_image(tmp_path, place):
    for flags in FLAGS:
        for body_name, body in BODIES.items():
            case = tmp_path / f"{body_name}{len(flags)}{flags.count('x')}{flags.count('w')}"
            case.mkdir()
            (case / "b.s").write_text(
                f".section .boot{flags}\n{body}"
                '.text\n.globl main\nmain:\n  jmp main\n.section .note.GNU-stack,"",@progbits\n'
            )
            subprocess.run(["as", "--64", "-o", str(case / "b.o"), str(case / "b.s")], check=True)
            script = case / "k.ld"
            script.write_text(
                "INPUT(b.o)\nENTRY(main)\nSECTIONS {\n  . = 0x100000;\n"
                + PLACES[place]
                + "  /DISCARD/ : { *(.comment) *(.note.GNU-stack) }\n}\n"
            )
            elf = case / "k.elf"
            proc = subprocess.run(
                [*LD, "-T", str(script), "-o", str(elf)], cwd=case, capture_output=True, text=True
            )
            assert proc.returncode == 0, proc.stderr
            linked = {f.location.section for f in _kl101(elf)}
            planned = {f.location.section for f in _kl101(script)}
            assert planned == linked, (place, flags, body_name, planned, linked)
            if "a" not in flags and body_name != "data" and place in ("own", "orphan", "keep-own"):
                assert planned == {".boot"}, (place, flags, body_name)
