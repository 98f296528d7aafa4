"""Read one recipient file (CSV or XLSX) into a frame plus file-level findings.

``read_file(path)`` and ``read_bytes(data)`` return a :class:`ReadResult`:
a polars frame ``[line, row, recipient, message]`` (every cell as text) and
the F1xx/F2xx findings about the file itself. Rules about numbers and
messages run later, in ``check``; nothing here judges a cell's content.

Locations (DESIGN.md decision 2): ``line`` is the physical line where a CSV
record *starts* (header = line 1; a quoted message with line breaks spans
several lines) or the Excel row number; ``row`` counts data records from 1,
header and blank records excluded. Every record of the file is either a frame
row or named by a finding: blank records by F206, the cells beyond the second
by F203/F205, records past ``max_rows`` by F108.

Columns: by position (first = recipient, second = message), except when a
header wider than two columns names exactly one recipient column and one
message column (a CRM export's ``Name,Mobile,Message``): then those two are
read, wherever they are, and F203 names the columns ignored
(:func:`~p2pfile._sniff.choose_header`, decided once from the header, by the
readers, so that both CSV paths and XLSX agree).

Title above the header: a first record that is neither data nor a known
header (``Customer export 2024-03-01``), with a known header a few records
below it (``recipient,message``, an alias, or a wide header read by name),
is a title: it and any notes up to the header are one fixable F202, not
data, and the header below is judged as a first-line header would be (F202
alias, F203). Only titles are skipped: a record in between that could be
data (a number-like cell, for a wide header in any column) keeps the file
read as it is, from the first record.

How the pieces fit:

* ``_sniff``: what the bytes are (XLSX, CSV text, or F102 with what they look
  like), encodings, delimiter, header judgement, and the ``Records`` contract.
* ``_read_csv``: decoding (F103/F104), a polars fast path proved against the
  file's own byte counts, and an exact streaming pass for everything else
  (F105, F207, ragged records).
* ``_read_xlsx``: the first sheet through fastexcel, F107 and F109.
* this module: the public types, and the steps both formats share: header
  (F201-F203), blank records (F206), short and long records (F204/F205),
  F106 and F108.

Decisions worth knowing:

* Format comes from the bytes. A name that disagrees with them (``x.csv``
  that is a workbook, ``x.xlsx`` that is CSV text) is reported as F102 but the
  file is still read by its real format: then ``format`` is not None and the
  rows are real. F102 with ``format=None`` means nothing could be read.
* A non-UTF-8 file is read only when its encoding is certain (UTF-16 with a
  BOM or a clear NUL pattern, cp1256 Persian text, or UTF-8 with a few
  damaged bytes shown as U+FFFD); otherwise F103 and an empty frame.
* Blank records (every cell empty or whitespace, including Excel's ``,``
  lines) are F206 and are not data rows, so ``row`` has no gaps.
* Blank CSV fields past the second (``recipient,message,,,`` from a sheet
  whose formatting reached past column B) are not columns: only content past
  the header's columns is F203/F205, as in an XLSX.
* Excel's delimiter hint, a first line ``sep=;``, sets the delimiter and is
  neither header nor data: one fixable F202 on line 1 names it.
* A CSV record of one unquoted field of text that is no phone number, on the line
  after a complete record with an unquoted message, may be the rest of that message (a
  line break left unquoted by SSMS, bcp or MySQL's ``INTO OUTFILE``): its F204 says so.
  The record it continues gets a non-fixable F207, so that the fix rejects half a
  message, only on strong evidence (a MySQL backslash, a bare CR, the pattern twice in
  the file): a footer or a comment after a good row looks the same.
* This module never prints, never exits, and turns I/O failures into F101.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, NamedTuple

import polars as pl

from p2pfile._args import path_arg
from p2pfile._chars import (
    LIBREOFFICE_ERROR,
    NULL_MARKERS,
    WHITESPACE,
    quoted,
)
from p2pfile._read_csv import read_csv
from p2pfile._read_xlsx import column_letter, read_xlsx
from p2pfile._sniff import (
    HEADER_LOOKAHEAD,
    NONSPACE_PATTERN,
    REJECTS_HEADER,
    Records,
    Source,
    classify_header,
    delimiter_name,
    looks_like_phone,
    sniff_container,
    trim_empty_columns,
)
from p2pfile.errors import InputFileError

__all__ = ["FRAME_SCHEMA", "FileIssue", "ReadResult", "read_bytes", "read_file"]

#: The columns of :attr:`ReadResult.frame`, in order.
FRAME_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "row": pl.Int64(),
    "recipient": pl.String(),
    "message": pl.String(),
}


@dataclass(frozen=True)
class FileIssue:
    """One finding about the file itself (an F-code from ``spec/rules.md``)."""

    code: str
    #: 1-based physical line (CSV) or Excel row number (XLSX); 1 for whole-file findings.
    line: int
    #: One sentence a person understands.
    message: str
    #: 1-based data record number when the finding is about a data record.
    row: int | None = None
    #: For F103: where the first byte that is not UTF-8 is.
    byte_offset: int | None = None
    #: True when ``spec/rules.md`` gives the finding a fix (safe or unsafe).
    fixable: bool = False
    #: The lines it names from ``line`` on: a run of blank records is one F206.
    lines: int = 1


@dataclass(frozen=True)
class ReadResult:
    """A file read into a frame, with what was found about the file on the way."""

    #: The path as the caller gave it (``"-"`` for stdin).
    path: str
    #: ``None`` when nothing could be read (F101, F102, F103 without a confident
    #: decoding, or an empty file).
    format: Literal["csv", "xlsx"] | None
    #: Columns ``line, row, recipient, message`` (:data:`FRAME_SCHEMA`), all cells as text;
    #: a missing cell is null. Empty, with that schema, when nothing could be read.
    frame: pl.DataFrame
    issues: tuple[FileIssue, ...]
    #: The text encoding the rows were decoded from (``utf-8``, ``utf-8-sig``,
    #: ``utf-16``, ``cp1256``, ...); None for XLSX or when nothing could be read.
    encoding: str | None
    #: The CSV delimiter the file was read with; None for XLSX.
    delimiter: str | None
    #: The header cells as found; None when the first record is data (F201).
    header: tuple[str, ...] | None
    #: XLSX: data rows whose recipient cell is stored as a number (F109); 0 for CSV.
    numeric_recipient_rows: int
    #: The 0-based positions of the header columns read as (recipient, message) when
    #: a header wider than two columns names them (F203); None: read by position.
    columns: tuple[int, int] | None = None


def read_file(
    path: str | os.PathLike[str], *, max_bytes: int | None = None, max_rows: int | None = None
) -> ReadResult:
    """Read a CSV or XLSX file. Never raises for a bad file: problems are issues.

    ``max_bytes``: a larger file is not read (F108). ``max_rows``: only that
    many data rows are kept; F108 names the line where reading stopped, and
    nothing after it is reported.
    """
    name = os.fspath(path)
    label = shown_path(name)
    try:
        mode = os.stat(name).st_mode
        if stat.S_ISDIR(mode):
            return _unreadable(label, "F101", "this is a directory, not a file")
        if stat.S_ISREG(mode):
            src = Source(label, fs_path=name)
            src.head()  # open it now, so that permission problems surface here
        else:  # a pipe or device (/dev/stdin): it can be read only once
            with open(name, "rb") as f:
                src = Source(label, data=f.read())
        return _read(src, max_bytes, max_rows)
    except OSError as exc:
        return _unreadable(label, "F101", f"the file cannot be read: {exc.strerror or exc}")


def shown_path(name: str) -> str:
    """A path as reports show it: the bytes of a name that is not UTF-8 (a cp1256 name
    from a zip made on Persian Windows) as ``\\xe3`` escapes. Python hands such a name
    over with surrogates, which no UTF-8 output, JSON or polars string can hold."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")
    return name


