"""What the three human formats (``concise``, ``full``, ``grouped``) share.

Each file's findings come out in line order, at most ``show_rows`` per rule,
followed by one "... and N more" line per rule that had more; the summary line
with the true counts closes the output.

The text of each finding line is built by polars expressions and written in
chunks, so even an uncapped listing of a million findings is not a Python
loop over rows (only ``full``'s detail lines are).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, TextIO

import click
import polars as pl

from p2pfile.formats._common import capped, ordered, summary_line
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["FileListing", "Style", "listings", "more_line", "write_lines"]

_CHUNK: Final = 100_000


class Style:
    """``click.style`` when colour is on, plain text otherwise.

    Styles are applied to whole columns, so each one is kept as the escape
    sequences that go before and after the text.
    """

    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, **styles: Any) -> tuple[str, str]:
        if not self.color:
            return "", ""
        before, after = click.style("\0", **styles).split("\0")
        return before, after

    def _expr(self, expr: pl.Expr, **styles: Any) -> pl.Expr:
        before, after = self._wrap(**styles)
        return pl.concat_str(pl.lit(before), expr, pl.lit(after)) if self.color else expr

    def path(self, expr: pl.Expr) -> pl.Expr:
        """File paths, bold."""
        return self._expr(expr, bold=True)

    def path_text(self, text: str) -> str:
        """One file path, bold."""
        before, after = self._wrap(bold=True)
        return before + text + after

    def head(self) -> pl.Expr:
        """``CODE [*] message``: codes red for errors and yellow for warnings, ``[*]`` cyan."""
        code = pl.col("code")
        if self.color:
            code = (
                pl.when(pl.col("severity") == "error")
                .then(self._expr(code, fg="red", bold=True))
                .otherwise(self._expr(code, fg="yellow", bold=True))
            )
        mark = self._expr(pl.lit("[*]"), fg="cyan")
        safe = pl.col("fix_applicability") == "safe"
        return pl.concat_str(
            code,
            pl.when(safe).then(pl.concat_str(pl.lit(" "), mark)).otherwise(pl.lit("")),
            pl.lit(" "),
            pl.col("message"),
            ignore_nulls=True,
        )

    def dim(self, text: str) -> str:
        """Secondary text: the indented detail lines."""
        before, after = self._wrap(dim=True)
        return before + text + after

    def summary(self, report: Report) -> str:
        """The footer line."""
        before, after = self._wrap(bold=True)
        return before + summary_line(report) + after


@dataclass(frozen=True)
class FileListing:
    """One file's part of the listing.

    ``rows`` holds the findings to show, in order, with a ``head`` column
    (``CODE [*] message``, styled); ``more`` the (code, name, count) left out;
    ``every_row`` the codes of those that name every data row of the file.
    """

    path: str
    rows: pl.DataFrame
    more: list[tuple[str, str, int]]
    every_row: frozenset[str] = frozenset()


def listings(report: Report, options: RenderOptions, style: Style) -> Iterator[FileListing]:
    """Per file with findings, in checking order: the findings to show and the per-rule overflow."""
    frame = ordered(report)
    shown, more = capped(frame, options.show_rows)
    shown = shown.with_columns(head=style.head())
    # Every file with findings has shown rows or overflow (show_rows=0 leaves
    # only overflow), so the files come from the whole frame, already in order.
    paths = frame.get_column("path").unique(maintain_order=True)
    shown_by_path = shown.partition_by("path", as_dict=True, maintain_order=True)
    more_by_path = more.partition_by("path", as_dict=True, maintain_order=True)
    file_rows = {f.path: f.rows for f in report.files}
    for path in paths:
        rows = shown_by_path.get((path,), shown.clear())
        overflow = more_by_path.get((path,))
        if overflow is None:
            yield FileListing(path, rows, [])
            continue
        left_out = list(overflow.select("code", "name", "more").rows())
        every = overflow.filter(pl.col("rows") == file_rows.get(path)).get_column("code")
        yield FileListing(path, rows, left_out, frozenset(every.to_list()))


def write_lines(out: TextIO, lines: pl.Series) -> None:
    """Write a column of text lines, a chunk at a time."""
    for offset in range(0, lines.len(), _CHUNK):
        out.write("\n".join(lines.slice(offset, _CHUNK).to_list()) + "\n")


def more_line(
    code: str, name: str, more: int, path: str | None = None, *, every_row: bool = False
) -> str:
    """``... and 3,412 more P201 empty-recipient in data.csv`` (the path left out when grouped),
    and when the rule names every data row of the file, that it does: a whole column is
    wrong (a number column's lost zeros), which no row by row reading says."""
    where = f" in {path}" if path is not None else ""
    every = ": every data row of the file has it" if every_row else ""
    return f"... and {more:,} more {code} {name}{where}{every}"
