"""Reading CSV files: locations, structure, encodings, delimiters, junk.

Most cases run twice: through the polars fast path and with it switched off,
so the exact pass is held to the same answers (``both_paths``).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2pfile import _read_csv, _sniff
from p2pfile.reader import FRAME_SCHEMA, FileIssue, ReadResult, read_bytes, read_file

CLEAN = "recipient,message\n09121234567,سلام\n"


def rows(result: ReadResult) -> list[tuple[object, ...]]:
    return result.frame.rows()


def codes(result: ReadResult) -> list[str]:
    return [i.code for i in result.issues]


def issue(result: ReadResult, code: str) -> FileIssue:
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, result.issues
    return found[0]


# --- a clean file -----------------------------------------------------------


def test_clean_file_has_no_findings(both_paths: str) -> None:
    r = read_bytes(CLEAN.encode(), "jan.csv")
    assert r.issues == ()
    assert r.format == "csv"
    assert r.encoding == "utf-8"
    assert r.delimiter == ","
    assert r.header == ("recipient", "message")
    assert r.numeric_recipient_rows == 0
    assert r.path == "jan.csv"
    assert r.frame.schema == pl.Schema(FRAME_SCHEMA)
    assert rows(r) == [(2, 1, "09121234567", "سلام")]


def test_clean_file_takes_the_fast_path(fast_only: None, tmp_path: Path) -> None:
    body = 'recipient,message\n0912,"two\nlines"\r\n0913,"a, b"\n'
    p = tmp_path / "x.csv"
    p.write_bytes(body.encode())
    r = read_file(p)
    assert rows(r) == [(2, 1, "0912", "two\nlines"), (4, 2, "0913", "a, b")]
    assert codes(r) == ["F105"]


def test_read_file_and_read_bytes_agree(tmp_path: Path) -> None:
    body = b'recipient,message\n0912,"a\nb"\n\n0913,x,y\n'
    p = tmp_path / "x.csv"
    p.write_bytes(body)
    from_file, from_bytes = read_file(p), read_bytes(body, str(p))
    assert from_file.frame.equals(from_bytes.frame)
    assert from_file.issues == from_bytes.issues
    assert from_file.path == str(p)


# --- line numbers -------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_multiline_messages_keep_physical_line_numbers(both_paths: str, eol: str) -> None:
    body = eol.join(
        [
            "recipient,message",
            '0912,"first',
            'second"',
            "0913,plain",
            '0914,"a',
            "",
            'c"',
            "0915,end",
        ]
    )
    r = read_bytes((body + eol).encode())
    assert r.issues == ()
    assert [(line, row) for line, row, *_ in rows(r)] == [(2, 1), (4, 2), (5, 3), (8, 4)]
    assert r.frame["message"].to_list() == [f"first{eol}second", "plain", f"a{eol}{eol}c", "end"]


def test_blank_lines_are_f206_and_not_rows(both_paths: str) -> None:
    r = read_bytes(b"recipient,message\n0912,a\n\n0913,b\n   \n,\n0914,c\n\n")
    assert [(i.code, i.line, i.fixable) for i in r.issues] == [
        ("F206", 3, True),
        ("F206", 5, True),
        ("F206", 6, True),
        ("F206", 8, True),
    ]
    assert [(line, row) for line, row, *_ in rows(r)] == [(2, 1), (4, 2), (7, 3)]


def test_blank_lines_before_the_header(both_paths: str) -> None:
    r = read_bytes(b"\n\nrecipient,message\n0912,a\n")
    assert [(i.code, i.line) for i in r.issues] == [("F206", 1), ("F206", 2)]
    assert r.header == ("recipient", "message")
    assert rows(r) == [(4, 1, "0912", "a")]


def test_file_without_final_newline(both_paths: str) -> None:
    r = read_bytes(b"recipient,message\r\n0912,a\r\n0913,b")
    assert r.issues == ()
    assert rows(r) == [(2, 1, "0912", "a"), (3, 2, "0913", "b")]


@pytest.mark.parametrize(
    ("body", "line", "where"),
    [
        (b"recipient,message\r\n0912,a\r\n0913,b\r\n\x1a", 4, "holds only"),
        (b"recipient,message\n0912,a\n0913,b\x1a\x1a", 3, "ends with"),
    ],
)
def test_dos_end_of_file_mark_is_one_f206_and_not_data(
    both_paths: str, tmp_path: Path, body: bytes, line: int, where: str
) -> None:
    # Old Windows tools close a file with Ctrl-Z. It is one finding, not a short
    # record with a bad number and an empty message, and never part of a message.
    p = tmp_path / "dos.csv"
    p.write_bytes(body)
    for r in (read_file(p), read_bytes(body)):
        assert rows(r) == [(2, 1, "0912", "a"), (3, 2, "0913", "b")]
        found = issue(r, "F206")
        assert (found.line, found.fixable) == (line, True)
        assert f"line {line} {where} a DOS end-of-file mark" in found.message
        assert codes(r) == ["F206"]


def test_cr_only_line_breaks_still_read(both_paths: str) -> None:
    r = read_bytes(b'recipient,message\r0912,"x\ry"\r0913,b\r')
    assert [i.code for i in r.issues] == ["F105"]  # see test_bare_cr_line_endings_are_f105
    assert rows(r) == [(2, 1, "0912", "x\ry"), (4, 2, "0913", "b")]


@pytest.mark.parametrize("after", ["\u060c \u0633\u0627\u0639\u062a \u06f9", "; 9am-5pm", "\t9am"])
def test_cr_only_file_keeps_its_delimiter_past_a_phone_in_a_quoted_message(
    both_paths: str, after: str
) -> None:
    # Excel's "CSV (Macintosh)": records end with CR, and a line break typed in a cell is
    # LF. A phone number opening the message's second line, then a delimiter candidate,
    # once made the sniffer read the file as delimited by that candidate: every row lost.
    message = f"call us\n021 8877 6655{after}"
    body = f'recipient,message\r09121234567,"{message}"\r09351234568,hi\r'
    r = read_bytes(body.encode())
    assert r.delimiter == ","
    assert codes(r) == ["F105"]
    assert rows(r) == [(2, 1, "09121234567", message), (4, 2, "09351234568", "hi")]


# --- structure ----------------------------------------------------------------


def test_short_record_is_f204_with_a_null_message(both_paths: str) -> None:
    r = read_bytes(b"recipient,message\n0912\n0913,\n0914,ok\n")
    f204 = issue(r, "F204")
    assert (f204.line, f204.row) == (2, 1)
    assert f204.message == "record has 1 field, the header has 2"
    # "0913," is a complete record with an empty message, not a short one.
    assert rows(r) == [(2, 1, "0912", None), (3, 2, "0913", ""), (4, 3, "0914", "ok")]


@pytest.mark.parametrize(
    ("body", "escaped", "cut_rows"),
    [
        # SSMS "Save Results As CSV" / bcp: the break is written as it is, unquoted; an
        # exporter's habit, so more than one message in the file is cut.
        (
            "recipient,message\r\n09121234567,سلام علی\r\nکد تخفیف: 1234\r\n"
            "09351234568,Hello\r\nsee you\r\n0936,hi\r\n",
            False,
            [1, 3],
        ),
        # MySQL INTO OUTFILE: a backslash escapes the break; tab-delimited, no header.
        ("09121234567\tسلام\\\nخط دوم\n0935\thi\n", True, [1]),
        # A bare CR from database text inside an unquoted message of an LF file.
        ("recipient,message\n09121234567,line1\rline2\n0935,hi\n", False, [1]),
    ],
)
def test_unquoted_line_break_in_a_message_marks_the_record_it_cuts(
    both_paths: str, body: str, escaped: bool, cut_rows: list[int]
) -> None:
    r = read_bytes(body.encode())
    lines = {row: line for line, row, *_ in rows(r)}
    cut = [i for i in r.issues if i.code == "F207"]
    # The record holding only the first line of its message is an error of its own,
    # at its line and row, so that nothing treats it as a complete message.
    assert [(i.line, i.row, i.fixable) for i in cut] == [(lines[n], n, False) for n in cut_rows]
    assert "a line break inside the message is not quoted" in cut[0].message
    assert ("MySQL's INTO OUTFILE" in cut[0].message) is escaped
    rest = next(i for i in r.issues if i.code == "F204")
    assert (rest.line, rest.row) == (lines[1] + 1, 2)
    assert f"looks like the rest of line {lines[1]}'s message" in rest.message


@pytest.mark.parametrize(
    "after",
    [
        "Total: 2",  # a footer typed in Notepad
        "# end of export",  # a comment
        "Ali Rezaei",  # a row missing its number and message
        "Export of 2024-05-01\nrecipient,message",  # two exports joined
        "سلام علی",  # or a message cut by a line break: once proves nothing
    ],
)
def test_one_short_line_after_a_good_row_is_only_said_to_maybe_continue_it(
    both_paths: str, after: str
) -> None:
    # A line break left unquoted once looks just like a footer or a comment after a good
    # row: the row is not rejected on that (no F207); the short record says what it may be.
    r = read_bytes(f"recipient,message\n09121234567,Hello\n{after}\n0936,hi\n".encode())
    assert "F207" not in codes(r)
    rest = next(i for i in r.issues if i.code == "F204")
    assert rest.line == 3
    assert "it may be the rest of line 2's message" in rest.message


def test_a_footer_closing_the_file_is_no_second_cut_message(both_paths: str) -> None:
    # A comment after one row and a footer closing the file: two short lines, but a
    # footer is what a file's last line so often is that it proves no exporter's habit.
    r = read_bytes(b"recipient,message\n09121234567,Hello\n# batch 2\n09121234568,Bye\nTotal: 2\n")
    assert "F207" not in codes(r)
    hints = [i.line for i in r.issues if "it may be the rest of line" in i.message]
    assert hints == [3, 5]


@pytest.mark.parametrize(
    "body",
    [
        # The message before is quoted: its quotes would have held a line break.
        'recipient,message\n"09121234567","Hello dear"\nTotal: 1\n0936,"hi"\nTotal: 2\n',
        # The short line is quoted: a value of its own, not text leaked from a message.
        'recipient,message\n09121234567,Hello\n"Ali Rezaei"\n0936,hi\n"Reza"\n',
        # Null markers and rule lines hold no text a message goes on with.
        "recipient,message\n"
        + "".join(
            f"0912100000{i},good {i}\n{m}\n"
            for i, m in enumerate(["-----", "0", "-", "NULL", "nan", "NA", "#N/A", "N/A"])
        ),
        # The last field is a column that is not written: nothing of the message is lost.
        "recipient,message,name\n09121234567,hello,Ali\nReza\n09121234568,hi,Sara\nMina\n",
        # Columns chosen by name: the last field is not the message.
        "id,name,mobile,text\n1,Ali,09121234567,hello\nReza\n2,Sara,09121234568,hi\nMina\n",
    ],
)
def test_short_lines_that_cannot_be_a_messages_rest_never_reject_the_row_before(
    both_paths: str, body: str
) -> None:
    r = read_bytes(body.encode())
    assert "F207" not in codes(r)
    assert all("rest of line" not in i.message for i in r.issues)


@pytest.mark.parametrize("every", [1, 2, 50])
def test_short_record_found_among_empty_messages(every: int) -> None:
    """Records with an empty last cell are proven by their bytes when few and by counting
    delimiters when many (a column left empty); both must find the one short record."""
    lines = [f"0912{i:07d}," + ("" if i % every == 0 else f"hi {i}") for i in range(200)]
    lines[120] = "09120000120"
    data = ("recipient,message\n" + "\n".join(lines) + "\n").encode()
    r = read_bytes(data)
    f204 = issue(r, "F204")
    assert (f204.line, f204.row) == (122, 121)
    assert r.frame.height == 200


def test_complete_records_with_empty_messages_take_the_fast_path(fast_only: None) -> None:
    lines = [f"0912{i:07d}," + ("" if i % 7 == 0 else f'"hi, {i}"') for i in range(100)]
    r = read_bytes(("recipient,message\n" + "\n".join(lines) + "\n").encode())
    assert codes(r) == []
    assert r.frame.get_column("message").to_list()[:2] == ["", "hi, 1"]


def test_long_record_is_f205_and_keeps_two_fields(both_paths: str) -> None:
    r = read_bytes("recipient,message\n0912,سلام, دنیا\n0913,ok\n".encode())
    f205 = issue(r, "F205")
    assert (f205.line, f205.row) == (2, 1)
    assert f205.message.startswith(
        "record has 3 fields, the header has 2; an unquoted ',' in the message?"
    )
    assert rows(r) == [(2, 1, "0912", "سلام"), (3, 2, "0913", "ok")]


def test_unterminated_quote_names_its_line_and_the_rest_is_read(both_paths: str) -> None:
    r = read_bytes(b'recipient,message\n0912,ok\n0913,"never closed\n0914,next\n0915,last\n')
    f207 = issue(r, "F207")
    assert (f207.line, f207.row) == (3, 2)
    assert "never closed" in f207.message
    assert "line 3" in f207.message
    assert rows(r) == [
        (2, 1, "0912", "ok"),
        (3, 2, "0913", "never closed"),
        (4, 3, "0914", "next"),
        (5, 4, "0915", "last"),
    ]


def test_stray_quote_that_closes_on_a_later_line(both_paths: str) -> None:
    r = read_bytes(b'recipient,message\n0912,"oops\n0913,"fine"\n0914,x\n')
    f207 = issue(r, "F207")
    assert f207.line == 2
    assert "only closes on line 3" in f207.message
    assert rows(r) == [(2, 1, "0912", "oops"), (3, 2, "0913", "fine"), (4, 3, "0914", "x")]


def test_quote_inside_unquoted_text_and_text_after_closing_quote(both_paths: str) -> None:
    r = read_bytes(b'recipient,message\n0912,say "hi"\n0913,"quoted" tail\n0914,ok\n')
    assert [(i.code, i.line, i.row) for i in r.issues] == [("F207", 2, 1), ("F207", 3, 2)]
    assert "quote inside unquoted text" in r.issues[0].message
    assert "after its closing quote" in r.issues[1].message
    assert r.frame["message"].to_list() == ['say "hi"', "quoted tail", "ok"]
    # Pairs of quotes in unquoted text have one reading: a fix keeps it. Text after a
    # closing quote lost its quotes in the reading: no fix can know what was meant.
    assert [i.fixable for i in r.issues] == [True, False]
    assert "read as written, and the fix quotes the field" in r.issues[0].message


@pytest.mark.parametrize(
    "record",
    [
        '0912,he said "hi\n0913,ok" there',  # a pair split over two records
        '0912,5" screen',  # one quote: it may open something
        '0912,a "b, c" d',  # a comma between the quotes: three fields
        '0912,"x" y "z"',  # text after a closing quote
        '0912,say "hi",extra',  # three fields
    ],
)
def test_quotes_in_unquoted_text_with_another_reading_are_not_fixable(
    both_paths: str, record: str
) -> None:
    r = read_bytes(f"recipient,message\n{record}\n0919,ok\n".encode())
    f207 = [i for i in r.issues if i.code == "F207"]
    assert f207
    assert not any(i.fixable for i in f207)
    assert all("fix quotes the field" not in i.message for i in f207)


def test_escaped_quotes_are_fine(both_paths: str) -> None:
    r = read_bytes(b'recipient,message\n0912,"code ""SALE"", now"\n')
    assert r.issues == ()
    assert rows(r) == [(2, 1, "0912", 'code "SALE", now')]


@pytest.mark.parametrize("small", [True, False])
def test_quote_bearing_records_take_the_fast_path(
    fast_only: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small: bool
) -> None:
    """Quotes in values are common in real messages; they are proven against the raw
    bytes (in memory, or streamed for large files) instead of re-reading the file."""
    if not small:
        monkeypatch.setattr(_sniff, "_SMALL", 0)
    body = (
        'recipient,message\n0912,"code ""SALE"", now"\n"0913","all ""quoted"""\r\n'
        '0914,"two\nlines ""x"""\n0915,say "hi"\n0917,ok\n'
    )
    p = tmp_path / "x.csv"
    p.write_bytes(body.encode())
    r = read_file(p)
    assert rows(r) == [
        (2, 1, "0912", 'code "SALE", now'),
        (3, 2, "0913", 'all "quoted"'),
        (4, 3, "0914", 'two\nlines "x"'),
        (6, 4, "0915", 'say "hi"'),
        (7, 5, "0917", "ok"),
    ]
    # ("\"quoted\" tail", text after a closing quote, polars refuses: the exact pass reads it)
    assert [(i.code, i.line) for i in r.issues] == [("F105", 1), ("F207", 6)]


