"""CSV text to :class:`~p2pfile._sniff.Records`: encoding, delimiter, structure.

Two ways to read a CSV, one answer:

* **Fast path.** ``pl.read_csv`` with every cell as text, then whole-column
  checks that prove the parse is the file: no value holds a quote or a bare CR
  (polars would have accepted a stray quote or a CR-only line break silently),
  the lines the records span add up to the file's real LF count, no record is
  short (a short record and an empty last cell look alike in the frame, so
  rows with an empty last cell are settled by counting delimiters), and CR
  bytes are all CRLF terminators or inside values. polars validates UTF-8 for
  every byte it puts in a value; the checks above account for every other
  byte (delimiters, quotes, line breaks), so a file it accepts is valid UTF-8
  as a whole, not a sample of it.
* **Exact pass.** If any check disagrees or polars refuses the file, a
  streaming line scanner reads it: it knows the physical line where every
  record starts, reads CR, LF and CRLF line breaks, reports short and long
  records, blank lines and broken quotes at their lines, and recovers from an
  unclosed quote by cutting that record at the end of its first line. For well
  formed input it yields exactly what the stdlib ``csv`` module yields.

Not UTF-8: UTF-16 (BOM, or the NUL pattern) and cp1256 are decoded
confidently and read like any other text after an F103; anything else gets its
F103 and no rows (a wrong decoding must not flood the report).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import IO, NamedTuple

import polars as pl

from p2pfile._sniff import (
    NONSPACE_PATTERN,
    RECORD_SCHEMA,
    WHITESPACE,
    IssueSink,
    Records,
    Source,
    decode_confidently,
    decode_utf16,
    delimiter_name,
    describe_byte,
    locate_bad_utf8,
    sniff_delimiter,
    sniff_utf16,
)

__all__ = ["CsvRead", "read_csv"]

_NONSPACE = re.compile(NONSPACE_PATTERN)

#: A quoted field still open after this many lines is a stray quote, not a
#: message: the provider's limit is 1,400 characters.
RUNAWAY_LINES = 10_000

#: Records the exact pass keeps in Python lists before moving them into polars.
_FLUSH = 65_536


@dataclass(frozen=True)
class CsvRead:
    """What :func:`read_csv` found; ``records`` is None when no text could be decoded."""

    records: Records | None
    encoding: str | None
    delimiter: str | None


class _NotUtf8Error(Exception):
    """polars met a byte sequence that is not UTF-8."""


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

_ENCODING_LABELS = {
    "utf-16": "UTF-16 (with a byte-order mark; Excel's 'Unicode text')",
    "utf-32": "UTF-32 (with a byte-order mark)",
    "utf-16-le": "UTF-16 LE without a byte-order mark",
    "utf-16-be": "UTF-16 BE without a byte-order mark",
}


def read_csv(src: Source, sink: IssueSink) -> CsvRead:
    """Decode and parse a CSV; findings go to ``sink``."""
    head = src.head()
    codec = next((c for bom, c in _BOMS if head.startswith(bom)), None)
    if codec in ("utf-16", "utf-32") or (codec is None and sniff_utf16(head)):
        return _read_wide(src, codec or sniff_utf16(head) or "", sink)
    if codec == "utf-8-sig":
        sink(
            "F104",
            1,
            "the file starts with a UTF-8 byte-order mark (BOM); the fix removes it",
            byte_offset=0,
            fixable=True,
        )
    encoding = codec or "utf-8"
    sep = sniff_delimiter(head.decode("utf-8", "replace").removeprefix("\ufeff"))
    issues: list[_Issue] = []
    try:
        records = _fast_records(src, sep, issues)
        if records is None:
            issues.clear()
            with io.TextIOWrapper(src.open(), encoding, "strict", newline="") as text:
                records = _Scanner(sep, issues).run(text)
    except (_NotUtf8Error, UnicodeDecodeError):
        return _read_damaged(src, sink)
    _report(issues, sep, sink)
    return CsvRead(records, encoding, sep)


def _read_wide(src: Source, codec: str, sink: IssueSink) -> CsvRead:
    """UTF-16/32: decode whole (such files come from Excel and are small), then read as text."""
    text = decode_utf16(src.read_all(), codec)
    label = _ENCODING_LABELS[codec]
    if text is None:
        sink(
            "F103",
            1,
            f"the file looks like {label} but does not decode as such; no rows were read; "
            "save it again as 'CSV UTF-8'",
            byte_offset=0,
        )
        return CsvRead(None, None, None)
    sink(
        "F103",
        1,
        f"the file is {label}, not UTF-8; its rows were read from that encoding "
        "and the fix transcodes it to UTF-8",
        byte_offset=0,
        fixable=True,
    )
    return _read_text(text, codec, sink)


def _read_damaged(src: Source, sink: IssueSink) -> CsvRead:
    """Not UTF-8: say where it breaks, and read it only if the real encoding is clear."""
    with src.open() as f:
        bad = locate_bad_utf8(f)
    if bad is None:  # pragma: no cover - polars and Python disagree on UTF-8
        bad_where, offset, line = "a byte sequence", None, 1
    else:
        bad_where = f"byte {describe_byte(bad.bad)} at offset {bad.offset} (line {bad.line})"
        offset, line = bad.offset, bad.line
    guess = decode_confidently(src.read_all())
    if guess is None:
        sink(
            "F103",
            line,
            f"the file is not UTF-8 text: {bad_where} is not valid UTF-8, and it is not "
            "Windows-1256 (cp1256) Persian text or UTF-16 either; no rows were read; "
            "save it again as 'CSV UTF-8'",
            byte_offset=offset,
        )
        return CsvRead(None, None, None)
    codec, text, damaged = guess
    if codec == "cp1256":
        sink(
            "F103",
            line,
            f"the file is not UTF-8: {bad_where} is not valid UTF-8; it reads as "
            "Windows-1256 (cp1256) Persian text, the encoding of Persian Excel's CSV, and "
            "its rows were read that way; the fix transcodes it to UTF-8",
            byte_offset=offset,
            fixable=True,
        )
    else:
        sink(
            "F103",
            line,
            f"the file is UTF-8 except for {damaged} damaged byte sequence(s), the first "
            f"{bad_where}; rows were read with U+FFFD in their place",
            byte_offset=offset,
        )
    return _read_text(text, codec, sink)


def _read_text(text: str, encoding: str, sink: IssueSink) -> CsvRead:
    """Parse text that was decoded in memory, through the same two paths."""
    text = text.removeprefix("\ufeff")
    sep = sniff_delimiter(text)
    issues: list[_Issue] = []
    records = _fast_records(Source("-", data=text.encode("utf-8")), sep, issues)
    if records is None:
        issues.clear()
        records = _Scanner(sep, issues).run(io.StringIO(text, newline=""))
    _report(issues, sep, sink)
    return CsvRead(records, encoding, sep)


class _Issue(NamedTuple):
    code: str
    line: int
    message: str
    fixable: bool = False


def _report(issues: list[_Issue], sep: str, sink: IssueSink) -> None:
    if sep != ",":
        sink(
            "F208",
            1,
            f"the file is delimited by {delimiter_name(sep)}, not ','; it was read with "
            f"{delimiter_name(sep)} and the fix rewrites it with commas",
            fixable=True,
        )
    for issue in issues:
        sink(issue.code, issue.line, issue.message, fixable=issue.fixable)


def _mixed_endings(crlf: int, lf: int, cr: int = 0) -> _Issue | None:
    """F105 when more than one kind of record separator occurs."""
    kinds = [(n, name) for n, name in ((crlf, "CRLF"), (lf, "LF"), (cr, "CR")) if n]
    if len(kinds) < 2:
        return None
    counts = ", ".join(f"{name} on {n} line{'s' if n != 1 else ''}" for n, name in kinds)
    return _Issue("F105", 1, f"record separators mix line endings: {counts}", True)


# ---------------------------------------------------------------------------
# Fast path


def _fast_records(src: Source, sep: str, issues: list[_Issue]) -> Records | None:
    """Read with polars and prove the parse right, or return None for the exact pass."""
    df = _polars_frame(src, sep)
    if df is None:
        return None
    n, k = df.shape
    cols = [pl.col(c) for c in df.columns]
    # One pass per column finds the few rows that need a closer look: values holding a
    # quote, CR or LF, and blank recipient cells (a blank record starts with one).
    near = df.select(
        pl.arg_where(
            pl.any_horizontal(
                cols[0].str.contains(f'["\r\n]|^[{WHITESPACE}]*$'),
                *(c.str.contains('["\r\n]') for c in cols[1:]),
            )
        )
    ).to_series()
    sub = df[near].select(
        # quotes in values or CR-only line breaks: the exact pass decides
        pl.any_horizontal(c.str.contains('"|\r(?:[^\n]|$)') for c in cols).alias("doubtful"),
        pl.sum_horizontal(c.str.count_matches("\n", literal=True) for c in cols).alias("lf"),
        pl.sum_horizontal(c.str.count_matches("\r", literal=True) for c in cols).alias("cr"),
        pl.all_horizontal(~c.str.contains(NONSPACE_PATTERN) for c in cols).alias("blank"),
    )
    if sub["doubtful"].any():
        return None
    lf_in_values, cr_in_values = int(sub["lf"].sum()), int(sub["cr"].sum())
    if not _line_breaks_agree(src, n, lf_in_values, cr_in_values, issues):
        return None
    blank = pl.repeat(False, n, dtype=pl.Boolean, eager=True).scatter(
        near.filter(sub["blank"]), True
    )
    if k > 1 and not _no_short_records(src, df, cols, sep, blank):
        return None
    if src.last_byte() != b"\n":
        last_lf = int(sub["lf"][-1]) if near.len() and near[-1] == n - 1 else 0
        if not _last_record_agrees(src, df.row(n - 1), sep, last_lf):
            return None
    line = pl.int_range(1, n + 1, dtype=pl.Int64, eager=True)
    if lf_in_values:
        # A record starts 1 + (line breaks inside earlier records) lines after the previous.
        extra = pl.zeros(n, dtype=pl.Int64, eager=True).scatter(near, sub["lf"].cast(pl.Int64))
        line = line + extra.cum_sum() - extra
    first = None if blank.all() else int(blank.arg_min() or 0)
    return Records(
        table=df.select(
            line.alias("line"),
            pl.lit(k, dtype=pl.Int32).alias("nfields"),
            blank.alias("blank"),
            cols[0].alias("recipient"),
            (cols[1] if k > 1 else pl.lit(None, dtype=pl.String)).alias("message"),
        ),
        first_cells=tuple(df.row(first)) if first is not None else None,
        first_index=first,
        kind="csv",
        delimiter=sep,
    )


def _polars_frame(src: Source, sep: str) -> pl.DataFrame | None:
    """Every record as text cells, or None if polars refuses the file."""
    if len(sep.encode("utf-8")) != 1 or src.size == 0:
        return None  # polars takes one-byte delimiters only (not the Arabic comma)
    try:
        df = pl.read_csv(
            src.polars_source(),
            has_header=False,
            infer_schema=False,
            separator=sep,
            quote_char='"',
            empty_string_is_null=False,
            raise_if_empty=False,
            glob=False,
        )
    except Exception as exc:  # any refusal is settled by the exact pass
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            raise _NotUtf8Error from exc
        return None
    if df.height == 0:
        return None
    df.columns = [f"c{i}" for i in range(df.width)]
    return df


def _line_breaks_agree(
    src: Source, n: int, lf_in_values: int, cr_in_values: int, issues: list[_Issue]
) -> bool:
    """Do the file's real line breaks match the ``n`` records polars produced?

    Every LF outside values must end a record. polars drops a CR at the end of
    any unquoted field, so CRs are only accepted when each one is half of a
    CRLF pair (values hold no bare CR: that was checked before); the pairs
    outside values are then the CRLF record separators.
    """
    last = src.last_byte()
    if last == b"\r":
        return False  # a CR-terminated last line: polars drops the CR silently
    terminators = n - (0 if last == b"\n" else 1)
    if not src.contains(b"\r"):
        return src.count_lf() - lf_in_values == terminators
    n_lf, n_cr, n_crlf = src.count_line_breaks()
    crlf = n_crlf - cr_in_values
    if n_cr != n_crlf or n_lf - lf_in_values != terminators or not 0 <= crlf <= terminators:
        return False
    mixed = _mixed_endings(crlf, terminators - crlf)
    if mixed:
        issues.append(mixed)
    return True


def _last_record_agrees(src: Source, cells: tuple[str, ...], sep: str, line_breaks: int) -> bool:
    """At the end of a file without a final newline, polars forgives an unclosed quote
    and drops an empty last field; parse that record exactly and compare."""
    text = src.tail_lines(line_breaks + 1).decode("utf-8")
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    body, eol = _split_eol(lines[0])
    rest = _Lines(iter(lines[1:]))
    parsed = (
        _parse(body, eol, sep, rest) if '"' in body else _Parsed(body.split(sep), eol, [], None)
    )
    return (
        parsed.fatal is None
        and parsed.problem is None
        and rest.next() is None
        and tuple(parsed.fields) == cells
    )


def _no_short_records(
    src: Source, df: pl.DataFrame, cols: list[pl.Expr], sep: str, blank: pl.Series
) -> bool:
    """polars pads a short record with empty cells, so ``0912`` and ``0912,`` look alike.

    Only records with an empty last cell can be short. If there are any, the
    delimiters outside values must number exactly (fields - 1) per record.
    """
    n, k = df.height, df.width
    empty_last = df.select((cols[-1].str.len_bytes() == 0) & ~pl.lit(blank)).to_series().sum()
    if not empty_last:
        return True
    (raw,) = src.count_bytes([sep.encode("utf-8")])
    inside = int(
        df.select(pl.sum_horizontal([c.str.count_matches(sep, literal=True) for c in cols]))
        .to_series()
        .sum()
    )
    return raw - inside == (k - 1) * n


# ---------------------------------------------------------------------------
# Exact pass


def _split_eol(raw: str) -> tuple[str, str]:
    if raw.endswith("\n"):
        if raw.endswith("\r\n"):
            return raw[:-2], "\r\n"
        return raw[:-1], "\n"
    if raw.endswith("\r"):
        return raw[:-1], "\r"
    return raw, ""


class _Lines:
    """Physical lines with their numbers; lines can be pushed back to be read again."""

    __slots__ = ("_back", "_it", "number")

    def __init__(self, it: Iterator[str]) -> None:
        self._it = it
        self._back: list[str] = []
        self.number = 0

    def next(self) -> str | None:
        if self._back:
            self.number += 1
            return self._back.pop()
        raw = next(self._it, None)
        if raw is not None:
            self.number += 1
        return raw

    def push_back(self, raws: list[str]) -> None:
        self._back.extend(reversed(raws))
        self.number -= len(raws)

    def remaining(self) -> Iterator[str]:
        """The lines not yet read, pushed-back ones first, as a C-level iterator."""
        return chain(reversed(self._back), self._it)


class _Parsed(NamedTuple):
    fields: list[str]
    eol: str
    consumed: list[str]  # raw lines read after the first one
    problem: str | None  # a quoting problem the record survives (F207)
    fatal: str | None = None  # "unterminated", "runaway" or "bad-close": cut the record
    field: int = 0  # the field whose quote was fatal
    close_line: int = 0  # bad-close: lines after the first where the quote closed
    tail: str = ""  # bad-close: the text after the closing quote


def _parse(body: str, eol: str, sep: str, more: _Lines | None) -> _Parsed:
    """Parse one record that holds a quote, reading further lines from ``more``.

    With ``more=None`` the record is cut at the end of ``body``: a quote that
    does not close on the line takes the rest of the line.
    """
    fields: list[str] = []
    consumed: list[str] = []
    problem: str | None = None
    text, pos = body, 0
    while True:
        number = len(fields) + 1
        if text.startswith('"', pos):
            lines_before = len(consumed)
            field = _quoted_field(text, pos + 1, eol, more, consumed)
            if field.fatal:
                return _Parsed(fields, eol, consumed, problem, field.fatal, number)
            value, text, eol, pos = field.value, field.text, field.eol, field.pos
            if pos < len(text) and text[pos] != sep:
                end = text.find(sep, pos)
                end = len(text) if end < 0 else end
                tail = text[pos:end]
                if len(consumed) > lines_before:
                    return _Parsed(
                        fields, eol, consumed, problem, "bad-close", number, len(consumed), tail
                    )
                problem = problem or (
                    f"field {number} has text after its closing quote ({_short(tail)}); "
                    'quote the whole field and double any quote inside it ("")'
                )
                value += tail
                pos = end
        else:
            end = text.find(sep, pos)
            end = len(text) if end < 0 else end
            value = text[pos:end]
            if problem is None and '"' in value:
                problem = (
                    f"field {number} has a quote inside unquoted text ({_short(value)}); "
                    'quote the whole field and double any quote inside it ("")'
                )
            pos = end
        fields.append(value)
        if pos >= len(text):
            return _Parsed(fields, eol, consumed, problem)
        pos += 1  # the delimiter


class _Field(NamedTuple):
    value: str
    text: str  # the line the field ends on (body), its line ending, and the position after it
    eol: str
    pos: int
    fatal: str | None = None


def _quoted_field(
    text: str, pos: int, eol: str, more: _Lines | None, consumed: list[str]
) -> _Field:
    """The quoted field whose content starts at ``text[pos]``, across lines if need be."""
    pieces: list[str] = []
    while True:
        q = text.find('"', pos)
        if q >= 0 and text.startswith('"', q + 1):  # "" is a literal quote
            pieces.append(text[pos : q + 1])
            pos = q + 2
        elif q >= 0:
            pieces.append(text[pos:q])
            return _Field("".join(pieces), text, eol, q + 1)
        else:
            pieces.append(text[pos:])
            if more is None:  # cut at the end of the line
                return _Field("".join(pieces), text, eol, len(text))
            raw = more.next() if eol else None
            if raw is None:
                return _Field("", text, eol, pos, "unterminated")
            consumed.append(raw)
            if len(consumed) > RUNAWAY_LINES:
                return _Field("", text, eol, pos, "runaway")
            pieces.append(eol)
            text, eol = _split_eol(raw)
            pos = 0


def _short(text: str, limit: int = 24) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


_HINT = 1 << 20  # characters per readlines() batch


class _Batches:
    """A text stream's physical lines, read in C-level batches of about 1 MB.

    Recent batches are kept, so that the raw lines of a record can be looked
    up by line number when the csv module rejects it or its values hold a
    quote. The line endings of every line are counted on the way (F105).
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._kept: list[tuple[int, list[str]]] = []  # (number of the first line, lines)
        self._read_so_far = 0
        self.crlf = self.lf = self.cr = 0

    def _read(self) -> list[str]:
        lines = self._stream.readlines(_HINT)
        if lines:
            self._kept.append((self._read_so_far + 1, lines))
            self._read_so_far += len(lines)
            joined = "".join(lines)
            crlf = joined.count("\r\n")
            self.crlf += crlf
            self.lf += joined.count("\n") - crlf
            self.cr += joined.count("\r") - crlf
        return lines

    def lines(self) -> Iterator[str]:
        return chain.from_iterable(iter(self._read, []))

    def forget_before(self, line: int) -> None:
        while len(self._kept) > 1 and self._kept[1][0] <= line:
            self._kept.pop(0)

    def raw(self, first: int, last: int) -> list[str]:
        out: list[str] = []
        for start, lines in self._kept:
            if start + len(lines) > first and start <= last:
                out.extend(lines[max(first - start, 0) : last - start + 1])
        return out


