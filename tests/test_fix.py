"""`fix`: counts add up, nothing is lost, the output is canonical, clean and a fixpoint."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from p2pfile.check import check
from p2pfile.config import Settings
from p2pfile.errors import InputFileError, UsageError
from p2pfile.fix import (
    MESSAGE_FIX_ORDER,
    REJECTS_SCHEMA,
    FixResult,
    decide,
    diff,
    first_lines,
    fix,
    split,
)
from p2pfile.reader import read_file
from p2pfile.rules import Options, all_rules, default_selection

# ``p2pfile.fix`` the module (the package exports a function of the same name).
fix_module = sys.modules["p2pfile.fix"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEFAULTS = Settings()


def _csv(tmp_path: Path, name: str, rows: list[tuple[str, str]], *, header: bool = True) -> Path:
    """A CSV written with Python's csv module (RFC 4180 quoting, LF)."""
    import csv

    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        if header:
            writer.writerow(["recipient", "message"])
        writer.writerows(rows)
    return path


def _assert_accounted(result: FixResult) -> None:
    assert result.rows_in == result.rows_written + result.rows_rejected + result.duplicates_dropped
    assert len(result.duplicates) == result.duplicates_dropped


def _errors(path: Path, **settings: object) -> list[tuple[str, int]]:
    report = check(path, isolated=True, **settings)
    return [(d.code, d.line) for d in report if d.severity == "error"]


