"""INCLUDE resolution: search order, contexts, and every problem as a diagnostic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kernlint.ldscript import ScriptSyntaxError, ast, load_script
from kernlint.ldscript.include import MAX_INCLUDE_DEPTH


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def kinds(loaded) -> list[str]:
    return [d.kind for d in loaded.diagnostics]


def test_includes_in_every_context(tmp_path):
    main = write(
        tmp_path / "main.ld",
        "INCLUDE top.ld\nMEMORY { INCLUDE mem.ld }\n"
        "SECTIONS { INCLUDE secs.ld .text : { INCLUDE body.ld } }\n",
    )
    write(tmp_path / "top.ld", "ENTRY(start)\n")
    write(tmp_path / "mem.ld", "ram : ORIGIN = 0, LENGTH = 1M\n")
    write(tmp_path / "secs.ld", ".data : { *(.data) }\n")
    write(tmp_path / "body.ld", "*(.text) LONG(1)\n")
    loaded = load_script(main)
    assert loaded.diagnostics == ()
    assert [Path(f).name for f in loaded.files] == [
        "main.ld",
        "top.ld",
        "mem.ld",
        "secs.ld",
        "body.ld",
    ]
    contexts = {inc.path: script.context for inc, script in loaded.included.items()}
    assert contexts == {
        "top.ld": "script",
        "mem.ld": "memory",
        "secs.ld": "sections",
        "body.ld": "section",
    }
    expanded = [type(s).__name__ for s in loaded.statements()]
    assert expanded == ["Entry", "Memory", "Sections"]
    names = [n.name for n in loaded.walk() if isinstance(n, ast.OutputSection | ast.MemoryRegion)]
    assert names == ["ram", ".data", ".text"]
    spans = {n.span.file for n in loaded.walk() if isinstance(n, ast.InputSectionDescription)}
    assert spans == {str(tmp_path / "secs.ld"), str(tmp_path / "body.ld")}


def test_search_order_holder_dir_then_main_dir_then_search_dirs(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE sub/a.ld\nINCLUDE lib.ld\n")
    write(tmp_path / "sub" / "a.ld", "INCLUDE b.ld\n")
    write(tmp_path / "sub" / "b.ld", "x = 1;\n")  # next to the including file
    write(tmp_path / "b.ld", "x = 2;\n")  # shadowed
    write(tmp_path / "L" / "lib.ld", "y = 1;\n")
    loaded = load_script(main, [tmp_path / "L"])
    assert loaded.diagnostics == ()
    values = {s.target: s.expr.value for s in loaded.statements()}
    assert values == {"x": 1, "y": 1}


def test_relative_include_found_in_main_dir(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE sub/a.ld\n")
    write(tmp_path / "sub" / "a.ld", "INCLUDE common.ld\n")
    write(tmp_path / "common.ld", "z = 3;\n")
    loaded = load_script(main)
    assert [s.target for s in loaded.statements()] == ["z"]


def test_missing_include_is_a_diagnostic(tmp_path):
    main = write(tmp_path / "main.ld", "ENTRY(a)\nINCLUDE memory.x\n")
    loaded = load_script(main, [tmp_path / "nowhere"])
    (diag,) = loaded.diagnostics
    assert diag.kind == "missing" and diag.severity == "error"
    assert diag.message.startswith("cannot open linker script file memory.x")
    assert (diag.span.file, diag.span.line, diag.span.column) == (str(main), 2, 1)
    assert [type(s).__name__ for s in loaded.statements()] == ["Entry", "Include"]


def test_cycle_is_reported_not_followed(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE a.ld\n")
    write(tmp_path / "a.ld", "INCLUDE b.ld\n")
    write(tmp_path / "b.ld", "INCLUDE a.ld\n")
    loaded = load_script(main)
    (diag,) = loaded.diagnostics
    assert diag.kind == "cycle"
    assert diag.message.endswith(
        "a.ld -> "
        + os.path.realpath(tmp_path / "b.ld")
        + " -> "
        + os.path.realpath(tmp_path / "a.ld")
    )


def test_self_include_is_a_cycle(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE main.ld\n")
    assert kinds(load_script(main)) == ["cycle"]


@pytest.mark.parametrize(
    ("levels", "ok"), [(MAX_INCLUDE_DEPTH, True), (MAX_INCLUDE_DEPTH + 1, False)]
)
def test_include_depth_limit_is_ld_s(tmp_path, levels, ok):
    # GNU ld 2.40: a chain of 9 INCLUDEs below the main script links, 10 fail with
    # "includes nested too deeply".
    main = write(tmp_path / "main.ld", "INCLUDE i1.ld\n")
    for i in range(1, levels + 1):
        write(tmp_path / f"i{i}.ld", f"INCLUDE i{i + 1}.ld\n" if i < levels else "deep = 1;\n")
    loaded = load_script(main)
    assert kinds(loaded) == ([] if ok else ["too-deep"])


def test_include_chain_matches_ld(tmp_path, ld_parses):
    for levels, ok in ((MAX_INCLUDE_DEPTH, True), (MAX_INCLUDE_DEPTH + 1, False)):
        folder = tmp_path / str(levels)
        main = write(folder / "main.ld", "INCLUDE i1.ld\nSECTIONS { .text : { *(.text) } }\n")
        for i in range(1, levels + 1):
            write(folder / f"i{i}.ld", f"INCLUDE i{i + 1}.ld\n" if i < levels else "deep = 1;\n")
        # ld looks for INCLUDEs in the current directory
        assert ld_parses(main, cwd=folder) is ok
        assert (load_script(main).diagnostics == ()) is ok


def test_paths_outside_the_roots_are_not_followed(tmp_path):
    root = tmp_path / "project"
    main = write(
        root / "main.ld", "INCLUDE ../secret.ld\nINCLUDE " + str(tmp_path / "abs.ld") + "\n"
    )
    write(tmp_path / "secret.ld", "s = 1;\n")
    write(tmp_path / "abs.ld", "a = 1;\n")
    loaded = load_script(main)
    assert kinds(loaded) == ["outside-roots", "outside-roots"]
    assert all(d.severity == "warning" for d in loaded.diagnostics)
    assert loaded.files == (str(main),)


def test_symlink_escape_is_not_followed(tmp_path):
    root = tmp_path / "project"
    main = write(root / "main.ld", "INCLUDE link.ld\n")
    write(tmp_path / "outside.ld", "o = 1;\n")
    (root / "link.ld").symlink_to(tmp_path / "outside.ld")
    assert kinds(load_script(main)) == ["outside-roots"]


def test_absolute_path_inside_a_search_dir_is_followed(tmp_path):
    lib = write(tmp_path / "lib" / "mem.ld", "m = 1;\n")
    main = write(tmp_path / "proj" / "main.ld", f"INCLUDE {lib}\n")
    loaded = load_script(main, [tmp_path / "lib"])
    assert loaded.diagnostics == ()
    assert [s.target for s in loaded.statements()] == ["m"]


def test_syntax_error_in_included_file(tmp_path):
    main = write(tmp_path / "main.ld", "SECTIONS { INCLUDE bad.ld }\n")
    write(tmp_path / "bad.ld", "MEMORY { }\n")  # MEMORY cannot stand inside SECTIONS
    loaded = load_script(main)
    (diag,) = loaded.diagnostics
    assert diag.kind == "syntax-error"
    assert isinstance(diag.error, ScriptSyntaxError)
    assert (diag.error.path, diag.error.line, diag.error.column) == (str(tmp_path / "bad.ld"), 1, 1)


def test_included_file_is_parsed_for_its_context(tmp_path):
    # ld reads an output section description in a top-level INCLUDE as a syntax error
    main = write(tmp_path / "main.ld", "INCLUDE sec.ld\n")
    write(tmp_path / "sec.ld", ".data : { *(.data) }\n")
    assert kinds(load_script(main)) == ["syntax-error"]


def test_unreadable_include(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE dir.ld\n")
    (tmp_path / "dir.ld").mkdir()
    assert kinds(load_script(main)) == ["missing"]


def test_same_file_twice_is_read_once(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE a.ld\nINCLUDE a.ld\n")
    write(tmp_path / "a.ld", "x = 1;\n")
    loaded = load_script(main)
    assert loaded.diagnostics == ()
    assert len(loaded.files) == 2
    assert len(loaded.included) == 2


def test_main_script_errors_raise(tmp_path):
    with pytest.raises(OSError):
        load_script(tmp_path / "absent.ld")
    bad = write(tmp_path / "bad.ld", "SECTIONS {")
    with pytest.raises(ScriptSyntaxError):
        load_script(bad)