def test_runaway_quote_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_read_csv, "RUNAWAY_LINES", 3)
    body = b'recipient,message\n0912,"open\n' + b"".join(b"09%02d,m\n" % i for i in range(10))
    r = read_bytes(body)
    f207 = issue(r, "F207")
    assert f207.line == 2
    assert "still open 3 lines later" in f207.message
    assert r.frame.height == 11
    assert r.frame["line"].to_list() == list(range(2, 13))


def test_header_with_more_columns_is_f203(both_paths: str) -> None:
    r = read_bytes(b"recipient,message,name\n0912,hi,Ali\n0913,yo\n")
    f203 = issue(r, "F203")
    assert f203.line == 1
    assert "'name'" in f203.message
    assert r.header == ("recipient", "message", "name")
    f204 = issue(r, "F204")  # fewer fields than this header
    assert (f204.line, f204.message) == (3, "record has 2 fields, the header has 3")
    assert rows(r) == [(2, 1, "0912", "hi"), (3, 2, "0913", "yo")]


def test_every_record_is_a_row_or_named_by_a_finding(both_paths: str) -> None:
    body = b'recipient,message\n0912,a\n\n0913\n0914,b,c\n0915,"x\n0916,d\n'
    r = read_bytes(body)
    physical_starts = {2, 3, 4, 5, 6, 7}
    named = {i.line for i in r.issues}
    assert physical_starts <= set(r.frame["line"].to_list()) | named