def _findings(path: Path, **settings: object) -> int:
    return check(path, isolated=True, **settings).frame.height


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A messy generated file (benchmarks/generate.py): every kind of recipient damage."""
    pytest.importorskip("numpy")  # the generator's own dependency
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.generate import write_csv
    finally:
        sys.path.remove(str(ROOT))
    path = tmp_path_factory.mktemp("generated") / "g.csv"
    write_csv(path, 20_000, seed=1)
    return path


# --------------------------------------------------------------------------- the issue's case


def test_five_spellings_of_one_number_become_one_row(tmp_path: Path) -> None:
    src = _csv(
        tmp_path,
        "in.csv",
        [
            ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "سلام"),
            ("+98 912 345 6789", "سلام"),
            ("9123456789", "سلام"),
            ("989123456789.0", "سلام"),
            ("'09123456789", "سلام"),
        ],
    )
    out = tmp_path / "out.csv"
    result = fix(src, out, settings=DEFAULTS)
    assert out.read_bytes() == "recipient,message\n+989123456789,سلام\n".encode()
    assert result.rows_written == 1
    assert result.duplicates_dropped == 4
    assert result.duplicates == ((3, 2), (4, 2), (5, 2), (6, 2))
    assert result.rows_rejected == 0
    assert result.remaining == 0
    assert result.fixes == {"P101": 1, "P102": 1, "P103": 1}
    _assert_accounted(result)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("unsafe", [False, True])
def test_messy_example_fixes_clean_and_is_a_fixpoint(tmp_path: Path, unsafe: bool) -> None:
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(EXAMPLES / "messy.csv", out, rejects, unsafe=unsafe, settings=DEFAULTS)
    _assert_accounted(result)
    assert result.rows_written
    assert result.rows_rejected
    assert result.duplicates_dropped
    assert _errors(out) == []
    assert result.remaining == _findings(out)
    again = fix(out, unsafe=unsafe, settings=DEFAULTS)
    assert not again.changed
    assert again.fixes == {}
    assert (again.rows_in, again.rows_written) == (result.rows_written, result.rows_written)


@pytest.fixture(scope="module")
def generated_fixed(generated: Path) -> tuple[FixResult, Path, Path]:
    """The generated file fixed with the safe fixes: (result, output, rejects)."""
    out, rejects = generated.with_name("out.csv"), generated.with_name("rejects.csv")
    return fix(generated, out, rejects, settings=DEFAULTS), out, rejects


def test_generated_file_round_trip(generated_fixed: tuple[FixResult, Path, Path]) -> None:
    result, out, rejects = generated_fixed
    _assert_accounted(result)
    assert result.rows_in == 20_000
    assert read_file(out).frame.height == result.rows_written
    assert read_file(rejects).frame.height == result.rows_rejected
    assert _errors(out) == []
    assert result.remaining == _findings(out)
    # Every duplicate points at an earlier line that was written.
    dropped = {line for line, _ in result.duplicates}
    kept = {line for _, line in result.duplicates}
    rejected = set(pl.read_csv(rejects, infer_schema=False)["line"].cast(pl.Int64).to_list())
    assert all(k < d for d, k in result.duplicates)
    assert not kept & dropped
    assert not kept & rejected
    before = out.read_bytes()
    again = fix(out, settings=DEFAULTS)
    assert not again.changed
    assert out.read_bytes() == before
    assert again.remaining == result.remaining
    _assert_accounted(again)


def test_generated_file_with_unsafe_fixes(
    tmp_path: Path, generated: Path, generated_fixed: tuple[FixResult, Path, Path]
) -> None:
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    safe = generated_fixed[0]
    result = fix(generated, out, rejects, unsafe=True, settings=DEFAULTS)
    _assert_accounted(result)
    assert result.fixes.get("M203", 0) > 0
    assert "M203" not in safe.fixes
    assert result.remaining < safe.remaining  # the M203 warnings are gone
    assert _errors(out) == []
    assert not fix(out, unsafe=True, settings=DEFAULTS).changed


def test_xlsx_output_holds_strings_and_checks_clean(tmp_path: Path) -> None:
    import fastexcel

    out, rejects = tmp_path / "out.xlsx", tmp_path / "rejects.csv"
    result = fix(EXAMPLES / "messy.csv", out, rejects, settings=DEFAULTS)
    sheet = fastexcel.read_excel(out).load_sheet(0)
    frame = sheet.to_polars()
    assert frame.columns == ["recipient", "message"]
    assert frame.schema == pl.Schema({"recipient": pl.String, "message": pl.String})
    assert frame.height == result.rows_written
    assert frame.get_column("recipient").str.starts_with("+98").all()
    as_csv = fix(EXAMPLES / "messy.csv", tmp_path / "o.csv", tmp_path / "r.csv", settings=DEFAULTS)
    assert frame.equals(pl.read_csv(tmp_path / "o.csv", infer_schema=False))
    assert as_csv.rows_written == result.rows_written
    assert _errors(out) == []
    # An XLSX input fixes into CSV; it is never rewritten in place.
    again = fix(out, tmp_path / "again.csv", settings=DEFAULTS)
    assert again.fixes == {}
    assert again.rows_written == result.rows_written
    with pytest.raises(UsageError, match="never rewritten in place"):
        fix(out, settings=DEFAULTS)


def test_generated_xlsx_input(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.generate import write_xlsx
    finally:
        sys.path.remove(str(ROOT))
    src = tmp_path / "g.xlsx"
    write_xlsx(src, 1_000, seed=2)
    out = tmp_path / "out.csv"
    result = fix(src, out, tmp_path / "rejects.csv", settings=DEFAULTS)
    _assert_accounted(result)
    assert _errors(out) == []
    assert not fix(out, settings=DEFAULTS).changed


# --------------------------------------------------------------------------- rejects


def test_rejects_file_lists_codes_and_reasons(tmp_path: Path) -> None:
    src = _csv(
        tmp_path,
        "in.csv",
        [
            ("09121234567", "ok"),
            ("09061234567", "Dear {name}"),
            ("09121234568", "nan"),
            ("", "hello"),
        ],
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(src, out, rejects, settings=DEFAULTS)
    assert (result.rows_written, result.rows_rejected) == (1, 3)
    assert result.rejected_by_code == {"M401": 1, "M402": 1, "P201": 1, "P205": 1}
    frame = pl.read_csv(rejects, infer_schema=False)
    assert frame.columns == list(REJECTS_SCHEMA.names())
    rows = {int(r["line"]): r for r in frame.iter_rows(named=True)}
    assert rows.keys() == {3, 4, 5}
    assert rows[3]["codes"] == "P205 M401"
    assert rows[3]["reasons"] == (
        "an 09xx block that no operator has for mobiles; unresolved placeholder {name}"
    )
    assert (rows[3]["recipient"], rows[3]["message"]) == ("09061234567", "Dear {name}")
    assert rows[4]["codes"] == "M402"
    assert "spreadsheet artifact" in rows[4]["reasons"]
    assert rows[5]["codes"] == "P201"
    assert rows[5]["row"] == "4"


def test_rejects_as_xlsx_keep_the_text_a_spreadsheet_would_turn_into_numbers(
    tmp_path: Path,
) -> None:
    # Red team 8: a rejects CSV opened in Excel turns 9.12346E+09 into 9123460000 and
    # 0912... into 912...; fed back, the row went to a stranger. As XLSX, text cells.
    src = _csv(tmp_path, "in.csv", [("09121234567", "ok"), ("9.12346E+09", "سلام"), ("0912", "x")])
    rejects = tmp_path / "rejects.xlsx"
    result = fix(src, tmp_path / "out.csv", rejects, settings=DEFAULTS)
    assert result.rows_rejected == 2
    book = fastexcel.read_excel(rejects)
    assert book.sheet_names == ["rejects"]
    frame = book.load_sheet(0).to_polars()
    assert frame.columns == list(REJECTS_SCHEMA.names())
    assert frame.get_column("recipient").to_list() == ["9.12346E+09", "0912"]
    assert frame.get_column("message").to_list() == ["سلام", "x"]
    assert frame.get_column("line").to_list() == [3, 4]
    assert frame.get_column("codes").to_list() == ["P206", "P202"]


def test_a_corrected_rejects_file_is_fixed_again_without_unsafe_fixes(tmp_path: Path) -> None:
    # Red team 8: the rejects file's own columns made it F203, whose fix needs
    # --unsafe-fixes, which also rewrote the messages. They are fix's bookkeeping: F210.
    src = _csv(tmp_path, "in.csv", [("09121234567", "ok"), ("0912", "“Hi”"), ("0935", "b")])
    rejects = tmp_path / "rejects.csv"
    fix(src, tmp_path / "out.csv", rejects, settings=DEFAULTS)
    edited = rejects.read_text(encoding="utf-8").replace("0912,", "09121234568,")
    rejects.write_text(edited, encoding="utf-8")
    found = {d.code: d for d in check(rejects, isolated=True).diagnostics}
    assert "F203" not in found
    assert found["F210"].severity == "warning"
    assert found["F210"].fix is not None
    assert found["F210"].fix.applicability == "safe"
    again = tmp_path / "again.csv"
    result = fix(rejects, again, tmp_path / "still.csv", settings=DEFAULTS)
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert result.fixes.get("F210") == 1
    assert again.read_text(encoding="utf-8") == "recipient,message\n+989121234568,“Hi”\n"


def test_a_rejects_file_a_spreadsheet_rounded_keeps_its_rows_rejected(tmp_path: Path) -> None:
    # Red team 8: fix rejects 9.12346E+09 (P206); Excel or LibreOffice opening the
    # rejects CSV and saving it writes 9123460000, which fix then wrote as the clean
    # +989123460000, a stranger's line.
    src = _csv(tmp_path, "in.csv", [("09121234567", "ok"), ("9.12346E+09", "hi"), ("0912", "x")])
    rejects = tmp_path / "rejects.csv"
    fix(src, tmp_path / "out.csv", rejects, settings=DEFAULTS)
    saved = rejects.read_text(encoding="utf-8").replace("9.12346E+09", "9123460000")
    rejects.write_text(saved.replace(",0912,", ",09123000000,"), encoding="utf-8")
    p206 = [d for d in check(rejects, isolated=True).diagnostics if d.code == "P206"]
    assert [(d.line, d.severity) for d in p206] == [(2, "error")]
    assert "a spreadsheet rounded" in p206[0].message
    again = tmp_path / "again.csv"
    result = fix(rejects, again, tmp_path / "still.csv", settings=DEFAULTS)
    assert result.rejected_by_code == {"P206": 1}
    # A round number typed back in keeps its leading 0: it is sent.
    assert again.read_text(encoding="utf-8") == "recipient,message\n+989123000000,x\n"
    with pytest.raises(InputFileError, match=r"P206 at line 2"):
        fix(rejects, settings=DEFAULTS)  # in place, it would be written as a clean number
    # Outside a rejects file the same cell is a number like any other.
    plain = _csv(tmp_path, "plain.csv", [("9123460000", "hi")])
    assert "P206" not in {d.code for d in check(plain, isolated=True).diagnostics}


def test_refuses_to_drop_rows_without_a_rejects_file(tmp_path: Path) -> None:
    src = _csv(tmp_path, "in.csv", [("09121234567", "ok"), ("09061234567", "x"), ("", "y")])
    out = tmp_path / "out.csv"
    with pytest.raises(UsageError, match=r"2 row\(s\) cannot be fixed.*--rejects FILE"):
        fix(src, out, settings=DEFAULTS)
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]  # no temporary file left either


def test_broken_records_are_rejected_with_the_readers_reason(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("recipient,message\n09121234567,Hi, Ali\n09121234568,ok\n", encoding="utf-8")
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(src, out, rejects, settings=DEFAULTS)
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    rejected = pl.read_csv(rejects, infer_schema=False).row(0, named=True)
    assert rejected["codes"] == "F205"
    assert "3 fields" in rejected["reasons"]
    # In place, the record's third field could not be written back: refused.
    with pytest.raises(InputFileError, match="broken record"):
        fix(src, settings=DEFAULTS)


def test_half_a_message_cut_by_an_unquoted_line_break_is_not_written(tmp_path: Path) -> None:
    # SSMS / bcp exports leave a line break inside a message unquoted: the first line
    # was once written as a clean message and the rest rejected as a phantom row. Two
    # messages cut so in one file are an exporter's habit, not a stray line.
    src = tmp_path / "in.csv"
    src.write_text(
        "recipient,message\r\n09121234567,سلام علی جان\r\nکد تخفیف شما: 1234\r\n"
        "سه‌شنبه\r\n09351234568,Hello\r\n09361234568,Hi dear\r\nsee you soon\r\n"
        "09371234568,Bye\r\n",
        encoding="utf-8",
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(src, out, rejects, settings=DEFAULTS)
    _assert_accounted(result)
    assert out.read_text(encoding="utf-8") == (
        "recipient,message\n+989351234568,Hello\n+989371234568,Bye\n"
    )
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (7, 2, 5)
    rejected = pl.read_csv(rejects, infer_schema=False)
    assert rejected["line"].to_list() == ["2", "3", "4", "6", "7"]
    assert rejected["codes"][0] == "F207"
    assert rejected["codes"][3] == "F207"
    assert _errors(out) == []


def test_a_good_row_before_a_footer_line_is_written(tmp_path: Path) -> None:
    # A footer typed under the data looks like the rest of the message above it; once in
    # a file that is no evidence, and the good row is sent: only the footer is rejected.
    src = tmp_path / "in.csv"
    src.write_text(
        "recipient,message\n09121234567,Hello\n09121234568,Your order shipped\nTotal: 2\n",
        encoding="utf-8",
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(src, out, rejects, settings=DEFAULTS)
    _assert_accounted(result)
    assert out.read_text(encoding="utf-8") == (
        "recipient,message\n+989121234567,Hello\n+989121234568,Your order shipped\n"
    )
    rejected = pl.read_csv(rejects, infer_schema=False)
    assert rejected["line"].to_list() == ["4"]
    assert "it may be the rest of line 3's message" in rejected["reasons"][0]


def test_message_errors_are_judged_on_the_fixed_text(tmp_path: Path) -> None:
    # "\x01" alone becomes empty once M103 removes it (M101); "hi \x01" needs M103
    # and then M102, which only sees the space once the control is gone.
    src = _csv(tmp_path, "in.csv", [("09121234567", "\x01"), ("09121234568", "hi \x01")])
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(src, out, rejects, settings=DEFAULTS)
    assert out.read_text(encoding="utf-8") == "recipient,message\n+989121234568,hi\n"
    assert result.rejected_by_code == {"M101": 1}
    assert result.fixes["M103"] == 1
    assert result.fixes["M102"] == 1
    assert _errors(out) == []
    assert result.remaining == 0


# --------------------------------------------------------------------------- in place


def test_in_place_keeps_rows_that_cannot_be_fixed(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_bytes((EXAMPLES / "messy.csv").read_bytes())
    original = read_file(path).frame
    os.chmod(path, 0o640)
    result = fix(path, settings=DEFAULTS)
    _assert_accounted(result)
    assert result.output is None
    assert result.changed
    assert result.rows_rejected == 0
    assert result.unfixable == 11
    assert result.duplicates_dropped == 1
    assert os.stat(path).st_mode & 0o777 == 0o640
    after = read_file(path).frame
    assert after.height == original.height - 1
    kept = set(after.select("recipient", "message").iter_rows())
    for cells in [
        ("09061234567", "پیشنهاد ویژه"),
        ("'09201234567", "Hello {name}, your order is ready"),
    ]:
        assert cells in kept  # unchanged, as read
    assert result.remaining == _findings(path)
    assert {code for code, _ in _errors(path)} >= {"P205", "M401", "M104"}
    again = fix(path, settings=DEFAULTS)
    assert not again.changed
    assert again.unfixable == 11


def test_in_place_without_changes_leaves_the_file_alone(tmp_path: Path) -> None:
    path = _csv(tmp_path, "in.csv", [("+989121234567", "سلام"), ("+989351234567", "hi")])
    os.utime(path, (1_000_000, 1_000_000))
    result = fix(path, settings=DEFAULTS)
    assert not result.changed
    assert result.fixes == {}
    assert os.stat(path).st_mtime == 1_000_000


def test_file_level_problems_are_fixed_by_writing(tmp_path: Path) -> None:
    # BOM, CRLF, a ';' delimiter, a header alias and a blank record.
    path = tmp_path / "in.csv"
    path.write_bytes("\ufeffmobile;text\r\n09121234567;سلام\r\n\r\n09351234567;hi\r\n".encode())
    result = fix(path, settings=DEFAULTS)
    assert path.read_bytes() == "recipient,message\n+989121234567,سلام\n+989351234567,hi\n".encode()
    assert {"F104", "F202", "F206", "F208"} <= result.fixes.keys()
    assert result.remaining == 0


def test_missing_header_is_inserted(tmp_path: Path) -> None:
    path = _csv(tmp_path, "in.csv", [("09121234567", "hi"), ("09351234567", "hi")], header=False)
    result = fix(path, settings=DEFAULTS)
    assert result.rows_written == 2
    assert result.fixes["F201"] == 1
    assert path.read_text(encoding="utf-8").splitlines()[0] == "recipient,message"


# --------------------------------------------------------------------------- options


def test_national_number_format(tmp_path: Path) -> None:
    src = _csv(tmp_path, "in.csv", [("+98 912 345 6789", "hi"), ("+971501234567", "hi")])
    out = tmp_path / "out.csv"
    settings = Settings(allow_foreign=True)
    result = fix(src, out, number_format="national", settings=settings)
    assert (
        out.read_text(encoding="utf-8") == "recipient,message\n09123456789,hi\n+971501234567,hi\n"
    )
    assert result.remaining == 0
    assert not fix(out, number_format="national", settings=settings).changed
    # With P103 selected, the national spelling is what a check reports, once per Iranian row.
    strict = Settings(allow_foreign=True, extend_select=("P103",))
    result = fix(src, out, number_format="national", settings=strict)
    assert result.remaining == 1
    assert result.remaining == _findings(out, allow_foreign=True, extend_select=["P103"])
    # The settings' number-format is the default; the argument wins over it.
    national = Settings(number_format="national")
    fix(src, out, tmp_path / "r.csv", settings=national)
    assert out.read_text(encoding="utf-8").splitlines()[1] == "09123456789,hi"
    fix(src, out, tmp_path / "r.csv", number_format="e164", settings=national)
    assert out.read_text(encoding="utf-8").splitlines()[1] == "+989123456789,hi"


@pytest.mark.parametrize("spelling", ["NATIONAL", "bogus", "09"])
def test_an_unknown_number_format_is_a_usage_error(tmp_path: Path, spelling: str) -> None:
    """A typo must not silently write E.164 for a caller who asked for another format."""
    src = _csv(tmp_path, "in.csv", [("09123456789", "hi")])
    out = tmp_path / "out.csv"
    with pytest.raises(UsageError, match="number_format must be 'e164' or 'national'"):
        fix(src, out, number_format=spelling)  # type: ignore[arg-type]
    assert not out.exists()


def test_unsafe_fixes_only_when_asked(tmp_path: Path) -> None:
    curly = "\u201c" + "a" * 150 + "\u201d"  # UCS-2 only because of the quotes: 3 parts, not 1
    bidi = "\u202bسلام\u202c"
    src = _csv(tmp_path, "in.csv", [("09121234567", curly), ("09351234567", bidi)])
    out = tmp_path / "out.csv"
    safe = fix(src, out, settings=DEFAULTS)
    assert read_file(out).frame.get_column("message").to_list() == [curly, bidi]
    assert safe.fixes.keys().isdisjoint({"M105", "M203"})
    assert safe.remaining == 2  # both warnings remain
    unsafe = fix(src, out, unsafe=True, settings=DEFAULTS)
    assert read_file(out).frame.get_column("message").to_list() == ['"' + "a" * 150 + '"', "سلام"]
    assert unsafe.fixes["M105"] == 1
    assert unsafe.fixes["M203"] == 1
    assert unsafe.remaining == 0


def test_ignored_rules_do_not_fix_or_reject(tmp_path: Path) -> None:
    src = _csv(
        tmp_path,
        "in.csv",
        [("09121234567", " hi "), ("09121234567", " hi "), ("09351234567", "{x}")],
    )
    out = tmp_path / "out.csv"
    result = fix(src, out, settings=Settings(ignore=("M102", "D101", "M401")))
    assert result.rows_written == 3
    assert result.fixes == {"P103": 3}
    assert read_file(out).frame.get_column("message").to_list() == [" hi ", " hi ", "{x}"]


# --------------------------------------------------------------------------- unfixable files


def test_cp1256_is_transcoded_only_with_unsafe_fixes(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes("recipient,message\n09121234567,سلام دوست من\n".encode("cp1256"))
    out = tmp_path / "out.csv"
    with pytest.raises(
        InputFileError, match=r"not UTF-8 \(looks like cp1256\); p2pfile fix --unsafe"
    ):
        fix(src, out, settings=DEFAULTS)
    result = fix(src, out, unsafe=True, settings=DEFAULTS)
    assert out.read_text(encoding="utf-8") == "recipient,message\n+989121234567,سلام دوست من\n"
    assert result.fixes["F103"] == 1


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "cannot be read"),
        (b"", "empty"),
        (b"recipient,message\n", "no data rows"),
        (b"%PDF-1.4\n\x00\x01\x02", "F102"),
    ],
)
def test_unreadable_files_are_one_line_errors(
    tmp_path: Path, content: bytes | None, match: str
) -> None:
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=match) as info:
        fix(path, tmp_path / "out.csv", settings=DEFAULTS)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message


def test_argument_mistakes_are_usage_errors(tmp_path: Path) -> None:
    src = _csv(tmp_path, "in.csv", [("09121234567", "hi")])
    with pytest.raises(UsageError, match="--rejects needs an output"):
        fix(src, rejects=tmp_path / "r.csv", settings=DEFAULTS)
    with pytest.raises(UsageError, match="same path"):
        fix(src, src, settings=DEFAULTS)
    with pytest.raises(UsageError, match="same path"):
        fix(src, tmp_path / "o.csv", tmp_path / "o.csv", settings=DEFAULTS)
    with pytest.raises(UsageError, match="cannot be written"):
        fix(src, tmp_path / "no" / "such" / "dir.csv", settings=DEFAULTS)


def test_an_output_named_for_another_spreadsheet_format_is_refused(tmp_path: Path) -> None:
    # Red team 6: -o out.xls wrote CSV text under an Excel name, which check then
    # called F102 and Excel warns about.
    src = _csv(tmp_path, "in.csv", [("09121234567", "hi")])
    for name in ("out.xls", "out.XLSM", "out.ods", "out.xlt", "out.fods", "out.et"):
        with pytest.raises(UsageError, match=r"fix writes CSV or XLSX, not \.[a-z]+;"):
            fix(src, tmp_path / name, settings=DEFAULTS)
        assert not (tmp_path / name).exists()
    with pytest.raises(UsageError, match=r"fix writes rejects as CSV or XLSX, not \.xls;"):
        fix(src, tmp_path / "o.csv", tmp_path / "r.xls", settings=DEFAULTS)
    assert not (tmp_path / "o.csv").exists()


# --------------------------------------------------------------------------- writers


def test_csv_quoting_round_trips(tmp_path: Path) -> None:
    messages = ["a,b", 'say "hi"', "one\ntwo", "one\rtwo", "=1+2", "tab-free ' quote"]
    src = tmp_path / "in.csv"  # every field quoted: Python's csv leaves a lone CR bare
    quoted = [
        f'"0912123456{i}","{m.replace(chr(34), chr(34) * 2)}"' for i, m in enumerate(messages)
    ]
    src.write_text("\n".join(["recipient,message", *quoted]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    # "=1+2" is formula text (M402) and a bare CR a control (M103): kept here, as the
    # writer's quoting of them is what is tested.
    fix(src, out, settings=Settings(ignore=("M103", "M402")))
    data = out.read_bytes()
    assert b"\r\n" not in data.replace(b"one\rtwo", b"")
    assert b'"a,b"' in data
    assert b'"say ""hi"""' in data
    assert b'"one\ntwo"' in data
    assert b'"one\rtwo"' in data
    assert read_file(out).frame.get_column("message").to_list() == messages
    assert not data.startswith(b"\xef\xbb\xbf")


