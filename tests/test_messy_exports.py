"""Messy exports, made as CRMs and Excel make them, through check, fix and stats.

Every file is generated here, in a temporary directory. Whatever a file holds:

* no command ends in a traceback or an internal error, and exit 2 is one line
  naming the file;
* check, fix and stats agree on how many rows there are, and fix accounts for
  every one of them (in = written + rejected + duplicates dropped), in its
  summary and in the files it writes;
* the fixed output, CSV or XLSX, checks with no error (when any row is written)
  and without a warning that a fix of the same mode covers, and fixing it again
  changes nothing;
* stats validates against its schema, adds up, counts as sent exactly the rows
  fix writes, and their parts are what ``analyze_messages`` says of the
  messages fix wrote.

Then the file findings of each file are pinned: which code, on which line.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
import xlsxwriter

from p2pfile import analyze_messages
from p2pfile.cli import main
from p2pfile.reader import read_file

ROOT = Path(__file__).resolve().parent.parent
STATS_SCHEMA = json.loads((ROOT / "schemas" / "stats.schema.json").read_text(encoding="utf-8"))

ROWS = [
    ("09121234567", "سلام دوست من"),
    ("09351234567", "Hello world"),
    ("09201234567", "تخفیف ۲۰٪"),
]
BASE = "recipient,message\n" + "".join(f"{r},{m}\n" for r, m in ROWS)


def _u(text: str) -> bytes:
    return text.encode("utf-8")


def _cp1256(text: str) -> bytes:
    """What Persian Excel saves: Arabic yeh and kaf, which cp1256 has, for ی and ک."""
    return text.replace("ی", "ي").replace("ک", "ك").encode("cp1256")


def _written(rows: list[list[str]], eol: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol).writerows(rows)
    return buf.getvalue()


NUMBER_FORMS = [
    '="09121234567"',
    "'09121234567",
    "9.12123E+09",
    "989121234567.0",
    "0912-123-4567",
    "(0912) 123 4567",
    "0912\u00a0123\u00a04567",
    "۰۹۱۲۱۲۳۴۵۶۷",
    "٠٩١٢١٢٣٤٥٦٧",
    "+98 (912) 123-4567",
    "00989121234567",
    "9121234567",
    "9121234567.0",
    " 09121234567 ",
    "\u200e09121234567\u200f",
    "nan",
    "#N/A",
    "",
    "tel:09121234567",
    "09121234567;09351234567",
]
MESSAGES = [
    "line1\nline2",
    'he said "hi"',
    "a, b, c",
    "tab\there",
    "emoji 😀👍🏽 family 👨\u200d👩\u200d👧",
    "line1\r\nline2",
    " padded ",
    "\u200cنیم\u200cفاصله",
    "ي ك گ",
    "{name} عزیز",
    "nan",
    "",
    "x" * 1500,
    "€" * 200,
    "ctrl\x07bell",
    "\u202bbidi\u202c",
    "Ø³Ù„Ø§Ù…",
    "with\rcr",
]

CSV_FILES: dict[str, bytes] = {
    # Excel "CSV UTF-8": BOM and CRLF
    "excel_utf8.csv": b"\xef\xbb\xbf" + _u(BASE.replace("\n", "\r\n")),
    # plain Excel CSV on a Persian Windows: cp1256
    "excel_cp1256.csv": _cp1256(
        'شماره موبایل,متن پیام\r\n09121234567,سلام دوست من\r\n09351234567,"تخفیف ویژه، امروز"\r\n'
    ),
    "cp1256_no_header_semicolons.csv": _cp1256("09121234567;سلام\r\n09351234567;کد: 123\r\n"),
    # Excel "Unicode text": UTF-16 LE with BOM, tab-delimited
    "unicode_text.txt": (
        "\ufeff"
        + 'recipient\tmessage\r\n09121234567\t"line1\r\nline2"\r\n09351234567\t"say ""hi"""\r\n'
    ).encode("utf-16-le"),
    "utf16le_no_bom.csv": BASE.encode("utf-16-le"),
    # Excel's delimiter hint
    "sep_hint.csv": _u("sep=;\r\n" + BASE.replace(",", ";").replace("\n", "\r\n")),
    "sep_hint_bom_alias.csv": b"\xef\xbb\xbf" + _u("sep=;\r\nMobile;Text\r\n09121234567;hi, x\r\n"),
    "semicolons.csv": _u(BASE.replace(",", ";")),
    "arabic_comma.csv": _u(BASE.replace(",", "\u060c")),
    "tabs.tsv": _u(BASE.replace(",", "\t")),
    # columns Excel thought were in use
    "trailing_columns.csv": _u(
        "recipient,message,,,\r\n" + "".join(f"{r},{m},,,\r\n" for r, m in ROWS)
    ),
    "trailing_columns_rows_only.csv": _u(
        "recipient,message\n" + "".join(f"{r},{m},,\n" for r, m in ROWS)
    ),
    "trailing_columns_quoted.csv": _u(
        '"recipient","message","",""\r\n"09121234567","hi","",""\r\n"09351234567","a\nb","",""\r\n'
    ),
    "trailing_column_with_data.csv": _u(
        "recipient,message,,\n09121234567,hi,,\n09351234567,Hello, world,\n"
    ),
    "trailing_blank_lines.csv": _u(BASE + "\n\n\n"),
    "trailing_blank_records.csv": _u(BASE.replace("\n", "\r\n") + ",\r\n,\r\n"),
    "blank_lines_before.csv": _u("\t\n  \n" + BASE),
    # headers
    "header_marks.csv": _u(" \u200crecipient\u200f , Message \n09121234567,hi\n"),
    "header_persian.csv": _u("شماره,متن\n09121234567,سلام\n"),
    "header_persian_colons.csv": _u("شماره تماس:,متن پیام:\n09121234567,سلام\n"),
    "header_camel.csv": _u("MobileNumber,SmsText\n09121234567,hi\n"),
    "header_nbsp.csv": _u("recipient\u00a0,\u00a0message\n09121234567,hi\n"),
    "header_swapped.csv": _u("message,recipient\nhi,09121234567\n"),
    "no_header_swapped.csv": _u("".join(f"{m},{r}\r\n" for r, m in ROWS)),
    "header_title_above.csv": _u("Export 2024-01-01\n\nrecipient,message\n09121234567,hi\n"),
    "extra_column_before.csv": _u("name,recipient,message\nAli,09121234567,hi\n"),
    "extra_column_after.csv": _u("recipient,message,id\n09121234567,hi,1\n"),
    # A Persian CRM export as Excel saves it: BOM, semicolons, CRLF, more columns.
    "crm_export.csv": b"\xef\xbb\xbf"
    + _u(
        "ردیف;نام;متن پیام;شماره موبایل;تاریخ\r\n"
        '1;علی;"سلام علی\r\nخوش آمدید";0912 123 4567;1403/01/01\r\n'
        "2;سارا;درود;۰۹۳۵۱۲۳۴۵۶۷;\r\n"
        "3;رضا;درود;09351234567;\r\n"
        "4;مریم\r\n"
    ),
    "one_column.csv": _u("recipient\n09121234567\n"),
    "no_header.csv": _u("09121234567,hi\n9351234567,yo\n"),
    "header_repeated.csv": _u(BASE + BASE),
    "concatenated_with_boms.csv": b"\xef\xbb\xbf"
    + _u("recipient,message\r\n09121234567,a\r\n")
    + b"\xef\xbb\xbf"
    + _u("recipient,message\r\n09351234567,b\r\n"),
    "all_quoted.csv": _u('"recipient","message"\n' + "".join(f'"{r}","{m}"\n' for r, m in ROWS)),
    # recipients
    "number_forms.csv": _u(
        _written([["recipient", "message"]] + [[f, "hi"] for f in NUMBER_FORMS])
    ),
    "formula_text_unquoted.csv": _u('recipient,message\n="09121234567",hi\n\'09351234567,yo\n'),
    "duplicates.csv": _u(
        "recipient,message\n"
        + "".join(
            f"{n},same\n"
            for n in ["09121234567", "+989121234567", "989121234567", "9121234567", "۰۹۱۲۱۲۳۴۵۶۷"]
        )
    ),
    "scientific_only.csv": _u("recipient,message\n9.12123E+09,a\n9.35123E+09,b\n"),
    "db_nul_padding.csv": _u("recipient,message\n09121234567,hi\x00\x00\n09351234567,a\x00b\n"),
    # messages
    "messages.csv": _u(
        _written(
            [["recipient", "message"]] + [[f"0912123{4000 + i}", m] for i, m in enumerate(MESSAGES)]
        )
    ),
    # line endings and structure
    "cr_only.csv": _u(BASE.replace("\n", "\r")),
    "mixed_line_endings.csv": _u(
        "recipient,message\r\n09121234567,a\n09351234567,b\r09201234567,c\r\n"
    ),
    "cr_cr_lf.csv": _u("recipient,message\r\r\n09121234567,a\r\r\n09351234567,b\r\r\n"),
    "no_final_newline.csv": _u(BASE.rstrip("\n")),
    # DOS-era tools close the file with Ctrl-Z
    "dos_eof_mark.csv": _u(BASE.replace("\n", "\r\n")) + b"\x1a",
    "unterminated_quote.csv": _u(
        'recipient,message\n09121234567,ok\n09351234567,"never closed\nmore'
    ),
    "stray_quotes.csv": _u('recipient,message\n09121234567,say "hi" now\n09351234567,"a "b" c"\n'),
    "ragged.csv": _u("recipient,message\n09121234567,a,\n09351234567\n"),
    "long_line.csv": _u("recipient,message\n09121234567," + "a" * 300_000 + "\n"),
    # nothing, or not CSV at all
    "empty.csv": b"",
    "bom_only.csv": b"\xef\xbb\xbf",
    "header_only.csv": _u("recipient,message"),
    "blank_lines_only.csv": _u("\n \n\t\n,\n"),
    "utf16_bom_only.csv": b"\xff\xfe",
    "latin1.csv": "recipient,message\n09121234567,Café\n".encode("latin-1"),
    "page.csv": _u("<!DOCTYPE html><html><table><tr><td>0912</td></tr></table></html>"),
    "old_excel.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    "binary.csv": bytes(range(256)) * 8,
}


