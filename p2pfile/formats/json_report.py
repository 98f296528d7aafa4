"""``json``: the versioned report of ``schemas/report.schema.json``.

The envelope and the streaming of diagnostics belong to
:meth:`p2pfile.report.Report.write_json`; redaction, when asked for, has
already been applied to the frame by :func:`p2pfile.formats.render`.
"""

from __future__ import annotations

from typing import TextIO

from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write the whole report as one JSON document."""
    report.write_json(out)
