"""kernlint.buildfacts: the build files around an input and the flags they name."""

import subprocess

from kernlint.buildfacts import MAX_LEVELS, build_facts


def _tree(tmp_path, files: dict[str, str]):
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return tmp_path


def test_makefile_beside_the_script(tmp_path):
    _tree(tmp_path, {"Makefile": "LDFLAGS += -Wl,--gc-sections\nCFLAGS += -ffunction-sections\n"})
    facts = build_facts(str(tmp_path / "link.ld"))
    assert facts.known and facts.gc_sections and facts.function_sections
    assert not facts.data_sections and not facts.rust


def test_makefile_above_the_script(tmp_path):
    _tree(tmp_path, {"build/kernel.mk": "CFLAGS += -fdata-sections\n", "src/arch/x": ""})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    # build/ is no ancestor of src/arch: only ancestors count
    assert not build_facts(str(tmp_path / "src/arch/link.ld")).known
    _tree(tmp_path, {"kernel.mk": "CFLAGS += -fdata-sections\n"})
    facts = build_facts(str(tmp_path / "src/arch/other/link.ld"))
    assert facts.known and facts.data_sections and not facts.gc_sections


def test_no_gc_sections_is_not_gc_sections(tmp_path):
    _tree(tmp_path, {"CMakeLists.txt": 'target_link_options(k PRIVATE "-Wl,--no-gc-sections")\n'})
    facts = build_facts(str(tmp_path / "a" / "link.ld"))
    assert facts.known and not facts.gc_sections


def test_cargo_project_gc_and_sections(tmp_path):
    _tree(tmp_path, {"Cargo.toml": "[package]\nname = 'k'\n", "kernel/x": ""})
    facts = build_facts(str(tmp_path / "kernel" / "linker.ld"))
    assert facts.rust and facts.gc_sections and facts.function_sections and facts.data_sections


def test_git_top_bounds_the_walk(tmp_path):
    _tree(tmp_path, {"Makefile": "LDFLAGS = --gc-sections\n", "repo/sub/x": ""})
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    assert not build_facts(str(tmp_path / "repo" / "sub" / "link.ld")).known


def test_outside_git_the_walk_is_bounded(tmp_path):
    deep = tmp_path.joinpath(*[f"d{i}" for i in range(MAX_LEVELS + 1)])
    deep.mkdir(parents=True)
    _tree(tmp_path, {"Makefile": "LDFLAGS = --gc-sections\n"})
    assert not build_facts(str(deep / "link.ld")).known


def test_unreadable_and_missing_folders(tmp_path):
    assert not build_facts(str(tmp_path / "nowhere" / "at" / "all.ld")).known