def test_quotes_inside_unquoted_text_are_kept_and_quoted(tmp_path: Path) -> None:
    """`he said "hi" ok` has one reading: the row is written, quoted, not rejected; a
    quote that lost its meaning (text after a closing quote) still rejects its row."""
    src = tmp_path / "in.csv"
    src.write_bytes(
        b'recipient,message\r\n09121234567,he said "hi" ok\r\n'
        b'09351234567,"quoted" tail\r\n09201234567,ok\r\n'
    )
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = fix(src, out, rejects=rejects, settings=DEFAULTS)
    _assert_accounted(result)
    assert (result.rows_written, result.rows_rejected) == (2, 1)
    assert result.fixes["F207"] == 1
    assert out.read_bytes() == (
        b'recipient,message\n+989121234567,"he said ""hi"" ok"\n+989201234567,ok\n'
    )
    assert pl.read_csv(rejects).get_column("line").to_list() == [3]
    assert _errors(out) == []
    # In place: the one row that breaks still stops the rewrite; alone, it is fixed.
    with pytest.raises(InputFileError, match="F207 at line 3"):
        fix(src, settings=DEFAULTS)
    src.write_bytes(b'recipient,message\n09121234567,say "hi" now\n')
    fix(src, settings=DEFAULTS)
    assert src.read_bytes() == b'recipient,message\n+989121234567,"say ""hi"" now"\n'