# --- header -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Recipient,Message",
        " recipient , message ",
        "mobile,text",
        "Phone Number,SMS",
        "phone_number,body",
        "شماره موبایل,متن پیام",
        "شماره\u200cموبایل,پیامک",
        "گيرنده,پيام",  # Arabic yeh, as cp1256 Excel writes it
    ],
)
def test_known_header_aliases_are_f202_fixable(header: str) -> None:
    r = read_bytes(f"{header}\n0912,hi\n".encode())
    f202 = issue(r, "F202")
    assert f202.fixable
    assert f202.line == 1
    assert rows(r) == [(2, 1, "0912", "hi")]


def test_unknown_header_is_f202_without_fix() -> None:
    r = read_bytes(b"name,phone\nAli,0912\n")
    f202 = issue(r, "F202")
    assert not f202.fixable
    assert "'name' is not a known name for the recipient column" in f202.message
    # columns are positional whatever the header says
    assert rows(r) == [(2, 1, "Ali", "0912")]


def test_swapped_header_says_so_and_the_columns_are_read_by_name() -> None:
    r = read_bytes("متن,شماره\nسلام,0912\n".encode())
    f202 = issue(r, "F202")
    assert f202.fixable
    assert "other order" in f202.message
    assert rows(r) == [(2, 1, "0912", "سلام")]


