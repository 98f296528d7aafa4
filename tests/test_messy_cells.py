"""Cells as messy real-world exports write them: CRMs, fixed-width dumps, Excel.

Each case goes through both number faces (the scalar reference and the
vectorized column normalizer) and, where the user meets it, through
``check``: the code and message a user reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from p2pfile import normalize_number, normalize_numbers
from p2pfile.check import check
from p2pfile.cli import main
from p2pfile.config import Settings
from p2pfile.fix import fix
from p2pfile.phone import REASON_TEXT
from p2pfile.report import Report


def _both(cells: list[str]) -> list[tuple[object, ...]]:
    """The verdicts of the vectorized face, after asserting the scalar face agrees."""
    frame = normalize_numbers(cells)
    rows = list(frame.select("e164", "reason", "forms").iter_rows())
    scalar = []
    for cell in cells:
        r = normalize_number(cell)
        scalar.append((r.e164, r.reason, list(r.forms)))
    assert rows == scalar
    return rows


def _check_csv(tmp_path: Path, rows: list[tuple[str, str]], **settings: object) -> Report:
    """check() on a CSV of ``rows`` (cells written as given, unquoted), every rule selected."""
    text = "recipient,message\n" + "".join(f"{r},{m}\n" for r, m in rows)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    settings.setdefault("select", ["ALL"])
    return check(path, isolated=True, **settings)


def _at(report: Report, line: int) -> dict[str, str]:
    return {d.code: d.message for d in report if d.line == line}


# -- NUL padding (fixed-width exports) -------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "09121234567\x00\x00\x00",
        "\x00\x0009121234567",
        "09121234567\x00 \x00",
        '"09121234567\x00\x00"',
        "9121234567\x00",
    ],
)
def test_nul_padding_is_a_formatting_character(cell: str) -> None:
    [(e164, reason, forms)] = _both([cell])
    assert (e164, reason) == ("+989121234567", None)
    assert "P102" in forms  # type: ignore[operator]


def test_a_nul_inside_the_digits_is_not_padding() -> None:
    # UTF-16 text read as UTF-8 interleaves NULs with the digits: not a number to guess.
    assert _both(["0912\x001234567", "0\x009\x001\x002\x00"]) == [
        (None, "invalid-characters", []),
        (None, "invalid-characters", []),
    ]


def test_only_nul_padding_is_an_empty_recipient() -> None:
    assert _both(["\x00\x00\x00"]) == [(None, "empty", [])]


def test_nul_padded_recipient_checks_as_p102_with_a_safe_fix(tmp_path: Path) -> None:
    report = _check_csv(tmp_path, [("09121234567\x00\x00\x00\x00", "hello")])
    found = {d.code: d for d in report if d.line == 2}
    assert set(found) & {"P201", "P202", "P207"} == set()
    assert found["P102"].fix is not None
    assert found["P102"].fix.applicability == "safe"
    assert found["P102"].fix.replacement == "+989121234567"


# -- two numbers in one cell ------------------------------------------------------

TWO_NUMBER_CELLS = [
    "09121234567 09351234567",
    "09121234567/09351234567",
    "09121234567 - 09351234567",
    "9121234567 9351234567",
    "+989121234567 09351234567",
    "۰۹۱۲۱۲۳۴۵۶۷ ۰۹۳۵۱۲۳۴۵۶۷",
    "09121234567 09351234567 09191234567",
    # Red team 8: a CRM's "phones" field, a landline beside the mobile.
    "021-88776655 / 09123456789",
    "88776655 - 09123456789",
    "09123456789 (021) 88776655",
]


@pytest.mark.parametrize("cell", TWO_NUMBER_CELLS)
def test_two_numbers_in_one_cell_are_invalid_characters_not_a_length(cell: str) -> None:
    assert _both([cell]) == [(None, "invalid-characters", [])]


def test_a_long_single_number_is_still_a_wrong_length() -> None:
    # 21 digits that are not two mobile numbers, and a 16-digit card number (which
    # would split into two 8-digit landlines): nothing says two numbers.
    assert _both(["091212345670935123456", "0912123456789", "6037991234567890"]) == [
        (None, "invalid-length", []),
        (None, "invalid-length", []),
        (None, "invalid-length", []),
    ]


def test_a_long_run_of_digit_groups_is_judged_at_once() -> None:
    # The two-numbers pattern's parts overlap; on 300 digits of 11111111 9 groups
    # Python's backtracking re took exponential time before the length bound.
    assert _both(["111111119" * 40, "۱۱۱۱۱۱۱۱۹" * 40]) == [(None, "invalid-length", [])] * 2


def test_check_names_two_numbers_in_one_cell(tmp_path: Path) -> None:
    cells = [*TWO_NUMBER_CELLS, '"09121234567,09351234567"', '"09121234567; 09351234567"']
    report = _check_csv(tmp_path, [(cell, "hello") for cell in cells])
    for line in range(2, 2 + len(cells)):
        found = _at(report, line)
        assert "P202" not in found
        assert "two numbers in one cell" in found["P207"], (line, found)


def test_other_invalid_characters_keep_their_message(tmp_path: Path) -> None:
    report = _check_csv(tmp_path, [("Ali 09121234567", "hello"), ("tel:09121234567", "x")])
    for line in (2, 3):
        assert _at(report, line)["P207"] == REASON_TEXT["invalid-characters"]


# -- Excel error values and null markers as a recipient ---------------------------

NULL_MARKERS = [
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#DIV/0!",
    "#NUM!",
    "#NULL!",
    "#n/a",
    "N/A",
    "-",
    "None",
    "nan",
    "NULL",
    " #REF! ",
    "\u200e#DIV/0!",
]


def test_excel_errors_and_null_markers_are_empty_recipients() -> None:
    assert _both(NULL_MARKERS) == [(None, "empty", [])] * len(NULL_MARKERS)


def test_error_values_as_recipients_check_as_p201(tmp_path: Path) -> None:
    report = _check_csv(tmp_path, [(cell, "hello") for cell in NULL_MARKERS])
    for line in range(2, 2 + len(NULL_MARKERS)):
        found = _at(report, line)
        assert "P201" in found, (line, found)
        assert {"P202", "P207", "P210"} & set(found) == set()


@pytest.mark.parametrize("text", ["#NUM!", "#NULL!", "#null!", " #N/A ", "#SPILL!", "NaN"])
def test_excel_errors_as_messages_are_m402(tmp_path: Path, text: str) -> None:
    report = _check_csv(tmp_path, [("09121234567", text)])
    assert _at(report, 2)["M402"] == f"the message is a spreadsheet artifact: {text.strip()}"


def test_a_message_mentioning_an_error_is_fine(tmp_path: Path) -> None:
    report = _check_csv(tmp_path, [("09121234567", "error #NUM! in your sheet")])
    assert "M402" not in _at(report, 2)


# -- XLSX error cells ---------------------------------------------------------------


def test_xlsx_error_cells_are_named_as_excel_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["recipient", "message"])
    ws.write_formula(1, 0, "=VLOOKUP(C2,Z:Z,2,FALSE)", None, "#N/A")
    ws.write_string(1, 1, "hello")
    ws.write_string(2, 0, "09121234567")
    ws.write_formula(2, 1, "=SQRT(-1)", None, "#NUM!")
    wb.close()
    report = check(path, isolated=True)
    p201 = next(d for d in report if d.code == "P201")
    assert (p201.line, p201.value) == (2, "#N/A")
    assert "spreadsheet error" in p201.message
    m402 = next(d for d in report if d.code == "M402")
    assert (m402.line, m402.message) == (3, "the message is a spreadsheet artifact: #NUM!")
    assert not [d for d in report if d.code == "M101"]


# -- scientific notation in every locale --------------------------------------------

SCIENTIFIC = [
    "۹٫۱۲۳۴۶E+۰۹",  # Persian digits and the Arabic decimal separator
    "٩٫١٢٣٤٦E+٠٩",  # Arabic-Indic digits
    "9٫12346E+09",
    "9,12346E+09",  # European Excel
    "9.12346e9",
    "9/12346E+09",
    "9.89123E+11",
    ' "9٫12346E+09" ',
]


def test_scientific_notation_of_every_locale_is_p206(tmp_path: Path) -> None:
    assert _both(SCIENTIFIC) == [(None, "scientific-notation", [])] * len(SCIENTIFIC)
    quoted = ['"' + cell.replace('"', '""') + '"' for cell in SCIENTIFIC]
    report = _check_csv(tmp_path, [(cell, "hi") for cell in quoted])
    assert [d.line for d in report if d.code == "P206"] == list(range(2, 2 + len(SCIENTIFIC)))


# -- M103's fix keeps words apart ---------------------------------------------------


@pytest.mark.parametrize(
    ("message", "fixed"),
    [
        ("Hello\tworld", "Hello world"),
        ("سلام\tدنیا", "سلام دنیا"),
        ("a\tb\x0bc\x0cd", "a b c d"),
        ("Hello \tworld", "Hello world"),  # a space already separates them
        ("Hello\t\t world", "Hello world"),
        ("code:\t1234\t", "code: 1234"),  # at the end: M102's trim
        ("Hello\x00world", "Helloworld"),  # a NUL separates nothing
        ("Hello\x1b\tworld", "Hello world"),
    ],
)
def test_m103_fix_turns_a_tab_between_words_into_a_space(
    tmp_path: Path, message: str, fixed: str
) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(f'recipient,message\n09121234567,"{message}"\n'.encode())
    out = tmp_path / "out.csv"
    result = fix(src, out, settings=Settings())
    assert result.rows_written == 1
    assert out.read_text(encoding="utf-8") == f"recipient,message\n+989121234567,{fixed}\n"
    # Idempotent: the fixed file has nothing left for M103 to fix.
    again = tmp_path / "again.csv"
    fix(out, again, settings=Settings())
    assert again.read_bytes() == out.read_bytes()
    report = check(out, isolated=True, select=["ALL"])
    assert not [d for d in report if d.code == "M103"]


def test_m103_finding_proposes_the_spaced_text(tmp_path: Path) -> None:
    report = _check_csv(tmp_path, [("09121234567", '"Hello\tworld"')])
    m103 = next(d for d in report if d.code == "M103")
    assert m103.fix is not None
    assert m103.fix.replacement == "Hello world"


# -- the full format's help line ---------------------------------------------------


def test_full_format_prints_no_empty_help_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b'\xef\xbb\xbfrecipient,message\r\n09121234567,hi\n09121234568,"a\tb"\r\n')
    main(["check", "--isolated", str(path)])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(" F104 [*] " in line for line in lines)
    assert any(" F105 [*] " in line for line in lines)
    assert [line for line in lines if line.strip().startswith("help")] == [
        "  help: remove the byte order mark",
        "  help: end every record with LF",
        '  help: remove the control characters: "a b"',
    ]


# -- messages that show nothing --------------------------------------------------


def test_messages_of_invisible_characters_only_are_empty(tmp_path: Path) -> None:
    """A cell holding only a ZWNJ, RLM/LRM or a BOM looks empty in Excel and arrives as
    a blank SMS: M101, like an empty one; text around a ZWNJ is a message."""
    rows = [
        ("09121000901", "\u200c"),
        ("09121000902", "\u200f\u200e"),
        ("09121000903", "\ufeff"),
        ("09121000904", " \u200c "),
        ("09121000905", "\x07"),
        ("09121000906", "\u200cسلام"),
        ("09121000907", "\u2066\u2069"),
        ("09121000908", "سلام\u200f"),
    ]
    report = _check_csv(tmp_path, rows)
    m101 = {d.line: d.message for d in report if d.code == "M101"}
    assert sorted(m101) == [2, 3, 4, 5, 6, 8]
    assert m101[2] == (
        "the message shows nothing: only invisible characters (first: U+200C ZERO WIDTH NON-JOINER)"
    )
    # Trimming cannot save a message that shows nothing: no M102 beside the M101.
    assert "M102" not in _at(report, 5)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(tmp_path / "f.csv", output=out, rejects=rejects)
    assert result.rows_written == 2
    assert out.read_text("utf-8").splitlines()[1:] == [
        "+989121000906,\u200cسلام",
        "+989121000908,سلام\u200f",  # text with an RLM: M105, not M101
    ]


def test_letters_that_draw_nothing_are_an_empty_message(tmp_path: Path) -> None:
    # Red team 8: a "blank" message of U+2800 or a Hangul filler passed as text.
    rows = [
        ("09121000901", "\u2800"),
        ("09121000902", "\u3164\u3164"),
        ("09121000903", " \uffa0 "),
        ("09121000904", "سلام \u2800"),
    ]
    report = _check_csv(tmp_path, rows)
    m101 = {d.line: d.message for d in report if d.code == "M101"}
    assert sorted(m101) == [2, 3, 4]
    assert m101[2].endswith("(first: U+2800 BRAILLE PATTERN BLANK)")


# -- formulas and SQL NULLs -------------------------------------------------------


def test_formula_text_and_sql_nulls_are_spreadsheet_artifacts(tmp_path: Path) -> None:
    """A message that is a formula's text is not its value (M402); SQL dumps write NULL
    as \\N, a null marker in both columns. Text that only starts with '=' is a message."""
    rows = [
        ("09121000901", '"=CONCATENATE(""Hi "",A2)"'),
        ("09121000902", "=A2"),
        ("09121000903", "=$B$7+1"),
        ("09121000904", "=== SALE ==="),
        ("09121000905", "=)"),
        ("09121000906", "\\N"),
        ("\\N", "hi"),
    ]
    report = _check_csv(tmp_path, rows)
    m402 = {d.line: d.message for d in report if d.code == "M402"}
    assert sorted(m402) == [2, 3, 4, 7]
    assert m402[3] == "the message is a spreadsheet formula, not its value: =A2"
    assert m402[7] == "the message is a spreadsheet artifact: \\N"
    assert "P201" in _at(report, 8)
    assert normalize_number("\\N").reason == "empty"
    assert _both(["\\N", "\\n"]) == [(None, "empty", [])] * 2


def test_a_header_repeated_as_a_data_row_is_named(tmp_path: Path) -> None:
    """Two exports joined into one file repeat the header further down: P207 says so
    (English or Persian, any case), not "letters in the number"."""
    rows = [("09121234567", "hi"), ("Mobile", "Text"), ("شماره موبایل", "متن پیام"), ("Ali", "hi")]
    found = {d.line: d.message for d in _check_csv(tmp_path, rows) if d.code == "P207"}
    repeated = (
        "a header repeated as a data row (two exports joined into one file?): delete the line"
    )
    assert found[3] == found[4] == repeated
    assert found[5].startswith("letters, punctuation")


def test_a_decimal_recipient_is_not_made_into_a_number(tmp_path: Path) -> None:
    """912100030.5 from a spreadsheet's number column is no phone number: deleting the "."
    as a separator made +989121000305, someone else's. A dotted number still reads."""
    report = _check_csv(tmp_path, [("912100030.5", "hi"), ("0912.345.6789", "hi")])
    assert _at(report, 2)["P202"].startswith("a decimal number, not a phone number")
    assert "P202" not in _at(report, 3)