def read_bytes(
    data: bytes, path: str = "-", *, max_bytes: int | None = None, max_rows: int | None = None
) -> ReadResult:
    """Read a CSV or XLSX file already in memory (stdin, tests); ``path`` is only a label."""
    return _read(Source(path, data=data), max_bytes, max_rows)


# ---------------------------------------------------------------------------


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=FRAME_SCHEMA)


def _unreadable(name: str, code: str, message: str) -> ReadResult:
    issue = FileIssue(code, 1, message)
    return ReadResult(name, None, _empty_frame(), (issue,), None, None, None, 0)


class _Collector:
    """The sink the readers report to; keeps the issues in order."""

    def __init__(self) -> None:
        self.issues: list[FileIssue] = []

    def __call__(
        self,
        code: str,
        line: int,
        message: str,
        *,
        row: int | None = None,
        byte_offset: int | None = None,
        fixable: bool = False,
        lines: int = 1,
    ) -> None:
        self.issues.append(FileIssue(code, line, message, row, byte_offset, fixable, lines))


_CSV_NAMES = (".csv", ".txt", ".tsv")
_NONSPACE = re.compile(NONSPACE_PATTERN)
_WORKBOOK_NAMES = (".xlsx", ".xlsm", ".xls")


def _read(src: Source, max_bytes: int | None, max_rows: int | None) -> ReadResult:
    sink = _Collector()
    container = sniff_container(src)
    if container.kind == "empty":
        return _unreadable(src.name, "F106", "the file is empty (0 bytes)")
    if container.kind == "unsupported":
        return _unreadable(src.name, "F102", container.what)
    fmt: Literal["csv", "xlsx"] = container.kind
    extension = os.path.splitext(src.name)[1].lower()
    if fmt == "xlsx" and extension in _CSV_NAMES:
        sink(
            "F102",
            1,
            f"the file is named {extension} but is an XLSX workbook; it was read as XLSX: "
            "rename it to .xlsx",
        )
    elif fmt == "csv" and extension in _WORKBOOK_NAMES:
        sink(
            "F102",
            1,
            f"the file is named {extension} but holds CSV text, not a workbook; it was read "
            "as CSV: rename it to .csv",
        )
    if max_bytes is not None and src.size > max_bytes:
        sink(
            "F108",
            1,
            f"the file is {src.size:,} bytes, more than the configured maximum of "
            f"{max_bytes:,}; it was not read",
        )
        return ReadResult(src.name, fmt, _empty_frame(), tuple(sink.issues), None, None, None, 0)

    encoding = delimiter = None
    if fmt == "xlsx":
        records = read_xlsx(src, sink)
    else:
        csv = read_csv(src, sink)
        records, encoding, delimiter = csv.records, csv.encoding, csv.delimiter
    if records is None:
        return ReadResult(src.name, None, _empty_frame(), tuple(sink.issues), None, None, None, 0)
    frame, header, numeric = _finish(records, sink, max_rows)
    issues = sorted(sink.issues, key=lambda i: i.line)  # stable: file-level ones first per line
    return ReadResult(
        src.name,
        fmt,
        frame,
        tuple(issues),
        encoding,
        delimiter,
        header,
        numeric,
        records.columns if header is not None else None,
    )


# ---------------------------------------------------------------------------
# The steps CSV and XLSX share


