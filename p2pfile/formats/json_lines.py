"""``json-lines``: one diagnostic object per line, the ``diagnostics[]`` items of ``json``."""

from __future__ import annotations

from typing import TextIO

from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write each diagnostic as a JSON object on its own line."""
    report.write_json_lines(out)
