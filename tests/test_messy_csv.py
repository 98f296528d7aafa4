"""The CSV text layer on messy real-world exports (CRMs, Excel).

Cases run through the polars fast path and with it switched off (``both_paths``),
so both readings of a file give the same rows, lines and findings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from p2pfile import _sniff
from p2pfile.reader import ReadResult, read_bytes, read_file


def found(r: ReadResult) -> list[tuple[str, int, int | None]]:
    return [(i.code, i.line, i.row) for i in r.issues]


# --- bare quotes inside a quoted field ------------------------------------------

# Multi-line quoted messages before and after the bad record, so that a wrong
# count of lines anywhere shows in the lines of the records after it.
BARE = (
    "recipient,message\n"
    '"09120000001","line a\nline b"\n'
    '"09121234567","He said "hi" today"\n'
    '09121111111,"x\r\ny"\n'
    "09122222222,z\n"
)


def test_bare_quotes_in_a_quoted_field_are_kept_and_flagged(both_paths: str) -> None:
    r = read_bytes(BARE.encode())
    assert r.frame.rows() == [
        (2, 1, "09120000001", "line a\nline b"),
        (4, 2, "09121234567", 'He said "hi" today'),
        (5, 3, "09121111111", "x\r\ny"),
        (7, 4, "09122222222", "z"),
    ]
    assert found(r) == [("F207", 4, 2)]
    f207 = r.issues[0]
    assert "neither doubled nor closing it" in f207.message
    assert '\'He said "hi" today"\'' in f207.message


def test_bare_quote_on_a_later_line_of_a_message_names_that_line(both_paths: str) -> None:
    body = (
        "recipient,message\n"
        '09120000001,"first line\nHe said "hi" there\nend"\n'
        '09121111111,"p\nq"\n'
        "09122222222,next\n"
    )
    r = read_bytes(body.encode())
    assert r.frame.rows() == [
        (2, 1, "09120000001", 'first line\nHe said "hi" there\nend'),
        (5, 2, "09121111111", "p\nq"),
        (7, 3, "09122222222", "next"),
    ]
    # The damage is on line 3, inside the record of row 1 that starts on line 2.
    assert found(r) == [("F207", 3, 1)]


def test_bare_quote_that_would_swallow_the_next_records_closes_the_field(
    both_paths: str,
) -> None:
    """Read as text, the quote would leave the field open over the next record's
    line: there it is taken as the closing quote, and no record is lost."""
    body = 'recipient,message\n09121234567,"say "hi\n09121111111,"m\nn"\n09123333333,last\n'
    r = read_bytes(body.encode())
    assert [row[:3] for row in r.frame.rows()] == [
        (2, 1, "09121234567"),
        (3, 2, "09121111111"),
        (5, 3, "09123333333"),
    ]
    assert r.frame["message"].to_list()[1:] == ["m\nn", "last"]
    assert found(r) == [("F207", 2, 1)]


@pytest.mark.parametrize("small", [True, False])
def test_bare_quotes_do_not_send_a_file_to_the_exact_pass(
    fast_only: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small: bool
) -> None:
    """Only the records with a stray quote are read again; in memory or streamed."""
    if not small:
        monkeypatch.setattr(_sniff, "_SMALL", 0)
        monkeypatch.setattr(_sniff, "CHUNK", 7)  # quotes at every chunk boundary
    p = tmp_path / "x.csv"
    p.write_bytes(BARE.encode())
    r = read_file(p)
    assert r.frame["message"].to_list()[1] == 'He said "hi" today'
    assert found(r) == [("F207", 4, 2)]


@pytest.mark.parametrize("small", [True, False])
def test_bare_quotes_next_to_escaped_ones_are_found(
    fast_only: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small: bool
) -> None:
    """A file quoted only where needed: its quote bytes are counted against what its
    values need, and the two a stray quote adds send it to the search."""
    if not small:
        monkeypatch.setattr(_sniff, "_SMALL", 0)
    body = (
        'recipient,message\n09120000001,"code ""SALE"", now"\n'
        '09121234567,"He said "hi" today"\n09121111111,"a, b"\n'
    )
    p = tmp_path / "x.csv"
    p.write_bytes(body.encode())
    r = read_file(p)
    assert r.frame["message"].to_list() == ['code "SALE", now', 'He said "hi" today', "a, b"]
    assert found(r) == [("F207", 3, 2)]


def test_quote_everything_export_reads_clean_on_the_fast_path(
    fast_only: None, tmp_path: Path
) -> None:
    lines = [f'"0912{i:07d}","سلام ""{i}"", خوبی؟\nline {i}"' for i in range(2000)]
    p = tmp_path / "all.csv"
    p.write_bytes(('"recipient","message"\r\n' + "\r\n".join(lines) + "\r\n").encode())
    r = read_file(p)
    assert r.issues == ()
    assert r.frame.height == 2000
    assert r.frame.row(1) == (4, 2, "09120000001", 'سلام "1", خوبی؟\nline 1')
    assert r.frame["line"][-1] == 2 + 2 * 1999


# --- the Arabic semicolon as delimiter --------------------------------------------


def test_arabic_semicolon_is_sniffed_like_the_arabic_comma(both_paths: str) -> None:
    body = "recipient؛message\n09121234567؛سلام، خوبی؟\n09121111111؛hi, there; ok\n"
    r = read_bytes(body.encode())
    assert r.delimiter == "\u061b"
    assert r.header == ("recipient", "message")
    assert r.frame.rows() == [
        (2, 1, "09121234567", "سلام، خوبی؟"),
        (3, 2, "09121111111", "hi, there; ok"),
    ]
    f208 = [i for i in r.issues if i.code == "F208"]
    assert [(i.line, i.fixable) for i in f208] == [(1, True)]
    assert "Arabic semicolon" in f208[0].message
    assert [i.code for i in r.issues] == ["F208"]


# --- a UTF-16 file cut short ------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_with_an_odd_trailing_byte_keeps_its_rows(codec: str) -> None:
    text = "recipient,message\r\n09121234567,سلام\r\n09121111111,hi\r\n09122222222,x"
    whole = text.encode(codec)
    data = (text + "\n").encode(codec)[:-1]  # cut short inside the final line break
    r = read_bytes(data)
    assert r.frame.rows() == [
        (2, 1, "09121234567", "سلام"),
        (3, 2, "09121111111", "hi"),
        (4, 3, "09122222222", "x"),
    ]
    [f103] = [i for i in r.issues if i.code == "F103"]
    assert (f103.line, f103.byte_offset) == (4, len(whole))
    assert "cut short" in f103.message
    assert [i.code for i in r.issues] == ["F103"]


# --- CRM headers ------------------------------------------------------------------------

RECIPIENT_ALIASES = [
    "Mobile", "Mobile Number", "MobileNo", "Cell", "Cellphone", "Phone", "Phone Number",
    "Tel", "MSISDN", "Number", "To", "Receiver", "Destination", "موبایل", "شماره موبایل",
    "شماره همراه", "تلفن همراه", "همراه", "شماره", "گیرنده", "تلفن",
    "mobile_number", "PHONE-NUMBER", " Mobile ", "شماره\u200cموبایل", "موبايل",
]  # fmt: skip
MESSAGE_ALIASES = [
    "Message", "Text", "Body", "SMS", "Content", "Message Text", "پیام", "متن", "متن پیام",
    "پیامک", "متن پیامک", "message_text", "MESSAGE-TEXT", "متن\u200cپیامک", "پيامك",
]  # fmt: skip


@pytest.mark.parametrize("name", RECIPIENT_ALIASES)
def test_crm_recipient_header_names_have_the_safe_fix(name: str) -> None:
    r = read_bytes(f"{name},message\n09121234567,hi\n".encode())
    assert [(i.code, i.line, i.fixable) for i in r.issues] == [("F202", 1, True)]
    assert r.frame.rows() == [(2, 1, "09121234567", "hi")]


@pytest.mark.parametrize("name", MESSAGE_ALIASES)
def test_crm_message_header_names_have_the_safe_fix(name: str) -> None:
    r = read_bytes(f"Mobile,{name}\n09121234567,hi\n".encode())
    assert [(i.code, i.line, i.fixable) for i in r.issues] == [("F202", 1, True)]


def test_unknown_header_says_what_its_columns_hold() -> None:
    r = read_bytes(b"col1,col2\n09121234567,hello there\n\n09121111111,salam\n")
    [f202] = [i for i in r.issues if i.code == "F202"]
    assert not f202.fixable
    assert f202.message.endswith(
        "in the first 2 data records, column 1 ('col1') holds numbers like recipients "
        "and column 2 ('col2') looks like messages"
    )


def test_known_names_in_the_other_order_are_read_by_name_and_fixable() -> None:
    r = read_bytes(b"text,phone\nhello,09121234567\n")
    [f202] = [i for i in r.issues if i.code == "F202"]
    assert f202.fixable
    assert "names the columns in the other order" in f202.message
    assert r.frame.rows() == [(2, 1, "09121234567", "hello")]  # read by their names


def test_unknown_names_over_swapped_data_ask_whether_the_columns_are_swapped() -> None:
    r = read_bytes(b"col1,col2\nhello,09121234567\n")
    [f202] = [i for i in r.issues if i.code == "F202"]
    assert not f202.fixable
    assert f202.message.endswith(
        "in the first data record, column 1 ('col1') looks like messages and column 2 "
        "('col2') holds numbers like recipients: are the columns swapped?"
    )
    assert r.frame.rows() == [(2, 1, "hello", "09121234567")]  # read by position


# --- Excel leftovers that already read right (pinned) -----------------------------------


def test_crlf_inside_quoted_messages_of_an_lf_file_is_not_mixed_endings(
    both_paths: str,
) -> None:
    body = (
        'sep=,\nrecipient,message,,,\n09121234567,"a\r\nb",,,\n"09121111111","c\nd",,,\n'
        "09122222222,e,,,\n"
    )
    r = read_bytes(body.encode())
    assert r.frame.rows() == [
        (3, 1, "09121234567", "a\r\nb"),
        (5, 2, "09121111111", "c\nd"),
        (7, 3, "09122222222", "e"),
    ]
    assert [(i.code, i.line) for i in r.issues] == [("F202", 1)]  # the sep= line only
