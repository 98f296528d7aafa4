"""A title or notes above a wide CRM header: skipped (F202), columns read by name (F203)."""

from __future__ import annotations

from pathlib import Path

import pytest
from wide_exports import CRM, accounted, errors, issue, rows, workbook, write

from p2pfile import _read_csv
from p2pfile._sniff import HEADER_LOOKAHEAD, HeaderChoice, choose_header
from p2pfile.check import check
from p2pfile.cli import main
from p2pfile.config import Settings
from p2pfile.errors import InputFileError
from p2pfile.fix import fix
from p2pfile.reader import ReadResult, read_bytes, read_file

DEFAULTS = Settings()

TITLE = "Customer export 2024-03-01\n"


def codes(result: ReadResult) -> list[tuple[str, int]]:
    return [(i.code, i.line) for i in result.issues]


# --------------------------------------------------------------------------- the decision


def test_choose_header_looks_past_titles_only() -> None:
    header = ["Name", "Mobile", "Message"]
    assert choose_header([header]) == HeaderChoice(0, (1, 2))
    assert choose_header([["Export"], ["notes: VIP list", ""], header]) == HeaderChoice(2, (1, 2))
    # A record that could be data above it (the phone need not be first), a known
    # two-column header, or a first record of data: nothing is skipped.
    assert choose_header([["Export"], ["Ali", "09123456789", "hi"], header]) is None
    assert choose_header([["Export"], ["recipient", "message"], header]) is None
    assert choose_header([["09123456789", "hi"], header]) is None
    assert choose_header([["Export"], ["Name", "Mobile", "Phone", "Message"]]) is None
    # As far below as reader looks for a two-column header, and no further.
    titles = [[f"note {i}"] for i in range(HEADER_LOOKAHEAD)]
    assert choose_header([*titles, header]) == HeaderChoice(HEADER_LOOKAHEAD, (1, 2))
    assert choose_header([*titles, ["one more"], header]) is None


# --------------------------------------------------------------------------- reading


def test_title_above_a_wide_header_is_skipped(both_paths: str) -> None:
    r = read_bytes((TITLE + CRM).encode())
    assert rows(r) == [
        (3, 1, "09123456789", "Hello Ali"),
        (4, 2, "0912 345 6780", "Hi, Sara"),
    ]
    assert codes(r) == [("F202", 1), ("F203", 2)]  # no F205 on every row
    f202 = issue(r, "F202")
    assert f202.fixable
    assert f202.message == (
        "line 1 ('Customer export 2024-03-01') is a title above the header "
        "(line 2, 'Name,Mobile,Message'), not data; it was skipped, and the fix removes it"
    )
    f203 = issue(r, "F203")
    assert f203.fixable
    assert f203.message.startswith(
        "the header has 3 columns: reading 'Mobile' as the recipient and 'Message' as the "
        "message; ignored: 'Name'"
    )
    assert (r.header, r.columns) == (("Name", "Mobile", "Message"), (1, 2))


def test_check_finds_no_junk_on_the_rows(tmp_path: Path) -> None:
    report = check(write(tmp_path, TITLE + CRM), isolated=True)
    assert sorted((d.code, d.line) for d in report) == [("F202", 1), ("F203", 2), ("P102", 4)]


def test_persian_header_below_a_title_a_blank_line_and_notes(both_paths: str) -> None:
    body = 'گزارش مشتریان\n\nتاریخ: امروز\nنام,موبایل,متن پیام\nعلی,09123456789,"سلام\nعلی"\n'
    body += "سارا,09351234567,درود\n"
    r = read_bytes(body.encode())
    # The quoted message spans lines 5-6: the next record starts on line 7.
    assert rows(r) == [(5, 1, "09123456789", "سلام\nعلی"), (7, 2, "09351234567", "درود")]
    assert codes(r) == [("F202", 1), ("F206", 2), ("F203", 4)]
    f202 = issue(r, "F202")
    assert f202.message.startswith(
        "lines 1-3 (from 'گزارش مشتریان') are a title above the header "
        "(line 4, 'نام,موبایل,متن پیام')"
    )
    assert (
        "reading 'موبایل' as the recipient and 'متن پیام' as the message"
        in issue(r, "F203").message
    )
    assert r.columns == (1, 2)


