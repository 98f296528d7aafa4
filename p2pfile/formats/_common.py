"""Helpers the renderers share: ordering, capping, counts and the summary line."""

from __future__ import annotations

import unicodedata
from typing import Final

import polars as pl

from p2pfile.report import Report

__all__ = [
    "FILE_INDEX",
    "RANK",
    "capped",
    "count",
    "fix_counts",
    "ordered",
    "summary_line",
    "visible",
]

#: Column added by :func:`ordered`: the file's position in ``Report.files``.
FILE_INDEX: Final = "_file"
#: Column added by :func:`capped`: the finding's position within its (file, rule).
RANK: Final = "_rank"


def ordered(report: Report) -> pl.DataFrame:
    """The findings sorted as a reader expects: files in checking order, then line, then code.

    Files keep the order they were checked in (the command line's order), not
    an alphabetical one; a finding whose path is not among ``report.files``
    goes after them.
    """
    index: dict[str, int] = {}
    for summary in report.files:
        index.setdefault(summary.path, len(index))
    frame = report.frame.with_columns(
        pl.col("path")
        .replace_strict(index, default=len(index), return_dtype=pl.Int64)
        .alias(FILE_INDEX)
    )
    return frame.sort([FILE_INDEX, "path", "line", "code"], nulls_last=True, maintain_order=True)


def capped(frame: pl.DataFrame, show_rows: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split an :func:`ordered` frame into the findings to list and the "N more" counts.

    The first ``show_rows`` findings of each (file, rule) are kept (in line
    order); the second frame has one row per (file, rule) that lost some, with
    ``path``, ``code``, ``name``, ``more`` and ``rows``: the data rows of the file
    the rule names (a rule on every row tells of a whole column, not of rows).
    """
    ranked = frame.with_columns(pl.int_range(pl.len()).over("path", "code").alias(RANK))
    if show_rows is None:
        return ranked, pl.DataFrame(
            schema={
                "path": pl.String,
                "code": pl.String,
                "name": pl.String,
                "more": pl.Int64,
                "rows": pl.Int64,
            }
        )
    shown = ranked.filter(pl.col(RANK) < show_rows)
    more = (
        frame.group_by(FILE_INDEX, "path", "code", maintain_order=True)
        .agg(
            pl.col("name").first(),
            more=pl.len().cast(pl.Int64) - show_rows,
            rows=pl.col("row").drop_nulls().n_unique().cast(pl.Int64),
        )
        .filter(pl.col("more") > 0)
        .sort(FILE_INDEX, "path", "code", maintain_order=True)
        .select("path", "code", "name", "more", "rows")
    )
    return shown, more


def count(n: int, noun: str) -> str:
    """``1 error``, ``12,345 errors``: English plural by ``s``, thousands separated."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def fix_counts(frame: pl.DataFrame) -> tuple[int, int, int]:
    """Findings ``p2pfile fix`` fixes, those ``--unsafe-fixes`` fixes too, and the files
    fix refuses (whose fixes count in neither).

    What fix does with a file, not only each finding's own fix: a file fix refuses
    (data in another sheet, unknown column names...) gets none of its fixes, and in a
    file fix writes only with ``--unsafe-fixes`` (to transcode it, or to drop columns)
    the safe fixes wait for that flag too.
    """
    # Imported here: the formats need fix's rules only for this line.
    from p2pfile.fix import REFUSING, REFUSING_UNFIXABLE, UNSAFE_FILE_FIXES  # noqa: PLC0415

    code, applicability = pl.col("code"), pl.col("fix_applicability")
    per_file = frame.group_by("path").agg(
        refused=(
            code.is_in(REFUSING) | (code.is_in(REFUSING_UNFIXABLE) & applicability.is_null())
        ).any(),
        gated=code.is_in(UNSAFE_FILE_FIXES).any(),
        safe=(applicability == "safe").sum(),
        unsafe=(applicability == "unsafe").sum(),
    )
    fixed = per_file.filter(~pl.col("refused"))
    plain = fixed.filter(~pl.col("gated"))
    safe = int(plain.get_column("safe").sum())
    unsafe = int(fixed.get_column("unsafe").sum()) + int(
        fixed.filter(pl.col("gated")).get_column("safe").sum()
    )
    refused = per_file.filter(pl.col("refused") & ((pl.col("safe") + pl.col("unsafe")) > 0))
    return safe, unsafe, refused.height


def summary_line(report: Report) -> str:
    """The one-line footer, with the report's true counts (never the capped ones)."""
    where = f"{count(len(report.files), 'file')} ({count(report.rows, 'row')})"
    errors, warnings = report.errors, report.warnings
    if errors == 0 and warnings == 0:
        return f"All checks passed: {where}."
    found = " and ".join(
        count(n, noun) for n, noun in ((errors, "error"), (warnings, "warning")) if n
    )
    line = f"Found {found} in {where}"
    safe, unsafe, refused = fix_counts(report.frame)
    if safe:
        line += f"; {safe:,} fixable with `p2pfile fix`"
    if unsafe:
        line += f"; {unsafe:,} {'more ' if safe else ''}with `p2pfile fix --unsafe-fixes`"
    if refused:
        line += f"; `p2pfile fix` refuses {count(refused, 'file')} until its errors are resolved"
    return line + "."


def visible(value: str) -> str:
    """A cell value quoted so every character shows: controls and invisible marks as escapes.

    Recipient and message findings are often *about* invisible characters
    (ZWNJ, RLM, NBSP, a bell), and bidi controls printed raw would reorder the
    terminal line around them, so they are written as ``\\u200c``-style escapes.
    """
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in _INVISIBLE or (ch.isspace() and ch != " "):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
