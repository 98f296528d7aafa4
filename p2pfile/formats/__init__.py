"""Output formats: one small renderer module per ``--output-format``.

:func:`render` writes a :class:`~p2pfile.report.Report` to a text stream in
one of :data:`FORMATS` (ruff's names). It never prints and never exits; the
CLI chooses the stream.

- Human: ``full`` (default), ``concise``, ``grouped``. At most
  ``show_rows`` findings per (file, rule), then "... and N more" lines, then
  one summary line with the report's true counts.
- Machine: ``json`` (``schemas/report.schema.json``) and ``json-lines``,
  uncapped.
- CI: ``github``, ``sarif``, ``gitlab``, ``junit``. These leave the machine
  (:data:`OUTBOUND`), so by default recipients in ``value`` are masked with
  :func:`mask_phone` and message values cut to an excerpt. ``github`` and
  ``sarif`` respect GitHub's caps.

With ``statistics`` the listing becomes ruff's ``--statistics`` table (a
JSON list for ``json``, one object per line for ``json-lines``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TextIO

from p2pfile.errors import UsageError
from p2pfile.formats import (
    concise,
    full,
    github,
    gitlab,
    grouped,
    json_lines,
    json_report,
    junit,
    sarif,
    statistics,
)
from p2pfile.formats._options import RenderOptions, RuleDoc
from p2pfile.formats._redact import mask_phone, redact_frame
from p2pfile.report import Report

__all__ = ["FORMATS", "OUTBOUND", "RenderOptions", "RuleDoc", "mask_phone", "render"]

#: Every ``--output-format``, default first.
FORMATS: Final = (
    "full",
    "concise",
    "grouped",
    "json",
    "json-lines",
    "github",
    "sarif",
    "gitlab",
    "junit",
)
#: Formats whose output leaves the machine: phone numbers are masked unless told otherwise.
OUTBOUND: Final = frozenset({"github", "sarif", "gitlab", "junit"})

Renderer = Callable[[Report, TextIO, RenderOptions], None]

_RENDERERS: Final[dict[str, Renderer]] = {
    "full": full.render,
    "concise": concise.render,
    "grouped": grouped.render,
    "json": json_report.render,
    "json-lines": json_lines.render,
    "github": github.render,
    "sarif": sarif.render,
    "gitlab": gitlab.render,
    "junit": junit.render,
}
#: ``RenderOptions()``: frozen, so one shared default is safe.
DEFAULT_OPTIONS: Final = RenderOptions()

_STATISTICS: Final[dict[str, Renderer]] = {
    "json": statistics.render_json,
    "json-lines": statistics.render_json_lines,
}


def render(report: Report, fmt: str, out: TextIO, options: RenderOptions = DEFAULT_OPTIONS) -> None:
    """Write ``report`` to ``out`` in the format ``fmt``.

    Raises :class:`~p2pfile.errors.UsageError` for a format not in :data:`FORMATS`.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        msg = f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}"
        raise UsageError(msg)
    if options.statistics:
        # Counts only: nothing to redact. Like ruff, formats without a
        # statistics shape of their own print the text table.
        _STATISTICS.get(fmt, statistics.render_text)(report, out, options)
        return
    redact = options.redact if options.redact is not None else fmt in OUTBOUND
    if redact:
        report = Report(report.files, redact_frame(report.frame))
    renderer(report, out, options)