Workbook = xlsxwriter.Workbook
Build = Callable[[Workbook], None]


def _header(ws: Any) -> None:
    ws.write_row(0, 0, ["recipient", "message"])


def _numbers(wb: Workbook) -> None:
    ws = wb.add_worksheet()
    _header(ws)
    for i, value in enumerate([9121234567, 989121234567, 9351234567.0, 9.12e9, 0.5], start=1):
        ws.write_number(i, 0, value)
        ws.write_string(i, 1, f"m{i}")


def _texts_and_formulas(wb: Workbook) -> None:
    ws = wb.add_worksheet()
    _header(ws)
    ws.write_string(1, 0, "۰۹۱۲۱۲۳۴۵۶۷")
    ws.write_string(1, 1, "سلام")
    ws.write_formula(2, 0, '="09351234567"', None, "09351234567")
    ws.write_string(2, 1, "cached formula")
    ws.write_formula(3, 0, "=9201234567", None, 9201234567)
    ws.write_formula(3, 1, '="msg "&A4', None, "msg 9201234567")
    ws.write_string(4, 0, "09131234567")
    ws.write_formula(4, 1, "=NA()", None, "#N/A")


def _dates_and_booleans(wb: Workbook) -> None:
    import datetime

    ws = wb.add_worksheet()
    _header(ws)
    ws.write_datetime(
        1, 0, datetime.datetime(2024, 1, 2), wb.add_format({"num_format": "yyyy-mm-dd"})
    )
    ws.write_string(1, 1, "a date")
    ws.write_boolean(2, 0, True)
    ws.write_string(2, 1, "a boolean")
    ws.write_string(3, 0, "09121234567")
    ws.write_number(3, 1, 12.5)