def _finish(
    rec: Records, sink: _Collector, max_rows: int | None
) -> tuple[pl.DataFrame, tuple[str, ...] | None, int]:
    """Header, blank, short and long records, F106/F108/F109; returns the frame."""
    table = rec.table
    if rec.numeric is not None:
        table = table.with_columns(numeric=rec.numeric)
    if rec.extra is not None:
        table = pl.concat([table, rec.extra], how="horizontal")
    if rec.lead is not None:
        table = table.with_columns(lead=rec.lead)
    if rec.valued is not None:
        table = table.with_columns(valued=rec.valued)
    xlsx = rec.kind == "xlsx"
    if rec.first_index is None or rec.first_cells is None:
        sink(
            "F106",
            1,
            "the first sheet holds no data"
            if xlsx
            else "the file holds no header and no data, only blank lines or a byte order mark",
        )
        return _empty_frame(), None, 0

    cells = trim_empty_columns(rec.first_cells)
    # A wide header the reader chose its columns from below a title (choose_header).
    wide_below = (
        _HeaderBelow(rec.header_index, trim_empty_columns(rec.header_cells), data_above=False)
        if rec.header_index is not None and rec.header_cells is not None
        else None
    )
    header, expected, start, first_line, swapped_data = _find_header(
        table, rec.first_index, cells, xlsx, sink, columns=rec.columns, wide_below=wide_below
    )
    # Columns chosen by name were selected by the reader already, in their roles.
    swapped = swapped_data or (
        header is not None and rec.columns is None and classify_header(header).swapped
    )
    if swapped:
        table = table.with_columns(recipient=pl.col("message"), message=pl.col("recipient"))
        if "numeric" in table.columns:  # F109 is about column A, the messages here
            table = table.with_columns(numeric=pl.lit(value=False))
        if "valued" in table.columns:  # F111 is about column B, the numbers here
            table = table.with_columns(valued=pl.lit(value=False))

    if rec.lead is not None and any(i.code == "F209" for i in sink.issues):
        # Without the index, a record with nothing but its row number is blank, and F206
        # removes it. Kept, it would be blank on the next run: fix in place, twice.
        empty = [
            pl.col(name).is_null() | ~pl.col(name).str.contains(NONSPACE_PATTERN)
            for name in ("recipient", "message", "rest")
            if name in table.columns
        ]
        table = table.with_columns(blank=pl.col("blank") | pl.all_horizontal(empty))
    # The lines alone: a filter of the table would copy its text columns' views too.
    blank_lines = table.get_column("line").filter(table.get_column("blank"))
    if rec.sep_line:  # Excel's sep= line has its own finding (F202)
        blank_lines = blank_lines.filter(blank_lines != 1)
    _blank_findings(blank_lines, xlsx, sink)
    data = _without_blank_records(table.slice(start))
    data = data.with_columns(row=pl.int_range(1, data.height + 1, dtype=pl.Int64))
    if header is not None and expected == 2 and not swapped and _index_before_header(data):
        sink(
            "F209",
            first_line,
            "every record has one field more than the header, and the first numbers the "
            "rows, in order: a row index, as R's write.table and pandas' "
            "to_csv(index_label=False) write one; the fields after it were read as the "
            "recipient and message, and the fix drops the index",
            fixable=True,
        )
        data = data.with_columns(
            recipient=pl.col("message"), message=pl.col("rest"), nfields=pl.col("nfields") - 1
        ).drop("filled", "rest")

    cut_line: int | None = None
    if max_rows is not None and data.height > max_rows:
        cut_line = int(data["line"][max_rows])
        data = data.head(max_rows)
        sink(
            "F108",
            cut_line,
            f"the file has more than {max_rows:,} data rows (the configured maximum); "
            f"reading stopped at line {cut_line}, and nothing after it was checked",
        )

    _ragged(data, expected, header is not None, rec, sink)
    if any(i.code == "F210" for i in sink.issues):
        _rounded_in_rejects(data, sink)
    if data.height == 0:
        sink(
            "F106",
            first_line,
            "the file has a header and no data rows"
            if header is not None
            else "the file has no data rows",
        )
    numeric = _numeric_recipients(data, sink, rec.columns) if "numeric" in data.columns else 0
    if "valued" in data.columns:
        _valued_message_cells(data, sink, rec.columns)
    _hidden_data_rows(data, rec.hidden, sink)
    _attach_rows(sink, data, cut_line)
    return data.select(FRAME_SCHEMA.keys()), header, numeric


#: What a spreadsheet makes of a number written in scientific notation when it opens a
#: CSV and saves it: the digits it showed (six at most) and zeros, 9.12346E+09 as
#: 9123460000, 9.89123E+11 as 989123000000; no leading zero (it is a number).
_ROUNDED_BY_A_SPREADSHEET: Final = r"^[1-9][0-9]{0,5}0+$"


def _rounded_in_rejects(data: pl.DataFrame, sink: _Collector) -> None:
    """P206 (a reader finding, which rejects its row in fix) for recipients of a rejects
    file (F210) that have the shape of a scientific-notation value a spreadsheet rounded.

    fix rejects ``9.12346E+09`` (P206: the digits are already lost). Opened in Excel or
    LibreOffice and saved, the rejects CSV holds the number 9123460000 instead, which
    reads as a valid number: fed back, the row went to a stranger. A number a person
    typed back in keeps its leading 0 (as text) and is not taken for one."""
    recipient = data.get_column("recipient")
    rounded = recipient.str.contains(
        _ROUNDED_BY_A_SPREADSHEET
    ) & recipient.str.len_bytes().is_between(9, 13)
    for line, value in (
        data.filter(rounded.fill_null(value=False)).select("line", "recipient").iter_rows()
    ):
        sink(
            "P206",
            line,
            f"{quoted(value)} in a rejects file of p2pfile fix has the shape of a number "
            "in scientific notation that a spreadsheet rounded when it opened the file "
            "(9.12346E+09 saved as 9123460000): its last digits are lost; type the whole "
            "number as text, with its leading 0 (or write the rejects as .xlsx)",
        )


