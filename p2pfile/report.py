"""What ``check`` found: diagnostics, per-file summaries and the report that holds them.

A report of a 10M-row file may hold millions of findings, so the findings
live in a polars frame (:attr:`Report.frame`, one row per finding, columns
:data:`FINDING_SCHEMA`) and :class:`Diagnostic` objects are made only for the
ones a caller iterates over. Counts in the summary are always true counts.

Every finding points at a file and a line: ``line`` is the 1-based physical
line where the record starts in a CSV (header = 1) or the Excel row number;
``row`` is the 1-based data record (None for whole-file findings).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import IO, Any, Final, Literal, cast

import polars as pl

from p2pfile._version import __version__

__all__ = [
    "FINDING_SCHEMA",
    "SCHEMA_VERSION",
    "Diagnostic",
    "FileSummary",
    "Fix",
    "Report",
    "Severity",
]

Severity = Literal["error", "warning"]
Field = Literal["recipient", "message"]
Applicability = Literal["safe", "unsafe"]

#: Version of the JSON report (schemas/report.schema.json); bumped on breaking changes.
SCHEMA_VERSION: Final = "1"

#: One row per finding.
FINDING_SCHEMA: Final = pl.Schema(
    {
        "path": pl.String,
        "line": pl.Int64,
        "row": pl.Int64,
        "code": pl.String,
        "name": pl.String,
        "severity": pl.String,
        "message": pl.String,
        "field": pl.String,
        "column": pl.Int64,
        "value": pl.String,
        "related_line": pl.Int64,
        "fix_applicability": pl.String,
        "fix_message": pl.String,
        "fix_replacement": pl.String,
    }
)


@dataclass(frozen=True, slots=True)
class Fix:
    """A fix: ``safe`` ones are applied by ``fix``, ``unsafe`` ones only with ``--unsafe-fixes``."""

    applicability: Applicability
    message: str
    replacement: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding.

    ``value`` is the offending cell (or an excerpt of a message); formats that
    leave the machine mask it. ``column`` is the 1-based character position
    inside ``field`` when the finding is about one character. ``related_line``
    is the line a duplicate repeats.
    """

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    row: int | None = None
    field: Field | None = None
    column: int | None = None
    value: str | None = None
    related_line: int | None = None
    fix: Fix | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict in the shape of ``schemas/report.schema.json``."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What one file held and how it fared."""

    path: str
    format: str | None
    rows: int
    errors: int
    warnings: int
    encoding: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _diagnostic(row: dict[str, Any]) -> Diagnostic:
    fix = None
    if row["fix_applicability"] is not None:
        fix = Fix(row["fix_applicability"], row["fix_message"], row["fix_replacement"])
    return Diagnostic(
        code=row["code"],
        name=row["name"],
        severity=row["severity"],
        message=row["message"],
        path=row["path"],
        line=row["line"],
        row=row["row"],
        field=row["field"],
        column=row["column"],
        value=row["value"],
        related_line=row["related_line"],
        fix=fix,
    )


