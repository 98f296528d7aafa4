"""Paths as CI systems want them: relative to the repository root, with ``/``.

GitHub annotations, SARIF (``uriBaseId: %SRCROOT%``) and GitLab code quality
resolve a path against the checkout. A path relative to the current directory
is wrong there as soon as the job runs in a subdirectory (``working-directory:
data/``) or is given as ``../x.csv``, and the finding lands on no file.
"""

from __future__ import annotations

import os
from dataclasses import replace

import polars as pl

from p2pfile.report import Report

__all__ = ["relative_to", "with_paths_relative_to"]


def relative_to(path: str, root: str) -> str:
    """``path`` relative to ``root`` in POSIX form, when the file is inside ``root``;
    otherwise (outside it, standard input ``-``, another drive) as it was."""
    if path == "-":
        return path
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # another drive (Windows)
        return path
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return path
    return rel.replace(os.sep, "/")


def with_paths_relative_to(report: Report, root: str) -> Report:
    """``report`` with every file's path made :func:`relative_to` ``root``."""
    paths = {f.path for f in report.files} | set(
        report.frame.get_column("path").unique().drop_nulls().to_list()
    )
    mapping = {path: relative_to(path, root) for path in paths}
    changed = {old: new for old, new in mapping.items() if old != new}
    if not changed:
        return report
    files = tuple(replace(f, path=changed.get(f.path, f.path)) for f in report.files)
    frame = report.frame.with_columns(pl.col("path").replace(changed))
    return Report(files, frame)