#: Up to this many blank records are cut out by slicing around them (see below).
_FEW_BLANKS = 256


def _without_blank_records(data: pl.DataFrame) -> pl.DataFrame:
    """``data`` without its blank records.

    A filter copies every row's string views while the table it filters is still
    held (0.6 GB more at the peak of a 10M-row file with 11 blank lines); a few
    blank records are cut out instead by zero-copy slices around them.
    """
    blank = data.get_column("blank").arg_true()
    if not blank.len():
        return data
    if blank.len() > _FEW_BLANKS:
        return data.filter(~pl.col("blank"))
    parts = []
    start = 0
    for at in blank.to_list():
        if at > start:
            parts.append(data.slice(start, at - start))
        start = at + 1
    if start < data.height:
        parts.append(data.slice(start))
    return pl.concat(parts, rechunk=False) if parts else data.clear()


#: Blank records in a row up to this many are a finding each; a longer run is one
#: finding (one stray cell on Excel's last row makes a million empty rows).
BLANK_RUN: Final = 10


def _blank_findings(lines: pl.Series, xlsx: bool, sink: _Collector) -> None:
    """F206 for blank records (CSV) or empty rows (XLSX): each, or one per long run."""
    if lines.is_empty():
        return
    runs = (
        pl.DataFrame({"line": lines})
        .group_by((pl.col("line").diff() != 1).fill_null(value=True).cum_sum(), maintain_order=True)
        .agg(first=pl.col("line").first(), last=pl.col("line").last(), n=pl.len())
    )
    for first, last, n in runs.select("first", "last", "n").iter_rows():
        if n > BLANK_RUN:
            what = (
                f"rows {first:,}-{last:,} ({n:,} rows) are empty"
                if xlsx
                else (f"lines {first:,}-{last:,} ({n:,} lines) are blank records")
            )
            sink("F206", first, what, fixable=True, lines=n)
            continue
        for line in range(first, last + 1):
            sink(
                "F206",
                line,
                f"row {line} is empty" if xlsx else f"line {line} is a blank record",
                fixable=True,
            )


def _find_header(
    table: pl.DataFrame,
    first_index: int,
    cells: tuple[str, ...],
    xlsx: bool,
    sink: _Collector,
    *,
    columns: tuple[int, int] | None,
    wide_below: _HeaderBelow | None = None,
) -> tuple[tuple[str, ...] | None, int, int, int, bool]:
    """:func:`_judge_header` of the first record, or of a known header below a title;
    also returns the header's line. ``columns``: :attr:`Records.columns`;
    ``wide_below``: the wide header they were chosen from, when it is below a title."""
    first_line = int(table["line"][first_index])
    unit = "row" if xlsx else "line"
    if wide_below is not None:
        # The reader found the title already: the columns are that header's, not the title's.
        first = classify_header(cells)
        below: _HeaderBelow | None = wide_below
    else:
        first = classify_header(cells, columns)
        # An unknown first record: a known header may sit a few records below it.
        below = _header_below(table, first_index) if first.mismatch and not first.fixable else None
    if below is not None and not below.data_above:
        # Only a title (or notes) above it: skip them, and read from that header on.
        header_line = int(table["line"][below.at])
        shown = ",".join(cells)
        if header_line - 1 == first_line:
            what = f"{unit} {first_line} ({quoted(shown)}) is a title above the header"
            done = "it was skipped, and the fix removes it"
        else:
            lines = f"{unit}s {first_line}-{header_line - 1}"
            what = f"{lines} (from {quoted(shown)}) are a title above the header"
            done = "they were skipped, and the fix removes them"
        sink(
            "F202",
            first_line,
            f"{what} ({unit} {header_line}, {quoted(','.join(below.cells))}), not data; {done}",
            fixable=True,
        )
        first_index, cells, first_line, below = below.at, below.cells, header_line, None

    def hint() -> str:
        """Where the header seems to be, else what the columns hold."""
        if below is not None:
            line = int(table["line"][below.at])
            return (
                f"; {unit} {line} ({quoted(','.join(below.cells))}) looks like the header: "
                f"delete the {unit}s above it"
            )
        return _what_columns_hold(table, first_index, cells)

    header, expected, start, swapped = _judge_header(
        cells,
        first_line,
        first_index,
        sink,
        hint,
        columns=columns,
        swapped=lambda: _kinds(_sample(table.slice(first_index))) == ("messages", "recipients"),
        lead=lambda: _lead_kind(table.slice(first_index + 1)),
    )
    return header, expected, start, first_line, swapped


def _index_before_header(data: pl.DataFrame) -> bool:
    """Whether a CSV's records all have three fields under a header of two, the first a
    row index (R's ``write.table`` leaves the row names' column out of the header)."""
    if "rest" not in data.columns or not data.height:
        return False
    if not (data.get_column("nfields") == 3).all():  # the index, the recipient, the message
        return False
    return _is_row_index(data.with_columns(lead=pl.col("recipient")))


#: A row index's cell: a non-negative integer as pandas and R write one.
_INDEX_VALUE: Final = r"^(?:0|[1-9][0-9]{0,17})$"


def _lead_kind(records: pl.DataFrame) -> Literal["index", "empty"] | None:
    """What the first column of these data records (``lead``) holds when it is no data:
    a row index (:func:`_is_row_index`), or nothing in any record (a table that starts
    in column B); None when it may hold data."""
    if "lead" not in records.columns:
        return None
    lead = records.filter(~pl.col("blank")).get_column("lead")
    if lead.len() and not lead.str.contains(NONSPACE_PATTERN).fill_null(value=False).any():
        return "empty"
    return "index" if _is_row_index(records) else None


