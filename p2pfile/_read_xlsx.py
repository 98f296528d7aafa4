"""XLSX to :class:`~p2pfile._sniff.Records` through fastexcel (calamine).

* The first sheet is the upload. It is loaded with every cell as text and
  ``skip_rows=0``, so row *i* of the frame is Excel row *i + 1*, leading and
  inner empty rows included (``line`` is the row number Excel shows).
* Columns are placed by their absolute position: calamine starts a sheet at
  its first non-empty column, so data in ``B:C`` is *not* silently taken as
  ``A:B``; column A stays the recipient, B the message.
* Numbers come out as their exact digits (``9123456789``, ``9.5``), never a
  float repr. Which recipient cells were *stored* as numbers (F109) is not
  visible in text mode: the sheet's XML tells (a column-A cell with no type
  or ``t="n"``).
* Error cells (``t="e"``: a failed formula, ``#N/A``) come out of calamine as
  empty cells, while Excel shows the user ``#N/A``. They get their error text
  back from the sheet's XML, so the finding names what the user sees (P201,
  M402) and not an empty cell. A value those rules do not know (``#FOO!``, from
  a newer Excel or another producer) reads as ``#N/A``: never as a message.
* Both come from one scan of the sheet's XML, which stops after the last row
  with an empty cell in column A or B or a number-like recipient, and is
  skipped when there is none. Decompressing costs about 0.5 s per million
  rows, so for a large workbook it runs in a thread, beside the text load
  (which tells it where to stop while it runs); for a small one, after it.
  (Until 2026-11 F109 loaded column A again as ``boolean``: a second parse as
  long as the text load. 1M rows: check 6.1-6.7 s, now 4.9-5.1 s.) A sheet
  whose cells are not written ``<c r="A1" ...>`` (no ``r`` first, a namespace
  prefix) still takes that second load for F109.
* A header wider than two columns that names its recipient and message
  columns (``Name,Mobile,Message``) has them read, wherever they are
  (``Records.columns``): the error cells and dates are then those of these
  columns, not A and B. The choice is made from the first non-blank rows of the
  text load (the header, or a header below a title row: ``choose_header``, as
  for CSV), before the scan is told where to stop, and kept only if the rows
  with their error cells filled in agree. The scan finds numbers in
  column A only, so another recipient column takes the types load for F109.
* Any other sheet holding a cell that could be a recipient (one the recipient
  column's normalizer reads as a valid number), or that calamine cannot load, is
  F107: the provider reads one sheet.
  Chart sheets hold no cells and are passed over (loading one makes calamine
  print to stderr): the first *worksheet* is the upload.
* Formula cells saved without a value (openpyxl, .NET, template generators)
  read as ``=`` and the formula, from the scan. calamine's frame ends at its
  last value: when the sheet's ``<dimension>`` says rows lie past it, the scan
  reads to there and the frame grows with the rows it finds. A dimension can be
  missing (.NET), ``A1`` or smaller than the data: the scan goes on past its
  limit while the chunk it just read holds such cells, so no row the user sees
  is lost, and a sheet without them stops where it did.
* A workbook fastexcel cannot open is F102 with its reason, never a traceback.
  One it fails on for an Excel 365 error value (``#SPILL!``) is given to it
  as an in-memory copy with ``#N/A`` in those cells; the scan still reads the
  original, so findings show ``#SPILL!``.
* Date and time cells come out as calamine writes them (``2024-03-20
  00:00:00``). In the message column, a date without a time is written as
  Excel shows a date (``2024-03-20``), and a time without a date drops
  calamine's day zero (``1899-12-31 13:45:00`` is ``13:45:00``). Which cells
  are dates and not text that looks like one takes loading column B again as
  ``datetime``, a second parse: it only runs when a message looks like
  calamine's rendering of a date.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Final, NamedTuple
from xml.etree import ElementTree

import fastexcel
import polars as pl

from p2pfile._chars import LIBREOFFICE_ERROR, SPREADSHEET_ERRORS, quoted
from p2pfile._sniff import (
    HEADER_LOOKAHEAD,
    NONSPACE_PATTERN,
    HeaderChoice,
    IssueSink,
    Records,
    Source,
    choose_header,
)
from p2pfile.phone import normalize_numbers

__all__ = ["column_letter", "read_xlsx"]

# How calamine renders a number as text: no leading zero, no exponent.
_RENDERED_NUMBER = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$"
# How calamine renders a date or time cell as text (an ISO date cell, ``t="d"``, with a T).
_RENDERED_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?$"
# calamine's date part of a time-only cell (serial 0.x): Excel's day zero, never shown.
_DAY_ZERO = r"^1899-12-3[01] "

#: Workbooks at least this large load their recipient cells' types in a thread,
#: beside the text load. Below it the second parse is cheap, and skipped when no
#: cell could be a number, so it waits until the text is known.
CONCURRENT_BYTES = 1 << 20


def column_letter(number: int) -> str:
    """1 -> A, 2 -> B, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _UnreadableError(Exception):
    """fastexcel could not load the workbook (the cause is chained): F102."""


def read_xlsx(src: Source, sink: IssueSink) -> Records | None:
    """Load the first worksheet as text; None (after an F102, or an F106 when there is
    no worksheet) if the workbook cannot be read."""
    try:
        return _read_book(src, sink, src.data if src.data is not None else str(src.fs_path))
    except _UnreadableError as failed:
        cause = failed.__cause__
    value = _unsupported_error(cause)
    # Only on that failure, so a workbook calamine reads costs nothing more.
    patched = _readable_copy(src) if value is not None else None
    if patched is not None:
        try:
            return _read_book(src, sink, patched)
        except _UnreadableError as again:
            cause = again.__cause__
            value = _unsupported_error(cause)
    sink("F102", 1, _why_unreadable(cause, value, src))
    return None