def test_a_run_of_blank_records_counts_each_record_removed(tmp_path: Path) -> None:
    """A long run is one F206 finding; fix's count is of the records it removed."""
    src = tmp_path / "in.csv"
    src.write_bytes(b"recipient,message\n09121234567,a\n" + b"\n" * 12 + b"09351234567,b\n\n")
    result = fix(src, tmp_path / "out.csv", settings=DEFAULTS)
    assert result.fixes["F206"] == 13
    assert [i.lines for i in read_file(src).issues] == [12, 1]


# --------------------------------------------------------------------------- frames and diffs


def test_split_frames() -> None:
    frame = pl.DataFrame(
        {
            "recipient": ["09121234567", "+98 912 123 4567", "09061234567", "9351234567"],
            "message": ["hi", "hi", "hi", "  hey  "],
        }
    )
    clean, rejected = split(frame)
    assert clean.rows() == [("+989121234567", "hi"), ("+989351234567", "hey")]
    assert rejected.schema == REJECTS_SCHEMA
    assert rejected.select("line", "row", "codes").rows() == [(4, 3, "P205")]
    national, _ = split(frame, options=Options(number_format="national"))
    assert national.get_column("recipient").to_list() == ["09121234567", "09351234567"]
    # Without D101 selected nothing is deduplicated.
    everything, _ = split(frame, selected=frozenset({"P205"}))
    assert everything.height == 3
    with pytest.raises(UsageError, match="missing: message"):
        split(frame.select("recipient"))