def _is_row_index(records: pl.DataFrame) -> bool:
    """Whether the first column of these data records (``lead``) is a row index:
    exactly 0, 1, 2, ... (pandas) or 1, 2, 3, ... (R's row names), one per non-blank
    record. Anything else may be data (customer ids in order, a filtered frame's index
    with gaps): dropping it is F203's unsafe fix, never a safe one."""
    if "lead" not in records.columns:
        return False
    lead = records.filter(~pl.col("blank")).get_column("lead")
    if not lead.len() or not lead.str.contains(_INDEX_VALUE).fill_null(value=False).all():
        return False
    values = lead.cast(pl.Int64)
    start = int(values[0])
    return start in (0, 1) and values.equals(
        pl.int_range(start, start + values.len(), dtype=pl.Int64, eager=True), check_names=False
    )


class _HeaderBelow(NamedTuple):
    at: int  # index in the table
    cells: tuple[str, ...]
    data_above: bool  # a record between the first one and it could be data


def _header_below(table: pl.DataFrame, first_index: int) -> _HeaderBelow | None:
    """The first known header (exact, or an alias) in the few records after an unknown
    first record (a title above the header: ``Export 2024-03-01``), if any."""
    later = table.slice(first_index + 1, HEADER_LOOKAHEAD)
    data_above = False
    rows = later.select("recipient", "message", "blank").iter_rows()
    for at, (recipient, message, blank) in enumerate(rows):
        if blank:
            continue
        cells = (recipient or "", message or "")
        verdict = classify_header(cells)
        if verdict.is_data:
            data_above = True
        elif verdict.mismatch is None or verdict.fixable:
            return _HeaderBelow(first_index + 1 + at, cells, data_above)
    return None


#: How many data records are looked at to say what an unknown header's columns hold.
_COLUMN_SAMPLE = 20


def _what_columns_hold(table: pl.DataFrame, first_index: int, cells: tuple[str, ...]) -> str:
    """What the first two columns hold in the records after an unknown header, e.g.
    "; column 1 ('col1') holds numbers like recipients, column 2 ('col2') looks like
    messages" ('' when there are no such records). A few cells only: cheap."""
    sample = _sample(table.slice(first_index + 1))
    if sample.height == 0:
        return ""
    kinds = _kinds(sample)
    said = []
    for i, kind in enumerate(kinds):
        name = f"column {i + 1}" + (f" ({quoted(cells[i])})" if i < len(cells) else "")
        said.append(f"{name} {_KIND_WORDS[kind]}")
    swapped = kinds == ("messages", "recipients")
    records = "data record" if sample.height == 1 else f"{sample.height} data records"
    return f"; in the first {records}, {said[0]} and {said[1]}" + (
        ": are the columns swapped?" if swapped else ""
    )


_KIND_WORDS: Final = {
    "empty": "is empty",
    "recipients": "holds numbers like recipients",
    "messages": "looks like messages",
    "mixed": "mixes numbers and text",
}


def _sample(records: pl.DataFrame) -> pl.DataFrame:
    """The first ``_COLUMN_SAMPLE`` non-blank records of ``records``."""
    return records.head(_COLUMN_SAMPLE * 2).filter(~pl.col("blank")).head(_COLUMN_SAMPLE)


def _kinds(sample: pl.DataFrame) -> tuple[str, str]:
    """What the first two columns of a :func:`_sample` hold (a key of _KIND_WORDS):
    numbers like recipients in at least 80% of the filled cells, or in at most 20%
    (messages). A few cells only: cheap."""
    kinds = []
    for column in ("recipient", "message"):
        values = [v for v in sample.get_column(column).to_list() if v and _NONSPACE.search(v)]
        phones = sum(looks_like_phone(v) for v in values)
        if not values:
            kinds.append("empty")
        elif phones * 10 >= len(values) * 8:
            kinds.append("recipients")
        elif phones * 10 <= len(values) * 2:
            kinds.append("messages")
        else:
            kinds.append("mixed")
    return kinds[0], kinds[1]


def _judge_header(
    cells: tuple[str, ...],
    first_line: int,
    first_index: int,
    sink: _Collector,
    hint: Callable[[], str],
    *,
    columns: tuple[int, int] | None,
    swapped: Callable[[], bool],
    lead: Callable[[], Literal["index", "empty"] | None],
) -> tuple[tuple[str, ...] | None, int, int, bool]:
    """F201/F202/F203/F209; returns (header, expected fields, index of the first data
    record, whether the data's columns are swapped).

    ``hint`` is what an unknown header's F202 adds; asked for only then. ``swapped``:
    whether the first records hold messages in column 1 and numbers in column 2; asked
    only of a headerless file whose first record has its number in column 2.
    ``lead``: whether the first column of the records below the header is a row index
    or empty throughout (:func:`_lead_kind`); asked only when it is the one column a
    wide header leaves out, unnamed."""
    verdict = classify_header(cells, columns)
    if verdict.is_data:
        swap = verdict.number_second and swapped()
        if swap:
            done = (
                "the first records hold messages in column 1 and numbers in column 2, so "
                "the columns were read swapped; the fix inserts the header and swaps them"
            )
        else:
            done = "it was read as data row 1, and the fix inserts the header"
        sink(
            "F201",
            first_line,
            f"the first record ({quoted(','.join(cells))}) is data, not the header "
            f"'recipient,message'; {done}",
            fixable=True,
        )
        return None, 2, first_index, swap
    if verdict.mismatch:
        more = "" if verdict.fixable else hint()
        sink("F202", first_line, verdict.mismatch + more, fixable=verdict.fixable)
    kind = lead() if verdict.index_first else None
    if kind is not None:
        # Nothing but the row numbers, or nothing at all, is left out: dropping it loses
        # nothing.
        recipient, message = columns or (1, 2)
        read = (
            f"{quoted(cells[recipient])} and {quoted(cells[message])} were read as the "
            "recipient and message, and the fix drops "
        )
        name = f"({quoted(cells[0])})" if cells[0].strip() else "(no name)"
        if kind == "empty":
            said = (
                f"the first column {name} holds no value in any row (in a workbook: the "
                f"table starts in column B); {read}the empty column"
            )
        else:
            said = (
                f"the first column {name} numbers the rows, in order: a row index, as "
                "pandas writes one without index=False (and R's write.csv without "
                f"row.names=FALSE); {read}the index"
            )
        sink("F209", first_line, said, fixable=True)
    elif verdict.by_name and _is_rejects_header(cells):
        # What fix wrote about each row is no data: dropping it loses nothing.
        sink(
            "F210",
            first_line,
            "a rejects file of p2pfile fix: 'recipient' and 'message' were read, and the "
            "fix drops the columns fix added (line, row, codes, reasons)",
            fixable=True,
        )
    elif verdict.extra:
        # Columns chosen by name can be written alone: an unsafe fix, as it drops the others.
        sink("F203", first_line, verdict.extra, fixable=verdict.by_name)
    return cells, max(2, len(cells)), first_index + 1, False


