"""Reading XLSX workbooks: Excel row numbers, numbers stored as numbers, sheets."""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from p2pfile import _read_xlsx
from p2pfile.fix import fix
from p2pfile.reader import FileIssue, ReadResult, read_bytes, read_file
from p2pfile.rules import get_rule

Fill = Callable[[Worksheet], None]


def workbook(tmp_path: Path, *sheets: tuple[str, Fill], name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    wb = xlsxwriter.Workbook(str(path))
    for title, fill in sheets:
        fill(wb.add_worksheet(title))
    wb.close()
    return path


def issue(result: ReadResult, code: str) -> FileIssue:
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, result.issues
    return found[0]


def header(ws: Worksheet) -> None:
    ws.write_row(0, 0, ["recipient", "message"])


def test_clean_workbook(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "سلام"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert r.issues == ()
    assert r.format == "xlsx"
    assert (r.encoding, r.delimiter) == (None, None)
    assert r.header == ("recipient", "message")
    assert r.frame.rows() == [(2, 1, "09121234567", "سلام")]


def test_lines_are_excel_rows_and_empty_rows_are_f206(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        ws.write_row(2, 0, ["recipient", "message"])  # rows 1-2 empty
        ws.write_row(3, 0, ["09121234567", "a"])
        ws.write_row(5, 0, ["09121234568", "b"])  # row 5 empty
        ws.write_row(6, 0, ["  ", ""])  # whitespace only: empty too
        ws.write_row(7, 0, ["09121234569", "c"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert [(i.code, i.line, i.fixable) for i in r.issues] == [
        ("F206", 1, True),
        ("F206", 2, True),
        ("F206", 5, True),
        ("F206", 7, True),
    ]
    assert r.issues[2].message == "row 5 is empty"
    assert [(line, row) for line, row, *_ in r.frame.rows()] == [(4, 1), (6, 2), (8, 3)]


@pytest.mark.usefixtures("xlsx_scan")
def test_numbers_keep_their_exact_digits_and_are_f109(tmp_path: Path) -> None:
    # Large workbooks load the cells' types beside the text; both ways must agree.

    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_string(1, 0, "09121234567")
        ws.write_number(2, 0, 9123456789)
        ws.write_number(3, 0, 9.5)
        ws.write_string(4, 0, "9123456780")  # text that looks like a number: not F109
        ws.write_boolean(5, 0, True)  # a boolean is not a number
        ws.write_number(6, 0, 989123456789)
        for row in range(1, 7):
            ws.write_number(row, 1, 12)  # numbers in the message column are not counted

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert r.frame["recipient"].to_list() == [
        "09121234567",
        "9123456789",
        "9.5",
        "9123456780",
        "true",
        "989123456789",
    ]
    assert r.frame["message"].to_list() == ["12"] * 6
    assert r.numeric_recipient_rows == 3
    f109 = issue(r, "F109")
    assert (f109.line, f109.row) == (3, 2)
    assert f109.message.startswith("3 recipient cells are stored as numbers")


def test_no_second_load_without_number_like_recipients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])
        ws.write_row(2, 0, ["+989121234567", "b"])

    loads = _loads(monkeypatch)
    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert r.numeric_recipient_rows == 0
    assert loads == ["string"]


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The dtypes of every sheet load fastexcel is asked for, from now on."""
    import fastexcel

    loads: list[object] = []
    original = fastexcel.ExcelReader.load_sheet

    def counting(self: fastexcel.ExcelReader, *args: object, **kwargs: object) -> object:
        loads.append(kwargs.get("dtypes"))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fastexcel.ExcelReader, "load_sheet", counting)
    return loads


def _rewrite_sheet(path: Path, edit: Callable[[bytes], bytes]) -> None:
    """Rewrite the first worksheet's XML as another writer would have written it."""
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = edit(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def _numbers_and_texts(ws: Worksheet) -> None:
    header(ws)
    for row in range(1, 200):
        if row % 3:
            ws.write_number(row, 0, 9120000000 + row)
        else:
            ws.write_string(row, 0, f"{9120000000 + row}")  # text that reads as a number
        ws.write_string(row, 1, "hi")


_NUMBER_ROWS = [row + 1 for row in range(1, 200) if row % 3]


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(lambda xml: xml, id="xlsxwriter"),
        # openpyxl and LibreOffice spell the default type out, in either order with s.
        pytest.param(
            lambda xml: re.sub(rb'<c r="(A[0-9]+)"( s="[0-9]+")?>', rb'<c r="\1"\2 t="n">', xml),
            id="t-n-after-s",
        ),
        pytest.param(
            lambda xml: re.sub(rb'<c r="(A[0-9]+)">', rb'<c r="\1" t="n" s="0">', xml),
            id="t-n-before-s",
        ),
    ],
)
@pytest.mark.usefixtures("xlsx_scan")
def test_numbers_are_found_in_the_sheet_xml_without_a_second_load(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    writer: Callable[[bytes], bytes],
) -> None:
    # A tiny chunk: number cells cut by a chunk's end are still found, once.
    monkeypatch.setattr(_read_xlsx, "_CHUNK", 97)
    path = workbook(tmp_path, ("Sheet1", _numbers_and_texts))
    _rewrite_sheet(path, writer)
    loads = _loads(monkeypatch)
    r = read_file(path)
    assert loads == ["string"]
    assert r.numeric_recipient_rows == len(_NUMBER_ROWS)
    assert issue(r, "F109").line == _NUMBER_ROWS[0]


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(
            lambda xml: re.sub(rb'<c r="([A-Z]+[0-9]+)"', rb'<c s="0" r="\1"', xml), id="r-last"
        ),
        pytest.param(
            lambda xml: (
                xml.replace(b"<c ", b"<x:c ")
                .replace(b"</c>", b"</x:c>")
                .replace(b"<v>", b"<x:v>")
                .replace(b"</v>", b"</x:v>")
                .replace(b"<row ", b"<x:row ")
                .replace(b"</row>", b"</x:row>")
                .replace(b"<sheetData>", b"<x:sheetData>")
                .replace(b"</sheetData>", b"</x:sheetData>")
                .replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=")
                .replace(b"</worksheet>", b"</x:worksheet>")
            ),
            id="prefixed",
        ),
    ],
)
def test_a_sheet_xml_the_scan_cannot_read_falls_back_to_the_types_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: Callable[[bytes], bytes]
) -> None:
    path = workbook(tmp_path, ("Sheet1", _numbers_and_texts))
    _rewrite_sheet(path, writer)
    loads = _loads(monkeypatch)
    r = read_file(path)
    assert loads == ["string", {0: "boolean"}]
    assert r.numeric_recipient_rows == len(_NUMBER_ROWS)


