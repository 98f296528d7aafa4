"""CRM and Excel exports with more than two columns: read by name, F203's unsafe fix."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import xlsxwriter
from wide_exports import CRM, PERSIAN, accounted, errors, issue, rows, workbook, write

from p2pfile.check import check
from p2pfile.cli import main
from p2pfile.config import Settings
from p2pfile.errors import InputFileError
from p2pfile.fix import fix
from p2pfile.reader import ReadResult, read_bytes, read_file
from p2pfile.rules import get_rule
from p2pfile.stats import stats

DEFAULTS = Settings()


def codes(result: ReadResult) -> list[str]:
    return [i.code for i in result.issues]


# --------------------------------------------------------------------------- reading


def test_crm_export_reads_the_named_columns(both_paths: str) -> None:
    r = read_bytes(CRM.encode())
    assert rows(r) == [
        (2, 1, "09123456789", "Hello Ali"),
        (3, 2, "0912 345 6780", "Hi, Sara"),
    ]
    assert codes(r) == ["F203"]  # no F202 about 'Name', no P207 on the names
    f203 = issue(r, "F203")
    assert f203.line == 1
    assert f203.fixable
    assert f203.message.startswith(
        "the header has 3 columns: reading 'Mobile' as the recipient and 'Message' as the "
        "message; ignored: 'Name'"
    )
    assert r.header == ("Name", "Mobile", "Message")
    assert r.columns == (1, 2)


def test_crm_export_takes_the_fast_path(fast_only: None) -> None:
    # The choice is made once from the header: a column select, not a slower pass.
    body = "id,phone,text\n" + "".join(f"{i},0912{i:07d},msg {i}\n" for i in range(1000))
    r = read_bytes(body.encode())
    assert r.columns == (1, 2)
    assert r.frame.height == 1000
    assert rows(r)[-1] == (1001, 1000, "09120000999", "msg 999")


def test_check_judges_the_real_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, CRM)
    report = check(path, isolated=True)
    found = sorted((d.code, d.line) for d in report)
    assert found == [("F203", 1), ("P102", 3)]  # the spaced number, not P207 on 'Sara'
    f203 = next(d for d in report if d.code == "F203")
    assert f203.fix is not None
    assert f203.fix.applicability == "unsafe"


def test_persian_header_any_order(both_paths: str) -> None:
    r = read_bytes(PERSIAN.encode())
    assert rows(r) == [(2, 1, "09123456789", "سلام علی"), (3, 2, "09351234567", "درود")]
    assert codes(r) == ["F203"]
    assert "reading 'موبایل' as the recipient and 'متن پیام' as the message" in r.issues[0].message
    assert "ignored: 'نام'" in r.issues[0].message


def test_message_before_recipient_and_columns_after(both_paths: str) -> None:
    body = "id,text,phone,created_at\n7,hi there,09123456789,2024-01-02\n8,yo,09351234567,\n"
    r = read_bytes(body.encode())
    assert rows(r) == [(2, 1, "09123456789", "hi there"), (3, 2, "09351234567", "yo")]
    assert codes(r) == ["F203"]
    assert r.columns == (2, 1)
    assert "ignored: 'id', 'created_at'" in r.issues[0].message


def test_multi_line_message_keeps_line_numbers(both_paths: str) -> None:
    body = (
        'Name,Mobile,Message\nAli,09123456789,"line one\nline two\nline three"\n'
        "Sara,09351234567,after\n"
    )
    r = read_bytes(body.encode())
    assert rows(r) == [
        (2, 1, "09123456789", "line one\nline two\nline three"),
        (5, 2, "09351234567", "after"),
    ]
    assert codes(r) == ["F203"]


def test_multi_line_ignored_column_keeps_line_numbers(both_paths: str) -> None:
    body = 'Note,Mobile,Message\n"two\nlines",09123456789,hi\nx,09351234567,yo\n'
    r = read_bytes(body.encode())
    assert rows(r) == [(2, 1, "09123456789", "hi"), (4, 2, "09351234567", "yo")]
    assert codes(r) == ["F203"]


def test_short_and_long_records_against_the_header_width(both_paths: str) -> None:
    body = (
        "Name,Mobile,Message\n"
        "Ali,09123456789,ok\n"  # 3 fields: normal for this header
        "Sara,09351234567\n"  # short: no message cell
        "Reza,09201234567,Hi, Reza\n"  # long: an unquoted comma in the message
    )
    r = read_bytes(body.encode())
    assert rows(r) == [
        (2, 1, "09123456789", "ok"),
        (3, 2, "09351234567", None),
        (4, 3, "09201234567", "Hi"),
    ]
    f204, f205 = issue(r, "F204"), issue(r, "F205")
    assert (f204.line, f204.row, f204.message) == (3, 2, "record has 2 fields, the header has 3")
    assert (f205.line, f205.row) == (4, 3)
    assert f205.message.startswith("record has 4 fields, the header has 3;")
    assert "fields 2 and 3 (recipient and message) were kept; not read: ' Reza'" in f205.message


def test_every_record_is_a_row_or_a_finding(both_paths: str) -> None:
    body = 'id,phone,text\n1,0912,a\n\n2\n3,0913,b,c\n4,0914,"x\ny"\n5,0915,d\n'
    r = read_bytes(body.encode())
    starts = {2, 3, 4, 5, 6, 8}
    assert starts <= set(r.frame["line"].to_list()) | {i.line for i in r.issues}
    assert r.frame["line"].to_list() == [2, 4, 5, 6, 8]
    assert codes(r) == ["F203", "F206", "F204", "F205"]


def test_trailing_empty_header_cells_are_not_columns(both_paths: str) -> None:
    r = read_bytes(b"Name,Mobile,Message,,\r\nAli,09123456789,hi,,\r\n")
    assert rows(r) == [(2, 1, "09123456789", "hi")]
    assert codes(r) == ["F203"]
    assert r.header == ("Name", "Mobile", "Message")
    assert r.issues[0].message.startswith("the header has 3 columns:")


def test_mixed_line_endings_are_still_counted_right(both_paths: str) -> None:
    # F105 counts the line breaks inside values: the ignored column's must count too.
    body = b'Note,Mobile,Message\r\n"a\r\nb",09123456789,hi\r\nx,09351234567,yo\n'
    r = read_bytes(body)
    assert rows(r) == [(2, 1, "09123456789", "hi"), (4, 2, "09351234567", "yo")]
    f105 = issue(r, "F105")
    assert f105.message == "record separators mix line endings: CRLF on 2 lines, LF on 1 line"


@pytest.mark.parametrize(
    "header",
    [
        "Mobile,Phone,Message",  # two recipient-like names
        "Name,Foo,Bar",  # no known name
        "Name,Mobile,Text,SMS",  # two message-like names
        "Name,Mobile,Notes",  # no message name
    ],
)
def test_ambiguous_headers_are_read_by_position_as_before(both_paths: str, header: str) -> None:
    r = read_bytes(f"{header}\nAli,09123456789,hi,x\n".encode())
    assert r.columns is None
    f203 = issue(r, "F203")
    assert "only the first two are read (recipient, message)" in f203.message
    assert not f203.fixable
    assert r.frame["recipient"].to_list() == ["Ali"]  # by position, as before


def test_first_record_of_data_is_never_a_header(both_paths: str) -> None:
    r = read_bytes(b"09123456789,mobile,message\n09351234567,a,b\n")
    assert r.columns is None
    assert codes(r)[0] == "F201"


# --------------------------------------------------------------------------- XLSX


@pytest.mark.usefixtures("xlsx_scan")
def test_xlsx_reads_the_named_columns(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["ID", "متن پیام", "نام", "موبایل"],
            [1, "سلام", "علی", "09123456789"],
            [2, "درود", "سارا", 9351234567],  # a number: F109 names column D
            [3, "too", "Reza", "09201234567", None, "a note"],
        ],
    )
    r = read_file(path)
    assert rows(r) == [
        (2, 1, "09123456789", "سلام"),
        (3, 2, "9351234567", "درود"),
        (4, 3, "09201234567", "too"),
    ]
    assert r.columns == (3, 1)
    f203 = issue(r, "F203")
    assert "reading 'موبایل' as the recipient and 'متن پیام' as the message" in f203.message
    assert "ignored: 'ID', 'نام'" in f203.message
    f109 = issue(r, "F109")
    assert (f109.line, "format column D as Text" in f109.message) == (3, True)
    assert r.numeric_recipient_rows == 1
    f205 = issue(r, "F205")
    assert (f205.line, f205.row) == (4, 3)
    assert "beyond column D (up to column F); only columns D and B are read" in f205.message


@pytest.mark.usefixtures("xlsx_scan")
def test_xlsx_error_cells_in_named_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["Name", "Mobile", "Message"])
    ws.write_row(1, 0, ["Ali", "09123456789"])
    ws.write_formula(1, 2, "=NA()", None, "#N/A")
    wb.close()
    r = read_file(path)
    assert rows(r) == [(2, 1, "09123456789", "#N/A")]


def test_xlsx_ambiguous_header_is_read_by_position(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Mobile", "Phone", "Message"], ["09123456789", "0912", "hi"]])
    r = read_file(path)
    assert r.columns is None
    assert rows(r) == [(2, 1, "09123456789", "0912")]
    assert not issue(r, "F203").fixable


# --------------------------------------------------------------------------- fix


def test_fix_without_unsafe_refuses_with_the_hint(tmp_path: Path) -> None:
    path = write(tmp_path, CRM)
    with pytest.raises(InputFileError) as info:
        fix(path, tmp_path / "out.csv", tmp_path / "rejects.csv", settings=DEFAULTS)
    message = str(info.value)
    assert message.startswith(f"{path}: the header has 3 columns (F203)")
    assert (
        "`p2pfile fix --unsafe-fixes` would keep the recipient column 'Mobile' and the "
        "message column 'Message' and drop 'Name'"
    ) in message
    assert "\n" not in message
    assert not (tmp_path / "out.csv").exists()


def test_fix_refuses_an_ambiguous_wide_header_even_when_unsafe(tmp_path: Path) -> None:
    path = write(tmp_path, "Mobile,Phone,Message\n09123456789,0912,hi\n")
    with pytest.raises(InputFileError, match="remove or merge them first"):
        fix(path, tmp_path / "out.csv", unsafe=True, settings=DEFAULTS)


def test_fix_unsafe_writes_the_two_named_columns(tmp_path: Path) -> None:
    body = (
        "id,Message,Name,Mobile\n"
        '1,"Hello\nAli",Ali,09123456789\n'
        "2,short\n"  # F204: rejected
        "3,Hi,Sara,0912 345 6780\n"
        "4,Hi,Sara,+98 912 345 6780\n"  # a duplicate once normalized
        "5,a,b,09351234567,extra\n"  # F205: rejected
    )
    path = write(tmp_path, body)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(path, out, rejects, unsafe=True, settings=DEFAULTS)
    accounted(result)
    assert (result.rows_in, result.rows_written) == (5, 2)
    assert (result.rows_rejected, result.duplicates_dropped) == (2, 1)
    assert result.fixes["F203"] == 1
    assert out.read_text(encoding="utf-8") == (
        'recipient,message\n+989123456789,"Hello\nAli"\n+989123456780,Hi\n'
    )
    with rejects.open(encoding="utf-8", newline="") as f:
        rejected = list(csv.DictReader(f))
    assert [(r["line"], r["codes"].split()[0]) for r in rejected] == [("4", "F204"), ("7", "F205")]
    assert errors(out) == []
    assert check(out, isolated=True).frame.height == 0


def test_fix_unsafe_from_xlsx(tmp_path: Path) -> None:
    path = workbook(
        tmp_path, [["Name", "Mobile", "Message"], ["Ali", "09123456789", "hi"], ["Sara", "x", "y"]]
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(path, out, rejects, unsafe=True, settings=DEFAULTS)
    accounted(result)
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert out.read_text(encoding="utf-8") == "recipient,message\n+989123456789,hi\n"
    assert errors(out) == []


def test_fix_unsafe_in_place(tmp_path: Path) -> None:
    path = write(tmp_path, PERSIAN)
    result = fix(path, unsafe=True, settings=DEFAULTS)
    accounted(result)
    assert result.fixes["F203"] == 1
    assert path.read_text(encoding="utf-8") == (
        "recipient,message\n+989123456789,سلام علی\n+989351234567,درود\n"
    )


def test_cli_fix_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, CRM)
    out, rejects = tmp_path / "o.csv", tmp_path / "r.csv"
    assert main(["fix", "--isolated", str(path), "-o", str(out), "--rejects", str(rejects)]) == 2
    err = capsys.readouterr().err
    assert "--unsafe-fixes` would keep the recipient column 'Mobile'" in err
    assert "Traceback" not in err
    argv = ["fix", "--isolated", "--unsafe-fixes", str(path), "-o", str(out)]
    assert main([*argv, "--rejects", str(rejects)]) == 0
    assert "F203 x1" in capsys.readouterr().out
    assert main(["check", "--isolated", str(out)]) == 0


def test_rule_docs_show_the_unsafe_fix(capsys: pytest.CaptureFixture[str]) -> None:
    rule = get_rule("F203")
    assert rule is not None
    assert rule.fix == "unsafe"
    assert main(["rule", "F203"]) == 0
    shown = capsys.readouterr().out
    assert "fix: unsafe" in shown
    assert "--unsafe-fixes" in shown


# --------------------------------------------------------------------------- stats


def test_stats_counts_the_real_recipients(tmp_path: Path) -> None:
    result = stats(write(tmp_path, CRM), settings=DEFAULTS)
    assert (result.rows, result.sent, result.rejected) == (2, 2, 0)
    assert (result.valid_recipients, result.unique_recipients) == (2, 2)
    assert any("(F203)" in note and "'Mobile'" in note for note in result.notes)


# --------------------------------------------------------------------------- row index (F209)

PANDAS = ',recipient,message\n0,09121234567,hi\n1,09351234567,"yo, there"\n'


@pytest.mark.parametrize(
    "text",
    [
        PANDAS,  # df.to_csv()
        PANDAS.replace(",recipient", "Unnamed: 0,recipient", 1),  # read back, written again
        PANDAS.replace(",recipient", "index,recipient", 1),  # df.reset_index()
        '"","recipient","message"\n"1","09121234567","hi"\n"2","09351234567","yo, there"\n',  # R
        ",recipient,message\n0,09121234567,hi\n\n1,09351234567,yo there\n",  # a blank line
    ],
)
def test_a_row_index_is_f209_and_read_by_name(both_paths: str, text: str) -> None:
    r = read_bytes(text.encode())
    assert [i.code for i in r.issues if i.code != "F206"] == ["F209"]
    f209 = issue(r, "F209")
    assert (f209.line, f209.fixable) == (1, True)
    assert "a row index, as pandas writes one without index=False" in f209.message
    assert [row[2] for row in rows(r)] == ["09121234567", "09351234567"]
    assert get_rule("F209").fix == "safe"


@pytest.mark.parametrize(
    "body",
    [
        "2,09121234567,hi\n0,09351234567,yo\n",  # not in order (a sorted frame)
        "0,09121234567,hi\n0,09351234567,yo\n",  # repeated
        "0,09121234567,hi\nx,09351234567,yo\n",  # text
        "0,09121234567,hi\n,09351234567,yo\n",  # an empty cell
        "007,09121234567,hi\n8,09351234567,yo\n",  # a code, not a count
        "3,09121234567,hi\n17,09351234567,yo\n",  # gaps: a filtered frame, or ids
        "1001,09121234567,hi\n1002,09351234567,yo\n",  # customer ids in order
        "7,09121234567,hi\n",  # one row numbered 7
    ],
)
def test_a_first_column_that_is_no_index_in_order_stays_f203(both_paths: str, body: str) -> None:
    """Only values that prove an index make the drop safe: anything else may be data."""
    r = read_bytes((",recipient,message\n" + body).encode())
    f203 = issue(r, "F203")
    assert "looks like a pandas index: to_csv(index=False)" in f203.message
    assert "F209" not in codes(r)


def test_an_index_beside_another_column_left_out_stays_f203(both_paths: str) -> None:
    r = read_bytes(b",name,recipient,message\n0,Ali,09121234567,hi\n1,Sara,09351234567,yo\n")
    assert codes(r) == ["F203"]
    named = read_bytes(b"id,recipient,message\n0,09121234567,hi\n")
    assert codes(named) == ["F203"]
    assert "pandas" not in issue(named, "F203").message


def test_to_excel_index_is_f209(tmp_path: Path, xlsx_scan: str) -> None:
    path = workbook(
        tmp_path,
        [[None, "recipient", "message"], [0, "09121234567", "hi"], [1, "09351234567", "yo"]],
    )
    r = read_file(str(path))
    assert codes(r) == ["F209"]
    assert [row[2] for row in rows(r)] == ["09121234567", "09351234567"]


def test_fix_drops_the_index_safely_and_check_passes_the_output(tmp_path: Path) -> None:
    src = write(tmp_path, PANDAS, "export.csv")
    assert main(["check", "--isolated", "--no-progress", str(src)]) == 1
    result = fix(str(src), settings=DEFAULTS)  # in place: safe fixes only
    accounted(result)
    assert result.fixes["F209"] == 1
    assert src.read_text(encoding="utf-8") == (
        'recipient,message\n+989121234567,hi\n+989351234567,"yo, there"\n'
    )
    assert main(["check", "--isolated", "--no-progress", str(src)]) == 0


def test_an_index_of_empty_rows_leaves_blank_records_fixed_in_one_run(tmp_path: Path) -> None:
    # Red team 8: rows with nothing but their index were kept in place as "","" and the
    # next run removed them as blank (F206): a pre-commit fix hook needed two commits.
    src = write(tmp_path, ",recipient,message\n0,09121234567,hi\n1,,\n2,09351234567,yo\n3,,  \n")
    result = fix(str(src), settings=DEFAULTS)
    assert (result.rows_in, result.fixes["F206"]) == (2, 2)
    fixed = src.read_bytes()
    assert fixed == b"recipient,message\n+989121234567,hi\n+989351234567,yo\n"
    again = fix(str(src), settings=DEFAULTS)
    assert (again.rows_in, again.fixes, again.changed) == (2, {}, False)


@pytest.mark.parametrize(
    "text",
    [
        # R's write.table(df, sep=","): the row names' column has no name in the header.
        '"recipient","message"\n"1","09121234567","hi"\n"2","09351234567","yo, there"\n',
        # pandas' to_csv(index_label=False).
        'recipient,message\n0,09121234567,hi\n1,09351234567,"yo, there"\n',
    ],
)
def test_an_index_left_out_of_the_header_is_f209(both_paths: str, text: str) -> None:
    """Every record one field longer than the header, the first numbering the rows: not
    an unquoted comma in every message (F205), nor a recipient '0' of the wrong length."""
    r = read_bytes(text.encode())
    assert codes(r) == ["F209"]
    assert issue(r, "F209").fixable
    assert [row[2:] for row in rows(r)] == [("09121234567", "hi"), ("09351234567", "yo, there")]


def test_a_third_field_that_is_not_an_index_stays_f205(both_paths: str) -> None:
    r = read_bytes(b"recipient,message\n09121234567,hi,there\n09351234567,yo,you\n")
    assert codes(r) == ["F205", "F205"]


# --------------------------------------------------------------------------- empty first column


def test_a_table_that_starts_in_column_b_is_f209_and_fixed_safely(
    tmp_path: Path, xlsx_scan: str
) -> None:
    # Red team 6: to_excel(startcol=1) or a template's margin column was F203 "looks
    # like a pandas index", and the plain fix refused it, though the column is empty.
    path = workbook(
        tmp_path,
        [[None, "recipient", "message"], [None, "09121234567", "hi"], [None, "09351234567", "yo"]],
    )
    r = read_file(str(path))
    assert codes(r) == ["F209"]
    assert "holds no value in any row (in a workbook: the table starts in column B)" in (
        issue(r, "F209").message
    )
    assert [row[2:] for row in rows(r)] == [("09121234567", "hi"), ("09351234567", "yo")]
    out = tmp_path / "out.csv"
    result = fix(str(path), str(out), settings=DEFAULTS)
    accounted(result)
    assert result.fixes["F209"] == 1
    assert (
        out.read_text(encoding="utf-8") == "recipient,message\n+989121234567,hi\n+989351234567,yo\n"
    )


def test_an_empty_first_field_in_every_csv_record_is_f209(both_paths: str) -> None:
    r = read_bytes(b",recipient,message\n,09121234567,hi\n\n,09351234567,yo\n")
    assert [c for c in codes(r) if c != "F206"] == ["F209"]
    assert [row[2:] for row in rows(r)] == [("09121234567", "hi"), ("09351234567", "yo")]
    # A name over the empty column, or one value in it, may be data: F203 as before.
    assert "F209" not in codes(read_bytes(b"id,recipient,message\n,09121234567,hi\n"))
    assert "F209" not in codes(read_bytes(b",recipient,message\n,09121234567,hi\nx,0935,yo\n"))