def _layout(wb: Workbook) -> None:
    ws = wb.add_worksheet()
    ws.write_row(2, 0, ["Mobile", "Text"])  # the header on row 3
    ws.write_row(3, 0, ["09121234567", "a"])
    ws.merge_range(4, 1, 5, 1, "merged message")
    ws.write_string(4, 0, "09351234567")
    ws.write_string(5, 0, "09201234567")
    ws.write_row(8, 0, ["09131234567", "b"])  # rows 7 and 8 are empty
    ws.write_string(9, 0, "   ")


def _long_and_rich(wb: Workbook) -> None:
    ws = wb.add_worksheet()
    _header(ws)
    ws.write_row(1, 0, ["09121234567", "س" * 2000])
    ws.write_row(2, 0, ["09351234567", "line1\nline2\r\nline3"])
    ws.write_string(3, 0, "09201234567")
    ws.write_rich_string(3, 1, "سلام ", wb.add_format({"bold": True}), "دوست", " من")


def _beyond_b(wb: Workbook) -> None:
    ws = wb.add_worksheet()
    _header(ws)
    ws.write_row(1, 0, ["09121234567", "a"])
    ws.write_row(2, 0, ["09351234567", "b"])
    ws.write_string(2, 4, "a note")


def _crm_export(wb: Workbook) -> None:
    import datetime

    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["ID", "Name", "Message", "Mobile", "Created"])
    ws.write_row(1, 0, ["1", "Ali", "Hello Ali", "09121234567", "2024-01-02"])
    ws.write_row(2, 0, ["2", "Sara"])
    ws.write_formula(2, 2, "=NA()", None, "#N/A")  # an error cell in the message column
    ws.write_number(2, 3, 9351234567)  # stored as a number: F109 names column D
    ws.write_row(3, 0, ["3", "Reza"])
    ws.write_datetime(
        3, 2, datetime.datetime(2024, 3, 20), wb.add_format({"num_format": "yyyy-mm-dd"})
    )
    ws.write_string(3, 3, "09201234567")


