"""F1xx (file and container) and F2xx (table structure): found by the reader.

These rules have documentation here; the findings themselves come from
``p2pfile.reader`` (bytes, encoding, structure) and ``p2pfile.check``
(file size limits).
"""

from __future__ import annotations

from p2pfile.rules import file_rule

file_rule(
    "F101",
    "io-error",
    "error",
    """The file cannot be opened or read.

    Why: nothing in it can be checked or sent.
    Example: a path that does not exist, a directory, a file without read permission.
    Fix: check the path and the permissions.
    """,
)
file_rule(
    "F102",
    "unsupported-format",
    "error",
    """The content is neither CSV text nor an XLSX workbook.

    The format is sniffed from the bytes, never from the extension: an old
    .xls (OLE2) workbook, a PDF, an image or a zip that is not a workbook are
    all F102. A .csv that is really XLSX (or the reverse) is read by its real
    format and reported here too, because the provider may trust the name.
    Fix: export the sheet as CSV (UTF-8) or .xlsx.
    """,
)
file_rule(
    "F103",
    "invalid-encoding",
    "error",
    """The file is not valid UTF-8.

    Why: the provider reads UTF-8; Persian text in another encoding arrives as
    mojibake. The message names the encoding p2pfile detected (UTF-16,
    cp1256 as Persian Excel writes it, ...), the byte offset and the line of
    the first bad byte. When the detection is confident the rows are still
    checked on the decoded text; otherwise only this finding is reported.
    Fix (unsafe): ``p2pfile fix --unsafe-fixes`` transcodes to UTF-8.
    """,
    fix="unsafe",
    fix_message="transcode the file to UTF-8",
)
file_rule(
    "F104",
    "byte-order-mark",
    "warning",
    """The file starts with a UTF-8 byte order mark (BOM).

    Why: some readers take the BOM as part of the first header cell
    (``\\ufeffrecipient``), so the header no longer matches.
    Fix (safe): the BOM is removed.
    """,
    fix="safe",
    fix_message="remove the byte order mark",
)
file_rule(
    "F105",
    "mixed-line-endings",
    "warning",
    """Records are separated by both CRLF and LF, or by bare CRs only.

    Why: a mix is a sign of files concatenated from different tools, and some
    readers split records wrongly; bare CRs (classic Mac line endings, Excel's
    "CSV (Macintosh)") are one long line to a reader that splits on LF.
    Fix (safe): every record ends with LF.
    """,
    fix="safe",
    fix_message="end every record with LF",
)
file_rule(
    "F106",
    "empty-file",
    "error",
    """The file has no bytes, or a header and no data rows.

    Why: an upload with nothing to send fails or sends nothing.
    Fix: check that the export wrote the rows.
    """,
)
file_rule(
    "F107",
    "multiple-sheets",
    "error",
    """An XLSX workbook has data on a second or later sheet.

    Data is a cell that could be a recipient: one the recipient column's own
    number normalizer reads as a valid number (Persian or ASCII digits,
    spaces, separators and invisible marks allowed, as there). Ratios and
    amounts (``0.9565``, ``1,250,000,000 ریال``) are not. A sheet of
    other text only (a hidden lookup sheet of dropdown lists: cities,
    branches) is not reported. A sheet the reader cannot load is reported
    too, as it may hold rows. The message says which sheets are hidden in
    Excel.

    Why: the provider reads one sheet; every row on the others would be
    silently lost. Fix: move all rows to the first sheet, or split the
    workbook into one file per sheet.
    """,
)
file_rule(
    "F108",
    "file-too-large",
    "error",
    """More rows or bytes than the configured maximum (``max-rows``, ``max-bytes``).

    Why: a guard against uploading the wrong file, and against reading a
    huge XLSX into memory. Fix: split the file, or raise the limit.
    """,
)
file_rule(
    "F109",
    "numeric-recipient-cells",
    "warning",
    """XLSX recipient cells are stored as numbers, not text.

    Why: Excel already dropped the leading zero (``9121234567``) or will show
    long numbers in scientific notation. p2pfile reads the exact digits, but
    the next tool may not. Example: a column typed by hand into Excel.
    Fix: format the column as Text before typing or pasting numbers.
    """,
)
file_rule(
    "F110",
    "hidden-rows",
    "warning",
    """XLSX rows with data that are hidden in Excel: filtered out by an
    AutoFilter, or hidden by hand.

    Why: filtering a customer list to one city or segment and saving it is a
    common way to prepare a send, but a filter only hides rows: the provider
    reads the sheet and sends every row, hidden or not. The finding names the
    first hidden rows.
    Example: an AutoFilter on column C shows the 40 Tehran customers of 300;
    all 300 would get the message.
    Fix: delete the rows not to send (or copy the visible cells to a new
    sheet); if every row is meant to go, unhide them, or ignore F110.
    """,
)
file_rule(
    "F111",
    "valued-message-cells",
    "warning",
    """XLSX message cells are stored as numbers, dates or TRUE/FALSE, not text.

    Why: such a cell is sent as its value, while Excel shows it through the
    cell's number format: a voucher code ``00012345`` is the number 12345,
    ``20%`` is 0.2, ``1,234.50 تومان`` is 1234.5, a Persian long date is
    ``2023-03-15``. The user proof-read what Excel showed. p2pfile sends the
    value (a date without a time as ``2023-03-15``) and names the first cell.
    Example: a column of codes typed into Excel, formatted ``00000000``.
    Fix: format the column as Text and retype the values, or build the text
    with ``=TEXT(A2,"00000000")`` and paste it as values.
    """,
)
file_rule(
    "F201",
    "missing-header",
    "error",
    """The first record is data (a recipient-like value), not a header.

    Why: the provider expects ``recipient,message`` on line 1 and would drop
    or reject the first recipient. Fix (safe): the header is inserted; the
    first record stays as data.
    """,
    fix="safe",
    fix_message="add the header recipient,message",
)
file_rule(
    "F202",
    "header-mismatch",
    "error",
    """The header is not exactly ``recipient,message``.

    Columns are read by position (first = recipient, second = message). A
    known alias (``Recipient``, ``mobile``, ``phone``, ``number``, ``شماره``,
    ``موبایل``, ``text``, ``body``, ``متن``, ``پیام``, ...) has a safe fix;
    another header has none, since it may mean the columns are swapped.
    Fix (safe for aliases): the header is rewritten.
    """,
    fix="safe",
    fix_message="write the header recipient,message",
)
file_rule(
    "F203",
    "extra-column",
    "error",
    """The header has more than two columns.

    Why: the provider reads two columns; anything after the second is lost.
    When the header names exactly one recipient column and one message column
    (known names, English or Persian, in any positions), those two are read
    and the finding names the columns ignored; otherwise the first two are
    read by position.
    Example: a CRM export ``Name,Mobile,Message`` (or ``نام,موبایل,متن پیام``)
    is read as recipient ``Mobile`` and message ``Message``; ``Name`` is ignored.
    Fix (unsafe, only when the columns are chosen by name):
    ``p2pfile fix --unsafe-fixes`` writes the canonical ``recipient,message``
    file from those two columns and drops the others. Otherwise: remove the
    extra columns, or merge them into the message.
    """,
    fix="unsafe",
    fix_message="keep the recipient and message columns, drop the others",
)
file_rule(
    "F204",
    "missing-cell",
    "error",
    """A record has fewer fields than the header.

    Example: ``09121234567`` alone on a line. Fix: add the message, or remove the line.
    """,
)
file_rule(
    "F205",
    "extra-cell",
    "error",
    """A record has more fields than the header.

    Usually an unquoted comma inside a message: ``09121234567,Hi, Ali`` is
    three fields. Fix: quote the message (``"Hi, Ali"``).
    """,
)
file_rule(
    "F206",
    "blank-row",
    "warning",
    """An empty record (a blank line in a CSV, an empty row in an XLSX).

    Why: harmless to read, but some uploaders count it as a recipient.
    Fix (safe): the blank row is removed.
    """,
    fix="safe",
    fix_message="remove the blank rows",
)
file_rule(
    "F207",
    "malformed-quoting",
    "error",
    """An unterminated or stray double quote.

    Why: everything after an unterminated quote becomes one giant message.
    The message names the line where the damage starts. Fix: close the
    quote, or double quotes inside quoted fields (``""``).

    Pairs of quotes inside unquoted text (``09123456789,he said "hi" ok``) have
    one reading, the text as written, which Excel, Python's csv and polars all
    give; such a record of two fields is read so, and the fix (safe) writes the
    field quoted (``"he said ""hi"" ok"``) instead of rejecting the row.

    A line break left unquoted inside a message (SSMS, bcp, MySQL's ``INTO
    OUTFILE``) cuts it: the rest becomes one-field records (F204). The record
    cut is F207, and the fix rejects it rather than send half a message, only
    when that is sure: a backslash escapes the break (MySQL), the break is a
    bare CR in a file whose lines end with LF, or the file has such breaks after
    two records or more (a line closing the file does not count: footers do). A
    single short line after a good row may as well be a footer or a comment: its
    F204 says what it may be, and the row is sent.
    """,
    fix="safe",
    fix_message="quote the field, keeping its text as read",
)
file_rule(
    "F208",
    "wrong-delimiter",
    "error",
    """The file is delimited by ``;``, tab, or the Arabic comma ``،`` or semicolon ``؛``
    instead of ``,``.

    Why: Excel in some locales writes ``;``; the provider expects commas.
    Fix (safe): the file is rewritten with commas.
    """,
    fix="safe",
    fix_message="write the file with ',' between the columns",
)
file_rule(
    "F209",
    "index-column",
    "error",
    """The first column is a row index: the header leaves it unnamed (or names it
    ``Unnamed: 0`` or ``index``), or leaves it out (every record then has one field
    more than the header), and below it the rows are numbered exactly
    ``0, 1, 2, ...`` (pandas) or ``1, 2, 3, ...`` (R). Or the first column is
    unnamed and empty in every row: a workbook whose table starts in column B
    (``to_excel(startcol=1)``, a template with a margin column).

    Why: pandas writes its index as the first column unless told
    ``index=False``, and R's ``write.csv`` its row names unless
    ``row.names=FALSE``; the provider reads the first column as the recipient,
    so every row would fail. The recipient and message columns are read by
    their names (as for F203), and the index holds nothing else: it is not
    data, so dropping it loses nothing.
    Example: ``,recipient,message`` then ``0,09121234567,سلام``; R's
    ``write.table``: ``"recipient","message"`` then ``"1","09121234567","سلام"``.
    Fix (safe): the file is written without the index (or the empty column).
    Numbers with gaps (a filtered frame's index, or ids in order), numbers out
    of order, or another column left out are F203 instead, whose fix is
    unsafe: such a column may be data.
    """,
    fix="safe",
    fix_message="drop the first column (a row index, or empty)",
)
file_rule(
    "F210",
    "rejects-file",
    "warning",
    """The file is a rejects file ``p2pfile fix --rejects`` wrote: the header is
    ``line,row,recipient,message,codes,reasons`` (in any case, some of the four
    bookkeeping columns may be left out; a column fix never writes makes it F203).

    The recipient and message columns are read by name; ``line``, ``row``,
    ``codes`` and ``reasons`` are what fix wrote about each row, not data.
    Why: the way to save rejected rows is to correct them in the rejects file
    and fix it again; under F203 that needed ``--unsafe-fixes``, which also
    rewrites messages (M203, M105).
    Example: ``p2pfile fix export.csv -o clean.csv --rejects rejects.xlsx``,
    correct the numbers in rejects.xlsx, then
    ``p2pfile fix rejects.xlsx -o more.csv --rejects still.csv``.
    Fix (safe): the file is written without the four columns fix added. The
    ``line`` of each row is then the rejects file's own, not the export's.
    In such a file a recipient like ``9123460000`` (six digits at most, then
    zeros, no leading 0) is what a spreadsheet saves for ``9.12346E+09``: it
    is P206 again, and the row stays rejected.
    """,
    fix="safe",
    fix_message="drop the columns line, row, codes and reasons",
)
