"""``github``: GitHub Actions workflow commands, one annotation per (file, rule).

GitHub shows at most 10 annotations of each type per step (and 50 per job),
so one annotation per finding would hide all but the first ten rows of a
broken file. Each (file, rule) gets one annotation with its count and first
lines instead: errors first, most frequent first, at most 10 errors and 10
warnings; the other groups are plain log lines, and a ``::notice`` says how
many were not annotated. Each file's lines sit in a collapsible ``::group::``.

Escaping follows actions/toolkit ``packages/core/src/command.ts``: data
escapes ``%``, CR and LF; property values also ``:`` and ``,``.
"""

from __future__ import annotations

from typing import Final, TextIO

import polars as pl

from p2pfile.formats._common import FILE_INDEX, count, ordered, summary_line
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["MAX_ANNOTATIONS", "escape_data", "escape_property", "render"]

#: Annotations GitHub shows per type (error, warning) per step.
MAX_ANNOTATIONS: Final = 10
#: Lines listed in one annotation before "…".
LINES_SHOWN: Final = 5


def escape_data(text: str) -> str:
    """Escape a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _log_text(text: str) -> str:
    # A plain log line must stay one line: a CR or LF in a path or message
    # would otherwise start a line of its own, which the runner could read as
    # a workflow command.
    return text.replace("\r", "\\r").replace("\n", "\\n")


def groups(report: Report) -> pl.DataFrame:
    """One row per (file, rule), ranked: errors first, then by count, file order and code.

    Columns: path, code, name, severity, count, lines (the first few), message
    (of the first line), annotate (within the per-type cap).
    """
    frame = ordered(report)
    grouped = frame.group_by(FILE_INDEX, "path", "code", "name", "severity").agg(
        count=pl.len(),
        lines=pl.col("line").head(LINES_SHOWN),
        message=pl.col("message").first(),
    )
    ranked = grouped.sort(
        [pl.col("severity") != "error", "count", FILE_INDEX, "path", "code"],
        descending=[False, True, False, False, False],
    )
    return ranked.with_columns(
        annotate=pl.int_range(pl.len()).over("severity") < MAX_ANNOTATIONS,
    )


def _text(n: int, message: str, lines: list[int]) -> str:
    if n == 1:
        return message
    listed = ", ".join(str(line) for line in lines[:LINES_SHOWN])
    if n > LINES_SHOWN:
        listed += ", …"
    return f"{count(n, 'row')}: {message} (lines {listed})"


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write the annotations, grouped per file, then the notice and the summary line."""
    ranked = groups(report)
    by_path = ranked.partition_by("path", as_dict=True, maintain_order=True)
    paths = ranked.sort(FILE_INDEX, "path").get_column("path").unique(maintain_order=True)
    for path in paths:
        part = by_path[(path,)]
        errors = int(part.filter(pl.col("severity") == "error").get_column("count").sum())
        warnings = int(part.get_column("count").sum()) - errors
        tally = ", ".join(
            count(n, noun) for n, noun in ((errors, "error"), (warnings, "warning")) if n
        )
        out.write(f"::group::{escape_data(f'p2pfile: {path} ({tally})')}\n")
        for row in part.iter_rows(named=True):
            text = _text(row["count"], row["message"], row["lines"])
            line = row["lines"][0]
            if row["annotate"]:
                command = "error" if row["severity"] == "error" else "warning"
                title = f"p2pfile {row['code']} ({row['name']})"
                properties = (
                    f"file={escape_property(path)},line={line},title={escape_property(title)}"
                )
                out.write(f"::{command} {properties}::{escape_data(text)}\n")
            else:
                out.write(_log_text(f"{path}:{line}: {row['code']} {row['name']}: {text}") + "\n")
        out.write("::endgroup::\n")
    hidden = ranked.filter(~pl.col("annotate"))
    if hidden.height:
        findings = int(hidden.get_column("count").sum())
        notice = (
            f"{hidden.height:,} more (file, rule) groups ({count(findings, 'finding')}) are not "
            f"annotated: GitHub shows {MAX_ANNOTATIONS} error and {MAX_ANNOTATIONS} warning "
            "annotations per step. They are listed in the log."
        )
        out.write(f"::notice title=p2pfile::{escape_data(notice)}\n")
    out.write(_log_text(summary_line(report)) + "\n")