def _title(wb: Workbook) -> None:
    ws = wb.add_worksheet()
    ws.write_string(0, 0, "Customer export 2024")
    ws.write_row(2, 0, ["recipient", "message"])
    ws.write_row(3, 0, ["09121234567", "a"])


def _clean(ws: Any) -> None:
    _header(ws)
    ws.write_row(1, 0, ["09121234567", "a"])


def _second_sheet(wb: Workbook) -> None:
    _clean(wb.add_worksheet())
    wb.add_worksheet("More").write_row(0, 0, ["09351234567", "on another sheet"])


def _header_only(wb: Workbook) -> None:
    _header(wb.add_worksheet())


def _empty(wb: Workbook) -> None:
    wb.add_worksheet()


def _chart_first(wb: Workbook) -> None:
    chartsheet = wb.add_chartsheet("Chart")
    _clean(wb.add_worksheet("Data"))
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Data!$A$2:$A$2"})
    chartsheet.set_chart(chart)


XLSX_FILES: dict[str, Build] = {
    "numbers.xlsx": _numbers,
    "texts_and_formulas.xlsx": _texts_and_formulas,
    "dates_and_booleans.xlsx": _dates_and_booleans,
    "layout.xlsx": _layout,
    "long_and_rich.xlsx": _long_and_rich,
    "data_beyond_b.xlsx": _beyond_b,
    "crm_export.xlsx": _crm_export,
    "title_row.xlsx": _title,
    "second_sheet.xlsx": _second_sheet,
    "header_only.xlsx": _header_only,
    "empty.xlsx": _empty,
    "chart_sheet_first.xlsx": _chart_first,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for name, data in CSV_FILES.items():
        (root / name).write_bytes(data)
    for name, build in XLSX_FILES.items():
        wb = xlsxwriter.Workbook(str(root / name), {"strings_to_numbers": False})
        build(wb)
        wb.close()
    good = root / "numbers.xlsx"
    (root / "truncated.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (root / "workbook_named.csv").write_bytes(good.read_bytes())
    (root / "csv_named.xlsx").write_bytes(_u(BASE))
    (root / "old_excel.xlsx").write_bytes(CSV_FILES["old_excel.csv"])
    return root


NAMES = sorted(
    [
        *CSV_FILES,
        *XLSX_FILES,
        "truncated.xlsx",
        "workbook_named.csv",
        "csv_named.xlsx",
        "old_excel.xlsx",
    ]
)


class _Run:
    """``main(argv)`` with its output captured: exit code, stdout, stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([*argv, "--isolated"])
        out, err = self.capsys.readouterr()
        assert "internal error" not in err, err
        assert code in (0, 1, 2), (argv, code, err)
        return code, out, err


def _one_line_error(err: str, path: Path) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"p2pfile: error: {path}"), err


def _csv_frame(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _check(run: _Run, path: Path) -> dict[str, Any]:
    code, out, _ = run("check", "--output-format", "json", str(path))
    assert code in (0, 1)
    report: dict[str, Any] = json.loads(out)
    return report


def _fix(
    run: _Run, path: Path, out: Path, rejects: Path, *, unsafe: bool, rows: int
) -> dict[str, Any] | None:
    """Fix into ``out``; the invariants of the summary and of the files written."""
    flags = ["--unsafe-fixes"] if unsafe else []
    code, stdout, err = run(
        "fix", "--json", *flags, str(path), "-o", str(out), "--rejects", str(rejects)
    )
    if code == 2:
        _one_line_error(err, path)
        assert not out.exists()
        return None
    summary: dict[str, Any] = json.loads(stdout)[0]
    written, rejected = summary["rows_written"], summary["rows_rejected"]
    assert summary["rows_in"] == written + rejected + summary["duplicates_dropped"] == rows
    if out.suffix == ".csv":
        frame = _csv_frame(out)
        assert frame.columns == ["recipient", "message"]
        assert frame.height == written
    if rejected:
        assert _csv_frame(rejects).height == rejected
    # The output checks clean: no error (a file with no rows left is F106, counted
    # in ``remaining``), and no warning a fix of this mode would have removed.
    recheck = _check(run, out)
    errors = [d["code"] for d in recheck["diagnostics"] if d["severity"] == "error"]
    assert errors == ([] if written else ["F106"])
    allowed = {"D102"} | (set() if unsafe else {"M105", "M203"})
    warnings = [d["code"] for d in recheck["diagnostics"] if d["severity"] == "warning"]
    assert set(warnings) <= allowed, warnings
    # Fixing the output again changes nothing.
    if written and out.suffix == ".csv":
        again = out.with_name(out.name + ".again.csv")
        code, stdout, _ = run("fix", "--json", *flags, str(out), "-o", str(again))
        second = json.loads(stdout)[0]
        assert (second["rows_written"], second["rows_rejected"]) == (written, 0)
        assert (second["duplicates_dropped"], second["fixes"]) == (0, {})
        assert again.read_bytes() == out.read_bytes()
    return summary


@pytest.mark.parametrize("name", NAMES)
def test_check_fix_and_stats_hold_on_messy_exports(
    name: str, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus / name
    run = _Run(capsys)
    report = _check(run, path)
    rows = report["summary"]["rows"]
    for d in report["diagnostics"]:
        assert d["path"] == str(path)
        assert d["line"] >= 1
    found = sorted((d["code"], d["line"]) for d in report["diagnostics"] if d["code"][0] == "F")
    assert found == sorted(EXPECTED[name])
    assert read_file(path).frame["line"].to_list()[:12] == LINES[name]

    safe = _fix(run, path, tmp_path / "out.csv", tmp_path / "rejects.csv", unsafe=False, rows=rows)
    # check's summary promises only what fix does: no "fixable with `p2pfile fix`" for a
    # file fix refuses without --unsafe-fixes, or refuses outright.
    _, human, _ = run("check", str(path))
    if "fixable with `p2pfile fix`" in human.splitlines()[-1]:
        assert safe is not None, human.splitlines()[-1]

    code, stdout, err = run("stats", "--output-format", "json", str(path))
    if code == 2:
        _one_line_error(err, path)
        assert any(d["code"] in ("F102", "F103") for d in report["diagnostics"])
        return
    st = json.loads(stdout)
    jsonschema.validate(st, STATS_SCHEMA)
    assert st["rows"] == st["sent"] + st["rejected"] + st["duplicates"] == rows
    if safe is not None:
        assert st["sent"] == safe["rows_written"]
        sent = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
        parts = int(analyze_messages(sent["message"].fill_null("")).get_column("parts").sum())
        assert st["parts"]["sent"] == parts


#: Files whose XLSX output (with the unsafe fixes) and in-place fix are also tried:
#: those where the encoding, the layout or the unsafe fixes change what is written.
OTHER_MODES = [
    "excel_utf8.csv",
    "excel_cp1256.csv",
    "unicode_text.txt",
    "sep_hint_bom_alias.csv",
    "trailing_columns.csv",
    "trailing_column_with_data.csv",
    "number_forms.csv",
    "messages.csv",
    "cr_cr_lf.csv",
    "unterminated_quote.csv",
    "db_nul_padding.csv",
    "numbers.xlsx",
    "texts_and_formulas.xlsx",
    "layout.xlsx",
    "long_and_rich.xlsx",
    "extra_column_before.csv",
    "crm_export.csv",
    "crm_export.xlsx",
]


@pytest.mark.parametrize("name", OTHER_MODES)
def test_xlsx_output_and_in_place_hold_on_messy_exports(
    name: str, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus / name
    run = _Run(capsys)
    rows = _check(run, path)["summary"]["rows"]
    _fix(run, path, tmp_path / "out.xlsx", tmp_path / "rejects.csv", unsafe=True, rows=rows)
    if path.suffix == ".xlsx":
        return
    copy = tmp_path / f"in-place{path.suffix}"  # twice: the second time is a no-op
    shutil.copyfile(path, copy)
    code, stdout, err = run("fix", "--json", "--unsafe-fixes", str(copy))
    if code == 2:
        _one_line_error(err, copy)
        return
    first = json.loads(stdout)[0]
    assert first["rows_in"] == first["rows_written"] + first["duplicates_dropped"] == rows
    code, stdout, _ = run("fix", "--json", "--unsafe-fixes", str(copy))
    assert json.loads(stdout)[0]["changed"] is False


def test_corpus_names_are_known() -> None:
    assert set(OTHER_MODES) <= set(NAMES)


#: The file findings (F codes) of each file: (code, line), in any order.
EXPECTED: dict[str, list[tuple[str, int]]] = {
    "excel_utf8.csv": [("F104", 1)],
    "excel_cp1256.csv": [("F103", 1), ("F202", 1)],
    "cp1256_no_header_semicolons.csv": [("F103", 1), ("F201", 1), ("F208", 1)],
    "unicode_text.txt": [("F103", 1), ("F208", 1)],
    "utf16le_no_bom.csv": [("F103", 1)],
    "sep_hint.csv": [("F202", 1), ("F208", 1)],
    "sep_hint_bom_alias.csv": [("F104", 1), ("F202", 1), ("F208", 1), ("F202", 2)],
    "semicolons.csv": [("F208", 1)],
    "arabic_comma.csv": [("F208", 1)],
    "tabs.tsv": [("F208", 1)],
    "trailing_columns.csv": [],
    "trailing_columns_rows_only.csv": [],
    "trailing_columns_quoted.csv": [],
    "trailing_column_with_data.csv": [("F205", 3)],
    "trailing_blank_lines.csv": [("F206", 5), ("F206", 6), ("F206", 7)],
    "trailing_blank_records.csv": [("F206", 5), ("F206", 6)],
    "blank_lines_before.csv": [("F206", 1), ("F206", 2)],
    "header_marks.csv": [("F202", 1)],
    "header_persian.csv": [("F202", 1)],
    "header_persian_colons.csv": [("F202", 1)],
    "header_camel.csv": [("F202", 1)],
    "header_nbsp.csv": [("F202", 1)],
    "header_swapped.csv": [("F202", 1)],
    "no_header_swapped.csv": [("F201", 1)],
    "header_title_above.csv": [("F202", 1), ("F206", 2)],
    "extra_column_before.csv": [("F203", 1)],
    "extra_column_after.csv": [("F203", 1)],
    "crm_export.csv": [("F104", 1), ("F203", 1), ("F204", 6), ("F208", 1)],
    "crm_export.xlsx": [("F109", 3), ("F111", 4), ("F203", 1)],  # F111: the date message
    "one_column.csv": [("F202", 1), ("F204", 2)],
    "no_header.csv": [("F201", 1)],
    "header_repeated.csv": [],
    "concatenated_with_boms.csv": [("F104", 1)],
    "all_quoted.csv": [],
    "number_forms.csv": [],
    "formula_text_unquoted.csv": [],
    "duplicates.csv": [],
    "scientific_only.csv": [],
    "db_nul_padding.csv": [],
    "messages.csv": [],
    "cr_only.csv": [("F105", 1)],  # bare CRs: one long line to a reader splitting on LF
    "mixed_line_endings.csv": [("F105", 1)],
    "cr_cr_lf.csv": [("F105", 1), ("F206", 2), ("F206", 4), ("F206", 6)],
    "no_final_newline.csv": [],
    "dos_eof_mark.csv": [("F206", 5)],
    "unterminated_quote.csv": [("F207", 3), ("F204", 4)],
    # Line 3 is '"a "b" c"': bare quotes inside a quoted field, read as text.
    "stray_quotes.csv": [("F207", 2), ("F207", 3)],
    "ragged.csv": [("F204", 3)],
    "long_line.csv": [],
    "empty.csv": [("F106", 1)],
    "bom_only.csv": [("F104", 1), ("F106", 1)],
    "header_only.csv": [("F106", 1)],
    "blank_lines_only.csv": [("F106", 1)],
    "utf16_bom_only.csv": [("F103", 1), ("F106", 1)],
    "latin1.csv": [("F103", 2)],
    "page.csv": [("F102", 1)],
    "old_excel.csv": [("F102", 1)],
    "binary.csv": [("F102", 1)],
    "numbers.xlsx": [("F109", 2)],
    "texts_and_formulas.xlsx": [("F109", 4)],
    "dates_and_booleans.xlsx": [("F111", 4)],  # the number 12.5 as the message
    "layout.xlsx": [("F206", 1), ("F206", 2), ("F202", 3), ("F206", 7), ("F206", 8), ("F206", 10)],
    "long_and_rich.xlsx": [],
    "data_beyond_b.xlsx": [("F205", 3)],
    "title_row.xlsx": [("F202", 1), ("F206", 2)],
    "second_sheet.xlsx": [("F107", 1)],
    "header_only.xlsx": [("F106", 1)],
    "empty.xlsx": [("F106", 1)],
    "chart_sheet_first.xlsx": [],
    "truncated.xlsx": [("F102", 1)],
    "workbook_named.csv": [("F102", 1), ("F109", 2)],
    "csv_named.xlsx": [("F102", 1)],
    "old_excel.xlsx": [("F102", 1)],
}


#: Where the first (up to 12) data rows of each file start: CSV physical lines,
#: XLSX row numbers.
LINES: dict[str, list[int]] = {
    "all_quoted.csv": [2, 3, 4],
    "arabic_comma.csv": [2, 3, 4],
    "binary.csv": [],
    "blank_lines_before.csv": [4, 5, 6],
    "blank_lines_only.csv": [],
    "bom_only.csv": [],
    "chart_sheet_first.xlsx": [2],
    "concatenated_with_boms.csv": [2, 3, 4],
    "cp1256_no_header_semicolons.csv": [1, 2],
    "cr_cr_lf.csv": [3, 5],
    "cr_only.csv": [2, 3, 4],
    "csv_named.xlsx": [2, 3, 4],
    "data_beyond_b.xlsx": [2, 3],
    "dates_and_booleans.xlsx": [2, 3, 4],
    "db_nul_padding.csv": [2, 3],
    "duplicates.csv": [2, 3, 4, 5, 6],
    "empty.csv": [],
    "empty.xlsx": [],
    "excel_cp1256.csv": [2, 3],
    "excel_utf8.csv": [2, 3, 4],
    "extra_column_after.csv": [2],
    "extra_column_before.csv": [2],
    "crm_export.csv": [2, 4, 5, 6],
    "crm_export.xlsx": [2, 3, 4],
    "formula_text_unquoted.csv": [2, 3],
    "header_camel.csv": [2],
    "header_marks.csv": [2],
    "header_nbsp.csv": [2],
    "header_only.csv": [],
    "header_only.xlsx": [],
    "header_persian.csv": [2],
    "header_persian_colons.csv": [2],
    "header_repeated.csv": [2, 3, 4, 5, 6, 7, 8],
    "header_swapped.csv": [2],
    "no_header_swapped.csv": [1, 2, 3],
    "header_title_above.csv": [4],
    "latin1.csv": [],
    "layout.xlsx": [4, 5, 6, 9],
    "long_and_rich.xlsx": [2, 3, 4],
    "long_line.csv": [2],
    "messages.csv": [2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15],
    "mixed_line_endings.csv": [2, 3, 4],
    "no_final_newline.csv": [2, 3, 4],
    "dos_eof_mark.csv": [2, 3, 4],
    "no_header.csv": [1, 2],
    "number_forms.csv": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    "numbers.xlsx": [2, 3, 4, 5, 6],
    "old_excel.csv": [],
    "old_excel.xlsx": [],
    "one_column.csv": [2],
    "page.csv": [],
    "ragged.csv": [2, 3],
    "scientific_only.csv": [2, 3],
    "second_sheet.xlsx": [2],
    "semicolons.csv": [2, 3, 4],
    "sep_hint.csv": [3, 4, 5],
    "sep_hint_bom_alias.csv": [3],
    "stray_quotes.csv": [2, 3],
    "tabs.tsv": [2, 3, 4],
    "texts_and_formulas.xlsx": [2, 3, 4, 5],
    "title_row.xlsx": [4],
    "trailing_blank_lines.csv": [2, 3, 4],
    "trailing_blank_records.csv": [2, 3, 4],
    "trailing_column_with_data.csv": [2, 3],
    "trailing_columns.csv": [2, 3, 4],
    "trailing_columns_quoted.csv": [2, 3],
    "trailing_columns_rows_only.csv": [2, 3, 4],
    "truncated.xlsx": [],
    "unicode_text.txt": [2, 4],
    "unterminated_quote.csv": [2, 3, 4],
    "utf16_bom_only.csv": [],
    "utf16le_no_bom.csv": [2, 3, 4],
    "workbook_named.csv": [2, 3, 4, 5, 6],
}


def test_every_corpus_file_has_pinned_findings() -> None:
    assert sorted(EXPECTED) == sorted(LINES) == NAMES
