"""``grouped``: a header line per file, then its findings as indented ``line: CODE message``."""

from __future__ import annotations

from typing import TextIO

import polars as pl

from p2pfile.formats._human import Style, listings, more_line, write_lines
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write each file's findings under its path (capped per rule), then the summary line."""
    style = Style(options.color)
    for listing in listings(report, options, style):
        out.write(style.path_text(listing.path) + ":\n")
        line = pl.col("line").cast(pl.String)
        # Line numbers right-aligned per file so the codes line up, as ruff does.
        width = line.str.len_chars().max()
        lines = listing.rows.select(
            pl.concat_str(
                pl.lit("  "), line.str.pad_start(width), pl.lit(": "), "head", ignore_nulls=True
            )
        ).to_series()
        write_lines(out, lines)
        for code, name, more in listing.more:
            every = code in listing.every_row
            out.write("  " + more_line(code, name, more, every_row=every) + "\n")
        out.write("\n")
    out.write(style.summary(report) + "\n")