@dataclass(frozen=True)
class Report:
    """The result of checking one or more files; never prints.

    Frozen: its fields cannot be reassigned. ``frame`` is a polars DataFrame,
    which polars lets a caller change in place (``frame[0, "severity"] = ...``):
    ``clone()`` it before editing, or the report's counts change with it.
    """

    files: tuple[FileSummary, ...]
    frame: pl.DataFrame

    def __post_init__(self) -> None:
        if self.frame.schema != FINDING_SCHEMA:
            msg = f"findings frame has schema {self.frame.schema}, expected {FINDING_SCHEMA}"
            raise ValueError(msg)

    @classmethod
    def empty_frame(cls) -> pl.DataFrame:
        """A findings frame with no rows."""
        return FINDING_SCHEMA.to_frame()

    # -- counts ---------------------------------------------------------------

    @property
    def rows(self) -> int:
        """Data rows read, over all files."""
        return sum(f.rows for f in self.files)

    @property
    def errors(self) -> int:
        """Findings of severity error."""
        return int((self.frame.get_column("severity") == "error").sum())

    @property
    def warnings(self) -> int:
        """Findings of severity warning."""
        return int((self.frame.get_column("severity") == "warning").sum())

    def counts(self) -> dict[str, int]:
        """Findings per rule code, sorted by code."""
        counted = self.frame.group_by("code").len().sort("code")
        return dict(zip(counted["code"].to_list(), counted["len"].to_list(), strict=True))

    def statistics(self) -> list[dict[str, Any]]:
        """Per rule: code, name, severity, count and how many have a safe fix (ruff's shape)."""
        stats = (
            self.frame.group_by("code", "name", "severity")
            .agg(
                count=pl.len(),
                fixable=(pl.col("fix_applicability") == "safe").sum(),
            )
            .sort(["count", "code"], descending=[True, False])
        )
        return stats.to_dicts()

    def __len__(self) -> int:
        return self.frame.height

    def __iter__(self) -> Iterator[Diagnostic]:
        for row in self.frame.iter_rows(named=True):
            yield _diagnostic(row)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every finding as a :class:`Diagnostic` (for large reports, iterate instead)."""
        return list(self)

    def failed(self, fail_on: Severity = "error") -> bool:
        """True when a finding is at or above ``fail_on``."""
        return self.errors > 0 or (fail_on == "warning" and self.warnings > 0)

    # -- JSON -----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The ``summary`` object of the JSON report."""
        return {
            "files": len(self.files),
            "rows": self.rows,
            "errors": self.errors,
            "warnings": self.warnings,
            "by_rule": self.counts(),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The JSON report (``schemas/report.schema.json``), every diagnostic included."""
        buffer = io.StringIO()
        self.write_json(buffer, indent=indent)
        return buffer.getvalue()

    def write_json(self, out: io.TextIOBase | Any, *, indent: int | None = None) -> None:
        """Stream the JSON report to a text file; diagnostics are serialized by polars."""
        head = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "p2pfile", "version": __version__},
            "summary": self.summary(),
            "files": [f.to_dict() for f in self.files],
        }
        text = json.dumps(head, ensure_ascii=False, indent=indent)
        out.write(text[:-1].rstrip() + ', "diagnostics": [')
        if self.frame.height == 0:
            out.write("]}\n")
            return
        with _binary_sink(out) as sink:
            sink.write(b"\n")
            _write_records(self.frame, sink, separator=",\n")
            sink.write(b"\n]}\n")

    def write_json_lines(self, out: io.TextIOBase | Any) -> None:
        """One diagnostic per line (``json-lines``)."""
        if self.frame.height == 0:
            return
        with _binary_sink(out) as sink:
            _write_records(self.frame, sink, separator="\n")
            sink.write(b"\n")


def _diagnostics_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The findings frame in the JSON shape: ``fix`` nested, nulls kept."""
    fix = (
        pl.when(pl.col("fix_applicability").is_not_null())
        .then(
            pl.struct(
                applicability=pl.col("fix_applicability"),
                message=pl.col("fix_message"),
                replacement=pl.col("fix_replacement"),
            )
        )
        .alias("fix")
    )
    return frame.select(
        "code",
        "name",
        "severity",
        "message",
        "path",
        "line",
        "row",
        "field",
        "column",
        "value",
        "related_line",
        fix,
    )


@contextmanager
def _binary_sink(out: io.TextIOBase | Any) -> Iterator[IO[bytes]]:
    """A binary file that ends up in the text stream ``out``: its own binary buffer when
    it is UTF-8 (decoding and re-encoding 100 MB of JSON cost seconds), else a
    :class:`io.BytesIO` decoded into ``out`` at the end."""
    buffer = getattr(out, "buffer", None)
    if (
        buffer is not None
        and (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8"
    ):
        out.flush()
        yield cast(IO[bytes], buffer)
        buffer.flush()
        return
    spill = io.BytesIO()
    yield spill
    out.write(spill.getvalue().decode("utf-8"))


def _write_records(
    frame: pl.DataFrame, sink: IO[bytes], *, separator: str, chunk: int = 200_000
) -> None:
    """Each diagnostic as one line of JSON, ``separator`` between them (none after the last).

    polars encodes each row (``struct.json_encode``, the same escapes as its
    NDJSON writer) and its CSV writer, unquoted, puts the separator after
    each: nothing is split or joined in Python. U+2028, U+0085 and the like
    stay raw inside strings, as JSON allows; no Python line splitting ever
    sees them. ``chunk`` rows at a time bound the memory of the encoded text.
    """
    last = frame.height - 1
    for offset in range(0, frame.height, chunk):
        lines = _diagnostics_frame(frame.slice(offset, chunk)).select(
            pl.struct(pl.all()).struct.json_encode()
        )
        tail = offset + lines.height - 1 == last
        lines.head(lines.height - 1 if tail else lines.height).write_csv(
            sink, include_header=False, quote_style="never", line_terminator=separator
        )
        if tail:
            sink.write(cast(str, lines.item(-1, 0)).encode("utf-8"))