def _read_book(src: Source, sink: IssueSink, book: str | bytes) -> Records | None:
    """:func:`read_xlsx` with calamine given ``book`` (the file, or a copy of it that
    calamine can read: :func:`_readable_copy`); the XML scan reads ``src`` itself.
    :class:`_UnreadableError` when calamine fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = fastexcel.read_excel(book)
            charts = _chart_sheets(src)
            sheets = [(i, n) for i, n in enumerate(reader.sheet_names) if n not in charts]
            if not sheets:
                sink("F106", 1, "the workbook has no worksheet, only chart sheets")
                return None
            first_sheet = sheets[0][0]
            scan = _CellScan(src, reader.sheet_names[first_sheet])
            with ThreadPoolExecutor(max_workers=1) as pool:
                # Beside the text load, on the other core: it tells the scan where to stop.
                early = pool.submit(scan) if src.size >= CONCURRENT_BYTES else None
                try:
                    sheet = reader.load_sheet(
                        first_sheet, header_row=None, skip_rows=0, dtypes="string"
                    )
                    df = sheet.to_polars()
                    first_hidden = sheet.visible != "visible"
                    positions = [info.absolute_index for info in sheet.available_columns()]
                    columns = dict(zip(positions, df.columns, strict=True))
                    candidate = _header_choice(df, columns)
                    # Error cells are named in columns A and B, and in those chosen by name.
                    wanted = frozenset((0, 1, *(candidate.columns if candidate else ())))
                    number_like = _number_like(df, columns, 0)
                    scan.last_row = _last_row_to_scan(df, scan)
                finally:
                    if scan.last_row is None:  # the load failed: the scan must not go on
                        scan.last_row = 0
                cells = early.result() if early is not None else None
    except Exception as exc:  # fastexcel/calamine errors have no narrower common base
        raise _UnreadableError from exc
    if cells is None:
        cells = scan() if scan.last_row else _SheetCells({}, pl.Series([], dtype=pl.Int64))
    df, columns, number_like = _with_rows_past_the_end(
        df, columns, cells.errors, wanted, number_like
    )
    df = _with_error_values(df, columns, cells.errors, wanted)
    shape = _row_shape(df, columns)
    found = _first_records(df, columns, shape, 1 + HEADER_LOOKAHEAD)
    first, first_cells = found[0] if found else (None, None)
    # Decided again on the header as the findings show it (error cells filled in): only
    # a choice both agree on is kept, since only its columns had their error cells named.
    again = choose_header([cells for _, cells in found])
    chosen = candidate if candidate is not None and again == candidate else None
    recipient, message = chosen.columns if chosen is not None else (0, 1)
    # The header below a title, when the columns were chosen from it.
    below = found[chosen.at] if chosen is not None and chosen.at else (None, None)
    df, dates = _dates_as_shown(reader, first_sheet, df, columns, message)
    valued = _valued_messages(
        df, columns, message, dates, load_types=_types_loader(book, first_sheet, message)
    )
    recipients = _cells(df, columns, recipient)
    table = shape.hstack(
        [recipients.alias("recipient"), _cells(df, columns, message).alias("message")]
    )
    _other_sheets(reader, sheets, sink, first_hidden=first_hidden, src=src)
    # The scan's numbers are column A's; another recipient column is asked of calamine.
    numbers = cells.numbers if recipient == 0 else None
    maybe = number_like if recipient == 0 else _number_like(df, columns, recipient)
    load_types = _types_loader(book, first_sheet, recipient)
    numeric = _numeric_recipients(recipients, maybe, numbers, load_types)
    return Records(
        table,
        first_cells,
        first,
        "xlsx",
        None,
        numeric,
        columns=chosen.columns if chosen is not None else None,
        header_cells=below[1],
        header_index=below[0],
        lead=_cells(df, columns, 0) if recipient and message else None,
        # F110 is told where the header is known: a hidden title row is not data.
        hidden=cells.hidden,
        valued=valued,
    )


#: calamine's failure on an error value it does not know.
_UNSUPPORTED_ERROR = re.compile(r"Unsupported cell error value '([^']*)'")
#: The error values calamine reads (as an empty cell): Excel's classic seven. Excel
#: 365 adds #SPILL!, #CALC!, #FIELD!, #BLOCKED!, #CONNECT!, #BUSY!, #UNKNOWN!,
#: #PYTHON!, #GETTING_DATA, on which calamine fails the whole workbook.
_CALAMINE_ERRORS: Final = frozenset(
    (b"#DIV/0!", b"#N/A", b"#NAME?", b"#NULL!", b"#NUM!", b"#REF!", b"#VALUE!")
)
#: An error cell (``t="e"``) up to its value, and the value.
_ERROR_CELL_VALUE = re.compile(
    rb"""(<(?:\w+:)?c\b[^>]*?\bt=["']e["'][^>]*>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?v>)"""
    rb"""([^<]*)(?=</(?:\w+:)?v>)""",
    re.DOTALL,
)


def _unsupported_error(cause: BaseException | None) -> str | None:
    """The error value calamine failed on (``#SPILL!``), if that is why it failed."""
    found = _UNSUPPORTED_ERROR.search(str(cause)) if cause is not None else None
    return found.group(1) if found is not None else None


def _readable_copy(src: Source) -> bytes | None:
    """The workbook, in memory, with the error cells calamine cannot read holding
    ``#N/A`` instead, in every part: calamine reads an error cell empty whatever its
    value, and the XML scan, which reads ``src``, gives it back the error Excel shows
    (``#SPILL!``: P201, M402). None if the zip cannot be read."""

    def known(cell: re.Match[bytes]) -> bytes:
        value = cell.group(2)
        return cell.group(1) + (value if value.strip() in _CALAMINE_ERRORS else b"#N/A")

    out = io.BytesIO()
    try:
        with (
            src.open() as f,
            zipfile.ZipFile(f) as zf,
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy,
        ):
            for info in zf.infolist():
                data = zf.read(info)
                if info.filename.endswith(".xml") and any(m in data for m in _ERROR_MARKS):
                    data = _ERROR_CELL_VALUE.sub(known, data)
                copy.writestr(info, data)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return out.getvalue()


def _why_unreadable(cause: BaseException | None, value: str | None, src: Source) -> str:
    """F102's message: calamine's reason, or the error value it cannot read and where."""
    if value is not None:
        return (
            f"the workbook holds an Excel error value {value}{_error_cell(src, value)} "
            "this reader cannot read: replace it (with a value, or clear the formula)"
        )
    text = str(cause).strip() if cause is not None else ""
    reason = text.splitlines()[0] if text else type(cause).__name__
    return (
        f"the workbook cannot be read ({reason}); it may be damaged or truncated: "
        "save it again from Excel"
    )


def _error_cell(src: Source, value: str) -> str:
    """`` in cell C2`` (the first error cell holding ``value``), or ``""``."""
    try:
        with src.open() as f, zipfile.ZipFile(f) as zf:
            for name in zf.namelist():
                if not name.endswith(".xml"):
                    continue
                for cell in _ERROR_CELL_VALUE.finditer(zf.read(name)):
                    ref = _CELL_REF.search(cell.group(1))
                    if (
                        ref is not None
                        and cell.group(2).strip().decode("utf-8", "replace") == value
                    ):
                        return f" in cell {ref.group(1).decode()}{ref.group(2).decode()}"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        pass
    return ""


def _cells(df: pl.DataFrame, columns: dict[int, str], position: int) -> pl.Series:
    """The column at 0-based ``position`` (nulls where the sheet has none)."""
    if position in columns:
        return df.get_column(columns[position])
    return pl.repeat(None, df.height, dtype=pl.String, eager=True)


def _row_shape(df: pl.DataFrame, columns: dict[int, str]) -> pl.DataFrame:
    """line, nfields (column of the last non-blank cell, 0 = empty row), blank."""
    filled = [
        pl.when(pl.col(name).str.contains(NONSPACE_PATTERN)).then(position + 1).otherwise(0)
        for position, name in columns.items()
    ]
    nfields = pl.max_horizontal(filled) if filled else pl.lit(0)
    return df.select(
        pl.int_range(1, df.height + 1, dtype=pl.Int64).alias("line"),
        nfields.cast(pl.Int32).alias("nfields"),
        (nfields == 0).alias("blank"),
    )


def _first_records(
    df: pl.DataFrame, columns: dict[int, str], shape: pl.DataFrame, count: int
) -> list[tuple[int, tuple[str, ...]]]:
    """The first ``count`` non-blank rows (all, when fewer): the index of each and its
    cells up to its last non-blank one."""
    at = (~shape.get_column("blank")).arg_true().head(count)
    found = []
    for i in at:
        width = int(shape["nfields"][i])
        row = df.row(int(i), named=True)
        found.append((int(i), tuple(row[columns[p]] if p in columns else "" for p in range(width))))
    return found


#: The rows the header is first looked for in, before the whole sheet is.
_HEADER_ROWS: Final = 64


def _header_choice(df: pl.DataFrame, columns: dict[int, str]) -> HeaderChoice | None:
    """:func:`~p2pfile._sniff.choose_header` of the first non-blank rows of the text load
    (the header candidates), from the first few rows unless they hold too few."""
    count = 1 + HEADER_LOOKAHEAD
    head = df.head(_HEADER_ROWS)
    found = _first_records(head, columns, _row_shape(head, columns), count)
    if len(found) < count and df.height > head.height:
        found = _first_records(df, columns, _row_shape(df, columns), count)
    return choose_header([cells for _, cells in found])


_MAIN_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CHUNK: Final = 1 << 20
# A cell element is far shorter than this: kept across chunks, so that a cell cut
# by a chunk boundary is read whole from the next chunk.
_OVERLAP: Final = 4096
_ERROR_MARKS: Final = (b't="e"', b"t='e'")
_CELL_REF = re.compile(rb"""\br=["']([A-Z]{1,3})([0-9]+)["']""")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_ROW_START = re.compile(rb"""<(?:\w+:)?row\b[^>]*?\br=["']([0-9]+)["']""")
_CELL_START = re.compile(rb"<(?:\w+:)?c[\s>/]")
#: The start tag of a column-A cell holding a number: no type or ``t="n"``, other
#: attributes (s, cm, vm, ph) around it. Excel, LibreOffice, openpyxl and
#: xlsxwriter write ``r`` first; a sheet whose cells do not is left to the types load.
_NUMBER_IN_A = re.compile(
    rb'<c r="A([0-9]+)"(?: (?!t=)[a-z]+="[^"]*")*(?: t="n"(?: [a-z]+="[^"]*")*)?>'
)


class _SheetCells(NamedTuple):
    """What the sheet's XML tells that calamine's text does not."""

    #: (Excel row, 0-based column) -> the error text of error cells (in any column: they
    #: are rare, and which columns are wanted may be known only once the scan runs).
    errors: dict[tuple[int, int], str]
    #: The Excel rows (Int64, unique) whose column-A cell is stored as a number; None
    #: when the XML is written in a way the scan does not read (the types load answers).
    numbers: pl.Series | None
    #: The Excel rows hidden in Excel (``<row hidden="1">``: an AutoFilter, or by hand).
    hidden: frozenset[int] = frozenset()


class _CellScan:
    """The scan of the first sheet's XML (see the module docstring). It may start
    before the text load tells which rows need it: ``last_row`` is None until then,
    then the last Excel row it must read (0: none)."""

    def __init__(self, src: Source, sheet_name: str) -> None:
        self.src = src
        self.sheet_name = sheet_name
        self.last_row: int | None = None

    def __call__(self) -> _SheetCells:
        return _sheet_cells(self.src, self.sheet_name, lambda: self.last_row)


def _number_like(df: pl.DataFrame, columns: dict[int, str], position: int) -> pl.Series:
    """Which cells of the 0-based column ``position`` read as calamine renders a number
    (the only ones that can be stored as numbers: F109)."""
    if position not in columns:
        return pl.repeat(False, df.height, dtype=pl.Boolean, eager=True)
    return df.get_column(columns[position]).str.contains(_RENDERED_NUMBER).fill_null(False)


def _last_row_to_scan(df: pl.DataFrame, scan: _CellScan) -> int:
    """The Excel row of the last row the scan must see (0 when none): every row of the
    frame, since any may be hidden in Excel (F110) and then no cell tells; and the
    sheet's last row when it has rows past the frame's end (:func:`_last_row_declared`).

    (Until 2026-11 the scan stopped after the last empty or number-like cell, and was
    skipped without one. Reading every row costs a large workbook no wall time since
    its rare marks are found by one polars search per chunk (:func:`_rare_marks_in`):
    the scan, beside the text load, ends first; check of 1M rows 4.84-4.89 s before,
    4.85-4.89 s after.)"""
    # Rows past the frame's end hold no value calamine reads, but may hold formulas
    # saved without one: the scan reads to the sheet's end then.
    past_end = _last_row_declared(scan.src, scan.sheet_name)
    return max(df.height, past_end)


#: The start of a sheet's XML read for its ``<dimension>``, which comes before the cells.
_HEAD_BYTES: Final = 4096
_DIMENSION = re.compile(
    rb"""<(?:\w+:)?dimension\s+ref=["']([A-Z]*)([0-9]*)(?::[A-Z]*([0-9]+))?["']"""
)
#: A sheet XML without a ``<dimension>`` this small is scanned to its end (milliseconds).
_SMALL_SHEET: Final = 4 << 20
#: Past Excel's last row (1,048,576): the scan reads to the end.
_SHEET_END: Final = 1 << 21


def _last_row_declared(src: Source, sheet_name: str) -> int:
    """The last Excel row of the sheet called ``sheet_name`` as its ``<dimension>``
    says (its first few KB are read); without one, :data:`_SHEET_END` for a small sheet
    and 0 for a large one; 0 when the XML cannot be read.

    calamine's frame ends at the last row holding a value it reads: rows of formulas
    saved without a value (openpyxl appends them) past it are not in it. The dimension
    counts them; when it says no more rows than the frame has (the common case), the
    scan stops where it did."""
    try:
        with src.open() as f, zipfile.ZipFile(f) as zf:
            path = _sheet_path(zf, sheet_name)
            if path is None:
                return 0
            with zf.open(path) as sheet:
                head = sheet.read(_HEAD_BYTES)
            size = zf.getinfo(path).file_size
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, ElementTree.ParseError):
        return 0
    found = _DIMENSION.search(head)
    if found is None:
        return _SHEET_END if size <= _SMALL_SHEET else 0
    last = found.group(3) or found.group(2)
    return int(last) if last else 0


