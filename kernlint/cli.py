"""The command line (click): ``check``, ``rules``, ``explain``, ``graph``.

Exit status (DESIGN.md): 0 when nothing is at or above ``--fail-on``; 1 when findings
are; 2 for a usage error or unreadable input (KL001). ``--fail-on`` defaults to
``warning`` (ruff's convention: every reported error or warning fails, ``info``
never does; pre-commit shows a hook's output only when it fails); ``--fail-on error``
lets warnings pass.
"""

from __future__ import annotations

import gc
import os
import sys

import click

from kernlint import __version__
from kernlint.errors import InputError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"kernlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _split_objects(paths: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the relocatable objects among ``paths``, the other paths), by their ELF header:
    ``e_type`` ET_REL (gABI, "ELF Header"; byte 5 gives the byte order). Directories,
    images (ET_EXEC, ET_DYN), scripts and sources stay paths to lint."""
    objects, rest = [], []
    for path in paths:
        try:
            with open(path, "rb") as f:
                head = f.read(18)
        except OSError:
            head = b""
        rel = (
            len(head) == 18
            and head[:4] == b"\x7fELF"
            and head[5] in (1, 2)
            and int.from_bytes(head[16:18], "little" if head[5] == 1 else "big") == 1
        )
        (objects if rel else rest).append(path)
    return tuple(objects), tuple(rest)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kernlint")
def cli() -> None:
    """Find the silent mistakes that keep a kernel from loading or booting."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--select",
    multiple=True,
    metavar="RULES",
    help="Only these rules: ids, names, id prefixes (KL1) or groups (pedantic),"
    " comma-separated [default: the default group]. Opt-in (pedantic) rules are selected"
    " by id, name or group only, never by an id prefix alone.",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="RULES",
    help="Leave these rules out: ids, names, id prefixes or groups.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default=None,
    help="Lowest severity that makes the exit status 1: warning fails on errors and"
    " warnings, error on errors only, info on any finding [default: `fail-on`, else"
    " warning].",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Configuration file (default: the nearest pyproject.toml [tool.kernlint],"
    " kernlint.toml or .kernlint.toml).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    help="Report only findings that this baseline file does not record.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="Record the current findings in this file and exit 0 (2 when an input is"
    " unreadable: KL001 is never recorded).",
)
@click.option("--quiet", "-q", is_flag=True, help="Findings only: no fix hints, no summary.")
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing.")
@click.option(
    "--boot-sector-layout",
    type=click.Choice(["mbr", "mbr-disk-signature", "fat16-vbr", "fat32-vbr", "raw"]),
    default=None,
    help="Read every named file that is not ELF, a script or a source as a BIOS boot"
    " sector with this layout (its first 512 bytes; KL3) [default: `boot-sector-layout`,"
    " else inferred].",
)
@click.option(
    "--boot-protocol",
    type=click.Choice(
        ["auto", "multiboot1", "multiboot2", "pvh", "bootloader-api", "bios", "none"]
    ),
    default=None,
    help="The protocol the images are loaded with (KL4) [default: `boot-protocol`, else"
    " auto: detected from their headers].",
)
@click.option(
    "--uefi-arch",
    type=click.Choice(
        ["ia32", "x64", "ia64", "arm", "aa64", "riscv32", "riscv64", "loongarch32", "loongarch64"],
        case_sensitive=False,
    ),
    default=None,
    help="The UEFI firmware's architecture: PE images of another Machine are reported"
    " (KL702) [default: `uefi-arch`, else a BOOT<ARCH>.EFI name].",
)
@click.option(
    "--objects",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="An object file the images were linked from (repeat the option for several);"
    " rules that need relocations read them (KL406).",
)
@click.option(
    "--script",
    "script_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The linker script: linted, and with --objects, objects among the paths (as"
    " `ld -T FILE a.o b.o`) or its own INPUT(), and no"
    " image laid out as GNU ld would link them (KL101, KL202, KL206, KL209, KL210,"
    " KL216, KL301, KL501).",
)
@click.option(
    "--gc-sections",
    is_flag=True,
    default=None,
    help="The link uses ld --gc-sections: the layout drops what it would (KL202)"
    " [default: `gc-sections`].",
)
@click.option(
    "--preprocessor",
    metavar='"CMD ARGS"',
    default=None,
    help="Run linker-script templates (.lds.S, .ld.in, files with #include/#if) through"
    ' this command (split like a shell line, run without one: "cpp -undef -x c -I include")'
    " and lint the result, findings at the template's lines [default: `preprocessor`].",
)
@click.option(
    "-L",
    "search_dirs",
    multiple=True,
    metavar="DIR",
    help="A folder ld searches for INCLUDEd scripts (ld -L; repeatable, in order), before"
    " `search-dirs`.",
)
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str | None,
    config_path: str | None,
    baseline: str | None,
    write_baseline: str | None,
    quiet: bool,
    statistics: bool,
    boot_sector_layout: str | None,
    boot_protocol: str | None,
    uefi_arch: str | None,
    objects: tuple[str, ...],
    script_path: str | None,
    gc_sections: bool | None,
    preprocessor: str | None,
    search_dirs: tuple[str, ...],
) -> None:
    """Lint ELF images, object files and sources (files or directories); with no
    paths, the targets of the configuration."""
    from kernlint.config import load_config
    from kernlint.engine import run, select_rules
    from kernlint.report import FORMATS

    try:
        config = load_config(config_path)
        rules = select_rules(select or config.select, (*config.ignore, *ignore))
    except UsageError as exc:
        _fail(str(exc))
    fail_on = fail_on or config.fail_on
    if script_path and paths:
        # `check --script link.ld a.o b.o` means what `ld -T link.ld a.o b.o` does: the
        # positional objects are laid out with the script, as --objects are.
        laid, paths = _split_objects(paths)
        objects = (*objects, *laid)
    if uefi_arch:
        from dataclasses import replace

        config = replace(config, uefi_arch=uefi_arch.lower(), target_uefi_arches=())
    if boot_sector_layout or boot_protocol or objects or gc_sections:
        from dataclasses import replace

        config = replace(
            config,
            boot_sector_layout=boot_sector_layout or config.boot_sector_layout,
            boot_protocol=boot_protocol or config.boot_protocol,
            boot_protocols=() if boot_protocol else config.boot_protocols,
            objects=tuple(objects) or config.objects,
            gc_sections=bool(gc_sections) or config.gc_sections,
            target_gc_sections=() if gc_sections else config.target_gc_sections,
        )
    if preprocessor is not None:
        from dataclasses import replace

        from kernlint.ldscript.preprocess import parse_command

        try:
            command = parse_command(preprocessor)
        except ValueError as exc:
            _fail(f"--preprocessor {exc}")
        config = replace(
            config, preprocessor=command, path_preprocessors=(), target_preprocessors=()
        )
    if search_dirs:
        from dataclasses import replace

        missing = [d for d in search_dirs if not os.path.isdir(d)]
        if missing:
            _fail(f"-L {missing[0]}: no such folder")
        config = replace(config, cli_search_dirs=tuple(os.path.abspath(d) for d in search_dirs))
    if script_path:  # ld reads it as it is: KL212 applies, not the template note
        from dataclasses import replace

        config = replace(config, scripts=(script_path,))
    if script_path and script_path not in paths:
        paths = (*paths, script_path)
    paths = paths or tuple(config.target_paths())
    if not paths:
        _fail(
            "no paths given and no targets configured: name files or directories, or add"
            ' `[[tool.kernlint.target]]` with `image = "build/kernel.elf"` to pyproject.toml'
        )
    if (
        output
        and os.path.isfile(output)
        and any(os.path.exists(p) and os.path.samefile(output, p) for p in paths)
    ):
        _fail(f"--output {output} names an input file; kernlint never writes to its inputs")
    result = run(list(paths), rules, config)
    if write_baseline:
        from kernlint.baseline import write_baseline as write

        # A baseline never records an unreadable input (KL001): it must fail every run.
        recorded = [f for f in result.findings if f.rule != "KL001"]
        unreadable = [f for f in result.findings if f.rule == "KL001"]
        write(recorded, write_baseline)
        click.echo(f"kernlint: wrote {len(recorded)} finding(s) to {write_baseline}", err=True)
        if unreadable:
            inputs = len({f.path for f in unreadable})
            click.echo(
                f"kernlint: error: left out {inputs} unreadable input(s), which a baseline"
                " never records (KL001):",
                err=True,
            )
            for f in unreadable:
                click.echo(f"    {f.path}: {f.message}", err=True)
        sys.exit(EXIT_ERROR if result.input_errors else EXIT_OK)
    if baseline:
        from kernlint.baseline import new_findings, read_baseline

        try:
            recorded = read_baseline(baseline)
        except UsageError as exc:
            _fail(str(exc))
        kept = new_findings(result.findings, recorded)
        result.baselined = len(result.findings) - len(kept)
        result.findings = kept
    text = FORMATS[fmt](result, quiet=quiet, statistics=statistics)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)
    if not quiet and fmt == "text":
        for path, reason in result.skipped:
            click.echo(f"kernlint: info: {path}: {reason}", err=True)
    if result.input_errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.fails(fail_on) else EXIT_OK)


