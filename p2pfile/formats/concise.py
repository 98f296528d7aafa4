"""``concise``: one ``path:line: CODE [*] message`` line per finding.

The grep- and regex-friendly format (pre-commit-hooks' message style, ruff's
codes): every finding line carries the path, the line and the rule code.
"""

from __future__ import annotations

from typing import TextIO

import polars as pl

from p2pfile.formats._human import Style, listings, more_line, write_lines
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write one line per finding (capped per file and rule), then the summary line."""
    style = Style(options.color)
    for listing in listings(report, options, style):
        lines = listing.rows.select(
            pl.concat_str(
                style.path(pl.col("path")),
                pl.lit(":"),
                pl.col("line"),
                pl.lit(": "),
                "head",
                ignore_nulls=True,
            )
        ).to_series()
        write_lines(out, lines)
        for code, name, more in listing.more:
            every = code in listing.every_row
            out.write(more_line(code, name, more, listing.path, every_row=every) + "\n")
    out.write(style.summary(report) + "\n")
