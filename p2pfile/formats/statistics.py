"""``--statistics``: one line per rule instead of the listing, in ruff's shapes.

Text is ``count<TAB>code<TAB>[*] name``, counts right-aligned; the mark is
``[*]`` when every finding of the rule has a safe fix, ``[-]`` when some do
and ``[ ]`` when none do, and is left out when no rule has a fix at all. JSON
is a list of ``{code, name, count, fixable, fixable_count}`` where
``fixable`` means every finding is fixable.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render_json", "render_json_lines", "render_text", "rows"]


def rows(report: Report) -> list[dict[str, Any]]:
    """Per rule, most frequent first: ruff's statistics objects."""
    return [
        {
            "code": stat["code"],
            "name": stat["name"],
            "count": stat["count"],
            "fixable": stat["fixable"] == stat["count"],
            "fixable_count": stat["fixable"],
        }
        for stat in report.statistics()
    ]


def render_text(report: Report, out: TextIO, options: RenderOptions) -> None:
    """The tab-separated table."""
    stats = rows(report)
    if not stats:
        return
    count_width = max(len(str(s["count"])) for s in stats)
    code_width = max(len(s["code"]) for s in stats)
    any_fixable = any(s["fixable_count"] for s in stats)
    for s in stats:
        mark = ""
        if any_fixable:
            mark = "[*] " if s["fixable"] else "[-] " if s["fixable_count"] else "[ ] "
        out.write(f"{s['count']:>{count_width}}\t{s['code']:<{code_width}}\t{mark}{s['name']}\n")


def render_json(report: Report, out: TextIO, options: RenderOptions) -> None:
    """The JSON list."""
    json.dump(rows(report), out, ensure_ascii=False, indent=2)
    out.write("\n")


def render_json_lines(report: Report, out: TextIO, options: RenderOptions) -> None:
    """One statistics object per line."""
    for stat in rows(report):
        out.write(json.dumps(stat, ensure_ascii=False) + "\n")
