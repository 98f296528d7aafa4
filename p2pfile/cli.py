"""The ``p2pfile`` command: the only module that prints or exits.

Exit codes (DESIGN.md, decision 5): 0 clean, 1 findings (or an invalid
number for ``p2pfile number``), 2 usage, config or internal error, 3 a send
that failed at the provider or on the network.

Following pre-commit-hooks, :func:`main` takes ``argv`` and returns the exit
code, so tests call ``main([...])`` directly.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, TextIO, TypeVar, cast

import click

from p2pfile._version import __version__
from p2pfile.check import (
    CheckPlan,
    Source,
    check_files,
    expand_paths,
    plan_from_settings,
    plans_from,
    unique_paths,
)
from p2pfile.config import NumberFormat, Resolver, Settings, load_tariff, pinned
from p2pfile.errors import P2PFileError, SendError
from p2pfile.fix import FixResult
from p2pfile.fix import diff as fix_diff
from p2pfile.fix import fix as fix_file
from p2pfile.formats import FORMATS, RenderOptions, render
from p2pfile.formats._common import count
from p2pfile.phone import FORM_NAMES, REASON_TEXT, NumberResult, normalize_number
from p2pfile.report import Diagnostic, Report
from p2pfile.rules import Rule, all_rules, get_rule
from p2pfile.sms import MessageInfo, NonGsmChar, analyze_message
from p2pfile.stats import render_stats_text, stats_sources

_T = TypeVar("_T")

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_SEND_FAILED = 0, 1, 2, 3
#: The shell's code for a process ended by SIGINT (128 + 2), as for any program stopped so.
EXIT_INTERRUPTED: Final = 130
HUMAN_FORMATS = frozenset({"full", "concise", "grouped"})
_DISTINCT_SHOWN = 8


class _Commands(click.Group):
    """The command group; ``send`` and ``journal`` are imported only when run.

    Their module brings httpx and sqlite3, a fifth of a second that every
    ``check`` in a pre-commit hook would pay for nothing.
    """

    _LAZY: Final = {"send": "send_command", "journal": "journal_command"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._LAZY:
            from p2pfile import _cli_send  # noqa: PLC0415 - see the class docstring

            return cast(click.Command, getattr(_cli_send, self._LAZY[cmd_name]))
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="p2pfile")
def cli() -> None:
    """Lint, fix and send SMS recipient files (recipient,message CSV/XLSX)."""


def _values(values: Sequence[str]) -> Iterable[str]:
    """The command's values; ``-`` reads one value per line from standard input."""
    for value in values:
        if value == "-":
            for line in sys.stdin:
                yield line.rstrip("\r\n")
        else:
            yield value


#: The normalizer's reasons whose P2xx rule has another name.
_REASON_RULE: Final = {"empty": "P201", "landline": "P204"}


def _number_line(result: NumberResult) -> str:
    if result.e164 is None:
        reason = result.reason or "invalid-number"
        # The rule check reports it under, so `--ignore` can be given what is shown.
        rule = get_rule(_REASON_RULE.get(reason, reason))
        which = reason if rule is None else f"{rule.code} {rule.name}"
        if rule is not None and rule.name != reason:
            which += f": {reason}"
        return f"{result.input!r}: invalid ({which}): {REASON_TEXT[reason]}"
    # A valid foreign mobile, which check rejects (P203) unless foreign numbers are allowed.
    where = "foreign (P203 unless allow-foreign)" if result.foreign else result.operator
    forms = ", ".join(f"{code} {FORM_NAMES[code]}" for code in result.forms)
    return f"{result.input!r}: {result.e164} {where}" + (f" [{forms}]" if forms else "")


def _number_json(result: NumberResult) -> dict[str, Any]:
    return {
        "input": result.input,
        "e164": result.e164,
        "national": result.national,
        "reason": result.reason,
        "operator": result.operator,
        "foreign": result.foreign,
        "forms": [{"code": code, "name": FORM_NAMES[code]} for code in result.forms],
    }