def _with_rows_past_the_end(
    df: pl.DataFrame,
    columns: dict[int, str],
    errors: dict[tuple[int, int], str],
    wanted: frozenset[int],
    number_like: pl.Series,
) -> tuple[pl.DataFrame, dict[int, str], pl.Series]:
    """``df`` and ``columns`` grown to hold the cells of the ``wanted`` columns the scan
    found and calamine has no place for (see :func:`_last_row_declared`): rows past the
    frame's end (empty rows between count, so row *i* stays Excel row *i + 1*) and a
    column where calamine read no value at all. The user sees these rows in Excel.
    ``number_like`` (:func:`_number_like`) grown with them (none is: a formula's text)."""
    found = [(row, col) for row, col in errors if col in wanted]
    end = max((row for row, _ in found), default=0)
    missing = sorted({col for _, col in found} - columns.keys())
    if end <= df.height and not missing:
        return df, columns, number_like
    columns = dict(columns)
    for position in missing:
        columns[position] = f"__p2pfile_{position}__"
    df = df.with_columns(pl.lit(None, dtype=pl.String).alias(columns[p]) for p in missing)
    if end > df.height:
        number_like = number_like.extend(pl.repeat(False, end - df.height, eager=True))
        df = df.vstack(df.clear(end - df.height))
    return df, columns, number_like