@pytest.mark.parametrize(
    "first", ["09121234567,hi", "+98 912 123 4567,hi", "۰۹۱۲۱۲۳۴۵۶۷,سلام", "9.12346E+09,x"]
)
def test_data_in_the_first_record_is_f201(both_paths: str, first: str) -> None:
    r = read_bytes(f"{first}\n09121111111,second\n".encode())
    f201 = issue(r, "F201")
    assert f201.fixable
    assert f201.line == 1
    assert r.header is None
    assert [(line, row) for line, row, *_ in rows(r)] == [(1, 1), (2, 2)]


def test_headerless_file_with_swapped_columns_is_f201_and_read_swapped(both_paths: str) -> None:
    # No header holds a phone number: the first record is data, message first.
    r = read_bytes("سلام,09121000561\nدرود,۰۹۱۲۱۰۰۰۵۶۲\nhi,+98 912 100 0563\n".encode())
    f201 = issue(r, "F201")
    assert f201.fixable
    assert "read swapped" in f201.message
    assert codes(r) == ["F201"]
    assert rows(r) == [
        (1, 1, "09121000561", "سلام"),
        (2, 2, "۰۹۱۲۱۰۰۰۵۶۲", "درود"),
        (3, 3, "+98 912 100 0563", "hi"),
    ]


def test_number_second_in_one_record_only_is_not_a_swap(both_paths: str) -> None:
    # One record is no evidence about the columns: read by position, nothing swapped.
    r = read_bytes("سلام,09121000561\nدرود,hello\nhi,there\n".encode())
    assert "read as data row 1" in issue(r, "F201").message
    assert rows(r)[1] == (2, 2, "درود", "hello")


# --- empty files --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"recipient,message\n", "the file has a header and no data rows"),
        (b"recipient,message\r\n\r\n,\r\n", "the file has a header and no data rows"),
        (
            b"\n\n  \n",
            "the file holds no header and no data, only blank lines or a byte order mark",
        ),
        (
            b"\xef\xbb\xbf",
            "the file holds no header and no data, only blank lines or a byte order mark",
        ),
    ],
)
def test_empty_files_are_f106(both_paths: str, body: bytes, expected: str) -> None:
    r = read_bytes(body)
    assert issue(r, "F106").message == expected
    assert r.frame.height == 0
    assert r.frame.schema == pl.Schema(FRAME_SCHEMA)


# --- encodings ----------------------------------------------------------------


def test_utf8_bom_is_f104_and_the_header_is_exact(both_paths: str) -> None:
    r = read_bytes(b"\xef\xbb\xbf" + CLEAN.encode())
    assert codes(r) == ["F104"]
    assert issue(r, "F104").fixable
    assert r.encoding == "utf-8-sig"
    assert r.header == ("recipient", "message")


@pytest.mark.parametrize(
    ("codec", "bom", "name"),
    [
        ("utf-16-le", b"\xff\xfe", "utf-16"),
        ("utf-16-be", b"\xfe\xff", "utf-16"),
        ("utf-16-le", b"", "utf-16-le"),
    ],
)
def test_utf16_is_f103_and_read_confidently(codec: str, bom: bytes, name: str) -> None:
    text = 'recipient,message\r\n09121234567,سلام دنیا\r\n09121234568,"a\r\nb"\r\n'
    r = read_bytes(bom + text.encode(codec))
    f103 = issue(r, "F103")
    assert f103.fixable
    assert f103.line == 1
    assert "UTF-16" in f103.message
    assert r.encoding == name
    assert rows(r) == [(2, 1, "09121234567", "سلام دنیا"), (3, 2, "09121234568", "a\r\nb")]


def test_cp1256_persian_is_f103_with_offset_and_line(both_paths: str) -> None:
    body = "recipient,message\n09121234567,hello\n09121234568,سلام گرامي\n".encode("cp1256")
    r = read_bytes(body)
    f103 = issue(r, "F103")
    assert f103.fixable
    assert (f103.line, f103.byte_offset) == (3, body.index("سلام".encode("cp1256")))
    assert "cp1256" in f103.message
    assert "0xD3" in f103.message
    assert r.encoding == "cp1256"
    assert r.frame["message"].to_list() == ["hello", "سلام گرامي"]


def test_latin1_junk_gets_f103_and_no_rows(both_paths: str) -> None:
    body = "recipient,message\n0912,Café crème brûlée\n".encode("latin-1")
    r = read_bytes(body)
    f103 = issue(r, "F103")
    assert not f103.fixable
    assert f103.byte_offset == body.index(b"\xe9")
    assert r.format is None
    assert r.encoding is None
    assert r.frame.height == 0