def test_libreoffice_errors_are_empty_recipients(tmp_path: Path) -> None:
    """LibreOffice writes a failed formula as Err:502 (lo11): a spreadsheet error, P201,
    not letters in a number (P207). Only "Err:" and three digits."""
    cells = ["Err:502", "Err:520", " ERR:504 ", "\u200eerr:511"]
    assert _both(cells) == [(None, "empty", [])] * len(cells)
    assert _both(["Err:5021", "Err:50", "Err 502"]) == [(None, "invalid-characters", [])] * 3
    report = _check_csv(tmp_path, [(cell, "hello") for cell in cells])
    for line in range(2, 2 + len(cells)):
        found = _at(report, line)
        assert found.keys() == {"P201"}, (line, found)
        assert "Err:502" in found["P201"]


def test_a_decimal_comma_float_is_a_float_artifact(tmp_path: Path) -> None:
    """9121234567,0 is 9121234567.0 written by pandas to_csv(decimal=",") or a European
    Excel: P105 (and P104), fixed; ,5 is a decimal (P202), 0912,1234567 no number (P207)."""
    cells = ["9121234567,0", "9121234567,00", "9121234567,5", "0912,1234567"]
    assert _both(cells) == [
        ("+989121234567", None, ["P103", "P104", "P105"]),
        ("+989121234567", None, ["P103", "P104", "P105"]),
        (None, "invalid-length", []),
        (None, "invalid-characters", []),
    ]
    report = _check_csv(tmp_path, [(f'"{cell}"', "hi") for cell in cells])
    assert _at(report, 2)["P105"] == "a trailing .0 or ,0 from a float column"
    assert {"P104", "P105"} <= _at(report, 3).keys()
    assert _at(report, 4)["P202"].startswith("a decimal number, not a phone number")
    assert "P207" in _at(report, 5)


def test_the_number_command_reads_a_decimal_comma(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["number", "9121234567,0"]) == 0
    assert capsys.readouterr().out == (
        "'9121234567,0': +989121234567 MCI "
        "[P103 non-e164, P104 missing-leading-zero, P105 float-artifact]\n"
    )


def test_a_number_with_no_such_area_code_is_not_blamed_on_a_country_code(tmp_path: Path) -> None:
    # Red team 8: P210 spoke of an unknown country code and 00 for 01012345678.
    found = _at(_check_csv(tmp_path, [("01012345678", "hello")]), 2)
    assert "no such country code, area code or prefix" in found["P210"]