def test_long_records_are_judged_against_the_wide_header(both_paths: str) -> None:
    r = read_bytes((TITLE + "id,phone,text\n1,09123456789,hi,oops\n2,09351234567\n").encode())
    assert rows(r) == [(3, 1, "09123456789", "hi"), (4, 2, "09351234567", None)]
    assert codes(r) == [("F202", 1), ("F203", 2), ("F205", 3), ("F204", 4)]
    f205 = issue(r, "F205")
    assert "fields 2 and 3 (recipient and message) were kept; not read: 'oops'" in f205.message


def test_excel_sep_line_then_a_title(both_paths: str) -> None:
    r = read_bytes(("sep=,\n" + TITLE + CRM).encode())
    assert codes(r) == [("F202", 1), ("F202", 2), ("F203", 3)]
    assert r.columns == (1, 2)
    assert rows(r)[0] == (4, 1, "09123456789", "Hello Ali")


def test_title_above_a_wide_header_takes_the_fast_path(fast_only: None) -> None:
    # Excel pads the title line to the sheet's width: polars reads it in one frame.
    body = "Customer export 2024-03-01,,\nid,phone,text\n" + "".join(
        f"{i},0912{i:07d},msg {i}\n" for i in range(1000)
    )
    r = read_bytes(body.encode())
    assert r.columns == (1, 2)
    assert r.frame.height == 1000
    assert rows(r)[-1] == (1002, 1000, "09120000999", "msg 999")


def test_exact_pass_holds_its_first_batch_until_it_can_decide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches of 3 records: the title, blank records and the header fall in different
    # batches, and the choice still sees them together.
    monkeypatch.setattr(_read_csv, "_fast_records", lambda *a, **k: None)
    monkeypatch.setattr(_read_csv, "_FLUSH", 3)
    data = "".join(f"Ali{i},0912{i:07d},m{i}\n" for i in range(20))
    r = read_bytes((TITLE + "\n\n\n\n" + "Name,Mobile,Message\n" + data).encode())
    assert r.columns == (1, 2)
    assert rows(r)[0] == (7, 1, "09120000000", "m0")
    assert rows(r)[-1] == (26, 20, "09120000019", "m19")
    assert codes(r)[:2] == [("F202", 1), ("F206", 2)]
    assert ("F203", 6) in codes(r)
    assert not [c for c, _ in codes(r) if c in {"F204", "F205"}]


# --------------------------------------------------------------------------- today's reading


def test_data_above_a_wide_header_keeps_every_record(both_paths: str) -> None:
    header = read_bytes(b"Export\nName,Mobile,Message\nSara,09351234567,x\n")
    assert header.columns == (1, 2)
    # The same file with a record that could be data above the header: read as before.
    data = read_bytes(b"Export\nAli,09123456789,hi\nName,Mobile,Message\nSara,09351234567,x\n")
    assert data.columns is None
    assert [line for line, *_ in rows(data)] == [2, 3, 4]
    assert not issue(data, "F202").fixable


def test_an_ambiguous_wide_header_below_a_title_is_read_by_position(both_paths: str) -> None:
    named = read_bytes(b"Export\nName,Mobile,Message\nAli,09123456789,hi\n")
    assert rows(named) == [(3, 1, "09123456789", "hi")]
    two = read_bytes(b"Export\nName,Mobile,Phone,Message\nAli,09123456789,1,hi\n")
    assert two.columns is None
    assert rows(two) == [(2, 1, "Name", "Mobile"), (3, 2, "Ali", "09123456789")]
    assert codes(two)[0] == ("F202", 1)
    assert not two.issues[0].fixable


def test_a_two_column_header_below_the_title_wins(both_paths: str) -> None:
    wide = read_bytes(b"Export\nName,Mobile,Message\n")
    assert wide.header == ("Name", "Mobile", "Message")
    # A known two-column header comes first: it is the header, as before.
    r = read_bytes(b"Export\nrecipient,message\nName,Mobile,Message\n")
    assert (r.header, r.columns) == (("recipient", "message"), None)


# --------------------------------------------------------------------------- XLSX