def test_other_sheets_with_data_are_f107(tmp_path: Path) -> None:
    def other(ws: Worksheet) -> None:
        ws.write_string(9, 3, "۰۹۱۲ ۱۲۳-۴۵۶۷")  # forgotten rows: a recipient, Persian digits

    def empty(ws: Worksheet) -> None:
        ws.set_column(0, 3, 20)

    def lists(ws: Worksheet) -> None:
        ws.write_column(0, 0, ["Tehran", "Shiraz", "Branch 12"])  # dropdown lists

    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])

    r = read_file(
        workbook(tmp_path, ("Upload", fill), ("Notes", other), ("Blank", empty), ("Lists", lists))
    )
    f107 = issue(r, "F107")
    assert "'Notes'" in f107.message
    assert "'Blank'" not in f107.message
    assert "'Lists'" not in f107.message
    assert "'Upload'" in f107.message
    assert "hidden" not in f107.message


def test_f107_says_when_the_sheet_the_provider_reads_is_hidden(tmp_path: Path) -> None:
    # Excel opens on the visible sheet: its owner may never have seen the first one.
    path = tmp_path / "hidden.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    old, data = wb.add_worksheet("Old"), wb.add_worksheet("Data")
    for ws in (old, data):
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])
    data.activate()
    old.hide()
    wb.close()
    f107 = issue(read_file(path), "F107")
    assert "first sheet ('Old', which is hidden in Excel: unhide it" in f107.message