class _Scanner:
    """The exact pass: the stdlib csv parser for the bulk, :func:`_parse` for the rest.

    ``csv.reader(strict=True)`` parses well-formed records at C speed and its
    ``line_num`` counts physical lines (CR, LF and CRLF alike). Records it
    rejects (text after a closing quote, a quote never closed, an oversized
    field) and records whose values hold a quote (escaped, or stray in an
    unquoted field) are parsed again from their raw lines by :func:`_parse`,
    which names the problem (F207) and cuts a record whose quote swallowed
    the following lines, so that those lines are read as records again.
    Records are contiguous, so a record starts on the line after the
    previous one ends.
    """

    def __init__(self, sep: str, issues: list[_Issue]) -> None:
        self.sep = sep
        self.issues = issues
        self._chunks: list[pl.DataFrame] = []
        self._ends: list[int] = []
        self._rows: list[list[str]] = []
        self._blank: list[bool] = []
        self._last_end = 0  # last line of the records already flushed
        self._count = 0
        self._extra_breaks = [0, 0, 0]  # line breaks inside fields past the second
        self.first_cells: tuple[str, ...] | None = None
        self.first_index: int | None = None

    def run(self, stream: IO[str]) -> Records:
        batches = _Batches(stream)
        feed: Iterator[str] = batches.lines()
        base = 0  # the physical line before the reader's first line
        nonblank = _NONSPACE.search
        ends, rows, blank = self._ends, self._rows, self._blank
        while True:
            reader = csv.reader(feed, delimiter=self.sep, quotechar='"', strict=True)
            done = base  # the last line of the last record taken
            try:
                for parsed in reader:
                    end = base + reader.line_num
                    joined = "".join(parsed)
                    if '"' in joined:
                        parsed = self._requote(parsed, done + 1, end, batches)  # noqa: PLW2901
                    ends.append(end)
                    rows.append(parsed)
                    blank.append(nonblank(joined) is None)
                    done = end
                    if len(ends) >= _FLUSH:
                        self._flush(batches)
                        ends, rows, blank = self._ends, self._rows, self._blank
                break
            except csv.Error:
                feed, base = self._recover(done + 1, base + reader.line_num, feed, batches)
        self._flush(batches)
        table = (
            pl.concat(self._chunks, rechunk=True)
            if self._chunks
            else pl.DataFrame(schema=RECORD_SCHEMA)
        )
        mixed = self._terminators(table, batches)
        if mixed:
            self.issues.insert(0, mixed)
        return Records(table, self.first_cells, self.first_index, "csv", self.sep)

    def _requote(self, fields: list[str], start: int, end: int, batches: _Batches) -> list[str]:
        """A record whose values hold a quote: escaped (fine) or stray (F207)?"""
        raws = batches.raw(start, end)
        body, eol = _split_eol(raws[0])
        rest = _Lines(iter(raws[1:]))
        parsed = _parse(body, eol, self.sep, rest)
        if parsed.fatal or rest.next() is not None:  # pragma: no cover - csv accepted it
            return fields
        if parsed.problem:
            self.issues.append(_Issue("F207", start, parsed.problem))
        return parsed.fields

    def _recover(
        self, start: int, error_line: int, feed: Iterator[str], batches: _Batches
    ) -> tuple[Iterator[str], int]:
        """Parse a record csv rejected; return the lines to go on with and their base."""
        raws = batches.raw(start, error_line)
        body, eol = _split_eol(raws[0])
        more = _Lines(chain(raws[1:], feed))
        parsed = _parse(body, eol, self.sep, more)
        if parsed.fatal is None:
            fields, end = parsed.fields, start + len(parsed.consumed)
            if parsed.problem:
                self.issues.append(_Issue("F207", start, parsed.problem))
        else:  # cut the record at its first line; read the swallowed lines again
            more.push_back(parsed.consumed)
            fields, end = _parse(body, eol, self.sep, None).fields, start
            self.issues.append(_Issue("F207", start, _fatal_message(parsed, start)))
        self._ends.append(end)
        self._rows.append(fields)
        self._blank.append(_NONSPACE.search("".join(fields)) is None)
        return more.remaining(), end

    def _flush(self, batches: _Batches) -> None:
        rows = self._rows
        if not rows:
            return
        starts = [self._last_end + 1, *(e + 1 for e in self._ends[:-1])]
        if self.first_cells is None and not all(self._blank):
            i = self._blank.index(False)
            self.first_cells, self.first_index = tuple(rows[i]), self._count + i
        for fields in rows:
            if len(fields) > 2:
                extra = "".join(fields[2:])
                crlf = extra.count("\r\n")
                self._extra_breaks[0] += crlf
                self._extra_breaks[1] += extra.count("\n") - crlf
                self._extra_breaks[2] += extra.count("\r") - crlf
        self._chunks.append(
            pl.DataFrame(
                {
                    "line": starts,
                    "nfields": [len(r) for r in rows],
                    "blank": self._blank,
                    "recipient": [r[0] if r else "" for r in rows],
                    "message": [r[1] if len(r) > 1 else None for r in rows],
                },
                schema=RECORD_SCHEMA,
            )
        )
        self._count += len(rows)
        self._last_end = self._ends[-1]
        batches.forget_before(self._last_end + 1)
        self._ends, self._rows, self._blank = [], [], []

    def _terminators(self, table: pl.DataFrame, batches: _Batches) -> _Issue | None:
        """F105 from the line endings of all lines minus those inside values."""
        if sum(1 for n in (batches.crlf, batches.lf, batches.cr) if n) < 2:
            return None
        inside = table.select(
            [
                pl.sum_horizontal(
                    pl.col(c).str.count_matches(p, literal=True).fill_null(0).sum()
                    for c in ("recipient", "message")
                ).alias(p)
                for p in ("\r\n", "\n", "\r")
            ]
        ).row(0)
        crlf_in = inside[0] + self._extra_breaks[0]
        lf_in = inside[1] - inside[0] + self._extra_breaks[1]
        cr_in = inside[2] - inside[0] + self._extra_breaks[2]
        return _mixed_endings(batches.crlf - crlf_in, batches.lf - lf_in, batches.cr - cr_in)


def _fatal_message(parsed: _Parsed, start: int) -> str:
    opening = f"the quote opening field {parsed.field} on line {start}"
    cut = f"the record was read up to the end of line {start}"
    if parsed.fatal == "unterminated":
        return f"{opening} is never closed; {cut}"
    if parsed.fatal == "runaway":
        return f"{opening} is still open {RUNAWAY_LINES} lines later; a stray quote? {cut}"
    return (
        f"{opening} only closes on line {start + parsed.close_line}, followed by "
        f"{_short(parsed.tail)}; a stray quote? {cut}"
    )
