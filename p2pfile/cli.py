"""The ``p2pfile`` command: the only module that prints or exits.

Exit codes (DESIGN.md, decision 5): 0 clean, 1 findings (or an invalid
number for ``p2pfile number``), 2 usage, config or internal error, 3 a send
that failed at the provider or on the network.

Following pre-commit-hooks, :func:`main` takes ``argv`` and returns the exit
code, so tests call ``main([...])`` directly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from p2pfile._version import __version__
from p2pfile.errors import P2PFileError
from p2pfile.phone import FORM_NAMES, REASON_TEXT, NumberResult, normalize_number
from p2pfile.sms import MessageInfo, NonGsmChar, analyze_message

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_SEND_FAILED = 0, 1, 2, 3
_DISTINCT_SHOWN = 8


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _number_line(result: NumberResult) -> str:
    if result.e164 is None:
        reason = result.reason or "invalid-number"
        return f"{result.input!r}: invalid ({reason}): {REASON_TEXT[reason]}"
    where = "foreign" if result.foreign else result.operator
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
    units = "septets" if info.encoding == "GSM-7" else "UTF-16 units"
    lines = [
        f"{info.encoding}, {info.units} {units}, {info.parts} part{'s' * (info.parts != 1)} "
        f"({info.per_part_limit} units per part), {info.chars} characters",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of exiting."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="p2pfile",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    except P2PFileError as exc:
        click.echo(f"p2pfile: error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return result if isinstance(result, int) else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