def test_a_few_damaged_bytes_in_utf8_are_replaced(both_paths: str) -> None:
    good = "".join(f"0912{i:07d},سلام دنیا {i}\n" for i in range(20)).encode()
    body = b"recipient,message\n" + good + b"0913,bad \xff byte\n"
    r = read_bytes(body)
    f103 = issue(r, "F103")
    assert not f103.fixable
    assert "1 damaged byte" in f103.message
    assert f103.line == 22
    assert f103.byte_offset == body.index(b"\xff")
    assert r.frame["message"][-1] == "bad \ufffd byte"
    assert r.frame.height == 21


def test_bad_utf8_found_past_the_first_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sniff, "CHUNK", 7)  # split multi-byte characters across chunks
    body = "recipient,message\n0912,سلام\n0913,دنیا\n".encode() + b"0914,\xe9t\xe9\n"
    bad = _sniff.locate_bad_utf8(io.BytesIO(body))
    assert bad is not None
    assert (bad.offset, bad.line, bad.bad) == (body.index(b"\xe9"), 4, b"\xe9")
    assert _sniff.locate_bad_utf8(io.BytesIO("سلام دنیا\n".encode() * 5)) is None


# --- delimiters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sep", "name"), [(";", "semicolon"), ("\t", "tab"), ("\u060c", "Arabic comma")]
)
def test_other_delimiters_are_f208_and_still_read(both_paths: str, sep: str, name: str) -> None:
    body = f'recipient{sep}message\n0912{sep}سلام, دنیا\n0913{sep}"x{sep}y"\n'
    r = read_bytes(body.encode())
    f208 = issue(r, "F208")
    assert f208.fixable
    assert f208.line == 1
    assert name in f208.message
    assert r.delimiter == sep
    assert rows(r) == [(2, 1, "0912", "سلام, دنیا"), (3, 2, "0913", f"x{sep}y")]


def test_comma_file_with_semicolons_in_messages_stays_comma(both_paths: str) -> None:
    r = read_bytes(b"recipient,message\n0912,a;b;c\n")
    assert r.issues == ()
    assert r.delimiter == ","


# --- line endings -------------------------------------------------------------


def test_mixed_line_endings_are_one_f105(both_paths: str) -> None:
    body = b'recipient,message\r\n0912,"x\ny"\r\n0913,b\n0914,c\r\n'
    r = read_bytes(body)
    f105 = issue(r, "F105")
    assert f105.fixable
    assert f105.line == 1
    assert f105.message == "record separators mix line endings: CRLF on 3 lines, LF on 1 line"
    assert [line for line, *_ in rows(r)] == [2, 4, 5]


def test_bare_cr_line_endings_are_f105(both_paths: str) -> None:
    """Excel's "CSV (Macintosh)": records end with a bare CR, one long line to a reader
    that splits on LF. A CR inside a quoted value is not a record separator."""
    r = read_bytes(b'recipient,message\r0912,"x\ry"\r0913,b\r')
    f105 = issue(r, "F105")
    assert (f105.line, f105.fixable) == (1, True)
    assert f105.message.startswith("records end with a bare CR (classic Mac line endings")
    assert [line for line, *_ in rows(r)] == [2, 4]
    assert read_bytes(b'recipient,message\n0912,"x\ry"\n').issues == ()


def test_line_breaks_inside_messages_are_not_separators(both_paths: str) -> None:
    r = read_bytes(b'recipient,message\r\n0912,"x\ny\nz"\r\n0913,b\r\n')
    assert r.issues == ()


# --- not CSV at all -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old .xls (OLE2)"),
        (b"%PDF-1.7\n%\xe2\xe3\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"<!DOCTYPE html><html><table><tr><td>0912</td></tr></table>", "HTML"),
        (bytes(range(256)) * 8, "binary"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00garbage", "damaged or truncated"),
    ],
)
def test_junk_is_f102_with_what_it_looks_like(body: bytes, says: str) -> None:
    r = read_bytes(body, "upload.csv")
    f102 = issue(r, "F102")
    assert says in f102.message
    assert r.format is None
    assert r.frame.height == 0


def test_zip_that_is_not_a_workbook() -> None:
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("recipients.csv", CLEAN)
    f102 = issue(read_bytes(buf.getvalue(), "r.zip"), "F102")
    assert "'recipients.csv'" in f102.message


def test_csv_named_xlsx_is_read_as_csv_with_f102() -> None:
    r = read_bytes(CLEAN.encode(), "jan.xlsx")
    assert "named .xlsx but holds CSV text" in issue(r, "F102").message
    assert r.format == "csv"
    assert rows(r) == [(2, 1, "09121234567", "سلام")]


# --- the file system ----------------------------------------------------------


def test_missing_file_is_f101_with_the_os_reason(tmp_path: Path) -> None:
    r = read_file(tmp_path / "nope.csv")
    f101 = issue(r, "F101")
    assert "No such file or directory" in f101.message
    assert r.format is None
    assert r.frame.schema == pl.Schema(FRAME_SCHEMA)


def test_directory_is_f101(tmp_path: Path) -> None:
    assert "directory" in issue(read_file(tmp_path), "F101").message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied_is_f101(tmp_path: Path) -> None:
    p = tmp_path / "locked.csv"
    p.write_text(CLEAN)
    p.chmod(0)
    assert "Permission denied" in issue(read_file(p), "F101").message


def test_a_50_mb_single_line(tmp_path: Path) -> None:
    p = tmp_path / "one-line.csv"
    p.write_bytes(b"recipient,message\n0912," + b"x" * 50_000_000)
    r = read_file(p)
    assert r.issues == ()
    assert r.frame["message"].str.len_bytes().to_list() == [50_000_000]