@cli.command()
@click.argument("values", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of text.")
def number(values: tuple[str, ...], as_json: bool) -> int:
    """Normalize phone numbers to E.164 and say what is wrong with the rest.

    Each VALUE is a recipient cell as a file would hold it; '-' reads one
    value per line from standard input. Exits 1 when any value is not a
    number p2pfile can send to.

    \b
    Example:
      p2pfile number '۰۹۱۲ ۳۴۵ ۶۷۸۹' 9.12346E+09
    """
    results = [normalize_number(v) for v in _values(values)]
    if as_json:
        click.echo(json.dumps([_number_json(r) for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            click.echo(_number_line(result))
    return EXIT_FINDINGS if any(r.e164 is None for r in results) else EXIT_CLEAN


def _message_text(text: str, info: MessageInfo) -> list[str]:
    unit = "septet" if info.encoding == "GSM-7" else "UTF-16 unit"
    lines = [
        f"{info.encoding}, {info.units} {unit}{'s' * (info.units != 1)}, {info.parts} "
        f"part{'s' * (info.parts != 1)} ({info.per_part_limit} units per part), "
        f"{info.chars} character{'s' * (info.chars != 1)}",
    ]
    if info.non_gsm:
        first_seen: dict[str, tuple[int, int]] = {}  # char -> (first index, count)
        for ch in info.non_gsm:
            index, count = first_seen.get(ch.char, (ch.index, 0))
            first_seen[ch.char] = (index, count + 1)
        lines.append(
            f"UCS-2 because of {len(info.non_gsm)} non-GSM character(s), "
            f"{len(first_seen)} distinct:"
        )
        for char, (index, count) in list(first_seen.items())[:_DISTINCT_SHOWN]:
            where = "suffix" if index >= len(text) else f"column {index + 1}"
            name = NonGsmChar(index, char)
            glyph = f" {char}" if char.isprintable() else ""
            times = f" (x{count})" if count > 1 else ""
            lines.append(f"  {where}: {name.codepoint} {name.name}{glyph}{times}")
        if len(first_seen) > _DISTINCT_SHOWN:
            lines.append(f"  ... and {len(first_seen) - _DISTINCT_SHOWN} more distinct")
    return lines


def _message_json(text: str, info: MessageInfo) -> dict[str, Any]:
    return {
        "input": text,
        "encoding": info.encoding,
        "units": info.units,
        "parts": info.parts,
        "per_part_limit": info.per_part_limit,
        "chars": info.chars,
        "non_gsm": [
            {"index": c.index, "char": c.char, "codepoint": c.codepoint, "name": c.name}
            for c in info.non_gsm
        ],
    }


@cli.command()
@click.argument("texts", nargs=-1, required=True)
@click.option(
    "--suffix",
    default="",
    metavar="TEXT",
    help="Text the provider appends when sending (e.g. its opt-out word); counted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of text.")
def message(texts: tuple[str, ...], suffix: str, as_json: bool) -> int:
    """Show a message's encoding, units and parts, and what forces UCS-2.

    '-' reads one message per line from standard input.

    \b
    Example:
      p2pfile message 'Your code is ۱۲۳۴'
    """
    pairs = [(t, analyze_message(t, suffix=suffix)) for t in _values(texts)]
    if as_json:
        payload = [_message_json(t, info) for t, info in pairs]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for i, (text, info) in enumerate(pairs):
            if len(pairs) > 1:
                click.echo(("\n" if i else "") + f"{text[:60]!r}:")
            for line in _message_text(text, info):
                click.echo(line)
    return EXIT_CLEAN


# -- check ---------------------------------------------------------------------------


def _split_selectors(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """``--select A,B --select C`` -> (A, B, C); None when the flag was not given."""
    if not values:
        return None
    return tuple(item.strip() for v in values for item in v.split(",") if item.strip())


#: The rule-selection and rule-option flags, shared by every command that judges rows
#: (check, fix, stats, send): one definition, so a flag check accepts is never refused
#: by the command that acts on its verdict. Each maps to the setting of the same name.
RULE_FLAGS: Final = (
    click.option(
        "--select",
        multiple=True,
        metavar="RULES",
        help="Rules to run instead of the defaults (codes, prefixes, names, ALL; comma-separated).",
    ),
    click.option("--extend-select", multiple=True, metavar="RULES", help="Rules to run as well."),
    click.option("--ignore", multiple=True, metavar="RULES", help="Rules not to run."),
    click.option(
        "--allow-foreign/--no-allow-foreign", default=None, help="Accept valid foreign mobiles."
    ),
    click.option(
        "--allowed-regions",
        metavar="CC,CC",
        help="Accept foreign mobiles of these regions (ISO codes).",
    ),
    click.option("--max-parts", type=int, help="Most parts a message may have [default: 20]."),
    click.option(
        "--max-length", type=int, help="Most characters a message may have [default: 1400]."
    ),
    click.option("--suffix", help="Text the provider appends to each message (counted)."),
    click.option("--max-rows", type=int, help="Most data rows a file may have (F108)."),
    click.option("--max-bytes", type=int, help="Largest file size in bytes (F108)."),
)
_RULE_FLAG_NAMES: Final = (
    "select",
    "extend_select",
    "ignore",
    "allow_foreign",
    "allowed_regions",
    "max_parts",
    "max_length",
    "suffix",
    "max_rows",
    "max_bytes",
)


def rule_flags(command: Callable[..., int]) -> Callable[..., int]:
    """Add :data:`RULE_FLAGS` to a command, which gets them as one ``overrides`` argument.

    ``overrides`` is the keyword arguments for :meth:`Settings.merged` (None for a
    flag not given), so flags win over the config file exactly as in ``check``.
    """

    @functools.wraps(command)
    def with_overrides(*args: object, **kwargs: object) -> int:
        flags = {name: kwargs.pop(name) for name in _RULE_FLAG_NAMES}
        return command(*args, overrides=_overrides(flags), **kwargs)

    wrapped: Callable[..., int] = with_overrides
    for option in reversed(RULE_FLAGS):
        wrapped = option(wrapped)
    return wrapped


def _overrides(flags: dict[str, object]) -> dict[str, object]:
    regions = cast("str | None", flags["allowed_regions"])
    return {
        **flags,
        "select": _split_selectors(cast("tuple[str, ...]", flags["select"])),
        "extend_select": _split_selectors(cast("tuple[str, ...]", flags["extend_select"])),
        "ignore": _split_selectors(cast("tuple[str, ...]", flags["ignore"])),
        "allowed_regions": [r.strip().upper() for r in regions.split(",")] if regions else None,
    }


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _progress_wanted(fmt: str, no_progress: bool) -> bool:
    """Progress on stderr only for a person at a terminal: never in CI, pre-commit or pipes."""
    if no_progress or fmt not in HUMAN_FORMATS:
        return False
    if os.environ.get("CI") or os.environ.get("PRE_COMMIT"):
        return False
    return sys.stderr.isatty()


class _Progress:
    """A one-line ticker on stderr, shown only once work has taken about a second."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.index = 0
        self.name = ""
        self.started = time.monotonic()
        self.shown = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Progress:
        self._thread.start()
        return self

    def file(self, name: str) -> None:
        self.index += 1
        self.name = name

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            elapsed = time.monotonic() - self.started
            if elapsed < 1.0:
                continue
            counter = f" ({self.index}/{self.total})" if self.total > 1 else ""
            click.echo(
                f"\rchecking {self.name}{counter}... {elapsed:.0f}s\x1b[K", nl=False, err=True
            )
            self.shown = True

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)


def _sources(paths: tuple[str, ...], stdin_filename: str | None = None) -> list[Source]:
    """Files, directories expanded, and ``-`` read from standard input as bytes, named
    ``stdin_filename`` if given; a file given twice (``x.csv ./x.csv``) comes once."""
    _check_stdin(paths, stdin_filename)
    sources: list[Source] = []
    for path in paths:
        if path == "-":
            sources.append((stdin_filename or "-", sys.stdin.buffer.read()))
        else:
            sources.extend(expand_paths([path]))
    kept = iter(unique_paths([s for s in sources if isinstance(s, str)]))
    first = next(kept, None)
    unique: list[Source] = []
    for source in sources:
        if isinstance(source, tuple):
            unique.append(source)
        elif source == first:  # a file's first spelling; any later one is skipped
            unique.append(source)
            first = next(kept, None)
    return unique


def _check_stdin(paths: Sequence[str], stdin_filename: str | None) -> None:
    if paths.count("-") > 1:
        raise click.UsageError("'-' (standard input) can be read only once")
    if stdin_filename is not None and "-" not in paths:
        raise click.UsageError("--stdin-filename names standard input: give '-' as the path")
    if stdin_filename is not None and not stdin_filename.strip():
        raise click.UsageError("--stdin-filename is empty")
    if stdin_filename is not None and any(
        p != "-" and os.path.exists(p) and os.path.realpath(p) == os.path.realpath(stdin_filename)
        for p in paths
    ):
        # Both would be reported under one name, each a duplicate (D103) of the other.
        msg = f"--stdin-filename {stdin_filename} is also given as a file to read"
        raise click.UsageError(msg)


def _resolver(
    config_path: str | None, isolated: bool, overrides: dict[str, object] | None = None
) -> Resolver:
    """Each file's settings: its closest config file (or --config, or none with
    --isolated), with the rule flags on top."""
    if config_path and isolated:
        raise click.UsageError("--config and --isolated exclude each other")
    return Resolver(
        explicit=Path(config_path) if config_path else None,
        isolated=isolated,
        overrides=overrides,
    )


#: ruff's flag: the name standard input stands for, in reports and for the config.
STDIN_FILENAME: Final = click.option(
    "--stdin-filename",
    metavar="NAME",
    help="With '-': the file name standard input stands for (reports, config, per-file-ignores).",
)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--output-format",
    type=click.Choice(FORMATS),
    envvar="P2PFILE_OUTPUT_FORMAT",
    help="How to print findings [default: full].",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Write the output to FILE instead of stdout.",
)
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of the findings.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    help="Lowest severity that makes the exit code 1 [default: error].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--show-rows",
    type=click.IntRange(min=0),
    help="Human formats: findings shown per file and rule [default: 20].",
)
@click.option("--no-progress", is_flag=True, help="Never show progress on stderr.")
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Show phone numbers in github, sarif, gitlab and junit output.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Use this config file instead of discovering one.",
)
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
@STDIN_FILENAME
@rule_flags
def check(  # noqa: PLR0917
    paths: tuple[str, ...],
    output_format: str | None,
    output_file: str | None,
    statistics: bool,
    fail_on: str | None,
    exit_zero: bool,
    show_rows: int | None,
    no_progress: bool,
    color: str,
    no_redact: bool,
    config_path: str | None,
    isolated: bool,
    stdin_filename: str | None,
    overrides: dict[str, object],
) -> int:
    """Check recipient files (CSV/XLSX) for everything that would fail, misfire or cost more.

    PATHS are files or directories (searched for *.csv and *.xlsx; default:
    the current directory); '-' reads one file from standard input. Exit
    codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or config
    error.
    """
    resolver = _resolver(config_path, isolated, overrides)
    sources = _sources(paths or (".",), stdin_filename)
    if not sources:
        # As ruff: a warning and an empty report (a CI step may upload the SARIF file).
        click.echo("p2pfile: warning: no CSV or XLSX files found", err=True)
    names = [s[0] if isinstance(s, tuple) else s for s in sources]
    _refuse_output_among_inputs(output_file, names, paths or (".",))
    # Each file is checked with its closest config; how the run reports and fails
    # comes from the common parent's (as in ruff).
    settings = resolver.for_run([n for n in names if n != "-"]).merged(
        output_format=output_format, fail_on=fail_on, show_rows=show_rows
    )
    plan_from_settings(settings)  # its errors too, though no file may use it
    plan = plans_from(resolver)
    for name in names:  # every config error before any file is read
        plan(name)
    fmt = settings.output_format
    if _progress_wanted(fmt, no_progress) and output_file is None:
        with _Progress(len(sources)) as progress:
            report = check_files(sources, plan, on_file=progress.file)
    else:
        report = check_files(sources, plan)
    _write_report(
        report,
        fmt,
        output_file=output_file,
        show_rows=settings.show_rows,
        color=color,
        no_redact=no_redact,
        statistics=statistics,
        private=_private_inputs(names),
    )
    if exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if report.failed(settings.fail_on) else EXIT_CLEAN


def _refuse_output_among_inputs(
    output_file: str | None, names: Sequence[str], paths: Sequence[str]
) -> None:
    """UsageError when ``-o`` names a file being checked: the report would replace the
    recipient list (``fix -o`` is the fixed file; the slip is easy). A CSV or XLSX
    report inside a directory being checked gets a warning: the next run lints it."""
    if output_file is None:
        return
    target = os.path.realpath(output_file)
    if any(name != "-" and _same_file(name, output_file, target) for name in names):
        msg = f"-o {output_file} is one of the files being checked; the report would replace it"
        raise click.UsageError(msg)
    if Path(output_file).suffix.lower() in (".csv", ".xlsx") and any(
        os.path.isdir(p) and target.startswith(os.path.realpath(p) + os.sep) for p in paths
    ):
        click.echo(
            f"p2pfile: warning: the report {output_file} is inside a checked directory; "
            "the next check will read it as a recipient file",
            err=True,
        )


def _same_file(name: str, output_file: str, target: str) -> bool:
    """The same file by path (symlinks, ``..``), or by inode (a hard link)."""
    if os.path.realpath(name) == target:
        return True
    try:
        return os.path.samefile(name, output_file)
    except OSError:  # the output does not exist yet
        return False


def _private_inputs(names: Sequence[str]) -> bool:
    """Whether a file being checked is readable by its owner alone: its report, which
    quotes its numbers and messages, must not be readable by more people."""
    for name in names:
        with contextlib.suppress(OSError):
            if name != "-" and os.path.isfile(name) and not os.stat(name).st_mode & 0o077:
                return True
    return False


def _repository_root() -> str | None:
    """Where CI formats' paths start: the checkout the CI names (GitHub Actions'
    ``GITHUB_WORKSPACE``, GitLab's ``CI_PROJECT_DIR``), else the git work tree around
    the current directory; None outside both (paths stay as given)."""
    here = Path.cwd()
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        # Only a checkout the job runs in (actions/checkout's path: may put it elsewhere).
        if os.environ.get(name) and here.is_relative_to(Path(os.environ[name]).resolve()):
            return os.environ[name]
    for directory in (here, *here.parents):
        if (directory / ".git").exists():  # a directory, or a worktree's file
            return str(directory)
    return None


def _write_report(
    report: Report,
    fmt: str,
    *,
    output_file: str | None,
    show_rows: int,
    color: str,
    no_redact: bool,
    statistics: bool,
    private: bool = False,
) -> None:
    """Render the report to stdout or ``output_file``; ``private``: that file is made
    readable by its owner alone (a check of private files)."""
    options = RenderOptions(
        show_rows=show_rows,
        redact=False if no_redact else None,
        statistics=statistics,
        rule_docs={rule.code: rule for rule in all_rules()},
        color=False,
        root=_repository_root(),
    )
    if output_file is None:
        stream = sys.stdout
        options = replace(options, color=_use_color(color, stream))
        render(report, fmt, stream, options)
        return
    # The umask applies, as for any new file.
    opener = functools.partial(os.open, mode=0o600 if private else 0o666)
    try:
        with open(output_file, "w", encoding="utf-8", newline="\n", opener=opener) as out:
            if private:  # an existing file keeps its mode through os.open
                os.chmod(out.fileno(), 0o600)
            render(report, fmt, out, options)
    except OSError as exc:
        raise click.FileError(output_file, hint=exc.strerror or str(exc)) from None


# -- fix -------------------------------------------------------------------------------

_DIFF_LIMIT = 50


def _settings_for(
    paths: Sequence[str],
    config_path: str | None,
    isolated: bool,
    overrides: dict[str, object] | None = None,
) -> Settings:
    """The settings of a run over ``paths`` (standard input, ``-``, has no directory):
    the config file of their common parent, then the flags of :func:`rule_flags` on top."""
    files = [p for p in paths if p != "-"]
    return _resolver(config_path, isolated, overrides).for_run(files)


def _fix_summary(result: FixResult) -> list[str]:
    target = result.output or f"{result.path} (in place)"
    lines = [
        f"{result.path}: {count(result.rows_in, 'row')} in, {result.rows_written:,} written to "
        f"{target}, {result.rows_rejected:,} rejected, "
        f"{count(result.duplicates_dropped, 'duplicate')} dropped",
    ]
    if result.rows_in and not result.rows_written:
        # Said first and plainly: the output holds only the header, nothing to upload.
        lines.append(f"  no row can be sent: {target} holds only the header")
    if result.rejects and result.rows_rejected:
        by_code = ", ".join(f"{code} x{n:,}" for code, n in sorted(result.rejected_by_code.items()))
        lines.append(f"  rejected rows are in {result.rejects} ({by_code})")
    if result.unfixable:
        rows = "row no fix can save stays" if result.unfixable == 1 else "rows no fix can save stay"
        lines.append(f"  {result.unfixable:,} {rows} in the file (see check)")
    for dropped, kept in result.duplicates[: _DIFF_LIMIT // 5]:
        lines.append(f"  dropped line {dropped}: duplicate of line {kept}")
    if len(result.duplicates) > _DIFF_LIMIT // 5:
        lines.append(f"  ... and {len(result.duplicates) - _DIFF_LIMIT // 5:,} more duplicates")
    if result.fixes:
        fixed = ", ".join(f"{code} x{n:,}" for code, n in sorted(result.fixes.items()))
        lines.append(f"  fixes applied: {fixed}")
    if result.remaining:
        errors, warnings = result.remaining_errors, result.remaining - result.remaining_errors
        what = ", ".join(
            f"{n:,} {word}{'' if n == 1 else 's'}"
            for n, word in ((errors, "error"), (warnings, "warning"))
            if n
        )
        verb = "remains" if result.remaining == 1 else "remain"
        lines.append(f"  {what} {verb}: run p2pfile check on the output")
    return lines


@cli.command("fix")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the clean file here (.csv or .xlsx) instead of rewriting the CSV in place.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help=(
        "Write rows no fix can save here, with codes and reasons: CSV, or .xlsx with "
        "every cell as text, for correcting in a spreadsheet."
    ),
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help=(
        "Also apply unsafe fixes (transcoding, GSM look-alike rewrite, bidi removal, "
        "dropping columns beyond the recipient and message ones)."
    ),
)
@click.option(
    "--number-format",
    type=click.Choice(["e164", "national"]),
    help="How recipients are written [default: e164].",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Show what would change and write nothing; exit 1 if anything would.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file."
)
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
@STDIN_FILENAME
@rule_flags
def fix_command(  # noqa: PLR0917
    paths: tuple[str, ...],
    output: str | None,
    rejects: str | None,
    unsafe_fixes: bool,
    number_format: str | None,
    show_diff: bool,
    as_json: bool,
    config_path: str | None,
    isolated: bool,
    stdin_filename: str | None,
    overrides: dict[str, object],
) -> int:
    """Write upload-ready files: safe fixes applied, duplicates dropped, nothing lost.

    Rows no fix can save go to --rejects (required with -o when there are
    any). Without -o a CSV is rewritten in place with the fixes and keeps
    the rows no fix can save. Exit 0 when a check of the output passes
    (nothing at or above fail-on remains, as `p2pfile check` judges it), 1
    when findings remain (or, with --diff, when anything would change), 2 on
    usage errors. The rule flags mean what they mean for check. '-' reads
    the file from standard input (with -o, or --diff).
    """
    _check_stdin(paths, stdin_filename)
    # A file given twice (x.csv ./x.csv) is fixed once.
    paths = tuple(unique_paths(paths))
    if (output or rejects) and len(paths) > 1:
        raise click.UsageError("-o and --rejects take one input file")
    if "-" in paths and len(paths) > 1:
        raise click.UsageError("'-' (standard input) must be the only file to fix")
    if paths == ("-",) and output is None and not show_diff:
        raise click.UsageError(
            "standard input cannot be fixed in place: give -o FILE for the fixed rows "
            "(and --rejects FILE), or --diff to see what would change"
        )
    resolver = _resolver(config_path, isolated, overrides)
    names = [stdin_filename or "-" if p == "-" else p for p in paths]
    # Each file is fixed with its closest config; the verdict (fail-on) is the run's.
    settings = resolver.for_run([n for n in names if n != "-"])
    per_file = {path: resolver.for_path(name) for path, name in zip(paths, names, strict=True)}
    for each in {id(s): s for s in (settings, *per_file.values())}.values():
        plan_from_settings(each)  # every config error before any file is written
    job = _FixJob(
        output,
        rejects,
        unsafe_fixes,
        cast("NumberFormat | None", number_format),
        settings,
        per_file=per_file,
    )
    if paths != ("-",):
        return _show_diff(paths, job) if show_diff else _fix_files(paths, job, as_json=as_json)
    shown = names[0]
    with _stdin_file() as saved:
        # fix reads its input by path (the reader may need it whole, twice): save it, then
        # say '-' (or --stdin-filename) wherever the saved file's name would show, and
        # judge it by that name's per-file-ignores, not the saved file's.
        job = replace(job, shown={saved: shown}, per_file={saved: pinned(per_file["-"], shown)})
        try:
            return _show_diff((saved,), job) if show_diff else _fix_files((saved,), job, as_json)
        except P2PFileError as exc:
            raise type(exc)(str(exc).replace(saved, shown)) from None


@dataclass(frozen=True)
class _FixJob:
    """What ``fix`` was asked to do to each file."""

    output: str | None
    rejects: str | None
    unsafe: bool
    number_format: NumberFormat | None
    settings: Settings
    #: Names to show instead of the paths read (standard input's saved copy -> '-').
    shown: dict[str, str] = field(default_factory=dict)
    #: Each file's settings (its closest config file), where not ``settings``.
    per_file: dict[str, Settings] = field(default_factory=dict)

    def name(self, path: str) -> str:
        return self.shown.get(path, path)

    def settings_for(self, path: str) -> Settings:
        return self.per_file.get(path, self.settings)

    def run(self, func: Callable[..., _T], path: str, **extra: Any) -> _T:
        """``fix`` or ``diff`` of one file, as this job asks."""
        return func(
            path,
            self.output,
            self.rejects,
            unsafe=self.unsafe,
            number_format=self.number_format,
            settings=self.settings_for(path),
            **extra,
        )


@contextlib.contextmanager
def _stdin_file() -> Iterator[str]:
    """Standard input saved to a private temporary file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="p2pfile-stdin-") as tmp:
        path = os.path.join(tmp, "-")
        with open(path, "wb") as saved:
            shutil.copyfileobj(sys.stdin.buffer, saved)
        yield path


def _fix_files(paths: Sequence[str], job: _FixJob, as_json: bool) -> int:
    """Fix each file; a file fix refuses is named on stderr and the others are still
    fixed, each summary printed as its file is done (exit 2 if any was refused)."""
    if len(paths) > 1:
        _refuse_before_writing(paths, job)
    results: list[FixResult] = []
    fixed: list[str] = []  # the paths of ``results``
    refused = False
    for path in paths:
        try:
            result = job.run(fix_file, path)
        except P2PFileError as exc:
            if len(paths) == 1:
                raise
            click.echo(f"p2pfile: error: {exc}", err=True)
            refused = True
            continue
        results.append(replace(result, path=job.name(result.path)))
        fixed.append(path)
        if not as_json:
            for line in _fix_summary(results[-1]):
                click.echo(line)
    if len(results) > 1:  # between the files fixed, a refused one left out
        results = _with_cross_file_repeats(fixed, results, job, as_json=as_json)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    if refused:
        return EXIT_ERROR
    # The verdict check would give on the output: a warning alone (D102, two messages
    # to one recipient) must not fail `p2pfile fix -o out.csv && upload`.
    warnings_fail = job.settings.fail_on == "warning"
    failed = any(r.remaining if warnings_fail else r.remaining_errors for r in results)
    return EXIT_FINDINGS if failed else EXIT_CLEAN


def _with_cross_file_repeats(
    paths: Sequence[str], results: list[FixResult], job: _FixJob, *, as_json: bool
) -> list[FixResult]:
    """The results with what a check of the fixed files together adds: rows that repeat a
    row of an earlier file (D103), which no file's fix can see alone. Each is said under
    the summaries (unless ``as_json``) and counted in its file's ``remaining``, so the
    exit code is check's."""
    plans: dict[int, CheckPlan] = {}

    def plan_of(path: str) -> CheckPlan:
        settings = job.settings_for(path)
        return plans.setdefault(id(settings), plan_from_settings(settings))

    repeats: dict[str, list[Diagnostic]] = {}
    for d in check_files(list(paths), plan_of).diagnostics:
        if d.code == "D103":
            repeats.setdefault(d.path, []).append(d)
    updated = []
    for path, result in zip(paths, results, strict=True):
        found = repeats.get(path, [])
        if found and not as_json:
            first = found[0]
            click.echo(
                f"{result.path}: {count(len(found), 'row')} also in an earlier file (D103): "
                f"line {first.line} has the {first.message}"
            )
        errors = sum(d.severity == "error" for d in found)
        updated.append(
            replace(
                result,
                remaining=result.remaining + len(found),
                remaining_errors=result.remaining_errors + errors,
            )
        )
    return updated


def _refuse_before_writing(paths: Sequence[str], job: _FixJob) -> None:
    """UsageError, before any file is rewritten, for a file of the run that fix would
    refuse by its name alone: an XLSX in place, a directory."""
    for path in paths:
        if os.path.isdir(path):
            msg = f"{path} is a directory: fix takes files (p2pfile check searches directories)"
            raise click.UsageError(msg)
        if job.output is None and Path(path).suffix.lower() == ".xlsx":
            msg = f"{path}: an XLSX file is never rewritten in place; nothing was fixed"
            raise click.UsageError(msg)


def _show_diff(paths: Sequence[str], job: _FixJob) -> int:
    changed = False
    for path in paths:
        changes = job.run(fix_diff, path, limit=None)
        changed = changed or bool(changes)
        for change in changes[:_DIFF_LIMIT]:
            codes = f" ({' '.join(change.codes)})" if change.codes else ""
            # A fixed row's ``why`` only repeats its codes: say it once.
            why = "" if change.kind == "fixed" and change.codes else f": {change.why}"
            click.echo(f"{job.name(path)}:{change.line}: {change.kind}{codes}{why}")
            if change.kind == "file":  # the whole file: no row to show
                continue
            click.echo(f"-  {change.old[0]!r},{change.old[1]!r}")
            if change.new is not None:
                click.echo(f"+  {change.new[0]!r},{change.new[1]!r}")
        if len(changes) > _DIFF_LIMIT:
            more = len(changes) - _DIFF_LIMIT
            click.echo(f"... and {more:,} more rows would change in {job.name(path)}")
    if not changed:
        click.echo("nothing to fix")
    return EXIT_FINDINGS if changed else EXIT_CLEAN


# -- stats -----------------------------------------------------------------------------


@cli.command("stats")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--tariff",
    "tariff_path",
    type=click.Path(dir_okay=False, exists=True),
    help="TOML with persian_mci, english_mci, persian_other, english_other (rials per part).",
)
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file."
)
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
@STDIN_FILENAME
@rule_flags
def stats_command(  # noqa: PLR0917
    paths: tuple[str, ...],
    tariff_path: str | None,
    output_format: str,
    color: str,
    config_path: str | None,
    isolated: bool,
    stdin_filename: str | None,
    overrides: dict[str, object],
) -> int:
    """Rows, validity, operators, encodings, parts and (with a tariff) what a send will cost.

    PATHS are files or directories (searched for *.csv and *.xlsx); '-' reads
    one file from standard input.

    The rule flags mean what they mean for check: a row counts as sent exactly
    when fix with the same flags would write it.
    """
    _check_stdin(paths, stdin_filename)
    resolver = _resolver(config_path, isolated, overrides)
    names = [stdin_filename or "-" if p == "-" else p for p in paths]
    # Each file is judged with its closest config; the tariff is the run's.
    settings = resolver.for_run([n for n in names if n != "-"])
    tariff = load_tariff(tariff_path) if tariff_path else settings.tariff
    sources = _sources(paths, stdin_filename)
    if not sources:
        raise click.UsageError("no CSV or XLSX files found")
    result = stats_sources(sources, tariff=tariff, settings=settings, settings_of=resolver.for_path)
    if output_format == "json":
        click.echo(result.to_json(indent=2))
    else:
        use_color = _use_color(color, sys.stdout)
        text = render_stats_text(result, color=use_color)
        # click strips ANSI codes from what goes to a pipe unless told: --color always
        # is for `| less -R`.
        click.echo(text, nl=not text.endswith("\n"), color=use_color)
    return EXIT_CLEAN


# -- rule ------------------------------------------------------------------------------


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity or "off",
        "fix": rule.fix,
        "field": rule.field,
        "summary": rule.summary,
        "doc": rule.doc,
    }


