"""kernlint on real, booting, third-party kernel binaries from Debian packages.

Targets (fetched and cached by ``tests/support/debian_binaries.py``):

* GRUB 2.06 ``kernel.img`` (ELF32 ET_EXEC) and four i386-pc ``.mod`` files (ELF32 ET_REL);
* the Xen 4.17 hypervisor, ``xen-4.17-amd64.gz`` gunzipped (ELF32 ET_EXEC wrapper);
* Debian 12's x86-64 vmlinux, extracted from ``/boot/vmlinuz-*`` (ELF64 ET_EXEC,
  physical ``e_entry``) and five of its ``.ko`` modules (ELF64 ET_REL).

These binaries load and run, so the loadability errors of the KL1 family
(KL101 code-not-allocated, KL102 code-not-executable, KL103 section-not-loaded,
KL104 entry-not-executable, KL107 overlapping-segments) must stay silent on them.
If one fires, either the analyser has a false positive or the rule's documented
semantics need an exception for a real-world layout; the assertion shows every
finding so the case can be judged, and it must not be weakened to make it pass.

KL105 rwx-segment is checked against an independent oracle, binutils
``readelf`` (``tests/support/readelf.py``): the reported segment indexes must be
exactly the ``PT_LOAD`` entries readelf shows with flags ``RWE``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.debian_binaries import (
    DEFAULT_LINUX_MODULE_COUNT,
    GRUB_MODULE_NAMES,
    LINUX_MODULE_NAMES,
)

# Same names as the conftest fixtures ``grub_modules`` / ``linux_modules`` provide.
GRUB_MODULES_UNDER_TEST = GRUB_MODULE_NAMES
LINUX_MODULES_UNDER_TEST = LINUX_MODULE_NAMES[:DEFAULT_LINUX_MODULE_COUNT]

pytestmark = pytest.mark.realbin

MUST_NOT_FIRE = ("KL101", "KL102", "KL103", "KL104", "KL107")
SEVERITIES = {"error", "warning", "info"}
EXECUTABLES = ("grub-kernel.img", "xen-4.17", "vmlinux")
#: Images whose program headers no loader reads: GRUB's i386-pc ``kernel.img`` is an
#: i386 ET_EXEC linked at 0x9000 (below 1 MiB) with no boot-protocol header, which
#: grub-mkimage turns into raw ``core.img`` bytes that ``diskboot.img`` loads; KL105,
#: KL106 and KL109 stay silent on it (``kernlint.bootsector.elf.raw_loaded``).
RAW_LOADED = frozenset({"grub-kernel.img"})
#: Images whose boot protocols load them with paging off, applying no ``p_flags``
#: (``kernlint.loaders``): Xen has Multiboot 1 and 2 headers (GRUB's ``multiboot2``
#: loads it), Debian's vmlinux a Xen PVH note (and is otherwise unpacked by its own
#: bzImage decompressor). Both build their own page tables, so their RWE segment
#: (Linux's init text and data, Xen's single one) is reported at info, with the reason.
FLAGS_IGNORED = frozenset({"xen-4.17", "vmlinux"})
LOCATION_TYPES = {"section": str, "segment": int, "address": int, "offset": int, "symbol": str}

# target id -> (fixture name, key within a dict fixture or None)
TARGETS: dict[str, tuple[str, str | None]] = {
    "grub-kernel.img": ("grub_kernel_img", None),
    **{f"grub-{m}.mod": ("grub_modules", m) for m in GRUB_MODULES_UNDER_TEST},
    "xen-4.17": ("xen_hypervisor", None),
    "vmlinux": ("linux_vmlinux", None),
    **{f"linux-{m}.ko": ("linux_modules", m) for m in LINUX_MODULES_UNDER_TEST},
}


@dataclass
class Binary:
    id: str
    path: Path
    elf: object  # tests.support.readelf.ReadelfInfo


@dataclass
class Target(Binary):
    run: object  # conftest.KernlintRun


@pytest.fixture(scope="session", params=list(TARGETS), ids=list(TARGETS))
def real_binary(request, readelf_info) -> Binary:
    """One fetched binary with its readelf facts (skips when it cannot be fetched)."""
    fixture, key = TARGETS[request.param]
    value = request.getfixturevalue(fixture)
    path = value[key] if key is not None else value
    return Binary(request.param, path, readelf_info(path))


@pytest.fixture(scope="session")
def target(real_binary: Binary, run_kernlint) -> Target:
    """The binary plus kernlint's (memoised) ``check --format json --select KL1`` run on it."""
    b = real_binary
    return Target(b.id, b.path, b.elf, run_kernlint(b.path))