def _is_rejects_header(cells: Sequence[str]) -> bool:
    """The header of a rejects file of fix (F210): its columns, in any case, with spaces
    around them, and some left out (the long ``reasons`` is the one a person deletes
    first). A column fix never writes (a note added while correcting) makes it F203:
    what it holds may be meant for the message."""
    names = [c.strip().lower() for c in cells]
    return len(names) > 2 and set(names) <= set(REJECTS_HEADER) and len(set(names)) == len(names)


def _ragged(
    data: pl.DataFrame, expected: int, has_header: bool, rec: Records, sink: _Collector
) -> None:
    """F204 (fewer fields than the header) and F205 (more), one per record."""
    xlsx = rec.kind == "xlsx"
    # An XLSX row always has every column; an empty cell is judged by the cell rules.
    # Blank CSV fields past the header's columns hold nothing: only content counts.
    nfields = data.get_column("nfields")
    filled = data.get_column("filled") if "filled" in data.columns else nfields
    # The few bad records' positions from the two columns alone, then only their rows:
    # a filter of the frame cost 0.3 GB at the peak of a 10M-row file.
    at = (filled > expected if xlsx else (nfields < expected) | (filled > expected)).arg_true()
    bad = pl.DataFrame(
        {
            "line": data.get_column("line").gather(at),
            "row": data.get_column("row").gather(at),
            "nfields": nfields.gather(at),
            "filled": filled.gather(at),
            "rest": data.get_column("rest").gather(at)
            if "rest" in data.columns
            else pl.repeat(None, at.len(), dtype=pl.String, eager=True),
        }
    )
    against = f"the header has {expected}" if has_header else f"{expected} are expected"
    sep = delimiter_name(rec.delimiter or ",")
    recipient, message = rec.columns or (0, 1)
    kept = (
        "the first two fields were"
        if rec.columns is None
        else f"fields {recipient + 1} and {message + 1} (recipient and message) were"
    )
    letters = f"{column_letter(recipient + 1)} and {column_letter(message + 1)}"
    cut = {} if xlsx else _unquoted_breaks(data, at, sink, rec)
    for line, row, nfields, filled, rest in bad.iter_rows():
        if xlsx:
            text = (
                f"row {line} has data beyond column {column_letter(expected)} (up to column "
                f"{column_letter(filled)}); only columns {letters} are read"
            )
            sink("F205", line, text, row=row)
        elif nfields < expected:
            noun = "field" if nfields == 1 else "fields"
            text = f"record has {nfields} {noun}, {against}"
            if line in cut and cut[line].sure:
                text += (
                    f"; it looks like the rest of line {cut[line].origin}'s message: a line "
                    "break inside a message that is not quoted"
                )
            elif line in cut:
                # A footer or a comment looks the same: say it, and reject nothing else.
                origin = cut[line].origin
                text += (
                    f"; it may be the rest of line {origin}'s message, cut by a line break "
                    f"that is not quoted: if so, line {origin} holds only its first line: "
                    "quote the message in the export"
                )
            sink("F204", line, text, row=row)
        else:
            dropped = ""
            if rest is not None:
                shown = rest if len(rest) <= _SHOWN_REST else rest[:_SHOWN_REST] + "…"
                dropped = f"; not read: {quoted(shown)}"
            sink(
                "F205",
                line,
                f"record has {filled} fields, {against}; an unquoted {sep} in the message? "
                f"only {kept} kept{dropped}",
                row=row,
            )


#: How much of the fields an F205 record loses its message shows.
_SHOWN_REST = 100

#: A line break, as the CSV reader counts lines.
_LINE_BREAK: Final = re.compile("\r\n|\r|\n")
#: A field ending in an odd number of backslashes: MySQL's ``INTO OUTFILE`` escape of
#: a line break (``\\`` + LF) when the break follows.
_ESCAPED_BREAK: Final = re.compile(r"(?<!\\)(?:\\\\)*\\\Z")


#: What exports write for a missing value (the normalizer's null markers, and ``#NA``):
#: a continuation of a message is none of these.
_MISSING: Final = frozenset({*NULL_MARKERS, "#na"})
_SPREADSHEET_ERROR: Final = re.compile(LIBREOFFICE_ERROR)