@cli.command("rules")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules_cmd(fmt: str) -> None:
    """List every rule: id, name, severity, group, summary. Rules outside the default
    group are opt-in: they run only when --select names their id, name or group."""
    import json

    from kernlint.engine import all_rules

    rules = all_rules()
    if fmt == "json":
        doc = {
            "rules": [
                {
                    "id": r.id,
                    "name": r.name,
                    "severity": r.severity,
                    "summary": r.summary,
                    "applies_to": sorted(r.applies_to),
                    "group": r.group,
                }
                for r in rules
            ]
        }
        click.echo(json.dumps(doc, indent=2))
        return
    width = max(len(r.name) for r in rules)
    groups = max(len(r.group) for r in rules)
    for r in rules:
        click.echo(f"{r.id}  {r.name:<{width}}  {r.severity:<7}  {r.group:<{groups}}  {r.summary}")


@cli.command()
@click.argument("target", metavar="RULE|LOG|-")
@click.option(
    "--artifacts",
    "-a",
    multiple=True,
    type=click.Path(),
    metavar="PATH",
    help="Build outputs to point at the culprit in: ELF images, objects, linker scripts,"
    " boot sectors or a build directory (repeatable).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def explain(target: str, artifacts: tuple[str, ...], fmt: str) -> None:
    """Print a rule's documentation (RULE: id or name), or explain the lines of a build
    or boot log (LOG: a file, or - for stdin) that a rule knows. Colour on a terminal
    unless NO_COLOR is set."""
    from kernlint.engine import find_rule

    color = not os.environ.get("NO_COLOR") and not click.utils.should_strip_ansi(sys.stdout)
    rule = find_rule(target) if target != "-" and not os.path.isfile(target) else None
    if rule is not None:
        from kernlint.explain.ruledoc import render_rule, rule_json

        if artifacts:
            _fail("--artifacts goes with a log, not with a rule")
        if fmt == "json":
            click.echo(rule_json(rule), nl=False)
        else:
            click.echo(render_rule(rule, color=color), nl=False, color=color)
        return
    if target != "-" and not os.path.exists(target):
        _fail(f"{target}: no such rule (see `kernlint rules`) or log file")
    for path in artifacts:
        if not os.path.exists(path):
            _fail(f"--artifacts {path}: no such file or directory")
    from kernlint.config import load_config
    from kernlint.explain import explain_log
    from kernlint.explain.render import render_json, render_text

    try:
        config = load_config()
    except UsageError as exc:
        _fail(str(exc))
    try:
        if target == "-":
            result = explain_log(sys.stdin.buffer, "-", artifacts, config)
        else:
            with open(target, "rb") as stream:
                result = explain_log(stream, target, artifacts, config)
    except OSError as exc:
        _fail(f"{target}: cannot read: {exc.strerror or exc}")
    if fmt == "json":
        click.echo(render_json(result), nl=False)
    else:
        click.echo(render_text(result, color=color), nl=False, color=color)
    for f in result.pinpoint.unreadable:
        click.echo(f"kernlint: warning: --artifacts {f.path}: {f.message}", err=True)


@cli.command()
@click.argument("path", type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["dot", "json"]), default="dot", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the graph here.")
def graph(path: str, fmt: str, output: str | None) -> None:
    """Export the segment/section/symbol graph of an ELF file."""
    from kernlint.elf.reader import read_image
    from kernlint.graph import build_graph, to_dot, to_json

    try:
        image = read_image(path)
        text = (to_dot if fmt == "dot" else to_json)(build_graph(image))
    except InputError as exc:
        _fail(f"{exc.path}: {exc.message}")
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("objects", nargs=-1, type=click.Path())
@click.option("--script", "-T", "script", required=True, type=click.Path(), help="Linker script.")
@click.option(
    "-L",
    "search_dirs",
    multiple=True,
    metavar="DIR",
    help="A folder ld searches for INCLUDEd scripts (ld -L; repeatable, in order).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--gc-sections", is_flag=True, help="Model ld --gc-sections.")
@click.option("--entry", "-e", default=None, help="Entry symbol (ld -e); default: ENTRY().")
@click.option("--undefined", "-u", multiple=True, metavar="SYM", help="ld -u: a gc root.")
@click.option(
    "--separate-code/--no-separate-code",
    default=True,
    show_default=True,
    help="ld -z separate-code (GNU ld 2.40's default on x86-64 Linux).",
)
@click.option("--max-page-size", default="0x1000", show_default=True, help="ld -z max-page-size.")
@click.option("--no-check-sections", is_flag=True, help="ld --no-check-sections.")
@click.option(
    "--relro/--no-relro",
    default=True,
    show_default=True,
    help="ld -z relro (GNU ld 2.40's default on x86-64 Linux): DATA_SEGMENT_* scripts.",
)
def layout(
    objects: tuple[str, ...],
    script: str,
    search_dirs: tuple[str, ...],
    fmt: str,
    gc_sections: bool,
    entry: str | None,
    undefined: tuple[str, ...],
    separate_code: bool,
    max_page_size: str,
    no_check_sections: bool,
    relro: bool,
) -> None:
    """Compute the layout GNU ld 2.40 gives OBJECTS (ET_REL; default: the files the
    script's INPUT() names) linked with the script: output sections, program headers,
    script symbols, orphans, discards."""
    from kernlint.layout import lay_out_files
    from kernlint.layout.model import Options
    from kernlint.layout.render import to_json, to_text
    from kernlint.ldscript import ScriptSyntaxError

    try:
        page = int(max_page_size, 0)
    except ValueError:
        _fail(f"--max-page-size {max_page_size!r} is not a number")
    options = Options(
        max_page_size=page,
        common_page_size=page,
        separate_code=separate_code,
        gc_sections=gc_sections,
        entry=entry,
        undefined=undefined,
        check_sections=not no_check_sections,
        relro=relro,
    )
    try:
        result = lay_out_files(script, list(objects), search_dirs, options)
    except ScriptSyntaxError as exc:
        _fail(str(exc))
    except InputError as exc:
        _fail(f"{exc.path}: {exc.message}")
    except OSError as exc:
        _fail(f"{exc.filename or script}: {exc.strerror or exc}")
    click.echo((to_json if fmt == "json" else to_text)(result), nl=False)


def main() -> None:
    """Console-script entry point. Unexpected errors give one line and exit 2, unless
    ``KERNLINT_DEBUG`` is set (then the traceback is shown)."""
    try:
        cli(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("KERNLINT_DEBUG"):
            raise
        click.echo(
            f"kernlint: internal error: {type(exc).__name__}: {exc}"
            " (set KERNLINT_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    finally:
        # The process ends here. Interpreter shutdown runs full cyclic collections
        # over every object still alive (modules, the parser's tables, the syntax
        # tree), ~18 ms of a ~120 ms `kernlint check` on a script (bench/scripts.py);
        # frozen objects are left out of them and freed by reference counting as
        # usual. Files are closed explicitly, so no cleanup waits for that collector.
        gc.freeze()