def test_diff_lists_row_changes(tmp_path: Path) -> None:
    src = EXAMPLES / "messy.csv"
    changes = diff(src, tmp_path / "out.csv", settings=DEFAULTS, limit=None)
    by_line = {ch.line: ch for ch in changes}
    assert by_line[3].kind == "duplicate"
    assert by_line[3].why == "duplicate of line 2"
    assert by_line[3].new is None
    assert by_line[10].kind == "rejected"
    assert by_line[10].codes == ("P205",)
    assert by_line[15].kind == "fixed"
    assert by_line[15].new == ("+989371234567", "extra spaces")
    assert set(by_line[15].codes) == {"P103", "M102"}
    assert [ch.line for ch in changes] == sorted(by_line)
    assert len(diff(src, tmp_path / "out.csv", settings=DEFAULTS, limit=2)) == 2
    # In place, rows that cannot be fixed stay: they are not changes.
    in_place = diff(src, settings=DEFAULTS, limit=None)
    assert {ch.kind for ch in in_place} == {"fixed", "duplicate"}
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        (b",recipient,message\n0,+989121234567,hi\n", ("F209",)),  # the index dropped
        (b"recipient;message\n+989121234567;hi\n", ("F208",)),  # commas written
        (b"\xef\xbb\xbfrecipient,message\n+989121234567,hi\n", ("F104",)),  # BOM removed
        (b"recipient,message\r\n+989121234567,hi\r\n", ()),  # CRLF to LF, no finding
    ],
)
def test_diff_shows_what_fix_does_to_the_whole_file(
    tmp_path: Path, body: bytes, codes: tuple[str, ...]
) -> None:
    """A CI gate on ``fix --diff`` must fail whenever ``fix`` would rewrite the file,
    also when no row changes."""
    src = tmp_path / "in.csv"
    src.write_bytes(body)
    changes = diff(src, settings=DEFAULTS, limit=None)
    assert [(ch.kind, ch.codes) for ch in changes] == [("file", codes)]
    fix(str(src), settings=DEFAULTS)
    assert src.read_bytes() != body
    assert diff(src, settings=DEFAULTS, limit=None) == []  # fixed: nothing left to do