def _no_text(cell: str) -> bool:
    """Whether ``cell`` is no text a message could go on with: no letter (``-----``,
    ``0``, NUL padding), or a null marker (``NULL``, ``nan``, ``#N/A``, ``Err:502``)."""
    word = cell.strip(WHITESPACE).lower()
    return (
        not any(c.isalpha() for c in word)
        or word in _MISSING
        or _SPREADSHEET_ERROR.match(word) is not None
    )


class _Continuation(NamedTuple):
    """A one-field record that may be the rest of an earlier record's message."""

    origin: int  # the line of the record it would continue
    sure: bool  # strong evidence: that record has its F207


def _unquoted_breaks(
    data: pl.DataFrame, at: pl.Series, sink: _Collector, rec: Records
) -> dict[int, _Continuation]:
    """Records split by a line break inside an unquoted message; F207 on each, when sure.

    SSMS and bcp ("Save Results As CSV"), MySQL's ``INTO OUTFILE`` (which writes
    ``\\`` + LF) and hand-made exporters leave such a break unquoted: the rest of the
    message becomes records of one field. Such a record is a candidate continuation
    when its one field is unquoted text with a letter in it that does not look like a
    phone number (a row missing its message does; ``-----``, ``0``, ``NULL`` and ``#N/A``
    are no text), and it starts on the line after a complete record of two fields whose
    message is unquoted (a quoted message cannot have leaked a break) or after another
    candidate. Not in a file read by column names: there the last field is not always
    the message written.

    Footers (``Total: 2``), comments, a lone name and a title between two joined exports
    look just the same, and they follow good rows. So the record continued gets a
    non-fixable F207, which makes the fix reject it rather than send half a message, only
    on strong evidence: its message ends in a backslash that escapes the break (MySQL),
    the break is a bare CR in a file whose lines end otherwise, or the pattern recurs in
    the file (an exporter's habit, not one stray line). Otherwise only the short record's
    F204 says what it may be. Returns the candidates by line.
    """
    if rec.columns is not None or rec.raw_lines is None:
        return {}
    nfields = data.get_column("nfields")
    # Only the short records among the bad ones, and their previous records: few rows.
    short = [i for i in at.filter(nfields.gather(at) == 1).to_list() if i > 0]
    if not short:
        return {}
    near = sorted({j for i in short for j in (i - 1, i)})
    cols = ["line", "row", "nfields", "recipient", "message"]
    if "rest" in data.columns:
        cols.append("rest")
    rows = dict(zip(near, data[near].select(cols).iter_rows(named=True), strict=True))
    continues: dict[int, int] = {}  # record index -> index of the record it continues
    ends: dict[int, int] = {}  # record index -> its last physical line
    for i in short:
        this, prev = rows[i], rows[i - 1]
        cell = this["recipient"] or ""
        # Text, with a letter: not a number, NUL padding, a null marker or a rule line.
        if looks_like_phone(cell) or _no_text(cell):
            continue
        origin = continues.get(i - 1, i - 1 if prev["nfields"] == 2 else None)
        if origin is None:
            continue
        spanned = sum(len(_LINE_BREAK.findall(prev.get(c) or "")) for c in cols[3:])
        if prev["line"] + spanned + 1 == this["line"]:
            continues[i] = origin
            ends[i - 1] = prev["line"] + spanned
            ends[i] = this["line"]
    if not continues:
        return {}
    # How the lines were written, which the values do not say: a few lines, read once.
    wanted = sorted(set(ends.values()))
    raw = dict(zip(wanted, rec.raw_lines(wanted), strict=True))
    # A record the quoting already broke (a quote never closed) has its F207, which says
    # why better: a second would only guess.
    broken = {i.line for i in sink.issues if i.code == "F207" and not i.fixable}
    kept: dict[int, int] = {}
    for i, origin in continues.items():
        before = raw[ends[i - 1]].rstrip("\r\n").rstrip(" \t")
        if (
            rows[origin]["line"] in broken
            or before.endswith('"')  # the message before was quoted: nothing leaked
            or raw[ends[i]].lstrip(" \t\ufeff").startswith('"')  # quoted: a value of its own
            or (i - 1 != origin and i - 1 not in kept)
        ):
            continue
        kept[i] = origin
    by_origin: dict[int, list[int]] = {}
    for i, origin in kept.items():
        by_origin.setdefault(origin, []).append(i)
    # One stray line proves nothing; the same break after two records is a habit. Lines
    # closing the file are footers (``Total: 2``) as often as not: they do not count.
    last = data.height - 1
    habit = sum(after[-1] != last for after in by_origin.values()) >= 2
    found: dict[int, _Continuation] = {}
    for origin, after in by_origin.items():
        first = rows[origin]
        lines = [rows[i]["line"] for i in after]
        escaped = _ESCAPED_BREAK.search(first.get("rest") or first["message"] or "") is not None
        end = raw[ends[origin]]
        # A CR alone ends no line of a file whose next line ends with LF.
        bare_cr = end.endswith("\r") and raw[ends[after[0]]].endswith("\n")
        sure = habit or escaped or bare_cr
        for line in lines:
            found[line] = _Continuation(first["line"], sure)
        if not sure:
            continue
        _say_cut(sink, first, lines, escaped=escaped, bare_cr=bare_cr, habit=len(by_origin))
    return found


