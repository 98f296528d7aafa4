"""``junit``: JUnit XML for CI test-report views (GitLab, Jenkins, Azure).

One ``testsuite`` per file, one ``testcase`` per (file, rule) with a
``failure`` whose text lists the first findings (capped by ``show_rows``) and
the count; a file without findings gets one passing ``testcase``. Warnings are
failures too, with ``type="warning"``: the renderer does not know the run's
``--fail-on``, and a hidden warning helps nobody.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Final, TextIO

import polars as pl

from p2pfile.formats._common import FILE_INDEX, count, ordered, visible
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]

# Characters XML 1.0 cannot hold at all, even escaped; a message or path with
# one would make the whole report unparsable. Compiled on first use: this class
# costs more to compile than the rest of start-up's regexes together, and most
# runs never write JUnit.
_NOT_XML: Final = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _xml(text: str) -> str:
    return re.sub(_NOT_XML, lambda m: f"\\u{ord(m.group()):04x}", text)


def _cases(report: Report, show_rows: int | None) -> pl.DataFrame:
    frame = ordered(report)
    return (
        frame.group_by(FILE_INDEX, "path", "code", "name", "severity")
        .agg(
            count=pl.len(),
            lines=pl.col("line").pipe(_head, show_rows),
            messages=pl.col("message").pipe(_head, show_rows),
            fields=pl.col("field").pipe(_head, show_rows),
            values=pl.col("value").pipe(_head, show_rows),
        )
        .sort(FILE_INDEX, "path", "code")
    )


def _head(expr: pl.Expr, n: int | None) -> pl.Expr:
    return expr if n is None else expr.head(n)


def _failure_text(path: str, case: dict[str, Any]) -> str:
    lines = []
    for line, message, field, value in zip(
        case["lines"], case["messages"], case["fields"], case["values"], strict=True
    ):
        shown = f" ({field or 'value'} {visible(value)})" if value is not None else ""
        lines.append(f"{path}:{line}: {message}{shown}")
    more = case["count"] - len(lines)
    if more:
        lines.append(f"... and {more:,} more")
    return "\n".join(lines)


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write the XML document."""
    cases = _cases(report, options.show_rows)
    by_path = cases.partition_by("path", as_dict=True, maintain_order=True)
    paths = [f.path for f in report.files]
    paths += [p for p in cases.get_column("path").unique(maintain_order=True) if p not in paths]

    root = ET.Element("testsuites", name="p2pfile")
    total_tests = total_failures = 0
    for path in dict.fromkeys(paths):
        part = by_path.get((path,))
        suite = ET.SubElement(root, "testsuite", name=_xml(path))
        if part is None:
            ET.SubElement(suite, "testcase", name="p2pfile check", classname=_xml(path))
            tests, failures = 1, 0
        else:
            for case in part.iter_rows(named=True):
                testcase = ET.SubElement(
                    suite, "testcase", name=f"{case['code']} {case['name']}", classname=_xml(path)
                )
                if case["lines"]:
                    testcase.set("line", str(case["lines"][0]))
                first = case["messages"][0] if case["messages"] else ""
                summary = first if case["count"] == 1 else f"{count(case['count'], 'row')}: {first}"
                failure = ET.SubElement(
                    testcase, "failure", message=_xml(summary), type=case["severity"]
                )
                failure.text = _xml(_failure_text(path, case))
            tests = failures = part.height
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