# --------------------------------------------------------------------------- building blocks


def test_every_message_fix_has_a_place_in_the_order() -> None:
    fixing = {r.code for r in all_rules() if r.fix is not None and r.field == "message"}
    assert fixing == set(MESSAGE_FIX_ORDER)


# --------------------------------------------------------------------------- slices


#: Duplicates many slices apart, rows that become duplicates only once their message
#: is fixed (M102 trims, M103 removes a control, M204 turns CR LF into LF, M105 removes
#: bidi controls), rejects of every kind, empty messages and a broken record (F205).
SLICED = (
    "recipient,message\n"
    "09121234567,hi\n"
    "+98 912 123 4567, hi \n"
    "09351234567,Dear {name}\n"
    "09061234567,x\n"
    ",no number\n"
    "9121234567,hi\x01\n"
    '09121234568,"a\r\nb"\n'
    "+971501234567,hi\n"
    '09121234568,"a\nb"\n'
    "09121234568,nan\n"
    "09121234569,Hi, Ali\n"
    "09121234569,\n"
    "۰۹۱۲۱۲۳۴۵۶۷,hi\n"
    "+971501234567,hi\n"
    "09121234569,\n"
    "09351234567,\u202bسلام\u202c\n"
    "989351234567,سلام\n"
    "09121234567,hi again\n"
)