def _usable(run) -> None:
    """Fail early, with everything kernlint said, if the run produced no findings list."""
    assert run.returncode in (0, 1), (
        f"kernlint exited {run.returncode} (2 = usage/input error)\n{run.dump()}\n"
        f"stdout:\n{run.stdout[-4000:]}"
    )
    assert run.json_error is None, f"stdout is not JSON: {run.json_error}\n{run.dump()}"
    assert isinstance(run.data, dict) and isinstance(run.data.get("findings"), list), (
        f"no findings list in the JSON output:\n{run.stdout[:4000]}"
    )


# ----------------------------------------------------------------- the oracle


def test_oracle_facts(real_binary: Binary) -> None:
    """What readelf says about each fixture, so that a changed Debian package is noticed."""
    target = real_binary
    elf = target.elf
    if target.id.startswith("grub-") and target.id.endswith(".mod"):
        assert (elf.header.elf_class, elf.header.type) == ("ELF32", "REL")
        assert elf.program_headers == ()
    elif target.id.startswith("linux-") and target.id.endswith(".ko"):
        assert (elf.header.elf_class, elf.header.type) == ("ELF64", "REL")
        assert elf.program_headers == ()
    elif target.id == "grub-kernel.img":
        assert (elf.header.elf_class, elf.header.type) == ("ELF32", "EXEC")
        assert elf.rwx_load_indexes, elf.describe_segments()
        # the RWE GNU_STACK is not a PT_LOAD and must not count
        assert any(p.type == "GNU_STACK" and p.is_rwx for p in elf.program_headers)
    elif target.id == "xen-4.17":
        assert (elf.header.elf_class, elf.header.type) == ("ELF32", "EXEC")
        assert elf.rwx_load_indexes, elf.describe_segments()
    elif target.id == "vmlinux":
        assert (elf.header.elf_class, elf.header.type) == ("ELF64", "EXEC")
        assert elf.rwx_load_indexes, elf.describe_segments()
        # physical e_entry: inside an executable PT_LOAD by p_paddr, inside none by p_vaddr
        assert any(p.executable and p.paddr <= elf.entry < p.paddr + p.memsz for p in elf.loads), (
            elf.describe_segments()
        )
        assert not any(p.vaddr <= elf.entry < p.vaddr + p.memsz for p in elf.loads)
        init = elf.section(".init.text")
        (rwx,) = [p for p in elf.loads if p.is_rwx]
        assert rwx.vaddr <= init.addr < rwx.vaddr + rwx.memsz
    else:  # pragma: no cover - TARGETS and this test out of step
        pytest.fail(f"no oracle facts for {target.id}")


# ------------------------------------------------------------------- kernlint


def test_no_load_errors_on_booting_binaries(target: Target) -> None:
    """KL101-KL104 and KL107 (and any KL0 input error) stay silent on real kernels."""
    run = target.run
    _usable(run)
    input_errors = [f for f in run.findings if str(f.get("rule", "")).startswith("KL0")]
    assert not input_errors, f"{target.path} was not read as a valid ELF file\n{run.dump()}"
    fired = run.findings_of(*MUST_NOT_FIRE)
    assert not fired, (
        f"{len(fired)} load-error finding(s) on {target.id} ({target.path}), a binary that "
        "boots/loads in production: a false positive, or a rule whose semantics need a "
        f"documented exception.\nreadelf segments:\n{target.elf.describe_segments()}\n"
        f"{run.dump(fired)}\nall findings:\n{run.dump()}"
    )


