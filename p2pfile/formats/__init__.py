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
  :func:`mask_phone` and message values cut to an excerpt, and, given the
  repository's root (``RenderOptions.root``), paths are relative to it.
  ``github`` and ``sarif`` respect GitHub's caps.

With ``statistics`` the listing becomes ruff's ``--statistics`` table (a
JSON list for ``json``, one object per line for ``json-lines``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Final, TextIO, cast

from p2pfile.errors import UsageError
from p2pfile.formats._options import RenderOptions, RuleDoc
from p2pfile.formats._paths import with_paths_relative_to
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

#: Format -> module; imported on first use, so a pre-commit run that prints ``full``
#: does not pay for the XML, SARIF and hashing machinery of the others.
_MODULES: Final = {
    "full": "full",
    "concise": "concise",
    "grouped": "grouped",
    "json": "json_report",
    "json-lines": "json_lines",
    "github": "github",
    "sarif": "sarif",
    "gitlab": "gitlab",
    "junit": "junit",
}


def _renderer(module: str, name: str = "render") -> Renderer:
    return cast("Renderer", getattr(importlib.import_module(f"p2pfile.formats.{module}"), name))


#: ``RenderOptions()``: frozen, so one shared default is safe.
DEFAULT_OPTIONS: Final = RenderOptions()

_STATISTICS: Final = {"json": "render_json", "json-lines": "render_json_lines"}


def render(report: Report, fmt: str, out: TextIO, options: RenderOptions = DEFAULT_OPTIONS) -> None:
    """Write ``report`` to ``out`` in the format ``fmt``.

    Raises :class:`~p2pfile.errors.UsageError` for a format not in :data:`FORMATS`.
    """
    module = _MODULES.get(fmt)
    if module is None:
        msg = f"unknown output format {fmt!r}; expected one of: {', '.join(FORMATS)}"
        raise UsageError(msg)
    if options.statistics:
        # Counts only: nothing to redact. Like ruff, formats without a
        # statistics shape of their own print the text table.
        _renderer("statistics", _STATISTICS.get(fmt, "render_text"))(report, out, options)
        return
    renderer = _renderer(module)
    redact = options.redact if options.redact is not None else fmt in OUTBOUND
    if redact:
        report = Report(report.files, redact_frame(report.frame))
    if options.root is not None and fmt in OUTBOUND:
        report = with_paths_relative_to(report, options.root)
    renderer(report, out, options)