def _rule_text(rule: Rule) -> str:
    severity = rule.severity or "off by default"
    fix = f", fix: {rule.fix}" if rule.fix else ""
    # The docstrings' reST literals (``x``) read as Markdown's in a terminal: `x`.
    doc = rule.doc.replace("``", "`")
    return f"{rule.code} {rule.name} ({severity}{fix})\n\n{doc}\n"


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Every rule.")
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rule(code: str | None, show_all: bool, output_format: str) -> int:
    """Explain a rule by CODE (P205) or NAME (unknown-prefix); --all lists every rule."""
    if show_all == (code is not None):
        raise click.UsageError("give a rule CODE or NAME, or --all")
    if show_all:
        chosen = all_rules()
    else:
        found = get_rule(code or "")
        if found is None:
            raise click.UsageError(f"unknown rule {code!r}; 'p2pfile rule --all' lists them")
        chosen = [found]
    if output_format == "json":
        payload: object = [_rule_json(r) for r in chosen] if show_all else _rule_json(chosen[0])
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(_rule_text(r) for r in chosen).rstrip("\n"))
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of exiting."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="p2pfile",
            standalone_mode=False,
        )
        # What is still buffered goes out here, where a closed pipe (``| head``) is
        # handled below, not in the interpreter's last flush (exit 120 and a message).
        sys.stdout.flush()
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.Abort:  # click's form of Ctrl-C (and of EOF at a prompt)
        click.echo("Aborted.", err=True)
        return EXIT_INTERRUPTED
    except SendError as exc:  # the provider, the network or the journal stopped a send
        click.echo(f"p2pfile: send failed: {exc}", err=True)
        return EXIT_SEND_FAILED
    except P2PFileError as exc:
        click.echo(f"p2pfile: error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if _os_errno(exc) in _FULL_DISK:
            click.echo(
                f"p2pfile: error: cannot write the output: {os.strerror(_os_errno(exc) or 0)}",
                err=True,
            )
            return EXIT_ERROR
        if not _is_broken_pipe(exc):
            return _internal_error(exc)
        # The reader went away (``| head``): nothing to say to it. Point stdout at
        # /dev/null, or the interpreter's final flush fails on the same pipe.
        with contextlib.suppress(OSError, ValueError):  # no real stdout: nothing to flush
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FINDINGS
    except Exception as exc:  # never a traceback for the user
        return _internal_error(exc)
    return result if isinstance(result, int) else EXIT_CLEAN


#: A write that failed for want of room: one line for the user, not an internal error.
_FULL_DISK: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _os_errno(exc: OSError) -> int | None:
    """The errno of ``exc``; polars' writers raise OSErrors that carry none, with the
    number in the text: "Broken pipe (os error 32)" or "[Errno 32] Broken pipe"."""
    if exc.errno is not None:
        return exc.errno
    found = re.search(r"\(os error (\d+)\)|\[Errno (\d+)\]", str(exc))
    return int(found.group(1) or found.group(2)) if found else None


def _is_broken_pipe(exc: OSError) -> bool:
    """A write to a closed pipe (``| head``)."""
    return isinstance(exc, BrokenPipeError) or _os_errno(exc) == errno.EPIPE


def _internal_error(exc: Exception) -> int:
    """One line for a bug, never a traceback; P2PFILE_DEBUG=1 shows it."""
    if os.environ.get("P2PFILE_DEBUG"):
        raise exc
    click.echo(
        f"p2pfile: internal error: {type(exc).__name__}: {exc} "
        "(please report it; P2PFILE_DEBUG=1 shows the traceback)",
        err=True,
    )
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
