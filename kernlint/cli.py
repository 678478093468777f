"""The command line (click): ``check``, ``rules``, ``explain``, ``graph``.

Exit status (DESIGN.md): 0 when nothing is at or above ``--fail-on``; 1 when findings
are; 2 for a usage error or unreadable input (KL001).
"""

from __future__ import annotations

import os
import sys

import click

from kernlint import __version__
from kernlint.errors import InputError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"kernlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


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
    help="Only these rules: ids, names or id prefixes (KL1), comma-separated.",
)
@click.option("--ignore", multiple=True, metavar="RULES", help="Leave these rules out.")
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
    help="Lowest severity that makes the exit status 1 [default: error, or `fail-on`].",
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
    help="Record the current findings in this file and exit 0.",
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
    "--objects",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="An object file the images were linked from (repeat the option for several);"
    " rules that need relocations read them (KL406).",
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
    objects: tuple[str, ...],
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
    if boot_sector_layout or boot_protocol or objects:
        from dataclasses import replace

        config = replace(
            config,
            boot_sector_layout=boot_sector_layout or config.boot_sector_layout,
            boot_protocol=boot_protocol or config.boot_protocol,
            boot_protocols=() if boot_protocol else config.boot_protocols,
            objects=tuple(objects),
        )
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

        write([f for f in result.findings if f.rule != "KL001"], write_baseline)
        click.echo(
            f"kernlint: wrote {len(result.findings)} finding(s) to {write_baseline}", err=True
        )
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
    """List every rule: id, name, severity, summary."""
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
                }
                for r in rules
            ]
        }
        click.echo(json.dumps(doc, indent=2))
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.id}  {r.name:<{width}}  {r.severity:<7}  {r.summary}")


@cli.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print a rule's documentation (by id or name)."""
    from kernlint.engine import find_rule

    found = find_rule(rule)
    if found is None:
        _fail(f"unknown rule {rule!r} (see `kernlint rules`)")
    click.echo(f"{found.id} {found.name} ({found.severity})\n")
    click.echo(found.doc.strip())


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