def test_max_bytes_and_max_rows_are_f108(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_bytes(b"recipient,message\n0912,a\n\n0913,b,c\n0914,c\n0915,d\n")
    too_big = read_file(p, max_bytes=10)
    assert codes(too_big) == ["F108"]
    assert too_big.frame.height == 0
    capped = read_file(p, max_rows=2)
    assert [(i.code, i.line) for i in capped.issues] == [("F206", 3), ("F205", 4), ("F108", 5)]
    assert capped.frame["line"].to_list() == [2, 4]


# --- properties ---------------------------------------------------------------

_cell = (
    st.lists(st.sampled_from([*'0912ab سلام,;"\n\r\t', "\r\n", "\u060c", "\u200c"]), max_size=12)
    .map("".join)
    .filter(lambda s: s.strip() != "")
)


def _field(value: str) -> str:
    """RFC 4180 quoting. (csv.writer does not quote a bare CR when its terminator is LF.)"""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=8),
    terminator=st.sampled_from(["\n", "\r\n"]),
)
def test_any_well_formed_file_reads_back_exactly(
    records: list[tuple[str, str]], terminator: str
) -> None:
    text = "".join(
        f"{_field(a)},{_field(b)}{terminator}" for a, b in [("recipient", "message"), *records]
    )
    # Where csv.reader says each record starts: the reference for ``line``.
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, previous = [], 0
    for _ in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    fast = read_bytes(text.encode())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_read_csv, "_fast_records", lambda *a, **k: None)
        exact = read_bytes(text.encode())
    assert [i.code for i in fast.issues] == []
    assert fast.frame.equals(exact.frame)
    assert fast.issues == exact.issues
    assert fast.frame["line"].to_list() == starts[1:]
    assert list(zip(fast.frame["recipient"], fast.frame["message"], strict=True)) == records


_soup = st.lists(
    st.sampled_from(["0912", "a", ",", ";", '"', '""', "\r", "\n", "\r\n", " ", "س", "\t"]),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    header=st.sampled_from(["recipient,message\n", "a;b\r\n", "recipient,message,x\n", ""]),
    body=_soup,
)
def test_fast_path_agrees_with_the_exact_pass_on_anything(header: str, body: str) -> None:
    """Whatever the bytes, the fast path declines or gives the exact pass's answer,
    bare quotes inside quoted fields (``"say "hi" now"``) included.

    The one known exception: quotes that polars pairs across a delimiter, each
    misplaced quote next to one (``","0912","``); the exact pass reports F207.
    """
    data = (header + body).encode()
    fast = read_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_read_csv, "_fast_records", lambda *a, **k: None)
        exact = read_bytes(data)
    if not (fast.frame.equals(exact.frame) and fast.issues == exact.issues):
        assert "F207" in codes(exact)
        assert re.search(r'[,;]"|"[,;]', header + body)


def test_bare_quotes_in_quoted_fields_read_alike_on_both_paths() -> None:
    """No longer a gap: ``"say "hi" now"`` keeps its quotes, with an F207, either way."""
    body = b'recipient,message\n0912,"say "hi" now"\n0913,"""x"" ""y""" z"\n'
    fast = read_bytes(body)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_read_csv, "_fast_records", lambda *a, **k: None)
        exact = read_bytes(body)
    assert fast.frame.equals(exact.frame)
    assert fast.issues == exact.issues
    assert fast.frame["message"][0] == 'say "hi" now'
    assert [(i.code, i.line) for i in fast.issues] == [("F207", 2), ("F207", 3)]


def _lines(n: int) -> Iterator[bytes]:
    for i in range(n):
        yield f'0912{i:07d},"سلام, دنیا {i}"\n'.encode()


def test_exact_pass_over_many_records_matches_the_fast_path() -> None:
    body = b"recipient,message\n" + b"".join(_lines(70_000)) + b'0999,"x\ny"\n\n'
    fast = read_bytes(body)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_read_csv, "_fast_records", lambda *a, **k: None)
        exact = read_bytes(body)
    assert fast.frame.equals(exact.frame)
    assert (
        fast.issues
        == exact.issues
        == (FileIssue("F206", 70_004, "line 70004 is a blank record", fixable=True),)
    )


@pytest.mark.parametrize("window", [1, 5, 1 << 20])
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_byte_scan_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, window: int
) -> None:
    """The streamed (numpy) scan of large files agrees with the in-memory one, whatever
    the chunk boundaries split (CRLF pairs, LF positions) and however records are
    grouped into reads."""
    monkeypatch.setattr(_sniff, "CHUNK", chunk)
    monkeypatch.setattr(_sniff, "_SPAN_WINDOW", window)
    monkeypatch.setattr(_sniff, "_SMALL", 0)
    p = tmp_path / "x.csv"

    def scan(data: bytes, first: list[int], last: list[int]) -> _sniff.ByteScan:
        p.write_bytes(data)
        streamed = _sniff.Source("x", fs_path=str(p)).scan(first, last)
        assert streamed == _sniff.Source("x", data=data).scan(first, last)
        return streamed

    assert scan(b"ab\r\ncd\r\n\r\nef\r\n", [1, 3], [1, 4]) == (
        4,
        [b"ab\r\n", b"\r\nef\r\n"],
    )
    assert scan(b"a,b\r\ncd\rx\r\n", [2], [2]) == (2, [b"cd\rx\r\n"])
    assert scan(b"ab\r\ncd\r", [1, 2], [2, 2]) == (1, [b"ab\r\ncd\r", b"cd\r"])
    assert scan(b"x\n\ny", [1, 3], [3, 3]) == (0, [b"x\n\ny", b"y"])
    assert scan(b"\n\r\n", [], []) == (1, [])


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(max_size=60).map(lambda b: b.replace(b"\x00", b"a")),
    byte=st.sampled_from([b"\n", b"\r", b",", b";", b"\t"]),
    python_up_to=st.sampled_from([0, _sniff.PYTHON_COUNT_BYTES]),
)
def test_count_byte_of_a_file_agrees_with_bytes_count(
    data: bytes, byte: bytes, python_up_to: int
) -> None:
    """polars' line counter, used as a parallel byte counter for large files, counts
    exactly, and so does the Python pass of smaller ones."""
    import tempfile
    from unittest import mock

    with (
        tempfile.NamedTemporaryFile(suffix=".csv") as f,
        mock.patch.object(_sniff, "PYTHON_COUNT_BYTES", python_up_to),
    ):
        f.write(data)
        f.flush()
        assert _sniff.Source("x", fs_path=f.name).count_byte(byte) == data.count(byte)