@pytest.mark.parametrize("unsafe", [False, True])
def test_slicing_is_invisible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unsafe: bool
) -> None:
    """Files over WHOLE_ROWS are decided ANALYSIS_ROWS at a time to bound memory; the
    outputs, rejects, counts, duplicates, diffs and decisions are those of one slice."""
    src = tmp_path / "in.csv"
    src.write_text(SLICED, encoding="utf-8")
    frame = read_file(src)
    selected = default_selection()

    def run(tag: str) -> tuple[object, ...]:
        out, rejects = tmp_path / f"{tag}.csv", tmp_path / f"{tag}-rejects.csv"
        result = fix(src, out, rejects, unsafe=unsafe, settings=DEFAULTS)
        in_place = tmp_path / f"{tag}-in-place.csv"
        clean = src.read_text(encoding="utf-8").replace("09121234569,Hi, Ali\n", "")
        in_place.write_text(clean, encoding="utf-8")
        kept = fix(in_place, unsafe=unsafe, settings=DEFAULTS)
        info = {k: v for k, v in result.to_dict().items() if k not in ("output", "rejects")}
        kept_info = {k: v for k, v in kept.to_dict().items() if k != "path"}
        outcome = decide(frame.frame, Options(), selected, issues=frame.issues, unsafe=unsafe)
        return (
            info,
            out.read_bytes(),
            rejects.read_bytes(),
            kept_info,
            in_place.read_bytes(),
            diff(src, out, unsafe=unsafe, settings=DEFAULTS, limit=None),
            diff(src, out, unsafe=unsafe, settings=DEFAULTS, limit=3),
            outcome.rows,
            outcome.fixes,
            outcome.remaining,
            {code: sorted(rows.to_list()) for code, rows in outcome.fixed_rows.items()},
        )

    whole = run("whole")
    info = whole[0]
    assert isinstance(info, dict)
    # Lines 3, 7 and 11 repeat an earlier row only once their message is fixed (M102,
    # M103, M204), line 16 is line 2's number in Persian digits, line 20 repeats line 19
    # once M105 (unsafe) removes its bidi controls.
    assert info["duplicates"] == [[3, 2], [7, 2], [11, 8], [16, 2]] + ([[20, 19]] if unsafe else [])
    assert info["rows_rejected"] == 9
    monkeypatch.setattr(fix_module, "WHOLE_ROWS", 0)
    for rows in (1, 2, 3, 5):
        monkeypatch.setattr(fix_module, "ANALYSIS_ROWS", rows)
        sliced = run(f"sliced{rows}")
        for i, (a, b) in enumerate(zip(whole, sliced, strict=True)):
            if isinstance(a, pl.DataFrame):
                assert isinstance(b, pl.DataFrame)
                assert a.equals(b), (rows, i)
            else:
                assert a == b, (rows, i)