@pytest.mark.usefixtures("xlsx_scan")
def test_xlsx_title_empty_row_then_a_wide_header(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["Customer export 2024-03-01"],
            [],
            ["ID", "متن پیام", "نام", "موبایل"],
            [1, "سلام", "علی", "09123456789"],
            [2, "درود", "سارا", 9351234567],  # a number: F109 names column D
        ],
    )
    r = read_file(path)
    assert rows(r) == [(4, 1, "09123456789", "سلام"), (5, 2, "9351234567", "درود")]
    assert r.columns == (3, 1)
    assert codes(r) == [("F202", 1), ("F206", 2), ("F203", 3), ("F109", 5)]
    assert issue(r, "F202").message.startswith(
        "rows 1-2 (from 'Customer export 2024-03-01') are a title above the header "
        "(row 3, 'ID,متن پیام,نام,موبایل')"
    )
    assert "ignored: 'ID', 'نام'" in issue(r, "F203").message
    assert "format column D as Text" in issue(r, "F109").message


def test_xlsx_data_above_the_header_is_read_as_before(tmp_path: Path) -> None:
    header = [["Export"], ["Name", "Mobile", "Message"], ["Sara", "09351234567", "x"]]
    assert read_file(workbook(tmp_path, header, "a.xlsx")).columns == (1, 2)
    data = workbook(tmp_path, [header[0], ["Ali", "09123456789", "hi"], *header[1:]], "b.xlsx")
    r = read_file(data)
    assert r.columns is None
    assert [line for line, *_ in rows(r)] == [2, 3, 4]


# --------------------------------------------------------------------------- fix


def test_fix_without_unsafe_refuses_with_the_hint(tmp_path: Path) -> None:
    path = write(tmp_path, TITLE + CRM)
    with pytest.raises(InputFileError) as info:
        fix(path, tmp_path / "out.csv", tmp_path / "rejects.csv", settings=DEFAULTS)
    message = str(info.value)
    assert message.startswith(f"{path}: the header has 3 columns (F203)")
    assert (
        "`p2pfile fix --unsafe-fixes` would keep the recipient column 'Mobile' and the "
        "message column 'Message' and drop 'Name'"
    ) in message
    assert not (tmp_path / "out.csv").exists()


def test_fix_unsafe_writes_the_canonical_file(tmp_path: Path) -> None:
    body = TITLE + "\n" + CRM + "Reza,short\n" + 'Sara,+98 912 345 6780,"Hi, Sara"\n'
    path = write(tmp_path, body)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(path, out, rejects, unsafe=True, settings=DEFAULTS)
    accounted(result)
    assert (result.rows_in, result.rows_written) == (4, 2)
    assert (result.rows_rejected, result.duplicates_dropped) == (1, 1)
    assert (result.fixes["F202"], result.fixes["F203"]) == (1, 1)
    text = out.read_text(encoding="utf-8")
    assert text == 'recipient,message\n+989123456789,Hello Ali\n+989123456780,"Hi, Sara"\n'
    assert errors(out) == []
    again = fix(out, unsafe=True, settings=DEFAULTS)
    assert again.fixes == {}
    assert out.read_text(encoding="utf-8") == text


def test_fix_unsafe_from_xlsx(tmp_path: Path) -> None:
    path = workbook(
        tmp_path, [["Export"], [], ["Name", "Mobile", "Message"], ["Ali", "09123456789", "hi"]]
    )
    out = tmp_path / "out.csv"
    result = fix(path, out, unsafe=True, settings=DEFAULTS)
    accounted(result)
    assert result.fixes["F202"] == 1
    assert result.fixes["F203"] == 1
    assert out.read_text(encoding="utf-8") == "recipient,message\n+989123456789,hi\n"
    assert errors(out) == []


def test_cli_check_fix_and_check_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, TITLE + CRM)
    assert main(["check", "--isolated", str(path)]) == 1
    shown = capsys.readouterr().out
    assert "P207" not in shown
    assert "F205" not in shown
    out = tmp_path / "o.csv"
    assert main(["fix", "--isolated", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--unsafe-fixes` would keep the recipient column 'Mobile'" in err
    assert "Traceback" not in err
    assert main(["fix", "--isolated", "--unsafe-fixes", str(path), "-o", str(out)]) == 0
    done = capsys.readouterr().out
    assert "F202 x1" in done
    assert "F203 x1" in done
    assert main(["check", "--isolated", str(out)]) == 0