# --- messy exports (found by tests/test_messy_exports.py) ---------------------


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b"\xef\xbb\xbf,\n"])
def test_a_file_that_is_only_a_bom_is_f104_and_f106(tmp_path: Path, body: bytes) -> None:
    """polars' byte counter refuses such a file ("empty CSV"): no traceback."""
    path = tmp_path / "bom.csv"
    path.write_bytes(body)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_sniff, "PYTHON_COUNT_BYTES", 0)  # the polars counter, as for a large file
        assert _sniff.Source("x", fs_path=str(path)).count_byte(b"\n") == body.count(b"\n")
    r = read_file(path)
    assert codes(r) == ["F104", "F106"]
    assert rows(r) == []


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_excel_sep_hint_sets_the_delimiter_and_is_not_the_header(
    both_paths: str, bom: bytes
) -> None:
    r = read_bytes(bom + b'sep=;\r\nrecipient;message\r\n09121234567;hi, there\r\n0935;"a;b"\r\n')
    assert r.delimiter == ";"
    assert r.header == ("recipient", "message")
    assert rows(r) == [(3, 1, "09121234567", "hi, there"), (4, 2, "0935", "a;b")]
    hint = issue(r, "F202")
    assert (hint.line, hint.fixable) == (1, True)
    assert "sep=;" in hint.message


@pytest.mark.parametrize(
    ("body", "data", "expected"),
    [
        # Some exporters write sep=; whatever delimiter follows; a ';' in a message
        # does not make the hint right.
        (
            "sep=;\nrecipient,message\n09121234567,سلام\n09351234568,Hello; world\n",
            ",",
            [(3, 1, "09121234567", "سلام"), (4, 2, "09351234568", "Hello; world")],
        ),
        (
            "sep=,\r\nrecipient;message\r\n09121234567;hi, there\r\n",
            ";",
            [(3, 1, "09121234567", "hi, there")],
        ),
    ],
)
def test_sep_hint_contradicted_by_the_data_is_overruled_and_said_once(
    both_paths: str, body: str, data: str, expected: list[tuple[object, ...]]
) -> None:
    r = read_bytes(body.encode())
    assert r.delimiter == data
    assert r.header == ("recipient", "message")
    assert rows(r) == expected
    hint = issue(r, "F202")
    assert (hint.line, hint.fixable) == (1, True)
    assert f"disagrees with the data, which is delimited by '{data}'" in hint.message
    assert codes(r) == ["F202"] + (["F208"] if data != "," else [])


@pytest.mark.parametrize(
    "body",
    [
        # Cells pasted from a grid keep a trailing tab: a tab comes first in each record,
        # but ',' splits every one into the header's two fields.
        "sep=,\nrecipient\t,message\n09121234567\t,hi there\n09121234568\t,hello\n",
        "sep=,\r\nrecipient\t,message\t\r\n09121234567\t,hi there\t\r\n",
    ],
)
def test_sep_hint_that_splits_the_data_is_kept_whatever_comes_first(
    both_paths: str, body: str
) -> None:
    r = read_bytes(body.encode())
    assert r.delimiter == ","
    assert [row[2].strip() for row in rows(r)][:1] == ["09121234567"]
    assert all("disagrees with the data" not in i.message for i in r.issues)
    assert "F208" not in codes(r)
    # What is left is fixable: the fix writes the file, as it did before the hint was judged.
    assert all(i.fixable for i in r.issues if i.code.startswith("F"))


def test_sep_hint_alone_is_an_empty_file(both_paths: str) -> None:
    r = read_bytes(b"sep=,\n")
    assert "F106" in codes(r)
    assert "F206" not in codes(r)


def test_trailing_empty_columns_are_not_extra_cells(both_paths: str) -> None:
    """Excel saves ``recipient,message,,,`` when formatting reached past column B."""
    r = read_bytes(b"recipient,message,,,\r\n09121234567,hi,,,\r\n09351234567,yo, ,\t,\r\n")
    assert codes(r) == []
    assert r.header == ("recipient", "message")
    assert rows(r) == [(2, 1, "09121234567", "hi"), (3, 2, "09351234567", "yo")]
    r = read_bytes(b"recipient,message\n09121234567,hi,,\n")
    assert codes(r) == []


def test_content_past_the_trailing_empty_columns_is_still_f205(both_paths: str) -> None:
    r = read_bytes(b"recipient,message,,\n09121234567,hi,,\n09351234567,Hello, world,\n")
    f205 = issue(r, "F205")
    assert (f205.line, f205.row) == (3, 2)
    assert f205.message.startswith("record has 3 fields, the header has 2")
    assert "not read: ' world,'" in f205.message  # nothing disappears unnamed
    assert "F203" not in codes(r)


def test_blank_lines_before_the_header_do_not_decide_the_delimiter(both_paths: str) -> None:
    r = read_bytes(b"\t\n  \nrecipient,message\n09121234567,hi\n")
    assert codes(r) == ["F206", "F206"]
    assert (r.delimiter, rows(r)) == (",", [(4, 1, "09121234567", "hi")])
    assert "F208" not in codes(read_bytes(b"  \n\t\n,\n"))


@pytest.mark.parametrize(
    "body",
    [
        b"recipient,message\n09121234567,he\x00llo\n09351234567,b\n",  # a stray NUL
        b"recipient,message\n"  # NUL-padded fields of a database export
        + b"".join(b"0912123%04d,x\x00y\n" % i for i in range(50)),
    ],
)
def test_nul_bytes_in_text_are_control_characters_not_binary(both_paths: str, body: bytes) -> None:
    r = read_bytes(body)
    assert r.format == "csv"
    assert codes(r) == []
    assert "\x00" in r.frame["message"][0]


def test_binary_with_nul_bytes_is_still_f102() -> None:
    for body in (bytes(range(256)) * 10, b"\x00" * 100, b"\x00\x01\x02abc" * 100):
        r = read_bytes(body)
        assert (codes(r), r.format) == (["F102"], None)


