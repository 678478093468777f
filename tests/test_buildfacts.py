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


# --------------------------------------------------------------- how it is booted


def test_qemu_kernel_in_a_makefile_with_a_variable(tmp_path):
    """xv6-riscv's shape: the QEMU options in a variable, `-kernel $K/kernel`."""
    _tree(
        tmp_path,
        {
            "Makefile": "K=kernel\nQEMU = qemu-system-riscv64\n"
            "QEMUOPTS = -machine virt -bios none -kernel $K/kernel -m 128M\n"
            "qemu: $K/kernel\n\t$(QEMU) $(QEMUOPTS)\n",
            "kernel/x": "",
        },
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    facts = build_facts(str(tmp_path / "kernel" / "kernel"))
    assert facts.qemu_kernels == ((str(tmp_path / "Makefile"), "kernel"),)
    assert facts.qemu_kernel_for(str(tmp_path / "kernel" / "kernel")) == str(tmp_path / "Makefile")
    assert facts.qemu_kernel_for(str(tmp_path / "kernel" / "other.elf")) is None
    assert not facts.grub_iso and not facts.grub_entries


def test_qemu_kernel_in_a_run_script_and_resolved_variables(tmp_path):
    _tree(
        tmp_path,
        {
            "qemu_run.sh": "sudo qemu-system-i386 -kernel os_kernel -m 2047M\n",
            "run.sh": 'IMG=build/myos.elf\nqemu-system-x86_64 -kernel "$IMG"\n'
            "# qemu-system-x86_64 -kernel commented.elf\n",
            "Makefile": "KERNEL := $(BUILD)/k.elf\nrun:\n\tqemu-system-i386 -kernel $(KERNEL)\n"
            "\tqemu-system-i386 -kernel $(UNSET)\n",
        },
    )
    facts = build_facts(str(tmp_path / "os_kernel"))
    names = sorted(n for _, n in facts.qemu_kernels)
    assert names == ["", "k.elf", "myos.elf", "os_kernel"]
    assert facts.qemu_kernel_for(str(tmp_path / "os_kernel")) == str(tmp_path / "qemu_run.sh")
    assert facts.qemu_kernel_for(str(tmp_path / "x.elf")) is None
    assert facts.qemu_kernel_for(str(tmp_path / "x.elf"), unresolved=True) == str(
        tmp_path / "Makefile"
    )
    # a run script is no build file: the link flags still come from build files only
    assert facts.files == (str(tmp_path / "Makefile"),)


def test_grub_iso_and_grub_cfg(tmp_path):
    """Dreamos64's shape: `grub-mkrescue` and `qemu -cdrom` in the Makefile, a grub.cfg
    at the top with a `multiboot2` line, a copy in the ISO staging folder."""
    _tree(
        tmp_path,
        {
            "Makefile": "run:\n\tqemu-system-x86_64 -cdrom $(ISO) -serial stdio\n"
            "iso:\n\tgrub-mkrescue -o $(ISO) dist/isofiles\n",
            "grub.cfg": 'menuentry "os" {\n    multiboot2 /boot/kernel.bin   // path\n'
            "    module2 /fs.tar\n    boot\n}\n",
            "dist/isofiles/boot/grub/grub.cfg": "menuentry x {\n multiboot /boot/other.elf\n}\n",
        },
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    facts = build_facts(str(tmp_path / "dist" / "kernel.bin"))
    assert facts.grub_iso == (str(tmp_path / "Makefile"),)
    assert not facts.qemu_kernels
    assert facts.grub_entries_for("multiboot2") == (
        (str(tmp_path / "grub.cfg"), "multiboot2", "kernel.bin"),
    )
    assert facts.grub_entries_for("multiboot") == (
        (str(tmp_path / "dist/isofiles/boot/grub/grub.cfg"), "multiboot", "other.elf"),
    )


def test_staging_folders_are_looked_into_only_inside_git(tmp_path):
    _tree(tmp_path, {"iso/boot/grub/grub.cfg": "multiboot2 /boot/k.elf\n", "src/x": ""})
    assert not build_facts(str(tmp_path / "k.elf")).grub_entries
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    from kernlint.buildfacts import _facts_of_folder
    from kernlint.worktree import git_root

    _facts_of_folder.cache_clear()  # the facts of a folder are cached for the process
    git_root.cache_clear()  # and so is the work tree a folder is in
    assert build_facts(str(tmp_path / "k.elf")).grub_entries_for("multiboot2")


def test_a_run_script_that_links_with_the_script_decides_its_flags(tmp_path):
    """coreboot's `util/riscv/make-spike-elf.sh` links a flat binary with `-T
    "$TOOL_PATH/spike-elf.ld"`; the tree's top Makefile compiles coreboot with
    `-fdata-sections`, which says nothing of that link."""
    _tree(
        tmp_path,
        {
            "Makefile": "CFLAGS += -ffunction-sections -fdata-sections\n",
            "util/riscv/make-spike-elf.sh": 'ld "$OBJ" -T "$TOOL_PATH/spike-elf.ld" -o x.elf\n',
            "util/riscv/spike-elf.ld": "",
        },
    )
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    facts = build_facts(str(tmp_path / "util/riscv/spike-elf.ld"))
    assert facts.known and not facts.data_sections and not facts.function_sections
    assert facts.files[0].endswith("make-spike-elf.sh")
    # Another script in that folder is judged by the build above.
    other = build_facts(str(tmp_path / "util/riscv/other.ld"))
    assert other.data_sections and other.function_sections