def test_cells_beyond_column_b(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a", "", "note"])
        ws.write_row(2, 0, ["09121234568", "b"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    f205 = issue(r, "F205")
    assert (f205.line, f205.row) == (2, 1)
    assert "up to column D" in f205.message
    assert r.frame["message"].to_list() == ["a", "b"]


def test_header_with_more_columns_is_f203(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        ws.write_row(0, 0, ["recipient", "message", "name"])
        ws.write_row(1, 0, ["09121234567", "a", "Ali"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert [i.code for i in r.issues] == ["F203"]
    assert r.header == ("recipient", "message", "name")


def test_data_starting_in_column_b_is_not_shifted(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        ws.write_row(0, 1, ["recipient", "note"])
        ws.write_row(1, 1, ["09121234567", "a"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert r.header == ("", "recipient", "note")
    assert "F202" in [i.code for i in r.issues]
    assert r.frame.rows() == [(2, 1, None, "09121234567")]


def test_named_columns_starting_in_column_b_are_read_by_name(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        ws.write_row(0, 1, ["recipient", "message"])
        ws.write_row(1, 1, ["09121234567", "a"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert r.header == ("", "recipient", "message")
    # Loudly: the provider reads A and B, so F209 says which columns were read, and
    # the empty column A is dropped by a safe fix (nothing is in it to lose).
    assert [(i.code, i.fixable) for i in r.issues] == [("F209", True)]
    assert "the table starts in column B" in r.issues[0].message
    assert r.frame.rows() == [(2, 1, "09121234567", "a")]


def test_numeric_first_row_is_data_f201(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        ws.write_number(0, 0, 9121234567)
        ws.write_string(0, 1, "سلام")

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert [i.code for i in r.issues] == ["F201", "F109"]
    assert r.frame.rows() == [(1, 1, "9121234567", "سلام")]
    assert r.numeric_recipient_rows == 1


@pytest.mark.parametrize(
    ("fill", "message"),
    [
        (lambda ws: None, "the first sheet holds no data"),
        (header, "the file has a header and no data rows"),
    ],
)
def test_empty_sheets_are_f106(tmp_path: Path, fill: Fill, message: str) -> None:
    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert issue(r, "F106").message == message
    assert r.frame.height == 0


def test_truncated_and_corrupt_workbooks_are_f102(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])

    data = workbook(tmp_path, ("Sheet1", fill)).read_bytes()
    truncated = read_bytes(data[: len(data) // 2], "cut.xlsx")
    assert "damaged or truncated" in issue(truncated, "F102").message
    assert truncated.format is None
    mangled = bytearray(data)
    start = data.index(b"xl/worksheets/sheet1.xml") + 60
    mangled[start : start + 300] = b"\x00" * 300
    corrupt = read_bytes(bytes(mangled), "bad.xlsx")
    assert issue(corrupt, "F102").code == "F102"
    assert corrupt.frame.height == 0


def test_workbook_named_csv_is_read_as_xlsx_with_f102(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill), name="jan.csv"))
    assert "named .csv but is an XLSX workbook" in issue(r, "F102").message
    assert r.format == "xlsx"
    assert r.frame.rows() == [(2, 1, "09121234567", "a")]


def test_max_rows_on_a_workbook(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        for i in range(1, 6):
            ws.write_row(i, 0, [f"0912123456{i}", "a"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)), max_rows=3)
    assert [(i.code, i.line) for i in r.issues] == [("F108", 5)]
    assert r.frame.height == 3


def test_a_chart_sheet_first_is_passed_over_silently(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Loading a chart sheet makes calamine print to stderr; the data is on a worksheet."""
    path = tmp_path / "chart.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    chartsheet = wb.add_chartsheet("Chart")
    ws = wb.add_worksheet("Data")
    header(ws)
    ws.write_row(1, 0, ["09121234567", "hi"])
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Data!$A$2:$A$2"})
    chartsheet.set_chart(chart)
    wb.close()
    r = read_file(path)
    assert r.issues == ()
    assert r.frame.rows() == [(2, 1, "09121234567", "hi")]
    assert capfd.readouterr().err == ""


@pytest.mark.usefixtures("xlsx_scan")
def test_error_cells_read_as_the_error_excel_shows(tmp_path: Path) -> None:
    # calamine returns an error cell (t="e") empty; the user sees #N/A in Excel.
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_formula(1, 0, "=NA()", None, "#N/A")
        ws.write_string(1, 1, "hello")
        ws.write_string(2, 0, "09121234567")
        ws.write_formula(2, 1, "=1/0", None, "#DIV/0!")
        ws.write_string(3, 0, "09121234568")
        ws.write_string(3, 1, "")  # a truly empty message stays empty
        ws.write_formula(4, 0, "=A1", None, "09121234569")  # a formula with a value
        ws.write_formula(4, 1, "=Z9", None, "#REF!")
        ws.write_formula(5, 2, "=NA()", None, "#N/A")  # column C: not the upload's

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert [row[2:] for row in r.frame.rows()] == [
        ("#N/A", "hello"),
        ("09121234567", "#DIV/0!"),
        ("09121234568", ""),
        ("09121234569", "#REF!"),
    ]


def test_a_row_of_error_cells_is_not_a_blank_row(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_formula(2, 0, "=NA()", None, "#N/A")  # row 2 empty, row 3 errors only
        ws.write_formula(2, 1, "=NA()", None, "#N/A")

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert [(i.code, i.line) for i in r.issues] == [("F206", 2)]
    assert [row[2:] for row in r.frame.rows()] == [("#N/A", "#N/A")]


@pytest.mark.usefixtures("xlsx_scan")
def test_error_cells_inside_a_long_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks: error cells cut by a chunk boundary are still read whole; the scan
    # gives the same cells whether it runs after the text load or beside it.
    monkeypatch.setattr(_read_xlsx, "_CHUNK", 97)

    def fill(ws: Worksheet) -> None:
        header(ws)
        for i in range(1, 300):
            ws.write_string(i, 0, f"0912{i:07d}")
            if i % 37 == 0:
                ws.write_formula(i, 1, "=VLOOKUP(A1,Z:Z,2,FALSE)" * 20, None, "#N/A")
            else:
                ws.write_string(i, 1, "hi")

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    errors = [line for line, _, _, message in r.frame.rows() if message == "#N/A"]
    assert errors == [i + 1 for i in range(1, 300) if i % 37 == 0]
    assert all(message is not None for *_, message in r.frame.rows())


def test_date_and_time_messages_read_as_excel_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "dates.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    time = wb.add_format({"num_format": "hh:mm:ss"})
    ws = wb.add_worksheet()
    header(ws)
    ws.write_row(1, 0, ["09121234567"])
    ws.write_datetime(1, 1, datetime.datetime(2024, 3, 20), date)
    ws.write_row(2, 0, ["09121234567"])
    ws.write_datetime(2, 1, datetime.time(13, 45), time)
    ws.write_row(3, 0, ["09121234567"])
    ws.write_datetime(3, 1, datetime.datetime(2024, 3, 20, 9, 5, 7), date)
    ws.write_row(4, 0, ["09121234567", "2024-03-21 00:00:00"])  # text: kept as typed
    ws.write_row(5, 0, ["09121234567", "hello"])
    wb.close()

    r = read_file(path)
    assert [row[3] for row in r.frame.rows()] == [
        "2024-03-20",
        "13:45:00",
        "2024-03-20 09:05:07",
        "2024-03-21 00:00:00",
        "hello",
    ]


def test_message_cells_stored_as_values_are_f111_at_the_first(tmp_path: Path) -> None:
    # Red team 8: a voucher code formatted 00000000, 20%, TRUE were sent as 12345, 0.2,
    # true, and check said nothing; the user proof-read what Excel showed.
    path = tmp_path / "codes.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    padded = wb.add_format({"num_format": "00000000"})
    percent = wb.add_format({"num_format": "0%"})
    date = wb.add_format({"num_format": "yyyy/mm/dd"})
    ws = wb.add_worksheet()
    header(ws)
    ws.write_row(1, 0, ["09121234567", "hello"])
    ws.write_row(2, 0, ["09121234568", "12345"])  # text that looks like a number: fine
    ws.write_string(3, 0, "09121234569")
    ws.write_number(3, 1, 12345, padded)
    ws.write_string(4, 0, "09121234560")
    ws.write_number(4, 1, 0.2, percent)
    ws.write_string(5, 0, "09121234561")
    ws.write_boolean(5, 1, True)
    ws.write_string(6, 0, "09121234562")
    ws.write_datetime(6, 1, datetime.datetime(2026, 12, 1), date)
    wb.close()

    r = read_file(path)
    f111 = issue(r, "F111")
    assert f111.line == 4
    assert f111.message.startswith("4 message cells are stored as a number, date or TRUE/FALSE")
    assert "(the first in B4, sent as '12345')" in f111.message
    assert [row[3] for row in r.frame.rows()][2:] == ["12345", "0.2", "true", "2026-12-01"]


def test_text_messages_and_title_rows_are_no_f111(tmp_path: Path) -> None:
    # Red team 9: a year in the title block above the header (skipped as a title) was
    # called a message cell "sent as '1402'".
    def fill(ws: Worksheet) -> None:
        ws.write_string(0, 0, "Customer export")
        ws.write_number(0, 1, 1402)
        ws.write_row(1, 0, ["recipient", "message"])
        ws.write_row(2, 0, ["09121234567", "12345"])
        ws.write_row(3, 0, ["09121234568", "true"])
        ws.write_row(4, 0, ["09121234569", "2024-03-21 00:00:00"])

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert r.frame.height == 3
    assert "F111" not in [i.code for i in r.issues]


@pytest.mark.usefixtures("xlsx_scan")
def test_formulas_saved_without_a_value_read_as_their_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openpyxl and many CRM exporters save formulas and never calculate them: calamine
    reads such a cell empty, so a row of them passed as blank (F206) and fix removed it.
    They read as the formula's text; a cell cut by a chunk's end is read whole."""
    monkeypatch.setattr(_read_xlsx, "_CHUNK", 97)

    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_formula(1, 0, '="09121000701"')
        ws.write_formula(1, 1, '=CONCATENATE("Hi"," Ali")')
        ws.write_string(2, 0, "09121000702")
        ws.write_formula(2, 1, "=A2")
        ws.write_string(3, 0, "09121000703")
        ws.write_formula(3, 1, "=B3", None, "calculated")  # a value saved: read as is
        ws.write_string(4, 0, "09121000704")
        ws.write_formula(4, 1, "=B2")

    path = workbook(tmp_path, ("Sheet1", fill))

    def uncalculated(xml: bytes) -> bytes:
        xml = xml.replace(b"<v>calculated</v>", b"<v>KEEP</v>")
        xml = re.sub(rb"</f><v>[^<]*</v>", b"</f>", xml.replace(b"</f><v>KEEP", b"</f><w>KEEP"))
        xml = xml.replace(b"<w>KEEP</v>", b"<v>calculated</v>")
        # The last one as a shared formula's child, which has no text of its own.
        return xml.replace(b"<f>B2</f></c>", b'<f t="shared" si="0"/></c>')

    _rewrite_sheet(path, uncalculated)
    r = read_file(path)
    assert [i.code for i in r.issues] == []
    assert [row[2:] for row in r.frame.rows()] == [
        ('="09121000701"', '=CONCATENATE("Hi"," Ali")'),
        ("09121000702", "=A2"),
        ("09121000703", "calculated"),
        ("09121000704", "=…"),
    ]
    # The messages that are formulas are rejected with M402; nothing is lost.
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    result = fix(path, out, rejects)
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (4, 1, 3)
    assert "M402" in rejects.read_text("utf-8")


def test_fix_refuses_a_workbook_with_data_in_another_sheet_and_says_where(
    tmp_path: Path,
) -> None:
    """The rows of another sheet would be lost: fix refuses, naming that sheet, even when
    the first one holds only notes (not "there is nothing to fix")."""
    from p2pfile.errors import InputFileError

    def notes(ws: Worksheet) -> None:
        ws.write_string(0, 0, "Fill sheet 2")

    def data(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "hi"])

    for sheets in ((("Instructions", notes), ("Data", data)), (("Upload", data), ("Data", data))):
        path = workbook(tmp_path, *sheets)
        with pytest.raises(InputFileError, match=r"\('Data'\).*\(F107\).*move the data"):
            fix(path, tmp_path / "out.csv", tmp_path / "r.csv")
        assert not (tmp_path / "out.csv").exists()


def test_one_cell_on_the_last_excel_row_is_one_f206_not_a_million(tmp_path: Path) -> None:
    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])
        ws.write_string(1_048_575, 2, " ")  # Ctrl+Down, then a keystroke

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    assert [(i.code, i.line, i.message) for i in r.issues] == [
        ("F206", 3, "rows 3-1,048,576 (1,048,574 rows) are empty")
    ]
    assert r.frame.height == 1


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def raw_book(
    tmp_path: Path, *sheets: str, states: dict[int, str] | None = None, name: str = "raw.xlsx"
) -> Path:
    """A workbook zipped by hand from each worksheet's whole XML, as producers other
    than Excel write it (a namespace prefix, indentation, formulas without values)."""
    states = states or {}
    entries = "".join(
        f'<sheet name="S{i + 1}" sheetId="{i + 1}"'
        + (f' state="{states[i]}"' if i in states else "")
        + f' r:id="rId{i + 1}"/>'
        for i in range(len(sheets))
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{_RELS}/worksheet" '
        f'Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(sheets))
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(sheets))
    )
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>{entries}</sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>",
        )
        for i, xml in enumerate(sheets):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
    return path


def text_cell(ref: str, text: str, prefix: str = "") -> str:
    p = prefix
    return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def sheet_xml(rows: str, head: str = "", prefix: str = "") -> str:
    ns = f"xmlns:{prefix[:-1]}" if prefix else "xmlns"
    return (
        f'<{prefix}worksheet {ns}="{_MAIN}">{head}<{prefix}sheetData>{rows}'
        f"</{prefix}sheetData></{prefix}worksheet>"
    )


def header_row(prefix: str = "") -> str:
    return (
        f'<{prefix}row r="1">{text_cell("A1", "recipient", prefix)}'
        f"{text_cell('B1', 'message', prefix)}</{prefix}row>"
    )


@pytest.mark.usefixtures("xlsx_scan")
@pytest.mark.parametrize(
    ("prefix", "gap", "value"),
    [
        ("x:", "", ""),  # the .NET OpenXML SDK
        ("", "\n        ", ""),  # indented by a template generator
        ("", "", "<v/>"),
        ("", "\n  ", "<v />\n  "),  # openpyxl, then indented
    ],
)
def test_uncached_formulas_from_other_producers_are_not_blank_rows(
    tmp_path: Path, prefix: str, gap: str, value: str
) -> None:
    """A formula row saved without a value read as a blank row (F206), whose safe fix
    deleted it: its formulas are read (P208/M402) and nothing is lost."""
    p = prefix

    def formula(ref: str, text: str, kind: str = ' t="str"') -> str:
        return f'<{p}c r="{ref}"{kind}><{p}f>{text}</{p}f>{gap}{value}</{p}c>'

    rows = (
        header_row(p)
        + f'<{p}row r="2">{text_cell("A2", "09121234567", p)}{text_cell("B2", "hi", p)}</{p}row>'
        + f'<{p}row r="3">{formula("A3", "&quot;0912123456&quot;&amp;&quot;8&quot;")}'
        + f"{formula('B3', 'CONCATENATE(&quot;Hi&quot;,&quot;Ali&quot;)', '')}</{p}row>"
        + f'<{p}row r="4">{text_cell("A4", "09121234569", p)}{text_cell("B4", "bye", p)}</{p}row>'
    )
    path = raw_book(tmp_path, sheet_xml(rows, prefix=p))
    r = read_file(path)
    assert "F206" not in [i.code for i in r.issues]
    assert r.frame.rows()[1][2:] == ('="0912123456"&"8"', '=CONCATENATE("Hi","Ali")')
    result = fix(path, tmp_path / "out.csv", tmp_path / "r.csv")
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (3, 2, 1)


def test_a_formula_calculated_to_empty_text_stays_empty(tmp_path: Path) -> None:
    # Excel writes <v></v> for =IF(A2="","",A2): a value, empty; not a formula to flag.
    rows = (
        header_row()
        + '<row r="2"><c r="A2" t="str"><f>IF(C2="","",C2)</f><v></v></c>'
        + '<c r="B2" t="str"><f>IF(C2="","",C2)</f><v></v></c></row>'
        + f'<row r="3">{text_cell("A3", "09121234569")}{text_cell("B3", "bye")}</row>'
    )
    r = read_file(raw_book(tmp_path, sheet_xml(rows)))
    assert [(i.code, i.line) for i in r.issues] == [("F206", 2)]


@pytest.mark.usefixtures("xlsx_scan")
@pytest.mark.parametrize("dimension", ['<dimension ref="A1:B5" />', ""])
def test_formula_rows_saved_without_a_value_after_the_last_value_are_read(
    tmp_path: Path, dimension: str
) -> None:
    """openpyxl appends rows of formulas and saves them with <v />: calamine's sheet ends
    before them, so they vanished ("All checks passed", fix wrote the file without them).
    They are rows the user sees, an empty row between them too (F206, at its Excel row)."""

    def formula(ref: str, text: str) -> str:
        return f"<c r={ref!r}><f>{text}</f><v /></c>"

    rows = (
        header_row()
        + f'<row r="2">{text_cell("A2", "09121234567")}{text_cell("B2", "hi")}</row>'
        + f'<row r="3">{formula("A3", "&quot;09121234502&quot;")}'
        + f"{formula('B3', 'CONCATENATE(&quot;Hi&quot;,&quot;Ali&quot;)')}</row>"
        + f'<row r="5">{formula("A5", "A3")}{formula("B5", "B3")}</row>'
    )
    path = raw_book(tmp_path, sheet_xml(rows, head=dimension))
    r = read_file(path)
    assert [(line, *cells) for line, _, *cells in r.frame.rows()] == [
        (2, "09121234567", "hi"),
        (3, '="09121234502"', '=CONCATENATE("Hi","Ali")'),
        (5, "=A3", "=B3"),
    ]
    assert ("F206", 4) in [(i.code, i.line) for i in r.issues]
    result = fix(path, tmp_path / "out.csv", tmp_path / "r.csv")
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (3, 1, 2)


@pytest.mark.usefixtures("xlsx_scan")
@pytest.mark.parametrize("dimension", ['<dimension ref="A1"/>', '<dimension ref="A1:B4"/>', ""])
def test_formula_rows_past_a_wrong_or_missing_dimension_are_all_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dimension: str
) -> None:
    """Red team 7: a dimension of ``A1``, one smaller than the data, or none on a big
    sheet (.NET) ended the scan in the first chunk past it: "rows in" counted 7,862 of
    40,000 rows, the rest vanished unseen. Every formula row the user sees is read."""
    monkeypatch.setattr(_read_xlsx, "_CHUNK", 8192)  # a big sheet, in small chunks
    monkeypatch.setattr(_read_xlsx, "_SMALL_SHEET", 0)  # no dimension: a big sheet's

    def formula(ref: str, text: str) -> str:
        return f"<c r={ref!r}><f>{text}</f><v /></c>"

    values = "".join(
        f'<row r="{r}">{text_cell(f"A{r}", f"0912123{r:04d}")}{text_cell(f"B{r}", "hi")}</row>'
        for r in range(2, 5)
    )
    formulas = "".join(
        f'<row r="{r}">{formula(f"A{r}", f"C{r}")}{formula(f"B{r}", f"D{r}")}</row>'
        for r in range(5, 2001)
    )
    path = raw_book(tmp_path, sheet_xml(header_row() + values + formulas, head=dimension))
    r = read_file(path)
    assert r.frame.height == 1999
    assert r.frame.rows()[-1][2:] == ("=C2000", "=D2000")
    result = fix(path, tmp_path / "out.csv", tmp_path / "r.csv")
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (1999, 3, 1996)


@pytest.mark.usefixtures("xlsx_scan")
def test_a_sheet_of_formulas_saved_without_values_is_not_f106(tmp_path: Path) -> None:
    """Every data row a formula without a value, and no value at all in column A: the
    rows are read (they were "F106 no data rows"), column A with them."""
    rows = (
        f'<row r="1"><c r="A1"><f>"recipient"</f><v /></c>{text_cell("B1", "message")}</row>'
        + '<row r="2"><c r="A2"><f>"09121234502"</f><v /></c>'
        + '<c r="B2"><f>"Hello"</f><v /></c></row>'
    )
    r = read_file(raw_book(tmp_path, sheet_xml(rows, head='<dimension ref="A1:B2"/>')))
    assert "F106" not in [i.code for i in r.issues]
    assert [row[2:] for row in r.frame.rows()] == [('="09121234502"', '="Hello"')]


def test_f107_names_a_hidden_sheet_of_recipients_and_not_a_hidden_lookup_sheet(
    tmp_path: Path,
) -> None:
    """A hidden sheet of dropdown lists loses no recipient: no F107 (it was an error)."""

    def fill(ws: Worksheet) -> None:
        header(ws)
        ws.write_row(1, 0, ["09121234567", "a"])

    def hidden(cells: list[str]) -> Fill:
        def fill_hidden(ws: Worksheet) -> None:
            ws.write_column(0, 0, cells)
            ws.hide()

        return fill_hidden

    lookup = workbook(tmp_path, ("Upload", fill), ("lists", hidden(["Tehran", "Karaj"])))
    assert [i.code for i in read_file(lookup).issues] == []
    kept = workbook(tmp_path, ("Upload", fill), ("old", hidden(["9121234568"])), name="kept.xlsx")
    assert "('old' (hidden in Excel))" in issue(read_file(kept), "F107").message


_SPILL_ROW = '<row r="3">{a3}<c r="B3" t="e"><f>SORT(C1:C9)</f><v>{error}</v></c></row>'


def _error_book(tmp_path: Path, error: str, a3: str = "", name: str = "e.xlsx") -> Path:
    rows = (
        header_row()
        + f'<row r="2">{text_cell("A2", "09121234567")}{text_cell("B2", "hi")}</row>'
        + _SPILL_ROW.format(a3=a3 or text_cell("A3", "09121234568"), error=error)
    )
    return raw_book(tmp_path, sheet_xml(rows), name=name)


@pytest.mark.usefixtures("xlsx_scan")
@pytest.mark.parametrize(
    "error",
    [
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
        "#GETTING_DATA",
    ],
)
def test_excel_365_error_values_are_read_not_f102(tmp_path: Path, error: str) -> None:
    """calamine fails the whole workbook on Excel 365's error values: it was F102
    "damaged", for everyone. The cell reads as the error Excel shows (M402, P201)."""
    path = _error_book(tmp_path, error, a3=f'<c r="A3" t="e"><f>X1</f><v>{error}</v></c>')
    r = read_file(path)
    assert "F102" not in [i.code for i in r.issues]
    assert [row[2:] for row in r.frame.rows()] == [("09121234567", "hi"), (error, error)]
    result = fix(path, tmp_path / "out.csv", tmp_path / "r.csv")
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (2, 1, 1)
    rejected = (tmp_path / "r.csv").read_text("utf-8")
    assert "M402" in rejected
    assert "P201" in rejected


@pytest.mark.parametrize("error", ["#FOO!", "#EXTERNAL!"])
def test_an_error_value_no_rule_knows_is_not_sent_as_a_message(tmp_path: Path, error: str) -> None:
    """Red team 7: ``<c t="e"><v>#FOO!</v></c>`` read as the text ``#FOO!``, which no
    rule knows: the row was written and ``#FOO!`` sent. An error cell is never a value."""
    path = _error_book(tmp_path, error, a3=f'<c r="A3" t="e"><v>{error}</v></c>')
    r = read_file(path)
    assert [row[2:] for row in r.frame.rows()] == [("09121234567", "hi"), ("#N/A", "#N/A")]
    result = fix(path, tmp_path / "out.csv", tmp_path / "r.csv")
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (2, 1, 1)
    rejected = (tmp_path / "r.csv").read_text("utf-8")
    assert "M402" in rejected
    assert "P201" in rejected
    assert error not in (tmp_path / "out.csv").read_text("utf-8")


def test_a_later_sheet_that_cannot_be_loaded_is_f107_not_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later sheet calamine failed on was taken as empty: its recipients were lost
    with no word. One with a #SPILL! is read; one still unreadable is named."""
    first = sheet_xml(
        header_row() + f'<row r="2">{text_cell("A2", "09121234567")}{text_cell("B2", "hi")}</row>'
    )
    second = sheet_xml(
        header_row() + _SPILL_ROW.format(a3=text_cell("A3", "09121234568"), error="#SPILL!")
    )
    path = raw_book(tmp_path, first, second)
    f107 = issue(read_file(path), "F107")
    assert "('S2')" in f107.message
    # A sheet still unreadable once its error values are replaced: not known to be empty.
    monkeypatch.setattr(_read_xlsx, "_readable_copy", lambda src: None)
    f107 = issue(read_file(path), "F107")
    assert "'S2' (which this reader cannot read: it may hold rows)" in f107.message


def test_an_error_value_that_cannot_be_read_is_named_in_f102(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_read_xlsx, "_readable_copy", lambda src: None)
    f102 = issue(read_file(_error_book(tmp_path, "#CALC!")), "F102")
    assert "Excel error value #CALC! in cell B3 this reader cannot read: replace it" in (
        f102.message
    )
    assert "damaged" not in f102.message


# --------------------------------------------------------------------------- F110 hidden rows


@pytest.mark.usefixtures("xlsx_scan")
def test_rows_hidden_by_a_filter_are_f110(tmp_path: Path) -> None:
    """Red team 6: filter a list in Excel to one segment, save, upload: the provider
    sends every row, hidden or not. The rows were read with no word of it."""

    def fill(ws: Worksheet) -> None:
        header(ws)
        for r in range(1, 11):
            ws.write_row(r, 0, [f"0912123{r:04d}", "Tehran" if r % 2 else "Shiraz"])
        ws.autofilter(0, 0, 10, 1)
        ws.filter_column(1, "x == Tehran")
        for r in range(2, 11, 2):  # Excel hides the rows the filter leaves out
            ws.set_row(r, None, None, {"hidden": True})

    r = read_file(workbook(tmp_path, ("Sheet1", fill)))
    f110 = issue(r, "F110")
    assert f110.line == 3
    assert f110.message.startswith("5 rows are hidden in Excel (rows 3, 5, 7, 9, 11), by a")
    assert r.frame.height == 10  # read all the same: they are in the upload
    assert get_rule("F110") is not None
    assert get_rule("F110").severity == "warning"


def test_libreoffice_hidden_rows_and_hidden_blank_rows(tmp_path: Path) -> None:
    # LibreOffice writes hidden="true"; a hidden blank row or header sends nothing.
    rows = (
        '<row r="1" hidden="true">'
        + text_cell("A1", "recipient")
        + text_cell("B1", "message")
        + "</row>"
        + f'<row r="2">{text_cell("A2", "09121234567")}{text_cell("B2", "hi")}</row>'
        + '<row r="3" hidden="true"/>'
        + f'<row r="4" hidden="true" ht="0">{text_cell("A4", "09121234568")}'
        + f"{text_cell('B4', 'yo')}</row>"
    )
    r = read_file(raw_book(tmp_path, sheet_xml(rows)))
    f110 = issue(r, "F110")
    assert (f110.line, f110.message[:44]) == (4, "1 row is hidden in Excel (row 4), by a filte")
    plain = rows.replace(' hidden="true"', "").replace(' ht="0"', "")
    assert "F110" not in [i.code for i in read_file(raw_book(tmp_path, sheet_xml(plain))).issues]


def test_hidden_rows_in_every_form_excel_hides_and_not_above_the_header(
    tmp_path: Path,
) -> None:
    """Red team 7: ``hidden = "1"`` (spaces are valid XML) and zero-height rows, which
    Excel shows hidden, were missed; a hidden note row above the header was counted as
    a hidden data row (``3 rows ... (rows 2, 5, 9)``), at the note's line."""

    def data(r: int, extra: str = "") -> str:
        cells = text_cell(f"A{r}", f"0912123{r:04d}") + text_cell(f"B{r}", "hi")
        return f'<row r="{r}"{extra}>{cells}</row>'

    rows = (
        f'<row r="1">{text_cell("A1", "Customer list, May")}</row>'
        + f'<row r="2" hidden="1">{text_cell("A2", "internal note")}</row>'
        + f'<row r="3">{text_cell("A3", "recipient")}{text_cell("B3", "message")}</row>'
        + data(4)
        + data(5, ' hidden = "1"')
        + data(6)
        + data(7, ' ht="0" customHeight="1"')
        + data(8, " ht = '0.0' customHeight='1'")
        + data(9, ' ht="15" customHeight="0"')
    )
    r = read_file(raw_book(tmp_path, sheet_xml(rows)))
    f110 = issue(r, "F110")
    assert (f110.line, f110.message[:46]) == (5, "3 rows are hidden in Excel (rows 5, 7, 8), by ")
    assert r.frame.height == 6


@pytest.mark.parametrize(
    ("cell", "f107"),
    [
        ("0.956521739130435", False),  # a delivery ratio
        ("1,250,000,000 ریال", False),  # an invoice total
        ("1250000000", False),
        ("\u200e0912\u200e123\u200e4567", True),  # direction marks, from a web page
        ("0912\u200c1234567", True),
        ("۰۹۱۲۱۲۳۴۵۶۷", True),
    ],
)
def test_f107_is_told_by_the_recipient_normalizer(tmp_path: Path, cell: str, f107: bool) -> None:
    """Red team 7: "9 digits once separators are removed" made a summary sheet's ratio
    or amount F107 (fix refused the workbook) and missed numbers with invisible marks
    (fix wrote sheet 1 and lost them). A cell is a recipient as the recipient column
    would read it."""
    first = sheet_xml(
        header_row() + f'<row r="2">{text_cell("A2", "09121234567")}{text_cell("B2", "hi")}</row>'
    )
    second = sheet_xml(f'<row r="1">{text_cell("A1", "total")}{text_cell("B1", cell)}</row>')
    r = read_file(raw_book(tmp_path, first, second))
    assert ("F107" in [i.code for i in r.issues]) is f107


def test_iso_date_message_cells_read_as_a_date_and_are_f111(tmp_path: Path) -> None:
    # Red team 9: a t="d" cell (openpyxl iso_dates, strict OOXML) was sent as
    # 2023-03-15T00:00:00 and not counted as a value.
    rows = (
        header_row()
        + f'<row r="2">{text_cell("A2", "09121234567")}'
        + '<c r="B2" t="d"><v>2023-03-15T00:00:00</v></c></row>'
        + f'<row r="3">{text_cell("A3", "09121234568")}'
        + '<c r="B3" t="d"><v>2023-03-15T09:30:00</v></c></row>'
    )
    r = read_file(raw_book(tmp_path, sheet_xml(rows)))
    assert [row[3] for row in r.frame.rows()] == ["2023-03-15", "2023-03-15 09:30:00"]
    assert issue(r, "F111").message.startswith("2 message cells are stored as")
