"""CSV text to :class:`~p2pfile._sniff.Records`: encoding, delimiter, structure.

Two ways to read a CSV, one answer:

* **Fast path.** ``pl.read_csv`` with every cell as text, then checks that
  prove the parse is the file, each cheap or run only on the rare rows that
  need it: no value holds a bare CR (polars would have accepted a CR-only
  line break silently); every record whose values hold a quote is compared
  with its raw bytes (an escaped ``""`` is fine, a stray quote polars kept is
  an F207, anything else declines); the lines the records span
  add up to the file's real LF count; every CR is half of a CRLF pair (polars
  drops a CR at the end of any unquoted field); no record is short (``0912``
  and ``0912,`` look alike in the frame, so if any last cell is empty the
  delimiters are counted); and, without a final newline, the last record is
  parsed again exactly (polars forgives an unclosed quote at the end of the
  file). polars validates UTF-8 for every byte it puts in a value and the
  checks account for the other bytes, so an accepted file is valid UTF-8 as a
  whole, not a sample of it.
* **Exact pass.** If a check disagrees or polars refuses the file, the stdlib
  ``csv`` parser reads it (see :class:`_Scanner`): physical lines for every
  record (CR, LF, CRLF), short and long records, blank lines, broken quotes
  at their lines, and recovery from an unclosed quote by cutting that record
  at the end of its first line.

Bare quotes inside a quoted field (``"say "hi" now"``, as some CRMs write
them): polars reads them by toggling, as ``say hi now``, without an error.
The fast path finds them from the raw runs of quotes (outside the records
proven against their bytes, every quote opens or closes a field; see
``_sniff._StrayQuotes``), in the byte pass that runs anyway for files with
quotes in values or CRs, and reads only those records again exactly: the
quote is kept as text and reported as F207. A file whose quote bytes number
exactly what its values need has none to spare and skips the search
(:class:`_QuoteAudit`). Known gap: quotes polars pairs across a delimiter,
each misplaced one next to a delimiter (``","0912","``), are not searched
for; the exact pass reports them (F207), the fast path reads them as polars
does. A property test pins that this is the only way the two paths differ.

A wide header read by name (``Records.columns``, maybe below a title) is
decided by :func:`~p2pfile._sniff.choose_header` from the first few
non-blank records on both paths: the fast path then selects those two
columns; the exact pass decides before its first batch becomes a table,
holding that batch back while it holds too few non-blank records to decide.

Not UTF-8: UTF-16 (BOM, or the NUL pattern) and cp1256 are decoded
confidently and read like any other text after an F103; anything else gets
its F103 and no rows (a wrong decoding must not flood the report).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, islice
from operator import attrgetter
from typing import IO, Final, NamedTuple

import polars as pl

from p2pfile._sniff import (
    HEADER_LOOKAHEAD,
    NONSPACE_PATTERN,
    RECORD_SCHEMA,
    WHITESPACE,
    ByteScan,
    IssueSink,
    RecordLines,
    Records,
    Source,
    choose_header,
    decode_confidently,
    decode_utf16,
    delimiter_name,
    describe_byte,
    locate_bad_utf8,
    sep_hint,
    sniff_delimiter,
    sniff_utf16,
    trim_empty_columns,
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
    if src.last_byte() == _EOF_MARK:
        src = _without_eof_mark(src, sink)
    if codec == "utf-8-sig":
        sink(
            "F104",
            1,
            "the file starts with a UTF-8 byte-order mark (BOM); the fix removes it",
            byte_offset=0,
            fixable=True,
        )
    encoding = codec or "utf-8"
    start = head.decode("utf-8", "replace").removeprefix("\ufeff")
    sep, hinted = sniff_delimiter(start), sep_hint(start)
    hint = hinted is not None
    issues: list[_Issue] = []
    try:
        records = _fast_records(src, sep, issues, hint=hint)
        if records is None:
            issues.clear()
            with io.TextIOWrapper(src.open(), encoding, "strict", newline="") as text:
                records = _Scanner(sep, issues, hint=hint).run(text)

            def opener() -> IO[str]:
                return io.TextIOWrapper(src.open(), encoding, "replace", newline="")

            records = replace(records, raw_lines=partial(_text_lines, opener))
    except (_NotUtf8Error, UnicodeDecodeError):
        return _read_damaged(src, sink)
    _report(issues, sep, sink, hinted=hinted)
    return CsvRead(records, encoding, sep)


#: The DOS end-of-file mark (Ctrl-Z) that old Windows tools (``COPY /A``, some
#: DOS-era exporters) append after the last line.
_EOF_MARK: Final = b"\x1a"


def _without_eof_mark(src: Source, sink: IssueSink) -> Source:
    """The input without the end-of-file marks that close it, which one F206 names.

    Read whole: such files come from old tools and are small. Without this the
    mark is a record of its own, one byte reported as a short record, a bad
    number and an empty message.
    """
    body = src.read_all().rstrip(_EOF_MARK)
    # CR-only files (classic Mac) count lines by CR.
    line = (body.count(b"\n") or body.count(b"\r")) + 1
    own_line = not body or body.endswith((b"\n", b"\r"))
    where = f"line {line} holds only" if own_line else f"line {line} ends with"
    sink(
        "F206",
        line,
        f"{where} a DOS end-of-file mark (Ctrl-Z, byte 0x1A), which old Windows tools "
        "add; it is not data and was not read; the fix removes it",
        byte_offset=len(body),
        fixable=True,
    )
    return Source(src.name, data=body)


def _read_wide(src: Source, codec: str, sink: IssueSink) -> CsvRead:
    """UTF-16/32: decode whole (such files come from Excel and are small), then read as text."""
    data = src.read_all()
    text = decode_utf16(data, codec)
    label = _ENCODING_LABELS[codec]
    cut = _truncated_at(data, codec) if text is None else None
    if cut is not None and (text := decode_utf16(data[:cut], codec)) is not None:
        # A file cut short (an interrupted copy or download) ends inside a character:
        # every complete one is still text, and only the end is damaged.
        line = text.count("\n") + 1
        sink(
            "F103",
            line,
            f"the file is {label}, not UTF-8, and it ends with {len(data) - cut} byte(s) "
            f"that are not a whole character, at offset {cut} (line {line}): was it cut "
            "short? the rows were read from the complete characters, and the fix "
            "transcodes them to UTF-8",
            byte_offset=cut,
            fixable=True,
        )
        return _read_text(text, codec, sink)
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


def _truncated_at(data: bytes, codec: str) -> int | None:
    """Where an incomplete last character starts, when that is all that fails to decode."""
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and exc.reason in ("truncated data", "unexpected end of data"):
            return exc.start
    return None


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
    sep, hinted = sniff_delimiter(text), sep_hint(text)
    hint = hinted is not None
    issues: list[_Issue] = []
    records = _fast_records(Source("-", data=text.encode("utf-8")), sep, issues, hint=hint)
    if records is None:
        issues.clear()
        records = _Scanner(sep, issues, hint=hint).run(io.StringIO(text, newline=""))
        opener = partial(io.StringIO, text, newline="")
        records = replace(records, raw_lines=partial(_text_lines, opener))
    _report(issues, sep, sink, hinted=hinted)
    return CsvRead(records, encoding, sep)


def _text_lines(opener: Callable[[], IO[str]], wanted: Sequence[int]) -> list[str]:
    """The physical lines ``wanted`` (1-based, ascending; CR, LF and CRLF end one, as
    the exact pass counts them), line ends included: a pass over the text, only for the
    few lines a rule must see as written."""
    found: dict[int, str] = {}
    want = set(wanted)
    last = max(want, default=0)
    with opener() as stream:
        for number, text in enumerate(stream, 1):
            if number in want:
                found[number] = text
            if number >= last:
                break
    return [found.get(n, "") for n in wanted]


class _Issue(NamedTuple):
    code: str
    line: int
    message: str
    fixable: bool = False


def _report(issues: list[_Issue], sep: str, sink: IssueSink, *, hinted: str | None = None) -> None:
    """Send the findings to ``sink``, file-level ones first.

    ``hinted``: the delimiter a ``sep=`` first line names; when the data overruled it
    (see ``sniff_delimiter``), the one finding on that line says so.
    """
    if hinted == sep:
        sink(
            "F202",
            1,
            f"line 1 ({'sep=' + sep!r}) is Excel's delimiter hint, not the header "
            "'recipient,message'; "
            "it was skipped, and the fix removes it",
            fixable=True,
        )
    elif hinted is not None:
        sink(
            "F202",
            1,
            f"line 1 ({'sep=' + hinted!r}) is Excel's delimiter hint, not the header "
            f"'recipient,message', and it disagrees with the data, which is delimited by "
            f"{delimiter_name(sep)}; the file was read with {delimiter_name(sep)}, "
            "and the fix removes the line",
            fixable=True,
        )
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
    """F105 when more than one kind of record separator occurs, or only bare CRs."""
    kinds = [(n, name) for n, name in ((crlf, "CRLF"), (lf, "LF"), (cr, "CR")) if n]
    if [name for _, name in kinds] == ["CR"]:
        # "CSV (Macintosh)" from Excel: a reader that splits on LF sees one long line.
        return _Issue(
            "F105",
            1,
            "records end with a bare CR (classic Mac line endings, as Excel's 'CSV "
            "(Macintosh)' writes): readers that split lines on LF see one long line",
            True,
        )
    if len(kinds) < 2:
        return None
    counts = ", ".join(f"{name} on {n} line{'s' if n != 1 else ''}" for n, name in kinds)
    return _Issue("F105", 1, f"record separators mix line endings: {counts}", True)


# ---------------------------------------------------------------------------
# Fast path

#: A first line with this many fields or more is read by the exact pass, not polars.
FAST_MAX_FIELDS: Final = 64
#: Quoted records proven against their raw bytes at a time (see _quoted_records_agree).
PROOF_ROWS: Final = 100_000


def _fast_records(
    src: Source, sep: str, issues: list[_Issue], *, hint: bool = False
) -> Records | None:
    """Read with polars and prove the parse right, or return None for the exact pass.

    ``hint``: the first record is Excel's ``sep=`` line, marked blank (see :class:`Records`).
    """
    if len(sep.encode("utf-8")) != 1 or src.size == 0:
        return None  # polars takes one-byte delimiters only (not the Arabic comma)
    first_line = src.head().split(b"\n", 1)[0]
    if first_line.count(sep.encode("utf-8")) >= FAST_MAX_FIELDS:
        # A frame of one column per field, and expressions per column below: a 50 MB
        # line of 4M fields would take hours. Such a file is no recipient list; the
        # exact pass reads it in one go and reports the record's width (F205).
        return None
    last_byte = src.last_byte()
    if last_byte == b"\r":
        return None  # a CR-terminated last line: polars drops the CR silently
    # Count before the frame exists: each count maps the file, and a mapping next to
    # the frame would add the file's size to the peak memory. (~0.02 s each.)
    lf_raw, cr, sep_raw, quotes = (
        src.count_byte(b) for b in (b"\n", b"\r", sep.encode("utf-8"), b'"')
    )
    df = _polars_frame(src, sep)
    if df is None:
        return None
    n, k = df.shape
    cols = [pl.col(c) for c in df.columns]
    # Per record, in one select of literal searches (memchr-fast, unlike regex): line
    # breaks and quotes in values, and whether the recipient cell is blank (a blank
    # record starts with one). The rare rows with a CR or a blank recipient get a
    # closer look below.
    per_row = df.select(
        lf=pl.sum_horizontal(c.str.count_matches("\n", literal=True) for c in cols),
        cr=pl.sum_horizontal(c.str.count_matches("\r", literal=True) for c in cols)
        if cr
        else pl.lit(0, pl.UInt32),
        # As bytes: a literal byte search there is a memchr, 20% cheaper than str.contains.
        quoted=pl.any_horizontal(c.cast(pl.Binary).bin.contains(b'"') for c in cols),
        maybe_blank=cols[0].str.contains(f"^[{WHITESPACE}]*$"),
        # The values RFC 4180 must quote, for the count of quote bytes (_QuoteAudit);
        # not when the quotes are too many for a file quoted only where needed.
        needs=pl.sum_horizontal(
            c.str.contains(f"[{re.escape(sep)}\r\n]").cast(pl.UInt32) for c in cols
        )
        if 0 < quotes < 2 * n * k
        else pl.lit(None, pl.UInt32),
    )
    lf, cr_in_values = per_row.get_column("lf"), int(per_row.get_column("cr").sum())
    if cr_in_values and _has_lone_cr(df.filter(per_row.get_column("cr") > 0), cols):
        return None  # CR-only line breaks in values: the exact pass decides
    maybe_blank = per_row.get_column("maybe_blank").arg_true()
    blank = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    if maybe_blank.len():
        blank = blank.scatter(
            maybe_blank,
            df[maybe_blank]
            .select(pl.all_horizontal(~c.str.contains(NONSPACE_PATTERN) for c in cols))
            .to_series(),
        )
    if hint:
        blank = blank.scatter(0, True)
    lf_in_values = int(lf.sum())
    # A record starts 1 + (line breaks inside earlier records) lines after the previous.
    line = pl.int_range(1, n + 1, dtype=pl.Int64, eager=True)
    if lf_in_values:
        lf = lf.cast(pl.Int64)
        line = line + lf.cum_sum() - lf
    # What only the raw lines can tell, in one pass: the CRLF pairs (every CR must be
    # half of one) and the lines of the records to prove against their bytes: those
    # whose values hold a quote, and those whose last cell is empty (polars pads a
    # short record with empty cells, so ``0912`` and ``0912,`` read alike).
    to_prove = per_row.get_column("quoted")
    short_proof = None  # how records that may be short are proven, if any may be
    if k > 1:
        empty_last = (df.get_column(df.columns[-1]).str.len_bytes() == 0) & ~blank
        if empty_last.any():
            # Few such records, and narrow: prove each against its bytes. Many (a
            # column left empty throughout) or wide: count the delimiters instead.
            short_proof = "bytes" if k <= 3 and empty_last.sum() * 20 <= n else "count"
            if short_proof == "bytes":
                to_prove = to_prove | empty_last
    q_rows = to_prove.arg_true()
    q_first = line.gather(q_rows)
    q_last = q_first + lf.gather(q_rows).cast(pl.Int64)
    scan = bool(cr or q_first.len())
    # A quote polars read by toggling (``"He said "hi" today"``) leaves no trace in the
    # values: any file with quotes has its quote positions checked, in the pass over
    # the bytes that runs anyway if it does. If it would not, a file whose quotes are
    # exactly two per value that needs them (sep, CR or LF inside) has none to spare
    # for a stray one, and is spared the pass.
    audit = _QuoteAudit(sep, quotes, per_row.get_column("needs"), scan=scan)
    records = audit.lines(line, lf)
    facts = src.scan(q_first.to_list(), q_last.to_list(), records) if scan or records else None
    if facts is not None and facts.crlf != cr:
        return None  # a bare CR (a CR-only line break) that polars may have dropped
    breaks = _LineBreaks(last_byte == b"\n", lf_raw, cr)
    if not breaks.agree(n, lf_in_values, cr_in_values, issues):
        return None
    if short_proof == "count" and not _delimiters_agree(df, cols, sep, sep_raw):
        return None
    if facts is not None and (
        (
            df := _proven(
                df,
                src,
                (to_prove, line, lf),
                facts.spans,
                audit.strays(src, facts, to_prove, line, lf),
                sep=sep,
                issues=issues,
            )
        )
        is None
    ):
        return None
    if last_byte != b"\n" and not _last_record_agrees(src, df.row(n - 1), sep, int(lf[-1])):
        return None
    return replace(_fast_result(df, line, blank, sep, hint=hint), raw_lines=src.lines)


def _fast_result(
    df: pl.DataFrame, line: pl.Series, blank: pl.Series, sep: str, *, hint: bool
) -> Records:
    """The proven frame as :class:`Records`: the recipient and message columns (the first
    two, or those a wide header names), and what lies past them (``extra``)."""
    k = df.width
    cols = [pl.col(c) for c in df.columns]
    # The header candidates: the first few non-blank records, a few rows looked at.
    at = _first_records(blank, 1 + HEADER_LOOKAHEAD)
    candidates = [tuple(df.row(i)) for i in at]
    first = at[0] if at else None
    first_cells = candidates[0] if candidates else None
    # A wide header naming its recipient and message columns (maybe below a title):
    # select those two, a column select like any other.
    choice = choose_header(candidates)
    columns = choice.columns if choice is not None else None
    header = candidates[choice.at] if choice is not None else None
    recipient, message = columns or (0, 1)
    extra = None
    if k > 2:  # where the last non-blank field is (trailing empty columns are not data)
        # What an F205 names as not read: past the second field, or past the header's
        # columns when they are read by name (the others are named by F203).
        beyond = len(trim_empty_columns(header)) if header is not None else 2
        extra = df.select(
            filled=pl.max_horizontal(
                pl.when(cols[i].str.contains(NONSPACE_PATTERN)).then(i + 1) for i in range(2, k)
            )
            .fill_null(2)
            .cast(pl.Int32),
            rest=pl.concat_str(cols[beyond:], separator=sep)
            if beyond < k
            else pl.lit(None, dtype=pl.String),
        )
    return Records(
        table=df.select(
            line.alias("line"),
            pl.lit(k, dtype=pl.Int32).alias("nfields"),
            blank.alias("blank"),
            cols[recipient].alias("recipient"),
            (cols[message] if k > message else pl.lit(None, dtype=pl.String)).alias("message"),
        ),
        first_cells=first_cells,
        first_index=first,
        kind="csv",
        delimiter=sep,
        sep_line=hint,
        extra=extra,
        columns=columns,
        header_cells=header if choice is not None and choice.at else None,
        header_index=at[choice.at] if choice is not None and choice.at else None,
        lead=df.get_column(df.columns[0]) if columns is not None and 0 not in columns else None,
    )


def _first_records(blank: pl.Series, count: int) -> list[int]:
    """The indices of the first ``count`` non-blank records (all, when fewer): from a
    few rows at the head, unless they are mostly blank."""
    window = 4 * count
    while True:
        found = (~blank.head(window)).arg_true().head(count)
        if found.len() == count or window >= blank.len():
            return [int(i) for i in found]
        window *= 16


def _proven(
    df: pl.DataFrame,
    src: Source,
    where: tuple[pl.Series, pl.Series, pl.Series],
    spans: list[bytes],
    strays: list[int],
    *,
    sep: str,
    issues: list[_Issue],
) -> pl.DataFrame | None:
    """``df`` once the records to prove are proven against their bytes, with the exact
    reading of those holding stray quotes polars dropped; None: take the exact pass.

    ``where``: the records to prove (a mask), where each starts and its line breaks;
    ``spans``: their raw lines; ``strays``: records with a stray quote, whose raw
    lines are read now, in a second pass paid only by such files.
    """
    to_prove, line, lf = where
    rows = to_prove.arg_true()
    first = line.gather(rows)
    more = pl.Series(strays, dtype=pl.UInt32)
    more = more.filter(~to_prove.gather(more))
    if more.len():
        m_first = line.gather(more)
        m_last = m_first + lf.gather(more).cast(pl.Int64)
        spans = [*spans, *src.scan(m_first.to_list(), m_last.to_list()).spans]
        rows, first = pl.concat([rows, more]), pl.concat([first, m_first])
    if not spans:
        return df
    patches = _quoted_records_agree(df[rows], first, spans, sep, issues)
    if not patches:
        return None if patches is None else df
    at = rows.gather([i for i, _ in patches])
    return df.with_columns(
        df.get_column(c).clone().scatter(at, [p[j] for _, p in patches])
        for j, c in enumerate(df.columns)
    )


class _QuoteAudit:
    """Whether a file's quotes may hide a stray one polars read by toggling, and where.

    A value needing quotes (delimiter, CR or LF inside) takes two quote bytes
    in RFC 4180, one holding quotes two more per quote; a stray quote polars
    read by toggling comes with at least two more than its value needs. So a
    file whose quote bytes are exactly what its values need has none to
    spare (the records proven against their bytes are counted from those
    bytes), and is spared the search of every quote's position (about 0.1 s
    per 200 MB). Others, quote-everything exports among them, get the search:
    in the byte pass that runs anyway if it does, else in a pass of its own.
    """

    def __init__(self, sep: str, quotes: int, needs: pl.Series, *, scan: bool) -> None:
        """``needs``: per record, the values that need quotes; nulls when not counted."""
        self.quotes, self.sep = quotes, sep
        self.records: RecordLines | None = None
        self.needs: pl.Series | None = None
        self.search = False  # search every quote's position in the first byte pass
        if not quotes:
            return
        if needs.null_count() == 0:  # not every value quoted: count first
            self.needs = needs
            if scan or quotes == 2 * int(needs.sum()):
                return  # settled now, or after the pass from the proven records' bytes
        self.search = True

    def lines(self, line: pl.Series, lf: pl.Series) -> RecordLines | None:
        """What :meth:`Source.scan` needs to search the quotes, if it must."""
        if self.search:
            self.records = RecordLines(
                self.sep.encode("utf-8")[0], line.to_numpy(), (line + lf).to_numpy()
            )
        return self.records

    def strays(
        self, src: Source, facts: ByteScan | None, proven: pl.Series, line: pl.Series, lf: pl.Series
    ) -> list[int]:
        """The records holding a stray quote, once the first byte pass is done."""
        if self.records is not None:
            return self.records.strays
        if self.needs is None or facts is None:
            return []
        rest = self.quotes - sum(span.count(b'"') for span in facts.spans)
        if rest == 2 * int(self.needs.filter(~proven).sum()):
            return []
        self.search = True
        records = self.lines(line, lf)
        assert records is not None
        src.scan((), (), records)
        return records.strays


def _quoted_records_agree(
    cells: pl.DataFrame, first: pl.Series, raw: list[bytes], sep: str, issues: list[_Issue]
) -> list[tuple[int, tuple[str, ...]]] | None:
    """Prove the records whose values hold a quote (or may be short) against their raw bytes.

    Returns None when the file must take the exact pass, else the records
    (by position in ``cells``) whose exact reading keeps a bare quote polars
    dropped, with their fields.

    polars accepts a stray quote in unquoted text silently, so such a value is
    either an escaped quote (``""`` inside a quoted field: fine) or broken
    quoting (F207); and it pads a short record with empty cells. Each record's
    raw lines (``raw``, starting at line ``first``) are compared, in one
    vectorized step, with the record written back in RFC 4180 form (each field
    bare, where it can be, or quoted with ``""`` escapes). The few that differ
    (text after a closing quote, a stray quote, a missing field) are parsed
    exactly from their bytes: the same values and nothing fatal is agreement
    (with an F207 where the quoting was wrong); anything
    else sends the whole file to the exact pass.
    """
    texts = pl.Series("raw", raw, dtype=pl.Binary).cast(pl.String, strict=False)
    body = texts.str.strip_suffix("\n").str.strip_suffix("\r")
    unproven = pl.int_range(0, cells.height, eager=True)
    if cells.width <= 3:  # 2**k ways to write a record; wider ones are parsed one by one
        # A slice at a time: each of the 2**k written forms is a new copy of the text,
        # about 2 GB at once for the 1.3M quoted records of a 10M-row file.
        cols = [pl.col(c) for c in cells.columns]
        matched = pl.concat(
            [
                cells.slice(at, PROOF_ROWS)
                .select(_written_forms(cols, sep, body.slice(at, PROOF_ROWS)))
                .to_series()
                for at in range(0, cells.height, PROOF_ROWS)
            ]
        )
        unproven = unproven.filter(~matched.fill_null(value=False))
    patches: list[tuple[int, tuple[str, ...]]] = []
    for i in unproven.to_list():
        text = texts[i]
        if text is None:
            return None
        raw_lines = text.split("\n")  # LF only: str.splitlines also splits at U+2028 & co.
        raw_lines = [line + "\n" for line in raw_lines[:-1]] + [raw_lines[-1]] * bool(raw_lines[-1])
        head, eol = _split_eol(raw_lines[0])
        more = _Lines(iter(raw_lines[1:]))
        parsed = _parse(head, eol, sep, more)
        if parsed.fatal or more.next() is not None:
            return None
        fields = tuple(parsed.fields)
        if fields != cells.row(i):
            if not parsed.stray or len(fields) != cells.width:
                return None
            patches.append((i, fields))
        if parsed.problem:
            line = int(first[i]) + parsed.problem_line
            issues.append(_Issue("F207", line, parsed.problem, parsed.literal))
    return patches


def _written_forms(cols: list[pl.Expr], sep: str, body: pl.Series) -> pl.Expr:
    """Whether ``body`` is the record written in one of its RFC 4180 forms."""
    quoted = [pl.lit('"') + c.str.replace_all('"', '""', literal=True) + pl.lit('"') for c in cols]
    bare_ok = [~c.str.contains(f'["\r\n]|{re.escape(sep)}') for c in cols]
    matches: list[pl.Expr] = []
    for mask in range(1 << len(cols)):
        bare = [bool(mask >> i & 1) for i in range(len(cols))]
        form = pl.concat_str(
            [c if b else q for c, q, b in zip(cols, quoted, bare, strict=True)], separator=sep
        )
        allowed = pl.all_horizontal(
            [ok for ok, b in zip(bare_ok, bare, strict=True) if b] or [True]
        )
        matches.append(allowed & (form == pl.lit(body)))
    return pl.any_horizontal(matches)


def _polars_frame(src: Source, sep: str) -> pl.DataFrame | None:
    """Every record as text cells, or None if polars refuses the file."""
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


class _LineBreaks(NamedTuple):
    """The raw line breaks of a file: what the records polars produced must add up to."""

    ends_with_lf: bool
    lf: int
    cr: int  # CR bytes, all of them halves of CRLF pairs (else the fast path declines)

    def agree(self, n: int, lf_in_values: int, cr_in_values: int, issues: list[_Issue]) -> bool:
        """Every LF outside values ends a record, and the CRLF pairs outside values are
        record separators (values hold no bare CR: checked before). F105 if mixed."""
        terminators = n - (0 if self.ends_with_lf else 1)
        crlf = self.cr - cr_in_values
        if self.lf - lf_in_values != terminators or not 0 <= crlf <= terminators:
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


def _has_lone_cr(rows: pl.DataFrame, cols: list[pl.Expr]) -> bool:
    """A CR not followed by LF in a value (polars may have taken it as a line break)."""
    return bool(
        rows.select(pl.any_horizontal(c.str.contains("\r(?:[^\n]|$)") for c in cols).any()).item()
    )


def _delimiters_agree(df: pl.DataFrame, cols: list[pl.Expr], sep: str, raw: int) -> bool:
    """No record is short: the delimiters outside values number (fields - 1) per record."""
    inside = df.select(
        pl.sum_horizontal([c.str.count_matches(sep, literal=True).sum() for c in cols])
    ).item()
    return raw - int(inside) == (df.width - 1) * df.height


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


#: Excel's text trick ``="0912..."`` written unquoted: its value is unambiguous, and
#: it is the recipient rules' business (P106), not broken quoting.
_FORMULA_TEXT = re.compile('="[^"]*"')


class _Parsed(NamedTuple):
    fields: list[str]
    eol: str
    consumed: list[str]  # raw lines read after the first one
    problem: str | None  # a quoting problem the record survives (F207)
    fatal: str | None = None  # "unterminated", "runaway" or "bad-close": cut the record
    field: int = 0  # the field whose quote was fatal
    close_line: int = 0  # bad-close: lines after the first where the quote closed
    tail: str = ""  # bad-close: the text after the closing quote
    problem_line: int = 0  # lines after the first where ``problem`` is
    stray: bool = False  # a bare quote inside a quoted field was kept as text
    #: Every quote problem is pairs of quotes inside unquoted text, in a record of the
    #: two columns (``0912...,he said "hi" ok``): its one reading is the text as written
    #: (Excel's, Python's, polars'), so the fix keeps the row and quotes the field (F207).
    literal: bool = False


def _parse(body: str, eol: str, sep: str, more: _Lines | None) -> _Parsed:
    """Parse one record that holds a quote, reading further lines from ``more``.

    With ``more=None`` the record is cut at the end of ``body``: a quote that
    does not close on the line takes the rest of the line.

    A bare quote inside a quoted field (``"He said "hi" today"``, as some CRMs
    write) is first read as text, the reading that keeps the message whole.
    That reading is dropped, and the quote taken as closing the field as RFC
    4180 says, if it would leave the field open to the end of the file, or
    swallow a line that starts like a record of its own (``0912...,``): then
    the quote was more likely opening or closing something, and the record is
    cut so that the following records keep their own lines.
    """
    parsed = _parse_once(body, eol, sep, more, lazy=True)
    if not parsed.stray or (
        parsed.fatal is None and not any(_starts_record(raw, sep) for raw in parsed.consumed)
    ):
        return parsed
    if more is not None:
        more.push_back(parsed.consumed)
    return _parse_once(body, eol, sep, more, lazy=False)


#: A first field that is a number, however dressed (``0912 123``, ``"+98..."``, ``=...``).
_NUMBER_FIELD = re.compile(r"""[\s"'=+(]*\d[\d\s().\-]{2,}["\s]*""")


def _starts_record(raw: str, sep: str) -> bool:
    """A physical line that begins like a record: a number, then a delimiter."""
    first, found, _ = raw.partition(sep)
    return bool(found) and _NUMBER_FIELD.fullmatch(first) is not None


def _parse_once(body: str, eol: str, sep: str, more: _Lines | None, *, lazy: bool) -> _Parsed:
    fields: list[str] = []
    consumed: list[str] = []
    problem: str | None = None
    problem_line = 0
    stray = False
    literal = True  # until a quote problem other than a pair inside unquoted text
    in_unquoted = False  # ``problem`` is a quote inside unquoted text
    text, pos = body, 0
    while True:
        number = len(fields) + 1
        if text.startswith('"', pos):
            lines_before = len(consumed)
            field = _quoted_field(text, pos + 1, eol, more, consumed, lazy=sep if lazy else None)
            if field.stray is not None and not stray:
                stray, literal = True, False
                if problem is None:
                    problem_line, snippet = field.stray
                    problem = (
                        f"field {number} has a quote inside its quoted text that is neither "
                        f"doubled nor closing it ({_short(snippet, 40)}); it was read as "
                        'part of the text: double every quote inside a quoted field ("")'
                    )
            if field.fatal:
                return _Parsed(fields, eol, consumed, problem, field.fatal, number, stray=stray)
            value, text, eol, pos = field.value, field.text, field.eol, field.pos
            if pos < len(text) and text[pos] != sep:
                end = text.find(sep, pos)
                end = len(text) if end < 0 else end
                tail = text[pos:end]
                if len(consumed) > lines_before:
                    return _Parsed(
                        fields,
                        eol,
                        consumed,
                        problem,
                        "bad-close",
                        number,
                        len(consumed),
                        tail,
                        stray=stray,
                    )
                literal = False
                if problem is None:
                    problem_line = len(consumed)
                    problem = (
                        f"field {number} has text after its closing quote ({_short(tail)}); "
                        'quote the whole field and double any quote inside it ("")'
                    )
                value += tail
                pos = end
        else:
            end = text.find(sep, pos)
            end = len(text) if end < 0 else end
            value = text[pos:end]
            if '"' in value and not _FORMULA_TEXT.fullmatch(value):
                # An odd quote may open a field the author meant to span lines or commas.
                literal = literal and value.count('"') % 2 == 0
                if problem is None:
                    problem_line, in_unquoted = len(consumed), True
                    problem = f"field {number} has a quote inside unquoted text ({_short(value)})"
            pos = end
        fields.append(value)
        if pos >= len(text):
            literal = literal and problem is not None and len(fields) == 2
            if in_unquoted and problem is not None:  # the advice depends on the whole record
                problem += (
                    "; it was read as written, and the fix quotes the field"
                    if literal
                    else '; quote the whole field and double any quote inside it ("")'
                )
            return _Parsed(
                fields,
                eol,
                consumed,
                problem,
                problem_line=problem_line,
                stray=stray,
                literal=literal,
            )
        pos += 1  # the delimiter


class _Field(NamedTuple):
    value: str
    text: str  # the line the field ends on (body), its line ending, and the position after it
    eol: str
    pos: int
    fatal: str | None = None
    stray: tuple[int, str] | None = None  # the first bare quote kept: (lines after, context)


def _quoted_field(
    text: str, pos: int, eol: str, more: _Lines | None, consumed: list[str], *, lazy: str | None
) -> _Field:
    """The quoted field whose content starts at ``text[pos]``, across lines if need be.

    ``lazy``: the delimiter, when a quote followed by something other than the
    delimiter, a quote or the end of the line is text (a bare quote); None to
    close the field at any such quote (RFC 4180).
    """
    pieces: list[str] = []
    stray: tuple[int, str] | None = None
    start = pos  # where the field's text starts on this line (for the F207 excerpt)
    while True:
        q = text.find('"', pos)
        if q >= 0 and text.startswith('"', q + 1):  # "" is a literal quote
            pieces.append(text[pos : q + 1])
            pos = q + 2
        elif q >= 0 and lazy is not None and q + 1 < len(text) and text[q + 1] != lazy:
            pieces.append(text[pos : q + 1])
            pos = q + 1
            if stray is None:
                stray = (len(consumed), text[max(q - 15, start) : q + 16])
        elif q >= 0:
            pieces.append(text[pos:q])
            return _Field("".join(pieces), text, eol, q + 1, stray=stray)
        else:
            pieces.append(text[pos:])
            if more is None:  # cut at the end of the line
                return _Field("".join(pieces), text, eol, len(text), stray=stray)
            raw = more.next() if eol else None
            if raw is None:
                return _Field("", text, eol, pos, "unterminated", stray)
            consumed.append(raw)
            if len(consumed) > RUNAWAY_LINES:
                return _Field("", text, eol, pos, "runaway", stray)
            pieces.append(eol)
            text, eol = _split_eol(raw)
            pos = start = 0


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
    ``line_num`` counts physical lines (CR, LF and CRLF alike). Records are
    collected by ``list.extend`` over ``zip(reader, line numbers)``, so the
    common record costs no Python bytecode at all; blank and quote checks run
    per batch in polars. Records csv rejects (text after a closing quote, a
    quote never closed, an oversized field) and records whose values hold a
    quote (escaped, or stray in unquoted text) are parsed again from their raw
    lines by :func:`_parse`, which names the problem (F207) and cuts a record
    whose quote swallowed the following lines, so that those lines are read
    as records again. Records are contiguous: each starts on the line after
    the previous one ends.
    """

    def __init__(self, sep: str, issues: list[_Issue], *, hint: bool = False) -> None:
        self.sep = sep
        self.issues = issues
        self.hint = hint  # the first record is Excel's sep= line (see Records.sep_line)
        self._chunks: list[pl.DataFrame] = []
        self._rows: list[tuple[list[str], int]] = []  # (fields, last line) since the last flush
        self._absolute = 0  # rows before this index hold absolute line numbers already
        self._recovered: set[int] = set()  # rows parsed by _parse already (no second look)
        self._base = 0  # the physical line before the current csv.reader's first line
        self._last_end = 0  # last line of the records already flushed
        self._count = 0
        self._extra_breaks = [0, 0, 0]  # line breaks inside fields past the second
        # Records with more than two fields, by index: the last non-blank field, the rest.
        self._filled: dict[int, int] = {}
        self._rest: dict[int, str] = {}
        self.first_cells: tuple[str, ...] | None = None
        self.first_index: int | None = None
        # Chosen from the header by name (see Records.columns), at the first flush that
        # holds enough non-blank records to decide (or the last); None: by position.
        self.columns: tuple[int, int] | None = None
        self._chosen = False
        # The header chosen by name when it sits below a title (see Records.header_cells).
        self.header_cells: tuple[str, ...] | None = None
        self.header_index: int | None = None
        self._beyond = 2  # the fields past this many are what an F205 says was not read

    def run(self, stream: IO[str]) -> Records:
        batches = _Batches(stream)
        feed: Iterator[str] = batches.lines()
        while True:
            reader = csv.reader(feed, delimiter=self.sep, quotechar='"', strict=True)
            numbers = iter(partial(attrgetter("line_num"), reader), None)
            records = zip(reader, numbers, strict=False)  # numbers never ends
            try:
                while True:
                    # Rows held back until the columns are chosen (see _flush) are a batch
                    # of their own: read a whole batch more.
                    want = _FLUSH - len(self._rows) if self._chosen else _FLUSH
                    before = len(self._rows)
                    self._rows.extend(islice(records, want))
                    if len(self._rows) - before < want:
                        break
                    self._flush(batches)
                break
            except csv.Error:
                self._make_absolute()
                done = self._rows[-1][1] if self._rows else self._last_end
                feed = self._recover(done + 1, self._base + reader.line_num, feed, batches)
        self._flush(batches, last=True)
        table = (
            pl.concat(self._chunks, rechunk=False)  # no second copy of every string
            if self._chunks
            else pl.DataFrame(schema=RECORD_SCHEMA)
        )
        lead = None
        if "lead" in table.columns:  # see _select_columns
            lead, table = table.get_column("lead"), table.drop("lead")
        mixed = self._terminators(table, batches)
        if mixed:
            self.issues.insert(0, mixed)
        extra = None
        if self._filled:
            at = list(self._filled)
            extra = pl.DataFrame(
                {
                    "filled": table.get_column("nfields")
                    .clip(upper_bound=2)
                    .scatter(at, list(self._filled.values())),
                    "rest": pl.repeat(None, table.height, dtype=pl.String, eager=True).scatter(
                        at, list(self._rest.values())
                    ),
                }
            )
        return Records(
            table,
            self.first_cells,
            self.first_index,
            "csv",
            self.sep,
            sep_line=self.hint,
            extra=extra,
            columns=self.columns,
            header_cells=self.header_cells,
            header_index=self.header_index,
            lead=lead,
        )

    def _make_absolute(self) -> None:
        """Turn the reader-relative line numbers collected so far into physical ones."""
        rows, base = self._rows, self._base
        if base:
            rows[self._absolute :] = [(f, n + base) for f, n in rows[self._absolute :]]
        self._absolute = len(rows)

    def _recover(
        self, start: int, error_line: int, feed: Iterator[str], batches: _Batches
    ) -> Iterator[str]:
        """Parse a record csv rejected; return the lines to go on with."""
        raws = batches.raw(start, error_line)
        body, eol = _split_eol(raws[0])
        more = _Lines(chain(raws[1:], feed))
        parsed = _parse(body, eol, self.sep, more)
        if parsed.fatal is None:
            fields, end = parsed.fields, start + len(parsed.consumed)
            if parsed.problem:
                line = start + parsed.problem_line
                self.issues.append(_Issue("F207", line, parsed.problem, parsed.literal))
        else:  # cut the record at its first line; read the swallowed lines again
            more.push_back(parsed.consumed)
            fields, end = _parse(body, eol, self.sep, None).fields, start
            self.issues.append(_Issue("F207", start, _fatal_message(parsed, start)))
        self._recovered.add(len(self._rows))
        self._rows.append((fields, end))
        self._absolute = len(self._rows)
        self._base = end
        return more.remaining()

    def _diagnose_quotes(self, start: int, end: int, batches: _Batches) -> None:
        """csv accepted a record whose values hold a quote: escaped (fine) or stray (F207)?"""
        raws = batches.raw(start, end)
        body, eol = _split_eol(raws[0])
        parsed = _parse(body, eol, self.sep, _Lines(iter(raws[1:])))
        if parsed.problem:
            line = start + parsed.problem_line
            self.issues.append(_Issue("F207", line, parsed.problem, parsed.literal))

    def _flush(self, batches: _Batches, *, last: bool = False) -> None:
        """Turn the rows collected into a chunk of the table; before the columns are
        chosen, and unless this is the ``last`` flush, rows too few to choose them
        from (all but a few blank records) are held back for the next batch."""
        self._make_absolute()
        rows = self._rows
        if not rows:
            return
        fields = [f for f, _ in rows]
        if not self._chosen and not self._choose_columns(fields, last=last):
            return
        ends = [n for _, n in rows]
        starts = [self._last_end + 1, *(n + 1 for n in ends[:-1])]
        chunk = self._frame(fields, starts)
        if self.hint and self._count == 0:
            chunk = chunk.with_columns(blank=chunk["blank"].clone().scatter(0, True))
        # Values holding a quote are rare: parse those records again from their raw lines
        # (same values as csv's; only a stray quote's F207 is new).
        for i in chunk.select(pl.arg_where(pl.col("quoted"))).to_series():
            if i not in self._recovered:
                self._diagnose_quotes(starts[i], ends[i], batches)
        self._chunks.append(chunk.drop("quoted"))
        blank = chunk["blank"]
        if self.first_cells is None and not blank.all():
            i = int(blank.arg_min() or 0)
            self.first_cells, self.first_index = tuple(fields[i]), self._count + i
        self._count += len(rows)
        self._last_end = ends[-1]
        batches.forget_before(self._last_end + 1)
        self._rows, self._absolute, self._recovered = [], 0, set()

    def _choose_columns(self, fields: list[list[str]], *, last: bool) -> bool:
        """Decide :attr:`columns` (:func:`~p2pfile._sniff.choose_header`) from the first
        non-blank records of the rows not flushed yet (the first flush's, or the rows
        held back since); False while they are too few to decide, and not the ``last``.
        """
        wanted = 1 + HEADER_LOOKAHEAD
        skip = 1 if self.hint and self._count == 0 else 0  # Excel's sep= line
        found: list[int] = []
        for i in range(skip, len(fields)):
            if any(map(_NONSPACE.search, fields[i])):
                found.append(i)
                if len(found) == wanted:
                    break
        if len(found) < wanted and not last:
            return False
        self._chosen = True
        choice = choose_header([fields[i] for i in found])
        if choice is not None:
            header = fields[found[choice.at]]
            self.columns = choice.columns
            self._beyond = len(trim_empty_columns(header))
            if choice.at:
                self.header_cells = tuple(header)
                self.header_index = self._count + found[choice.at]
        return True

    def _frame(self, fields: list[list[str]], starts: list[int]) -> pl.DataFrame:
        """A batch of records as RECORD_SCHEMA plus ``quoted`` (some value holds a quote)."""
        chunk = pl.DataFrame(
            {
                "line": starts,
                "nfields": [len(f) for f in fields],
                "blank": None,
                "recipient": [f[0] if f else "" for f in fields],
                "message": [f[1] if len(f) > 1 else None for f in fields],
            },
            schema=RECORD_SCHEMA,
        )
        cells = [pl.col("recipient"), pl.col("message").fill_null("")]
        chunk = chunk.with_columns(
            blank=pl.all_horizontal(~c.str.contains(NONSPACE_PATTERN) for c in cells),
            quoted=pl.any_horizontal(c.str.contains('"', literal=True) for c in cells),
        )
        wide = chunk.select(pl.arg_where(pl.col("nfields") > 2)).to_series()
        if wide.len():  # cells past the second: checked in Python, they are rare
            extras = ["".join(fields[i][2:]) for i in wide]
            for i in wide:
                self._filled[self._count + i] = _last_filled(fields[i])
                self._rest[self._count + i] = self.sep.join(fields[i][self._beyond :])
            for extra in extras:
                crlf = extra.count("\r\n")
                self._extra_breaks[0] += crlf
                self._extra_breaks[1] += extra.count("\n") - crlf
                self._extra_breaks[2] += extra.count("\r") - crlf
            blank = chunk["blank"].clone()
            quoted = chunk["quoted"].clone()
            blank.scatter(
                wide, blank.gather(wide) & pl.Series([not _NONSPACE.search(e) for e in extras])
            )
            quoted.scatter(wide, quoted.gather(wide) | pl.Series(['"' in e for e in extras]))
            chunk = chunk.with_columns(blank=blank, quoted=quoted)
        if self.columns is not None and self.columns != (0, 1):
            chunk = self._select_columns(chunk, fields)
        return chunk

    def _select_columns(self, chunk: pl.DataFrame, fields: list[list[str]]) -> pl.DataFrame:
        """``chunk`` with the columns chosen by name as recipient and message (blank and
        quoted were judged on every field already), and the first column as ``lead``
        when they leave it out (see :attr:`Records.lead`)."""
        assert self.columns is not None
        recipient, message = self.columns
        picked = chunk.with_columns(
            recipient=pl.Series([f[recipient] if len(f) > recipient else None for f in fields]),
            message=pl.Series([f[message] if len(f) > message else None for f in fields]),
        ).cast({"recipient": pl.String, "message": pl.String})
        if 0 not in self.columns:
            picked = picked.with_columns(chunk.get_column("recipient").alias("lead"))
        # F105 counts the line breaks in the table's two columns plus those in the fields
        # past the second (_extra_breaks): move the difference there, so that the sum
        # still covers every field.
        before, after = _line_breaks(chunk), _line_breaks(picked)
        for kind in range(3):
            self._extra_breaks[kind] += before[kind] - after[kind]
        return picked

    def _terminators(self, table: pl.DataFrame, batches: _Batches) -> _Issue | None:
        """F105 from the line endings of all lines minus those inside values."""
        if sum(1 for n in (batches.crlf, batches.lf, batches.cr) if n) < 2 and not batches.cr:
            return None
        crlf, lf, cr = _line_breaks(table)
        crlf_in = crlf + self._extra_breaks[0]
        lf_in = lf + self._extra_breaks[1]
        cr_in = cr + self._extra_breaks[2]
        return _mixed_endings(batches.crlf - crlf_in, batches.lf - lf_in, batches.cr - cr_in)


def _line_breaks(chunk: pl.DataFrame) -> tuple[int, int, int]:
    """CRLF, lone LF and lone CR line breaks inside the recipient and message cells."""
    crlf, lf, cr = chunk.select(
        pl.sum_horizontal(
            pl.col(c).str.count_matches(p, literal=True).fill_null(0).sum()
            for c in ("recipient", "message")
        ).alias(p)
        for p in ("\r\n", "\n", "\r")
    ).row(0)
    return int(crlf), int(lf) - int(crlf), int(cr) - int(crlf)


def _last_filled(fields: list[str]) -> int:
    """The 1-based position of the last non-blank field past the second, else 2."""
    for i in range(len(fields) - 1, 1, -1):
        if _NONSPACE.search(fields[i]):
            return i + 1
    return 2


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