def _with_error_values(
    df: pl.DataFrame,
    columns: dict[int, str],
    errors: dict[tuple[int, int], str],
    wanted: frozenset[int],
) -> pl.DataFrame:
    """``df`` with the empty cells of the ``wanted`` columns (recipient and message) that
    are error cells holding their error text (see the module docstring); ``df`` itself
    when there are none."""
    if not errors:
        return df
    patched = []
    for position in sorted(wanted):
        if position not in columns:
            continue
        name = columns[position]
        found = [(row - 1, text) for (row, col), text in errors.items() if col == position]
        rows = [row for row, _ in found if row < df.height]
        if not rows:
            continue
        texts = [text for row, text in found if row < df.height]
        column = df.get_column(name)
        # Only cells calamine left empty (null, or "" for a ``t="str"`` formula saved
        # with ``<v/>``): never overwrite a value it read.
        old = column.gather(rows)
        values = pl.select(
            pl.when(old.is_null() | (old == ""))
            .then(pl.Series(texts, dtype=pl.String))
            .otherwise(old)
        ).to_series()
        patched.append(column.scatter(rows, values))
    return df.with_columns(patched) if patched else df


def _sheet_cells(src: Source, sheet_name: str, last_row: Callable[[], int | None]) -> _SheetCells:
    """The error and number cells of the sheet called ``sheet_name``, in rows up to
    ``last_row()`` (asked as the scan goes: None is not known yet, 0 none)."""
    try:
        with src.open() as f, zipfile.ZipFile(f) as zf:
            path = _sheet_path(zf, sheet_name)
            if path is not None:
                with zf.open(path) as sheet:
                    return _scan_cells(sheet, last_row)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, ElementTree.ParseError):
        pass  # the sheet loaded fine through calamine: at worst the cells stay empty
    return _SheetCells({}, None)