def test_unquoted_formula_text_is_not_broken_quoting(both_paths: str) -> None:
    """``="0912..."`` unquoted is how CRMs keep Excel from eating the zero: P106, not F207."""
    r = read_bytes(b'recipient,message\n="09121234567",hi\n="0912"x,a\n')
    assert [(i.code, i.line) for i in r.issues] == [("F207", 3)]
    assert rows(r)[0] == (2, 1, '="09121234567"', "hi")


@pytest.mark.parametrize(
    "header",
    ["MobileNumber,SmsText", "PHONE_NO,Message Text", "شماره تماس:,متن پیام کوتاه", "Phone #,Text"],
)
def test_crm_header_spellings_are_f202_fixable(header: str) -> None:
    r = read_bytes(f"{header}\n09121234567,hi\n".encode())
    assert issue(r, "F202").fixable


def test_a_title_above_the_header_is_skipped_with_a_fixable_f202(both_paths: str) -> None:
    r = read_bytes(b"Export of 2024-01-01\n\nMobile,Text\n09121234567,hi\n")
    title, alias = [i for i in r.issues if i.code == "F202"]
    assert (title.line, title.fixable) == (1, True)
    assert title.message == (
        "lines 1-2 (from 'Export of 2024-01-01') are a title above the header "
        "(line 3, 'Mobile,Text'), not data; they were skipped, and the fix removes them"
    )
    assert (alias.line, alias.fixable) == (3, True)
    assert rows(r) == [(4, 1, "09121234567", "hi")]


def test_data_above_a_later_header_is_kept(both_paths: str) -> None:
    """Only titles are skipped: a record that could be data keeps every record as read."""
    r = read_bytes(b"Export\n09121234567,hi\nrecipient,message\n09351234567,bye\n")
    assert not any(i.fixable for i in r.issues if i.code == "F202")
    assert [line for line, *_ in rows(r)] == [2, 3, 4]


@pytest.mark.parametrize("blanks", [1, 3, 300])
def test_blank_records_anywhere_are_cut_out_and_every_row_keeps_its_line(blanks: int) -> None:
    """A few blank records are cut out by slicing around them, many by a filter."""
    lines = ["recipient,message"]
    expected = []
    for i in range(blanks):
        lines.append("")
        lines.append(f"0912{i:07d},m{i}")
        expected.append((len(lines), i + 1, f"0912{i:07d}", f"m{i}"))
    lines.append("")
    r = read_bytes(("\n".join(lines) + "\n").encode())
    assert rows(r) == expected
    assert [i.line for i in r.issues if i.code == "F206"] == [2 + 2 * i for i in range(blanks)] + [
        len(lines)
    ]


def test_a_header_with_another_delimiter_than_the_data(both_paths: str) -> None:
    """A header typed by hand with ';' over data written with ',': the rows are read by
    the data's delimiter and the header is one fixable F202, not three errors a row."""
    r = read_bytes(b"recipient;message\n09121234567,hi; there\n09121234568,yo\n")
    assert [(i.code, i.fixable) for i in r.issues] == [("F202", True)]
    assert "separates its names with ';' (semicolon), unlike the data" in r.issues[0].message
    assert rows(r) == [(2, 1, "09121234567", "hi; there"), (3, 2, "09121234568", "yo")]
    # The header's delimiter in the data too: it is the delimiter (F208), as before.
    r = read_bytes(b"recipient;message\n09121234567;hi, there\n")
    assert codes(r) == ["F208"]
    assert rows(r) == [(2, 1, "09121234567", "hi, there")]


@pytest.mark.parametrize(
    ("body", "cells"),
    [
        # pandas to_csv(sep=";", decimal=",") of a float column, European-locale Excel
        (
            b"recipient;message\n9121234567,0;hi, you\n9351234567,0;yo\n",
            ("9121234567,0", "hi, you"),
        ),
        (b"9121234567,0;hi\n9351234567,0;yo\n", ("9121234567,0", "hi")),
        (b"recipient\tmessage\n9,12123E+09\thi\n", ("9,12123E+09", "hi")),
    ],
)
def test_a_decimal_comma_in_the_recipient_is_no_delimiter(
    both_paths: str, body: bytes, cells: tuple[str, str]
) -> None:
    """Where ',' is the decimal separator, ';' or tab separates the columns: read by
    ',' every message began with '0;' and the fix wrote them so."""
    r = read_bytes(body)
    assert "F208" in codes(r)
    assert rows(r)[0][2:] == cells


def test_a_number_then_a_semicolon_in_a_comma_file_is_still_comma(both_paths: str) -> None:
    r = read_bytes("recipient,message\n09121234567,10;20 درصد تخفیف\n".encode())
    assert codes(r) == []
    assert rows(r) == [(2, 1, "09121234567", "10;20 درصد تخفیف")]


def test_a_long_run_of_blank_records_is_one_f206(both_paths: str) -> None:
    """Ten blank records in a row are ten findings; eleven are one, naming the run."""
    body = "recipient,message\n0912,a\n" + "\n" * 10 + "0913,b\n" + ",\n" * 11 + "0914,c\n"
    r = read_bytes(body.encode())
    f206 = [(i.line, i.message, i.fixable) for i in r.issues]
    assert f206[:10] == [(line, f"line {line} is a blank record", True) for line in range(3, 13)]
    assert f206[10:] == [(14, "lines 14-24 (11 lines) are blank records", True)]
    assert [(line, row) for line, row, *_ in rows(r)] == [(2, 1), (13, 2), (25, 3)]


def test_persian_joiners_in_quoted_cells_are_shown_as_written() -> None:
    # repr() wrote the ZWNJ of Persian spelling as \u200c in every message quoting a cell.
    r = read_bytes("نام\u200cخانوادگی,متن پیام\n09121234567,سلام\n".encode())
    f202 = next(i for i in r.issues if i.code == "F202")
    assert "'نام\u200cخانوادگی'" in f202.message
    assert "\\u200c" not in f202.message
    # Other invisible characters still show escaped, so the user can find them.
    tab = read_bytes(b"recipient\t,message\n09121234567,hi\n")
    assert "'recipient\\t,message'" in next(i for i in tab.issues if i.code == "F202").message
