"""The project context (kernlint/project.py): KL601 and KL602 ask the linker scripts
where a section goes. Each case is a reproduction written for kernlint, linked with
GNU ld 2.40, and both what ld does (readelf) and what kernlint reports are asserted."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernlint.engine import run, select_rules
from kernlint.project import ALONE, DISCARDED, MERGED, ORPHAN, Project
from tests.support.readelf import readelf

needs = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("as", "ld", "nasm", "git")),
    reason="GNU as/ld, nasm and git are needed (sh tests/setup.sh)",
)

START = "\t.section mysec\n\t.globl _start\n_start:\thlt\n"
OTHER = "\t.text\n\t.globl f\nf:\tret\n"
CPU = (
    "bits 64\nsection .text.get_cpu_num\nglobal get_cpu_num:function\n"
    "get_cpu_num:\n  xor eax, eax\n  ret\n"
)


def _as(tmp: Path, name: str, text: str) -> Path:
    src = tmp / name
    src.write_text(text)
    obj = src.with_suffix(".o")
    if name.endswith(".asm"):
        cmd = ["nasm", "-f", "elf64", "-o", str(obj), str(src)]
    else:
        cmd = ["as", "--64", "-o", str(obj), str(src)]
    subprocess.run(cmd, check=True, capture_output=True)
    return src


def _link(tmp: Path, script: str, *objects: str) -> Path:
    ld = tmp / "link.ld"
    ld.write_text(script)
    out = tmp / "out.elf"
    subprocess.run(
        ["ld", "-o", str(out), "-T", str(ld), *(str(tmp / o) for o in objects)],
        check=True,
        capture_output=True,
    )
    return out


def _check(*paths: Path, rules=("KL601", "KL602")) -> list:
    return run([str(p) for p in paths], select_rules(list(rules))).findings


def _loaded(elf: Path, name: str) -> bool:
    """True when section ``name`` of ``elf`` is allocated and lies in a PT_LOAD."""
    info = readelf(elf)
    return "A" in info.section(name).flags and any(name in s.sections for s in info.loads)


@needs
def test_merged_by_the_script_is_silent(tmp_path):
    """`.text : { *(.text) *(mysec) }`: ld gives .text the union of its inputs' flags
    (AX), and _start is loaded."""
    src = _as(tmp_path, "start.S", START)
    _as(tmp_path, "other.s", OTHER)
    elf = _link(
        tmp_path, "SECTIONS { . = 1M; .text : { *(.text) *(mysec) } }", "start.o", "other.o"
    )
    assert readelf(elf).section(".text").flags == "AX" and _loaded(elf, ".text")
    assert _check(src, tmp_path / "link.ld") == []
    # Even without other.o: the empty .text GNU as writes in start.o brings AX.
    elf = _link(tmp_path, "SECTIONS { . = 1M; .text : { *(.text) *(mysec) } }", "start.o")
    assert readelf(elf).section(".text").flags == "AX"


@needs
def test_alone_in_its_output_section_is_an_error(tmp_path):
    """The seed shape: `.bootcode : { KEEP(*(mysec)) }` stays without flags, in no
    PT_LOAD."""
    src = _as(tmp_path, "start.S", START)
    _as(tmp_path, "other.s", OTHER)
    script = "SECTIONS { . = 1M; .text : { *(.text) }\n .bootcode : { KEEP(*(mysec)) } }"
    elf = _link(tmp_path, script, "start.o", "other.o")
    assert readelf(elf).section(".bootcode").flags == "" and not _loaded(elf, ".bootcode")
    (f,) = _check(src, tmp_path / "link.ld")
    assert f.rule == "KL601" and f.severity == "error"
    assert "link.ld:2` puts it in output section .bootcode" in f.message
    assert "no PT_LOAD" in f.message


@needs
def test_with_only_non_allocated_inputs_is_an_error(tmp_path):
    src = _as(tmp_path, "start.S", START)
    _as(tmp_path, "other.s", OTHER)
    script = "SECTIONS { . = 1M; .text : { *(.text) } .info : { *(mysec) *(.comment) } }"
    elf = _link(tmp_path, script, "start.o", "other.o")
    assert readelf(elf).section(".info").flags == ""
    (f,) = _check(src, tmp_path / "link.ld")
    assert f.severity == "error" and "no allocated input section goes there" in f.message


@needs
def test_data_statements_and_empty_allocated_inputs_allocate(tmp_path):
    """`LONG(0)` and an empty `.data` input make the output section allocated (A, WA)."""
    src = _as(tmp_path, "start.S", START)
    _as(tmp_path, "other.s", OTHER)
    for body, flags in (("*(mysec) LONG(0)", "A"), ("*(.data) *(mysec)", "WA")):
        script = f"SECTIONS {{ . = 1M; .text : {{ *(.text) }} .boot : {{ {body} }} }}"
        elf = _link(tmp_path, script, "start.o", "other.o")
        assert readelf(elf).section(".boot").flags == flags, body
        assert _check(src, tmp_path / "link.ld") == [], body


@needs
def test_orphan_is_an_error(tmp_path):
    """A flagless orphan: ld places it at address 0, outside every PT_LOAD."""
    src = _as(tmp_path, "start.S", START)
    _as(tmp_path, "other.s", OTHER)
    elf = _link(tmp_path, "SECTIONS { . = 1M; .text : { *(.text) } }", "start.o", "other.o")
    assert readelf(elf).section("mysec").flags == "" and not _loaded(elf, "mysec")
    (f,) = _check(src, tmp_path / "link.ld")
    assert f.severity == "error" and "orphan" in f.message and "link.ld" in f.message


def test_no_script_is_a_warning_that_names_the_shapes(tmp_path):
    src = tmp_path / "start.S"
    src.write_text(START)
    (f,) = _check(src)
    assert f.severity == "warning"
    assert "no linker script was found" in f.message
    assert "`mysec : { KEEP(*(mysec)) }`" in f.message and "*(mysec) }`" in f.message


@needs
def test_upper_case_name_merged_or_alone(tmp_path):
    src = _as(tmp_path, "vec.S", "\t.section VECTORS\n\t.globl _start\n_start:\tnop\n")
    elf = _link(tmp_path, "SECTIONS { . = 1M; .text : { *(VECTORS) *(.text) } }", "vec.o")
    assert readelf(elf).section(".text").flags == "AX"
    assert _check(src, tmp_path / "link.ld") == []
    elf = _link(
        tmp_path, "SECTIONS { . = 1M; .vec : { *(VECTORS) } .text : { *(.text) } }", "vec.o"
    )
    assert readelf(elf).section(".vec").flags == ""
    (f,) = _check(src, tmp_path / "link.ld")
    assert f.severity == "error" and "VECTORS" in f.message


@needs
def test_nasm_text_subsection_collected_with_text(tmp_path):
    """NASM gives `.text.get_cpu_num` `A` only (it matches names exactly); collected
    by `*(.text .text.*)` with another object's `.text` it lands in an AX output
    section and an R E segment."""
    src = _as(tmp_path, "cpu.asm", CPU)
    _as(tmp_path, "other.s", OTHER)
    assert readelf(tmp_path / "cpu.o").section(".text.get_cpu_num").flags == "A"
    elf = _link(tmp_path, "SECTIONS { . = 1M; .text : { *(.text .text.*) } }", "cpu.o", "other.o")
    assert readelf(elf).section(".text").flags == "AX"
    assert _check(src, tmp_path / "link.ld") == []
    # Alone in an output section of its own it stays A, in a segment without PF_X.
    script = "SECTIONS { . = 1M; .cpu : { *(.text.get_cpu_num) } .text : { *(.text) } }"
    elf = _link(tmp_path, script, "cpu.o", "other.o")
    assert readelf(elf).section(".cpu").flags == "A"
    (f,) = _check(src, tmp_path / "link.ld")
    assert f.rule == "KL602" and f.severity == "warning" and "no executable input" in f.message


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@needs
def test_repository_scripts_decide_for_a_source_given_alone(tmp_path):
    """pre-commit passes only the changed source: the tracked scripts of its
    repository decide; the nearest ones to the source first."""
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "start.S").write_text(START)
    (repo / "linker.ld").write_text("SECTIONS { . = 1M; .text : { *(.text) *(mysec) } }\n")
    (repo / "other").mkdir()
    (repo / "other" / "far.ld").write_text("SECTIONS { .mysec : { *(mysec) } }\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    assert _check(repo / "src" / "start.S") == []
    # A nearer script that leaves it alone decides, and the message names both.
    (repo / "src" / "boot.ld").write_text(
        "SECTIONS { .b : { KEEP(*(mysec)) } .text : { *(.text) } }"
    )
    _git(repo, "add", ".")
    (f,) = _check(repo / "src" / "start.S")
    assert f.severity == "error" and "src/boot.ld:1" in f.message
    # An untracked script is not the project's.
    (repo / "src" / "boot.ld").unlink()
    _git(repo, "rm", "-q", "--cached", "src/boot.ld")
    (repo / "src" / "untracked.ld").write_text("SECTIONS { .b : { *(mysec) } }")
    assert _check(repo / "src" / "start.S") == []


@needs
def test_a_template_that_names_the_section_makes_info(tmp_path):
    """The only script that names the section is a template kernlint cannot read
    without a preprocessor: the verdict is the template's, so the finding says what it
    would need, at info (seL4's `.phys.text`, OP-TEE's `.identity_map.data`: judged
    false, their templates merge them)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "start.S").write_text(START)
    (repo / "kernel.lds.S").write_text(
        "#include <asm/vmlinux.lds.h>\nSECTIONS { .text : { *(.text) *(mysec) } }\n"
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    (f,) = _check(repo / "start.S")
    assert f.severity == "info" and "kernel.lds.S" in f.message and "preprocessor" in f.message


def test_place_verdicts(tmp_path):
    script = tmp_path / "k.ld"
    script.write_text(
        "SECTIONS {\n"
        "  .text : { *(.text) *(.merged) }\n"
        "  .alone : { KEEP(*(.alone .text.boot .init)) }\n"
        "  .late : { *(.late) *(.text) }\n"
        "  .own : { boot.o(.byfile) }\n"
        "  .stack_dummy (COPY) : { *(.stack*) }\n"
        "  /DISCARD/ : { *(.gone) }\n"
        "}\n"
    )
    project = Project((str(script),))
    where = tmp_path / "boot.S"

    def verdict(name, files=("boot.o",)):
        (p,) = project.place(str(where), name, files).placements
        return p.verdict

    assert verdict(".merged") == MERGED
    # Names only spelled out in the pattern are no evidence of allocated inputs.
    assert verdict(".alone") == ALONE
    # .text goes to the first output section that takes it, not to .late.
    assert verdict(".late") == ALONE
    assert verdict(".byfile") == ALONE and verdict(".byfile", ("other.o",)) == ORPHAN
    assert verdict(".gone") == DISCARDED
    # A (COPY) output section keeps it out of memory on purpose (nRF's stack sizing).
    assert verdict(".stack") == DISCARDED
    assert verdict(".nowhere") == ORPHAN


def test_a_run_without_candidates_reads_no_script(tmp_path, monkeypatch):
    """Building the project context reads nothing: a run whose sources have no
    flagless section never parses a repository script."""
    import kernlint.project as project

    calls = []
    monkeypatch.setattr(project, "_ls_scripts", lambda root: calls.append(root) or ())
    src = tmp_path / "ok.S"
    src.write_text('.section .boot, "ax"\n\tnop\n')
    assert _check(src) == [] and calls == []


@needs
def test_objects_kl101_and_kl102_ask_the_script(tmp_path):
    """On an ET_REL object the script decides too: KL101 for the flagless section,
    KL102 for NASM's `A`-only `.text.get_cpu_num`."""
    _as(tmp_path, "start.S", START)
    _as(tmp_path, "cpu.asm", CPU)
    _as(tmp_path, "other.s", OTHER)
    start, cpu = tmp_path / "start.o", tmp_path / "cpu.o"
    rules = ("KL101", "KL102")
    # No script: a warning each, saying the script decides.
    found = _check(start, cpu, rules=rules)
    assert sorted((f.rule, f.severity) for f in found) == [
        ("KL101", "warning"),
        ("KL102", "warning"),
    ]
    # Merged: ld makes them AX; nothing to report.
    script = "SECTIONS { . = 1M; .text : { *(.text .text.*) *(mysec) } }"
    elf = _link(tmp_path, script, "start.o", "cpu.o", "other.o")
    assert readelf(elf).section(".text").flags == "AX"
    assert _check(start, cpu, tmp_path / "link.ld", rules=rules) == []
    # Alone: mysec keeps no flags, .cpu stays A.
    script = "SECTIONS { . = 1M; .text : { *(.text) } .boot : { *(mysec) } .cpu : { *(.text.*) } }"
    elf = _link(tmp_path, script, "start.o", "cpu.o", "other.o")
    assert readelf(elf).section(".boot").flags == "" and readelf(elf).section(".cpu").flags == "A"
    found = _check(start, cpu, tmp_path / "link.ld", rules=rules)
    assert sorted((f.rule, f.severity) for f in found) == [("KL101", "error"), ("KL102", "error")]
    assert all("link.ld:1` puts it in output section" in f.message for f in found)


def test_scripts_found_in_a_walked_folder_count_by_distance(tmp_path):
    """Linting a whole tree: the scripts the walk finds are not all the one ld reads;
    the nearest that places the section decides, as for repository scripts."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "start.S").write_text(START)
    (tmp_path / "a" / "link.ld").write_text("SECTIONS { .text : { *(.text) *(mysec) } }\n")
    (tmp_path / "b" / "other.ld").write_text("SECTIONS { .m : { *(mysec) } }\n")
    assert _check(tmp_path) == []
    (tmp_path / "a" / "link.ld").write_text("SECTIONS { .m : { *(mysec) } .text : { *(.text) } }")
    (f,) = _check(tmp_path)
    assert f.severity == "error" and "link.ld:1" in f.message


BOOT_NASM = (
    "bits 32\nsection .init.text32 progbits alloc exec nowrite\nglobal _start\n"
    "_start:\n  jmp high\nsection .init.text.high\nhigh:\n  hlt\n"
)


@needs
def test_a_sibling_the_same_source_makes_executable_counts(tmp_path):
    """NASM `section .init.text32 ... exec` and a flagless `.init.text.high` in one
    file, both taken by `*(.init .init.*)` into `.init`: ld makes `.init` AX from the
    sibling (Theseus's boot.asm, judged false), so KL602 is silent; alone, reported."""
    src = tmp_path / "boot.asm"
    src.write_text(BOOT_NASM)
    subprocess.run(
        ["nasm", "-f", "elf64", "-o", str(tmp_path / "boot.o"), str(src)],
        check=True,
        capture_output=True,
    )
    script = "SECTIONS { . = 1M; .init : { *(.init .init.*) } .text : { *(.text) } }"
    elf = _link(tmp_path, script, "boot.o")
    assert "X" in readelf(elf).section(".init").flags
    assert _check(src, tmp_path / "link.ld") == []
    alone = src.with_name("alone.asm")
    alone.write_text("bits 32\nsection .init.text.high\nhigh:\n  hlt\n")
    (tmp_path / "alone.ld").write_text(script)
    assert [f.rule for f in _check(alone, tmp_path / "alone.ld")] == ["KL602"]


@needs
def test_a_gas_sibling_with_flags_counts_too(tmp_path):
    """GNU as: `.section .boot32, "ax"` and a flagless `.boot64` in one `.S`, both
    taken by `*(.boot*)` into `.boot`: the output section is AX."""
    text = (
        '\t.section .boot32, "ax", @progbits\n\t.globl _start\n_start:\tjmp 1f\n'
        "\t.section .boot64\n1:\thlt\n"
    )
    src = _as(tmp_path, "start.S", text)
    elf = _link(tmp_path, "SECTIONS { . = 1M; .boot : { *(.boot*) } }", "start.o")
    assert readelf(elf).section(".boot").flags == "AX"
    assert _check(src, tmp_path / "link.ld") == []


def test_a_macro_call_as_section_name_is_not_judged(tmp_path):
    """`.section SECTION_NAME(dsqrt_shim)` in a `.S` file is a cpp macro call
    (pico-sdk's sections.h turns it into `.text.dsqrt_shim`)."""
    src = tmp_path / "shim.S"
    src.write_text(".section SECTION_NAME(dsqrt_shim)\n\tnop\n")
    assert _check(src) == []
    plain = tmp_path / "shim.s"  # not preprocessed: the name is literal for GNU as
    plain.write_text(".section SECTION_NAME(dsqrt_shim)\n\tnop\n")
    assert [f.rule for f in _check(plain)] == ["KL601"]


def test_another_vendors_toolchain_folder_is_not_read(tmp_path):
    """ChibiOS keeps CodeWarrior startup files in `compilers/CW/`: not GNU as."""
    for folder, reported in (("compilers/CW", False), ("compilers/GCC", True)):
        src = tmp_path / folder / "crt0.s"
        src.parent.mkdir(parents=True)
        src.write_text("\t.section .text_vle\n\tnop\n")
        assert bool(_check(src)) == reported, folder


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    for name, body in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    return repo


@needs
def test_the_nearest_script_decides_even_when_a_farther_one_places_it(tmp_path):
    """RIOT: `cpu/lpc23xx/startup.s` declares a flagless `.fini0` that its own
    `cpu/lpc23xx/ldscripts/lpc2387.ld` matches nowhere (an orphan: judged true); only
    the AVR script of another CPU takes `.fini0`. The source's own scripts decide,
    and the finding names the farther one; at info, since which script links the file
    is not written anywhere (U-Boot's EFI-app scripts beside `arm/lib/vectors_m.S`
    orphan `.vectors` that the board scripts take: judged false)."""
    repo = _repo(
        tmp_path,
        {
            "cpu/lpc23xx/startup.s": "\t.section .fini0\n\tnop\n",
            "cpu/lpc23xx/ldscripts/lpc2387.ld": "SECTIONS { .text : { *(.text) } }",
            "cpu/avr8_common/ldscripts/avr.ld": "SECTIONS { .text : { *(.text) *(.fini0) } }",
        },
    )
    (f,) = _check(repo / "cpu/lpc23xx/startup.s")
    assert f.severity == "info" and "avr.ld" in f.message and "lpc2387.ld" in f.message
    given = _check(repo / "cpu/lpc23xx/startup.s", repo / "cpu/lpc23xx/ldscripts/lpc2387.ld")
    assert [f.severity for f in given] == ["error"]


@needs
def test_a_script_naming_the_same_cpu_is_nearer_than_a_sibling_board(tmp_path):
    """NuttX: `arch/renesas/src/sh1/sh1_head.S` is linked with
    `boards/renesas/sh1/us7032evb1/scripts/sram.ld` (which merges `.reset` into
    `.text`: judged false), not with an rp23xx board's script that is fewer folders
    away: folders named alike (`renesas`, `sh1`) make a script nearer."""
    repo = _repo(
        tmp_path,
        {
            "arch/renesas/src/sh1/sh1_head.S": "\t.section .reset\n\tnop\n",
            "boards/renesas/sh1/us7032evb1/scripts/sram.ld": (
                "SECTIONS { .text : { *(.vects) *(.reset) *(.text) } }"
            ),
            "boards/arm/rp23xx/pico/scripts/memmap.ld": "SECTIONS { .boot : { *(.reset) } }",
        },
    )
    assert _check(repo / "arch/renesas/src/sh1/sh1_head.S") == []


@needs
def test_an_align_inside_the_output_section_allocates_it_when_it_pads(tmp_path):
    """managarm's `.trampoline` alone in its output section, with `. = ALIGN(0x1000)`
    after it (judged false): GNU ld pads the section and makes it `A` unless the code
    already ends on the boundary, so the verdict is info, saying when it holds."""
    script = (
        "SECTIONS { . = 1M; .text : { *(.text) } .tramp : { *(.trampoline) . = ALIGN(0x1000); } }"
    )
    src = _as(tmp_path, "t.S", "\t.section .trampoline\n\t.globl _start\n_start:\thlt\n")
    assert "A" in readelf(_link(tmp_path, script, "t.o")).section(".tramp").flags
    page = _as(
        tmp_path, "p.S", "\t.section .trampoline\n\t.globl _start\n_start:\t.fill 4096,1,0x90\n"
    )
    assert "A" not in readelf(_link(tmp_path, script, "p.o")).section(".tramp").flags
    (f,) = _check(src, tmp_path / "link.ld")
    assert f.severity == "info" and "pads" in f.message
    (tmp_path / "link.ld").write_text(script.replace(" . = ALIGN(0x1000);", ""))
    assert [f.severity for f in _check(src, tmp_path / "link.ld")] == ["error"]
    assert page.exists()