def _sheet_path(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The part name of the worksheet called ``sheet_name`` (``xl/worksheets/sheet1.xml``)."""
    rel = _sheet_relationships(zf).get(sheet_name)
    target = rel.get("Target") if rel is not None else None
    if not target:
        return None
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _scan_cells(sheet: IO[bytes], last_row: Callable[[], int | None]) -> _SheetCells:
    """Stream the sheet XML for error cells (a plain byte search, as they are rare) and
    for column-A cells stored as numbers (one regex, which only matches those)."""
    found: dict[tuple[int, int], str] = {}
    # The row numbers' digits, as bytes: findall hands them over without a Python
    # object per match (about 0.1 s at 200k number cells).
    numbers: list[bytes] | None = []
    hidden: set[int] = set()
    layout_known = False
    buf = b""
    seen_row = 0  # the last row started in what was read
    # Whether the chunk just read added error or uncached formula cells: the limit is
    # calamine's last row or a ``<dimension>``, and neither counts rows of formulas
    # saved without a value when the dimension is missing, ``A1`` or stale (.NET writes
    # none). While such rows keep coming the scan goes on past the limit; a chunk past
    # it that adds none ends it, so a sheet without formulas stops where it always did.
    adding = False
    while True:
        limit = last_row()
        # Rows come in order: past the last cell to read, none is left.
        if limit == 0 or (limit is not None and seen_row > limit and not adding):
            break
        chunk = sheet.read(_CHUNK)
        if not chunk:
            break
        buf += chunk
        if not layout_known:
            first = _CELL_START.search(buf)
            if first is not None:
                layout_known = True
                if not buf.startswith(b'<c r="', first.start()):
                    numbers = None
        before = len(found)
        present = _rare_marks_in(buf)
        keep = _errors_in(buf, found, present)
        _uncalculated_in(buf, found, present)
        adding = len(found) > before
        _hidden_rows_in(buf, hidden, present)
        # Every tag before the last "<" is whole.
        whole = buf.rfind(b"<")
        if numbers is not None and whole > 0:
            numbers.extend(_NUMBER_IN_A.findall(buf, 0, whole))
        starts = list(_ROW_START.finditer(buf, keep))
        if starts:
            seen_row = int(starts[-1].group(1))
        buf = buf[min(keep, max(whole, 0)) :]
    if numbers is None:
        return _SheetCells(found, None, frozenset(hidden))
    # A cell start read twice (kept over a chunk's end) is one row.
    return _SheetCells(
        found,
        pl.Series(numbers, dtype=pl.Binary).cast(pl.String).cast(pl.Int64).unique(),
        frozenset(hidden),
    )


#: A row start tag that hides the row: Excel writes ``hidden="1"``, LibreOffice
#: ``hidden="true"``, XML allows spaces around ``=``; a row of zero height
#: (``ht="0"``) Excel shows hidden too. Rare (a filter or rows hidden by hand): found
#: by a byte search for the attribute (:data:`_HIDDEN_MARKS`), then this is matched at
#: the tag's start. A row written without ``r`` (allowed: the next row) is not told:
#: its number would take counting every row tag of the sheet.
_HIDDEN_ROW = re.compile(
    rb"""<(?:\w+:)?row\b(?=[^>]*?\b(?:hidden\s*=\s*["'](?:1|true)["']"""
    rb"""|ht\s*=\s*["']0+(?:\.0*)?["']))[^>]*?\br\s*=\s*["']([0-9]+)["']"""
)
#: ``hidden`` in any form, and ``ht`` of zero as written (``ht="0"``, ``ht = '0.0'``).
#: The pattern starts with its literal, which ``re`` finds as fast as a byte search.
_HIDDEN_MARKS: Final = (b"hidden", re.compile(rb"""ht\s*=\s*["']0[.'"]"""))


def _hidden_rows_in(buf: bytes, hidden: set[int], present: frozenset[bytes]) -> None:
    """Add the rows of ``buf``'s whole row tags that are hidden to ``hidden``. A tag cut
    by the chunk's end is read whole from the next chunk (the buffer keeps the last few
    KB); one read twice is one row. ``present``: :func:`_rare_marks_in` of ``buf``."""
    word, zero_height = _HIDDEN_MARKS
    at = buf.find(word) if word in present else -1
    while at != -1:
        _hidden_row_at(buf, at, hidden)
        at = buf.find(word, at + len(word))
    for mark in zero_height.finditer(buf):
        _hidden_row_at(buf, mark.start(), hidden)


def _hidden_row_at(buf: bytes, at: int, hidden: set[int]) -> None:
    """Add the row of the tag holding offset ``at`` of ``buf`` if it is hidden."""
    start = buf.rfind(b"<", 0, at)
    found = _HIDDEN_ROW.match(buf, start) if start != -1 else None
    if found is not None:
        hidden.add(int(found.group(1)))


def _errors_in(buf: bytes, found: dict[tuple[int, int], str], present: frozenset[bytes]) -> int:
    """Add the whole error cells of ``buf`` to ``found``; the offset ``buf`` must be kept
    from for the next chunk: an error cell cut at the end, or the last few KB.
    ``present``: :func:`_rare_marks_in` of ``buf``."""
    done = max(0, len(buf) - _OVERLAP)
    for mark in (m for m in _ERROR_MARKS if m in present):
        at = buf.find(mark)
        while at != -1:
            start = buf.rfind(b"<", 0, at)
            tag_end = buf.find(b">", at)
            close = _CELL_END.search(buf, tag_end) if tag_end != -1 else None
            if start == -1:
                break
            if tag_end == -1 or (close is None and buf[tag_end - 1 : tag_end] != b"/"):
                return min(done, start)  # cut by the chunk's end
            end = tag_end + 1
            if close is not None and buf[tag_end - 1 : tag_end] != b"/":  # not <c .../>
                end = close.end()
                ref = _CELL_REF.search(buf, start, tag_end)
                value = _CELL_VALUE.search(buf, tag_end, close.start())
                if ref is not None and value is not None:
                    column = _column_number(ref.group(1).decode("ascii")) - 1
                    text = html.unescape(value.group(1).decode("utf-8", "replace"))
                    found[int(ref.group(2)), column] = _error_shown(text.strip())
            done = max(done, end)
            at = buf.find(mark, end)
    return done


def _error_shown(value: str) -> str:
    """The text an error cell holding ``value`` is read as: the value itself when it is
    one P201 and M402 know (Excel's errors, LibreOffice's ``Err:502``), else ``#N/A``.

    A ``t="e"`` cell is an error whatever it holds, but those rules know errors by their
    text: an unknown one (``#FOO!``, a value from a newer Excel or another producer)
    read as itself would be sent as a message. ``#N/A``, "no value", is what the cell
    holds for the provider; the finding is on the cell's row."""
    if value.lower() in SPREADSHEET_ERRORS or _LIBREOFFICE_ERROR.match(value):
        return value
    return "#N/A"


_LIBREOFFICE_ERROR: Final = re.compile(LIBREOFFICE_ERROR)


#: A formula cell saved without a value: nothing but whitespace between the formula and
#: the cell's end (``<f>A2</f></c>``; ``<f t="shared" si="0"/></c>``), or an empty
#: ``<v/>`` / ``<v />`` (openpyxl). With any namespace prefix (``<x:f>…</x:f></x:c>``:
#: the .NET OpenXML SDK) and any indentation (template generators). ``<v></v>`` is
#: *not* one: Excel itself writes it for a formula whose result is "" (``=IF(A2="","",
#: A2)`` dragged down), a calculated empty value, so that cell stays empty (blank).
_UNCALCULATED = re.compile(
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>\s*)?</(?:\w+:)?c>"
)
#: Formulas are rare and the scan runs over every chunk of a large sheet: the regex
#: only runs on a chunk holding a formula's start tag (any prefix) and one of the
#: ways an uncached one ends (a formula or ``<v/>`` then ``</c>``, or whitespace).
#: A compact sheet of calculated formulas (``</f><v>``) has none: ~1 ms a MB, not 8.
_FORMULA_MARKS: Final = (b"<f>", b"<f ", b":f>", b":f ")
_UNCALCULATED_MARKS: Final = (b"f></", b"/></", b">\n", b">\r", b"> ", b">\t")
_CELL_STARTS: Final = (b"<c ", b":c ")

#: The rare marks of a chunk, looked for in one polars pass (a SIMD substring search,
#: several GB/s): seven ``bytes.find`` over every 1 MB chunk were 1.4 s of the 2.4 s
#: scan of a 1M-row sheet, as XML's frequent ``>`` and ``"`` end their needles.
_RARE_MARKS: Final = (*_ERROR_MARKS, *_FORMULA_MARKS, _HIDDEN_MARKS[0])


def _rare_marks_in(buf: bytes) -> frozenset[bytes]:
    """Which of :data:`_RARE_MARKS` occur in ``buf``."""
    found = (
        pl.DataFrame({"b": [buf]}, schema={"b": pl.Binary})
        .select(pl.col("b").bin.contains(mark).alias(str(i)) for i, mark in enumerate(_RARE_MARKS))
        .row(0)
    )
    return frozenset(mark for mark, hit in zip(_RARE_MARKS, found, strict=True) if hit)


def _uncalculated_in(
    buf: bytes, found: dict[tuple[int, int], str], present: frozenset[bytes]
) -> None:
    """Add the formula cells of ``buf`` that were saved without a value (openpyxl, .NET
    and many CRM exporters write formulas and never calculate them) to ``found``, as
    ``=`` and the formula: calamine reads them empty, so a row of them would pass as
    blank (F206) and its data be removed by the fix. An error cell already found keeps
    its text.

    A cell cut by the chunk's end is read whole from the next chunk, as error cells
    are: the buffer keeps the last few KB (``_OVERLAP``), longer than a cell.
    ``present``: :func:`_rare_marks_in` of ``buf``.
    """
    if present.isdisjoint(_FORMULA_MARKS) or not any(mark in buf for mark in _UNCALCULATED_MARKS):
        return
    for formula in _UNCALCULATED.finditer(buf):
        start = max(buf.rfind(mark, 0, formula.start()) for mark in _CELL_STARTS)
        ref = _CELL_REF.search(buf, start, formula.start()) if start != -1 else None
        if ref is not None:
            column = _column_number(ref.group(1).decode("ascii")) - 1
            text = formula.group(1)
            shown = html.unescape(text.decode("utf-8", "replace")).strip() if text else ""
            found.setdefault((int(ref.group(2)), column), "=" + (shown or "…"))


def _column_number(letters: str) -> int:
    """A -> 1, B -> 2, AA -> 27 (the inverse of :func:`column_letter`)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _dates_as_shown(
    reader: fastexcel.ExcelReader,
    sheet: int,
    df: pl.DataFrame,
    columns: dict[int, str],
    message: int,
) -> tuple[pl.DataFrame, pl.Series | None]:
    """``df`` with the message column's (0-based ``message``) date-only and time-only
    cells written as Excel shows them (see the module docstring), and which cells are
    dates (None: none can be)."""
    if message not in columns:
        return df, None
    name = columns[message]
    text = df.get_column(name)
    maybe = _short_and_matching(text, _RENDERED_DATETIME)
    if not maybe.any():
        return df, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = reader.load_sheet(
                sheet, header_row=None, skip_rows=0, use_columns=[name], dtypes={name: "datetime"}
            ).to_polars()
    except Exception:  # pragma: no cover - the same sheet loaded fine as text
        return df, None
    if loaded.height != df.height or loaded.width != 1:  # pragma: no cover - defensive
        return df, None
    # Text cells load as null: only date cells are rewritten, never a message typed so.
    is_date = maybe & loaded.to_series().is_not_null()
    shown = (
        text.str.replace(r"^([0-9-]{10})[ T]00:00:00$", "${1}")
        .str.replace(r"^([0-9-]{10})T", "${1} ")
        .str.replace(_DAY_ZERO, "")
    )
    return df.with_columns(pl.when(is_date).then(shown).otherwise(text).alias(name)), is_date


#: Longer than any number or date calamine renders (``-1234567890.123456789``,
#: ``2024-03-20 13:45:07.123``): a message this long is text.
_RENDERED_MAX_BYTES: Final = 32


def _short_and_matching(text: pl.Series, pattern: str) -> pl.Series:
    """Which cells of ``text`` match ``pattern``, one of calamine's renderings, asked of
    the short ones only: a regex over a million messages costs ~55 ms, their lengths 2."""
    short = (text.str.len_bytes() <= _RENDERED_MAX_BYTES).fill_null(value=False).arg_true()
    found = pl.repeat(False, text.len(), dtype=pl.Boolean, eager=True)
    if not short.len():
        return found
    return found.scatter(short, text.gather(short).str.contains(pattern).fill_null(value=False))


def _valued_messages(
    df: pl.DataFrame,
    columns: dict[int, str],
    message: int,
    dates: pl.Series | None,
    *,
    load_types: Callable[[], pl.Series | None],
) -> pl.Series | None:
    """Which message cells are stored as numbers, dates or booleans (F111, told by the
    reader for the data rows): such a cell is sent as its value, and Excel may show it
    otherwise (``00012345``, ``20%``, a long date). Numbers and booleans are told by
    loading the column as ``boolean``, only when a message looks like one."""
    if message not in columns:
        return None
    text = df.get_column(columns[message])
    valued = dates if dates is not None else pl.repeat(False, df.height, eager=True)
    maybe = _short_and_matching(text, _RENDERED_NUMBER) | text.is_in(["true", "false"]).fill_null(
        value=False
    )
    if maybe.any():
        as_bool = load_types()
        if as_bool is not None and as_bool.len() == df.height:
            valued = valued | (maybe & as_bool.is_not_null())
    return valued if valued.any() else None


def _chart_sheets(src: Source) -> frozenset[str]:
    """Names of the workbook's chart sheets (usually none: then no XML is parsed)."""
    try:
        with src.open() as f, zipfile.ZipFile(f) as zf:
            if not any(n.startswith("xl/chartsheets/") for n in zf.namelist()):
                return frozenset()
            sheets = _sheet_relationships(zf)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, ElementTree.ParseError):
        return frozenset()
    return frozenset(
        name for name, rel in sheets.items() if (rel.get("Type") or "").endswith("/chartsheet")
    )


def _sheet_relationships(zf: zipfile.ZipFile) -> dict[str, ElementTree.Element]:
    """Each sheet's name -> its relationship in the workbook (``Type``, ``Target``)."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = {r.get("Id"): r for r in ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))}
    sheets = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        rel = rels.get(sheet.get(_REL_ID))
        if rel is not None:
            sheets[sheet.get("name") or ""] = rel
    return sheets


#: A cell that could be a recipient is one the recipient column's own normalizer
#: (:func:`p2pfile.phone.normalize_numbers`) reads as a valid number, invisible marks,
#: ZWNJ, Persian digits and separators undone as there; a ratio (``0.9565…``) or an
#: amount (``1,250,000,000 ریال``) is not one. Only cells with this many digits (any
#: script) are normalized: fewer make no number the normalizer accepts.
_DIGITS_AT_LEAST: Final = 9
#: Candidates are normalized this many at a time, stopping at the first valid number:
#: a copy of a whole list on another sheet is told from its first rows.
_CANDIDATES_AT_ONCE: Final = 4096


def _could_be_recipients(sheet: pl.DataFrame) -> bool:
    """Whether a cell of ``sheet`` (all text) normalizes to a valid number."""
    if not sheet.width:
        return False
    cells = pl.concat([sheet.get_column(name) for name in sheet.columns])
    candidates = cells.filter(
        cells.str.count_matches(r"\d").fill_null(0) >= _DIGITS_AT_LEAST
    ).unique(maintain_order=True)
    for start in range(0, candidates.len(), _CANDIDATES_AT_ONCE):
        batch = candidates.slice(start, _CANDIDATES_AT_ONCE)
        if normalize_numbers(batch).get_column("e164").is_not_null().any():
            return True
    return False


def _other_sheets(
    reader: fastexcel.ExcelReader,
    sheets: list[tuple[int, str]],
    sink: IssueSink,
    *,
    first_hidden: bool,
    src: Source,
) -> None:
    """F107 for every worksheet after the first that holds a cell that could be a
    recipient, or that calamine cannot load (it is not known to be empty).

    ``first_hidden``: the first sheet is hidden in Excel, where its owner may never
    have seen it (the provider reads it all the same)."""
    names = [name for _, name in sheets]
    with_data = []
    patched: list[fastexcel.ExcelReader | None] = []  # built on the first failure only
    for index, name in sheets[1:]:
        sheet = _other_sheet(reader, index, src, patched)
        if sheet is None:
            with_data.append(f"{quoted(name)} (which this reader cannot read: it may hold rows)")
            continue
        if _could_be_recipients(sheet.to_polars()):
            hidden = sheet.visible != "visible"
            with_data.append(f"{quoted(name)}" + (" (hidden in Excel)" if hidden else ""))
    if with_data:
        listed = ", ".join(with_data)
        sink(
            "F107",
            1,
            f"the workbook has data in other sheets too ({listed}); the provider reads only "
            f"the first sheet ({quoted(names[0])}"
            + (", which is hidden in Excel: unhide it to see what it holds" if first_hidden else "")
            + "), so those rows would not be sent",
        )


def _other_sheet(
    reader: fastexcel.ExcelReader,
    index: int,
    src: Source,
    patched: list[fastexcel.ExcelReader | None],
) -> fastexcel.ExcelSheet | None:
    """The sheet at ``index`` loaded as text; from a copy calamine can read
    (:func:`_readable_copy`, made once into ``patched``) when it fails on an error
    value; None when it cannot be loaded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return reader.load_sheet(index, header_row=None, dtypes="string")
    except Exception as exc:  # fastexcel/calamine errors have no narrower common base
        if _unsupported_error(exc) is None:
            return None
    if not patched:
        copy = _readable_copy(src)
        patched.append(fastexcel.read_excel(copy) if copy is not None else None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (
                patched[0].load_sheet(index, header_row=None, dtypes="string")
                if patched[0] is not None
                else None
            )
    except Exception:  # still unreadable: reported, never taken as empty
        return None


def _types_loader(
    book: str | bytes, sheet: int, position: int = 0
) -> Callable[[], pl.Series | None]:
    """A loader of the recipient column (0-based ``position``: A unless chosen by name)
    as ``boolean``: numbers and booleans load, text loads as null. F109's answer when
    the scan cannot tell (see the module docstring). None if it fails."""

    def load() -> pl.Series | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader = fastexcel.read_excel(book)
                loaded = reader.load_sheet(
                    sheet,
                    header_row=None,
                    skip_rows=0,
                    use_columns=[position],
                    dtypes={position: "boolean"},
                ).to_polars()
        except Exception:  # the same sheet loads as text: at worst F109 goes unsaid
            return None
        return loaded.to_series() if loaded.width == 1 else None

    return load


def _numeric_recipients(
    text: pl.Series,
    maybe: pl.Series,
    numbers: pl.Series | None,
    load_types: Callable[[], pl.Series | None],
) -> pl.Series:
    """Which recipient cells ``text`` (column A, or the column chosen by name) are stored
    as numbers (see the module docstring): the rows the XML scan found, or, when it
    could not tell, what ``load_types`` loads.

    Only the cells ``maybe`` marks (:func:`_number_like`) are asked about.
    """
    none = pl.repeat(False, text.len(), dtype=pl.Boolean, eager=True)
    if not maybe.any():
        return none
    if numbers is not None:
        # The frame's row i is Excel row i + 1.
        at = (numbers.filter((numbers > 0) & (numbers <= text.len())) - 1).cast(pl.UInt32)
        return maybe & none.clone().scatter(at, True)
    as_bool = load_types()
    if as_bool is None or as_bool.len() != text.len():  # pragma: no cover - defensive
        return none
    # Numbers and booleans load as booleans; booleans render as "true"/"false".
    return (maybe & as_bool.is_not_null() & ~text.is_in(["true", "false"])).fill_null(False)
