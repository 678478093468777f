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


def test_search_order_search_dirs_then_holder_dir_then_main_dir(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE sub/a.ld\nINCLUDE lib.ld\n")
    write(tmp_path / "sub" / "a.ld", "INCLUDE b.ld\n")
    write(tmp_path / "sub" / "b.ld", "x = 1;\n")  # next to the including file
    write(tmp_path / "b.ld", "x = 2;\n")  # shadowed
    write(tmp_path / "L" / "lib.ld", "y = 1;\n")
    loaded = load_script(main, [tmp_path / "L"], cwd=tmp_path / "L")
    assert loaded.diagnostics == ()
    values = {s.target: s.expr.value for s in loaded.statements()}
    assert values == {"x": 1, "y": 1}


def _ld_symbols(script: Path, cwd: Path, *args: str) -> dict[str, int] | str:
    """Link an empty object with ``script`` from ``cwd``: the absolute symbols, or
    ld's error text."""
    import shutil
    import subprocess

    if not shutil.which("ld"):
        pytest.skip("GNU ld is needed (sh tests/setup.sh installs binutils)")
    obj = cwd / "empty.o"
    subprocess.run(["as", "-o", str(obj)], input="", text=True, check=True)
    proc = subprocess.run(
        ["ld", *args, "-T", str(script), str(obj), "-o", str(cwd / "out.elf")],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    obj.unlink()
    if proc.returncode:
        return proc.stderr
    nm = subprocess.run(["nm", str(cwd / "out.elf")], capture_output=True, text=True)
    return {w[2]: int(w[0], 16) for w in map(str.split, nm.stdout.splitlines()) if len(w) == 3}


def _last(loaded) -> str:
    """The symbol the last statement (the included file's) assigns."""
    return list(loaded.statements())[-1].target


def test_ld_order_is_cwd_then_dash_l_and_not_the_scripts_folder(tmp_path):
    # GNU ld 2.40 (ldfile.c ldfile_find_command_file): the raw name (from the current
    # directory), then the -L folders in order; the including script's folder is not
    # searched.
    script_dir, ldir, ldir2, cwd = (tmp_path / n for n in ("script", "L", "L2", "cwd"))
    (tmp_path / ".git").mkdir()  # one repository holds them all: every folder may be read
    main = write(script_dir / "main.ld", "SECTIONS { .text : { *(.text) } }\nINCLUDE inc.ld\n")
    write(script_dir / "inc.ld", "from_script = 1;\n")
    cwd.mkdir()
    # only beside the script: ld cannot open it; kernlint follows it (the build's usual
    # -L), silently
    assert "cannot open linker script file inc.ld" in _ld_symbols(main, cwd)
    loaded = load_script(main, cwd=cwd)
    assert loaded.diagnostics == () and _last(loaded) == "from_script"
    # in a -L folder: ld takes it before the script's folder; so does kernlint
    write(ldir / "inc.ld", "from_l = 2;\n")
    write(ldir2 / "inc.ld", "from_l2 = 4;\n")
    got = _ld_symbols(main, cwd, "-L", str(ldir), "-L", str(ldir2))
    assert "from_l" in got and "from_l2" not in got and "from_script" not in got
    loaded = load_script(main, [ldir, ldir2], cwd=cwd)
    assert _last(loaded) == "from_l"
    # in the current directory: ld takes it before the -L folders; so does kernlint
    write(cwd / "inc.ld", "from_cwd = 3;\n")
    got = _ld_symbols(main, cwd, "-L", str(ldir))
    assert "from_cwd" in got and "from_l" not in got
    loaded = load_script(main, [ldir], cwd=cwd)
    assert _last(loaded) == "from_cwd"


def test_parent_folder_include_is_followed_inside_the_repository(tmp_path):
    # Tock: boards/nordic/nrf52840dk/layout.ld has `INCLUDE ../nrf52840_chip_layout.ld`,
    # found by ld through the -L of the board folder.
    (tmp_path / ".git").mkdir()
    board = tmp_path / "boards" / "chip" / "board"
    main = write(
        board / "layout.ld", "INCLUDE ../chip_layout.ld\nSECTIONS { .text : { *(.text) } }\n"
    )
    write(
        tmp_path / "boards" / "chip" / "chip_layout.ld",
        "MEMORY { rom : ORIGIN = 0, LENGTH = 1M }\n",
    )
    assert isinstance(_ld_symbols(main, board, "-L", str(board)), dict)
    loaded = load_script(main, cwd=tmp_path)
    assert loaded.diagnostics == ()
    assert [type(s).__name__ for s in loaded.statements()] == ["Memory", "Sections"]


def test_not_found_without_search_dirs_is_info_once(tmp_path):
    main = write(tmp_path / "main.ld", "INCLUDE memory.x\nINCLUDE memory.x\nENTRY(a)\n")
    loaded = load_script(main, cwd=tmp_path)
    (diag,) = loaded.diagnostics
    assert (diag.kind, diag.severity) == ("unresolved", "info")
    assert diag.message.startswith("INCLUDE memory.x is not beside the script, nor in the current")
    assert "-L DIR or search-dirs" in diag.message


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
    assert kinds(load_script(main, [tmp_path])) == ["missing"]


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