def test_first_lines_matches_a_plain_loop() -> None:
    rng = random.Random(7)
    keys = [(rng.choice("abc"), rng.choice("xyz")) for _ in range(500)]
    frame = pl.DataFrame(
        {"line": range(2, 502), "a": [k[0] for k in keys], "b": [k[1] for k in keys]}
    )
    seen: dict[tuple[str, str], int] = {}
    expected = [seen.setdefault(k, line) for line, k in zip(range(2, 502), keys, strict=True)]
    assert first_lines(frame, ["a", "b"]).to_list() == expected


def test_trailing_empty_columns_are_dropped_not_refused(tmp_path: Path) -> None:
    """``recipient,message,,,`` from Excel: nothing there to lose, so every row is written."""
    path = tmp_path / "export.csv"
    path.write_bytes(b"recipient,message,,,\r\n09121234567,hi,,,\r\n09351234567,yo,,,\r\n")
    out = tmp_path / "out.csv"
    result = fix(path, out, settings=DEFAULTS)
    _assert_accounted(result)
    assert (result.rows_written, result.rows_rejected) == (2, 0)
    assert out.read_text(encoding="utf-8") == (
        "recipient,message\n+989121234567,hi\n+989351234567,yo\n"
    )


def test_excel_sep_hint_line_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "hint.csv"
    path.write_bytes(b"\xef\xbb\xbfsep=;\r\nMobile;Text\r\n09121234567;hi, there\r\n")
    out = tmp_path / "out.csv"
    result = fix(path, out, settings=DEFAULTS)
    assert (result.rows_in, result.rows_written) == (1, 1)
    assert result.fixes["F202"] == 2  # the hint line and the alias header
    assert out.read_text(encoding="utf-8") == 'recipient,message\n+989121234567,"hi, there"\n'
    assert _findings(out) == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and modes")
def test_in_place_writes_through_a_symlink(tmp_path: Path) -> None:
    """A data file kept as a link (a shared folder, a repository's symlink): the link
    must stay a link, and its target be the file fixed."""
    target = tmp_path / "target.csv"
    target.write_text("recipient,message\n9121234567,hi\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    fix(str(link), settings=Settings())
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "recipient,message\n+989121234567,hi\n"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_outputs_of_a_private_file_stay_private(tmp_path: Path) -> None:
    src = tmp_path / "private.csv"
    src.write_text("recipient,message\n9121234567,hi\nbad,x\n", encoding="utf-8")
    src.chmod(0o600)
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    fix(str(src), output=str(out), rejects=str(rej), settings=Settings())
    assert out.stat().st_mode & 0o777 == 0o600
    assert rej.stat().st_mode & 0o777 == 0o600


def test_a_rejects_header_retyped_in_another_case_is_still_f210(tmp_path: Path) -> None:
    # Red team 9: Line,Row,Recipient,... (a spreadsheet's capitalization) fell to F203.
    path = tmp_path / "rej.csv"
    path.write_text(
        "Line, Row,Recipient,Message,Codes,Reasons\n5,4,09121234567,hi,P202,short\n",
        encoding="utf-8",
    )
    codes = {d.code for d in check(path, isolated=True).diagnostics}
    assert "F210" in codes
    assert "F203" not in codes
    # The long reasons column deleted: still fix's own; a note column added: F203.
    path.write_text("line,row,recipient,message,codes\n5,4,09121234567,hi,P202\n", "utf-8")
    assert "F210" in {d.code for d in check(path, isolated=True).diagnostics}
    path.write_text("line,row,recipient,message,codes,note\n5,4,09121234567,hi,P202,x\n", "utf-8")
    codes = {d.code for d in check(path, isolated=True).diagnostics}
    assert "F203" in codes
    assert "F210" not in codes