def test_rwx_segments_match_readelf(target: Target) -> None:
    """KL105 reports exactly the PT_LOADs readelf flags RWE, each once, by table index."""
    run = target.run
    _usable(run)
    kl105 = run.findings_of("KL105")
    reported = [f.get("location", {}).get("segment") for f in kl105]
    expected = target.elf.rwx_load_indexes
    if target.id in RAW_LOADED:
        expected = frozenset()  # its one RWE segment is read by nothing (see RAW_LOADED)
    context = f"readelf segments:\n{target.elf.describe_segments()}\n{run.dump(kl105)}"
    assert None not in reported, f"KL105 finding without location.segment\n{context}"
    assert set(reported) == set(expected), (
        f"KL105 segments {sorted(set(reported))} != readelf RWE PT_LOADs {sorted(expected)}"
        f"\n{context}"
    )
    assert len(reported) == len(set(reported)), f"duplicate KL105 findings\n{context}"
    for f in kl105:
        assert f.get("name") == "rwx-segment", context
        if target.id in FLAGS_IGNORED:
            assert f.get("severity") == "info", context
            assert "Harmless as the image is loaded: it is booted through" in f["message"]
        else:
            assert f.get("severity") == "warning", context


def test_json_contract_and_exit_status(target: Target) -> None:
    """The JSON document follows the v1 contract; exit 1 iff an error or warning finding
    (the default --fail-on warning)."""
    run = target.run
    _usable(run)
    data = run.data
    assert data.get("version") == 1, data.get("version")
    tool = data.get("tool")
    assert isinstance(tool, dict) and tool.get("name") == "kernlint", tool
    assert isinstance(tool.get("version"), str) and tool["version"], tool
    summary = data.get("summary")
    assert isinstance(summary, dict), f"summary missing or not an object: {summary!r}"
    for f in run.findings:
        where = run.dump([f])
        assert re.fullmatch(r"KL\d{3}", str(f.get("rule"))), where
        assert str(f["rule"]).startswith("KL1"), f"--select KL1 let through {f['rule']}\n{where}"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(f.get("name"))), where
        assert f.get("severity") in SEVERITIES, where
        assert isinstance(f.get("message"), str) and f["message"].strip(), where
        assert isinstance(f.get("path"), str) and Path(f["path"]).name == target.path.name, where
        loc = f.get("location")
        assert isinstance(loc, dict), where
        unknown = set(loc) - set(LOCATION_TYPES)
        assert not unknown, f"unknown location keys {sorted(unknown)}\n{where}"
        for key, value in loc.items():
            assert isinstance(value, LOCATION_TYPES[key]) and not isinstance(value, bool), where
        if "segment" in loc:
            assert 0 <= loc["segment"] < len(target.elf.program_headers), where
        if "fix" in f:
            assert isinstance(f["fix"], str), where
    at_or_above = any(f.get("severity") in ("error", "warning") for f in run.findings)
    assert run.returncode == (1 if at_or_above else 0), (
        f"exit status {run.returncode} but error or warning findings: {at_or_above} "
        f"(default --fail-on warning)\n{run.dump()}"
    )


@pytest.mark.parametrize("target_id", EXECUTABLES)
def test_fail_on_error_exit_status(target_id: str, request) -> None:
    """With ``--fail-on error`` the RWX findings (warnings, or info where the boot
    protocol's loaders ignore p_flags) alone leave the exit status 0: only
    error-severity findings make it 1."""
    fixture, _ = TARGETS[target_id]
    path = request.getfixturevalue(fixture)
    run = request.getfixturevalue("run_kernlint")(path, "--fail-on", "error")
    _usable(run)
    errors = [f for f in run.findings if f.get("severity") == "error"]
    if target_id not in RAW_LOADED:
        assert run.findings_of("KL105"), f"expected a KL105 finding on {target_id}\n{run.dump()}"
    assert run.returncode == (1 if errors else 0), run.dump()


def test_bzimage_is_not_guessed_at(linux_bzimage: Path, request) -> None:
    """A bzImage is not ELF: no KL1 findings, no input error, exit 0 (DESIGN.md,
    Classify). Its EFI stub makes it a PE/COFF image (``MZ`` and ``PE\\0\\0``), so
    it is read as one (issue #15: the KL7 rules, tests/pe/test_real_images.py), not
    skipped as unrecognised."""
    run = request.getfixturevalue("run_kernlint")(linux_bzimage)
    _usable(run)
    assert run.returncode == 0, run.dump()
    assert not [f for f in run.findings if str(f.get("rule", "")).startswith("KL1")], run.dump()
    assert not [f for f in run.findings if f.get("severity") == "error"], run.dump()
    summary = json.loads(run.stdout)["summary"]
    assert summary["files"] == 1 and summary["skipped"] == [], run.dump()
