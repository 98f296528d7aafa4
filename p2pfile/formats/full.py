"""``full`` (the default): each finding's line, then its value and fix on indented lines.

The first line of a block is the ``concise`` line, so grepping works the same
on both formats; the indented lines show the offending value with invisible
characters escaped, where in the field it is, the line it repeats and the fix.
"""

from __future__ import annotations

from typing import Any, TextIO

from p2pfile.formats._common import visible
from p2pfile.formats._human import Style, listings, more_line
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write a block per finding (capped per file and rule), then the summary line."""
    style = Style(options.color)
    for listing in listings(report, options, style):
        path = style.path_text(listing.path)
        for row in listing.rows.iter_rows(named=True):
            out.write(f"{path}:{row['line']}: {row['head']}\n")
            for detail in _details(row):
                out.write(style.dim(f"  {detail}") + "\n")
            out.write("\n")
        for code, name, more in listing.more:
            every = code in listing.every_row
            out.write(more_line(code, name, more, listing.path, every_row=every) + "\n")
        if listing.more:
            out.write("\n")
    out.write(style.summary(report) + "\n")


def _details(row: dict[str, Any]) -> list[str]:
    lines = []
    if row["value"] is not None:
        where = f" (character {row['column']})" if row["column"] is not None else ""
        lines.append(f"{row['field'] or 'value'}: {visible(row['value'])}{where}")
    if row["related_line"] is not None:
        lines.append(f"see: line {row['related_line']}")
    if row["fix_applicability"] is not None:
        label = "help" if row["fix_applicability"] == "safe" else "help (unsafe fix)"
        parts = [row["fix_message"] or ""]
        if row["fix_replacement"] is not None:
            parts.append(visible(row["fix_replacement"]))
        text = ": ".join(part for part in parts if part)
        # A file finding's fix may have neither (F104, F105: the finding's own message
        # says what the fix does, and [*] that there is one): no line saying nothing.
        if text:
            lines.append(f"{label}: {text}")
    return lines