def _say_cut(
    sink: _Collector,
    first: dict[str, Any],
    lines: list[int],
    *,
    escaped: bool,
    bare_cr: bool,
    habit: int,
) -> None:
    """The F207 on a record whose message a line break cut (see :func:`_unquoted_breaks`):
    ``lines``, its continuations; why that is sure: a MySQL escape, a bare CR, or ``habit``
    records so cut in the file."""
    span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
    text = (
        f"a line break inside the message is not quoted: {span} after it "
        f"{'holds' if len(lines) == 1 else 'hold'} one field, not a phone number, and "
        f"{'looks' if len(lines) == 1 else 'look'} like the rest of it (as SSMS, bcp and "
        "some exporters write); only its first line was read, and the fix rejects the "
        "row rather than send half a message: quote the message in the export"
    )
    if escaped:
        text += (
            "; the '\\' before the line break is how MySQL's INTO OUTFILE escapes one, "
            "which CSV readers do not undo"
        )
    elif bare_cr:
        text += "; the line break is a CR alone, where the file's lines end with LF"
    else:
        text += f"; {habit} records in this file are followed by such lines"
    sink("F207", first["line"], text, row=first["row"])


def _numeric_recipients(
    data: pl.DataFrame, sink: _Collector, columns: tuple[int, int] | None
) -> int:
    numeric = data.filter(pl.col("numeric"))
    if numeric.height:
        line, row = numeric["line"][0], numeric["row"][0]
        cells = (
            "cell is stored as a number" if numeric.height == 1 else "cells are stored as numbers"
        )
        sink(
            "F109",
            int(line),
            f"{numeric.height:,} recipient {cells}, not text (the first on row {line}); "
            "numbers lose leading zeros: format column "
            f"{column_letter((columns or (0, 1))[0] + 1)} as Text",
            row=int(row),
        )
    return numeric.height


def _valued_message_cells(
    data: pl.DataFrame, sink: _Collector, columns: tuple[int, int] | None
) -> None:
    """F111 for the data rows whose message cell is stored as a value (XLSX)."""
    valued = data.filter(pl.col("valued"))
    if not valued.height:
        return
    line, row, shown = valued["line"][0], valued["row"][0], valued["message"][0]
    cells = "cell is" if valued.height == 1 else "cells are"
    letter = column_letter((columns or (0, 1))[1] + 1)
    sink(
        "F111",
        int(line),
        f"{valued.height:,} message {cells} stored as a number, date or TRUE/FALSE, not "
        f"text (the first in {letter}{line}, sent as {quoted(str(shown))}); Excel may show "
        "it otherwise (00012345, 20%, 1,234.50, a long date): format the column as Text "
        "and retype, or export as CSV",
        row=int(row),
    )


def _hidden_data_rows(data: pl.DataFrame, hidden: frozenset[int], sink: _Collector) -> None:
    """F110 for the data rows (below the header and any title row above it, blank
    rows left out) whose lines are ``hidden`` in Excel: a filter shows the owner some
    rows, the provider sends them all. Told here, where the header is known: a hidden
    title or note row above it is not data, and the fix removes it."""
    if not hidden:
        return
    lines = data.get_column("line").filter(data.get_column("line").is_in(sorted(hidden)))
    if lines.is_empty():
        return
    shown = ", ".join(str(line) for line in lines.head(5))
    more = f" and {lines.len() - 5:,} more" if lines.len() > 5 else ""
    rows = "row" if lines.len() == 1 else "rows"
    sink(
        "F110",
        int(lines[0]),
        f"{lines.len():,} {rows} {'is' if lines.len() == 1 else 'are'} hidden in Excel "
        f"({rows} {shown}{more}), by a filter or by hand; the provider sends hidden rows "
        "too: delete the rows not to send, or copy the visible cells to a new sheet",
    )


def _attach_rows(sink: _Collector, data: pl.DataFrame, cut_line: int | None) -> None:
    """Give reader findings (F207) their row numbers; drop what lies past an F108 cut."""
    issues = sink.issues
    if cut_line is not None:
        issues = [i for i in issues if not (i.code.startswith("F2") and i.line >= cut_line)]
    wanted = [i.line for i in issues if i.row is None and i.code == "F207"]
    if wanted and data.height:
        # An F207 may name a line inside a multi-line record (where a stray quote is):
        # its row is the last record starting at or before that line, if it spans it.
        lines = data.get_column("line")
        at = lines.search_sorted(pl.Series(wanted, dtype=pl.Int64), side="right").cast(pl.Int64) - 1
        rows: dict[int, int] = {}
        for line, i in zip(wanted, at.to_list(), strict=True):
            if i >= 0 and (i + 1 == data.height or int(lines[i + 1]) > line):
                start = int(lines[i])
                span = data.row(i, named=True)
                inside = sum(
                    (span[c] or "").count("\n") for c in ("recipient", "message")
                )  # lines the record spans past its first (line breaks in its two cells)
                if line <= start + inside:
                    rows[line] = int(span["row"])
        issues = [
            replace(i, row=rows.get(i.line)) if i.code == "F207" and i.row is None else i
            for i in issues
        ]
    sink.issues = issues


def read(path: str | os.PathLike[str]) -> pl.DataFrame:
    """The data rows of a recipient file: ``line``, ``row``, ``recipient``, ``message``, all text.

    For programs that want the rows without the findings. Raises
    :class:`~p2pfile.errors.InputFileError` when the file cannot be read at all
    (missing, not CSV/XLSX, undecodable). Whatever else is wrong is a finding,
    not an error: cells past the message column, other sheets of a workbook,
    broken records. ``p2pfile.check(path)`` reports them; read them before
    trusting these rows to be all the file holds. A ``path`` that is not a path
    (``None``, a number) is a :class:`~p2pfile.errors.UsageError`.
    """
    path = path_arg(path, "read() path")
    result = read_file(path)
    fatal = [i for i in result.issues if i.code in {"F101", "F102"} and result.format is None]
    if result.format is None:
        issue = fatal[0] if fatal else next(iter(result.issues), None)
        reason = issue.message if issue is not None else "cannot be read"
        msg = f"{os.fspath(path)}: {reason}"
        raise InputFileError(msg)
    return result.frame
