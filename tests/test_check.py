"""`check`: every rule fires on a case made for it, at its line; clean files stay silent."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p2pfile import read
from p2pfile.check import analyze, check
from p2pfile.fix import MESSAGE_FIX_ORDER
from p2pfile.report import Report
from p2pfile.rules import ANALYZED_COLUMNS, Finding, Options, all_rules

c = pl.col

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLEAN_ROW = "+989121112233,سلام"

# code -> (recipient cell, message cell) as CSV text; the case is on line 3.
ROW_CASES: dict[str, tuple[str, str]] = {
    "P101": ("۰۹۳۵۱۲۳۴۵۶۷", "hi"),
    "P102": ("0935 123 4567", "hi"),
    "P103": ("09351234567", "hi"),
    "P104": ("9351234567", "hi"),
    "P105": ("9351234567.0", "hi"),
    "P106": ("'09351234567", "hi"),
    "P201": ("#N/A", "hi"),
    "P202": ("0935123456", "hi"),
    "P203": ("+971501234567", "hi"),
    "P204": ("02188776655", "hi"),
    "P205": ("09061234567", "hi"),
    "P206": ("9.35123E+09", "hi"),
    "P207": ("tel:09351234567", "hi"),
    "P208": ("=A1", "hi"),
    "P209": ("+983000505", "hi"),
    "P210": ("+15550100", "hi"),
    "M101": ("+989351234567", '"   "'),
    "M102": ("+989351234567", '"hi "'),
    "M103": ("+989351234567", '"a\tb"'),
    "M104": ("+989351234567", "Ø³Ù„Ø§Ù…"),
    "M105": ("+989351234567", "\u202bسلام\u202c"),
    "M201": ("+989351234567", "س" * 1345),
    "M202": ("+989351234567", "a" * 1401),
    "M203": ("+989351234567", "\u201c" + "a" * 150 + "\u201d"),
    "M204": ("+989351234567", '"a\r\nb"'),
    "M205": ("+989351234567", "a" * 161),
    "M301": ("+989351234567", "كتاب ی"),
    "M302": ("+989351234567", "code 12 ۳۴"),
    "M401": ("+989351234567", "Dear {نام}"),
    "M402": ("+989351234567", "#VALUE!"),
    "D101": ("09121112233", "سلام"),
    "D102": ("09121112233", "another message"),
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _codes_at(report: Report, line: int) -> set[str]:
    return {d.code for d in report if d.line == line}


def test_every_row_rule_has_a_case() -> None:
    row_rules = {r.code for r in all_rules() if r.check is not None}
    assert row_rules == set(ROW_CASES)


@pytest.mark.parametrize("code", sorted(ROW_CASES))
def test_row_rule_fires_on_its_case(tmp_path: Path, code: str) -> None:
    recipient, message = ROW_CASES[code]
    path = _write(tmp_path, "f.csv", f"recipient,message\n{CLEAN_ROW}\n{recipient},{message}\n")
    report = check(path, isolated=True, select=["ALL"])
    assert code in _codes_at(report, 3), [(d.line, d.code) for d in report]
    assert _codes_at(report, 2) == set(), "the clean row stays clean"


def test_clean_example_is_silent_with_every_rule_but_the_national_form() -> None:
    report = check(EXAMPLES / "clean.csv", isolated=True, select=["ALL"], ignore=["P103"])
    assert [d.code for d in report] == []
    assert report.rows == 5


def test_messy_example_shows_most_rules() -> None:
    report = check(EXAMPLES / "messy.csv", isolated=True)
    assert len(report.counts()) >= 20
    assert report.failed()


def _workbook(
    path: Path, rows: list[list[object]], *, hidden: int = 0, sheet2: bool = False
) -> None:
    """An XLSX of ``rows`` (a number stays a number); row ``hidden`` (1-based) hidden."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, values in enumerate(rows):
        ws.write_row(r, 0, values)
    if hidden:
        ws.set_row(hidden - 1, None, None, {"hidden": True})
    if sheet2:
        wb.add_worksheet("old").write_row(0, 0, ["09121112244", "left here"])
    wb.close()


HEADER = "recipient,message\n"
GOOD = "09121112233,سلام\n"

#: file rule -> (file name, its bytes or a writer of the file, check() options, the
#: finding's line). One case each, as ROW_CASES for the row rules.
FILE_CASES: dict[str, tuple[str, Callable[[Path], None] | bytes, dict[str, object], int]] = {
    "F101": ("missing.csv", lambda p: None, {}, 1),
    "F102": ("junk.csv", b"\x00\x01\x02\xff\xfe binary", {}, 1),
    "F103": ("cp1256.csv", (HEADER + "09121112233,").encode() + "سلام\n".encode("cp1256"), {}, 2),
    "F104": ("bom.csv", ("\ufeff" + HEADER + GOOD).encode(), {}, 1),
    "F105": ("eol.csv", (HEADER + GOOD + "09121112234,hi\r\n" + GOOD).encode(), {}, 1),
    "F106": ("empty.csv", b"", {}, 1),
    "F107": ("two.xlsx", lambda p: _workbook(p, [["recipient", "message"]], sheet2=True), {}, 1),
    "F108": ("big.csv", (HEADER + GOOD + "09121112234,hi\n").encode(), {"max_rows": 1}, 3),
    "F109": (
        "num.xlsx",
        lambda p: _workbook(p, [["recipient", "message"], [9121112233, "hi"]]),
        {},
        2,
    ),
    "F110": (
        "hid.xlsx",
        lambda p: _workbook(p, [["recipient", "message"], ["09121112233", "hi"]], hidden=2),
        {},
        2,
    ),
    "F111": (
        "code.xlsx",
        lambda p: _workbook(p, [["recipient", "message"], ["09121112233", "hi"], ["0912", 12]]),
        {},
        3,
    ),
    "F201": ("nohead.csv", GOOD.encode(), {}, 1),
    "F202": ("alias.csv", ("mobile,text\n" + GOOD).encode(), {}, 1),
    "F203": ("wide.csv", (b"recipient,message,name\n09121112233,hi,Ali\n"), {}, 1),
    "F204": ("short.csv", (HEADER + GOOD + "09121112234\n").encode(), {}, 3),
    "F205": ("long.csv", (HEADER + "09121112233,hi,there\n").encode(), {}, 2),
    "F206": ("blank.csv", (HEADER + GOOD + "\n" + "09121112234,hi\n").encode(), {}, 3),
    "F207": ("quote.csv", (HEADER + '09121112233,"hi\n').encode(), {}, 2),
    "F208": ("semi.csv", (b"recipient;message\n09121112233;hi\n"), {}, 1),
    "F209": (
        "index.csv",
        (b",recipient,message\n0,09121112233,hi\n1,09121112234,yo\n"),
        {},
        1,
    ),
    "F210": (
        "rejects.csv",
        b"line,row,recipient,message,codes,reasons\n5,4,09121112233,hi,P202,too short\n",
        {},
        1,
    ),
}


def test_every_file_rule_has_a_case() -> None:
    # D103 needs two files: test_cross_file_duplicates_name_the_other_file.
    file_rules = {r.code for r in all_rules() if r.check is None and r.code != "D103"}
    assert file_rules == set(FILE_CASES)


@pytest.mark.parametrize("code", sorted(FILE_CASES))
def test_file_rule_fires_on_its_case(tmp_path: Path, code: str) -> None:
    name, content, options, line = FILE_CASES[code]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        content(path)
    report = check(path, isolated=True, **options)
    assert (code, line) in {(d.code, d.line) for d in report}, report.to_json()


#: examples/messy.xlsx (examples/make_messy_xlsx.py): each finding at its Excel row.
MESSY_XLSX = {
    ("F107", 1),
    ("F202", 1),
    ("F109", 2),
    ("P104", 2),
    ("P101", 3),
    ("P102", 3),
    ("F206", 4),
    ("D101", 5),
    ("P102", 5),
    ("P201", 6),
    ("M204", 7),
    ("M401", 8),
    ("M301", 9),
    ("F110", 10),
    ("P204", 11),
    ("P206", 12),
    ("D102", 13),
}


def test_messy_xlsx_example_shows_the_workbook_rules_at_their_excel_rows(
    tmp_path: Path,
) -> None:
    report = check(EXAMPLES / "messy.xlsx", isolated=True)
    assert {(d.code, d.line) for d in report} == MESSY_XLSX
    # The committed workbook is the script's output: the same findings from a fresh one.
    script = EXAMPLES / "make_messy_xlsx.py"
    fresh = tmp_path / "messy.xlsx"
    subprocess.run([sys.executable, str(script), str(fresh)], check=True)
    assert {(d.code, d.line) for d in check(fresh, isolated=True)} == MESSY_XLSX
    assert read(fresh).equals(read(EXAMPLES / "messy.xlsx"))


def test_line_numbers_follow_multiline_quoted_messages(tmp_path: Path) -> None:
    text = (
        "recipient,message\r\n"
        '09351234567,"one\r\ntwo\r\nthree"\r\n'
        "bad,x\r\n"
        '09351234568,"a\nb"\r\n'
        "9.1E+09,y\r\n"
    )
    report = check(_write(tmp_path, "m.csv", text), isolated=True)
    by_code = {d.code: (d.line, d.row) for d in report if d.code in {"P207", "P206"}}
    assert by_code == {"P207": (5, 2), "P206": (8, 4)}


def test_duplicates_are_judged_after_normalization(tmp_path: Path) -> None:
    cells = ["۰۹۱۲ ۳۴۵ ۶۷۸۹", "+98 912 345 6789", "9123456789", "989123456789.0", "'09123456789"]
    text = "recipient,message\n" + "".join(f"{c},same\n" for c in cells)
    report = check(_write(tmp_path, "d.csv", text), isolated=True)
    d101 = [(d.line, d.related_line) for d in report if d.code == "D101"]
    assert d101 == [(3, 2), (4, 2), (5, 2), (6, 2)]


def test_invalid_rows_are_never_duplicates(tmp_path: Path) -> None:
    text = "recipient,message\nabc,same\nabc,same\n"
    report = check(_write(tmp_path, "i.csv", text), isolated=True)
    assert not [d for d in report if d.code.startswith("D")]


def test_cross_file_duplicates_name_the_other_file(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.csv", "recipient,message\n09121234567,hi\n")
    b = _write(tmp_path, "b.csv", "recipient,message\n09350000000,x\n+989121234567,hi\n")
    report = check([a, b], isolated=True)
    (d103,) = [d for d in report if d.code == "D103"]
    assert (d103.path, d103.line) == (str(b), 3)
    assert d103.message == f"same recipient and message as {a}:2"


def test_selection_ignore_and_severity(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.csv", "recipient,message\n0935 123 4567,hi\n09061234567,hi\n")
    assert {d.code for d in check(path, isolated=True)} == {"P102", "P205"}
    assert {d.code for d in check(path, isolated=True, ignore=["P1"])} == {"P205"}
    assert {d.code for d in check(path, isolated=True, select=["unknown-prefix"])} == {"P205"}
    report = check(path, isolated=True, severity={"P205": "warning"})
    assert not report.failed()
    assert report.failed("warning")


def test_config_file_is_discovered_next_to_the_data(tmp_path: Path) -> None:
    _write(tmp_path, "p2pfile.toml", 'ignore = ["P205"]\nallow-foreign = true\n')
    path = _write(tmp_path, "c.csv", "recipient,message\n09061234567,hi\n+971501234567,hi\n")
    assert [d.code for d in check(path)] == []


def test_foreign_regions_can_be_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "recipient,message\n+971501234567,hi\n+447400123456,hi\n")
    report = check(path, isolated=True, allowed_regions=["AE"])
    assert [(d.line, d.code) for d in report] == [(3, "P203")]


def test_suffix_is_counted_in_parts(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "recipient,message\n+989351234567," + "a" * 160 + "\n")
    assert [d.code for d in check(path, isolated=True, select=["M201"], max_parts=1)] == []
    report = check(path, isolated=True, select=["M201"], max_parts=1, suffix=" لغو11")
    assert [d.code for d in report] == ["M201"]


def test_a_missing_file_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    report = check(tmp_path / "nope.csv", isolated=True)
    assert [d.code for d in report] == ["F101"]


def test_directories_are_searched_for_csv_and_xlsx(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    _write(tmp_path, "sub/a.csv", "recipient,message\n09061234567,hi\n")
    _write(tmp_path, ".hidden/b.csv", "recipient,message\n09061234567,hi\n")
    _write(tmp_path, "notes.txt", "not a recipient file")
    report = check(tmp_path, isolated=True)
    assert [Path(f.path).name for f in report.files] == ["a.csv"]


def test_report_json_round_trips(tmp_path: Path) -> None:
    import json

    report = check(EXAMPLES / "messy.csv", isolated=True)
    data = json.loads(report.to_json())
    assert data["summary"]["errors"] == report.errors
    assert len(data["diagnostics"]) == len(report)
    assert all(d["line"] >= 1 for d in data["diagnostics"])


def test_large_files_analyzed_in_slices_report_exactly_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files over ANALYSIS_ROWS are analyzed a slice at a time to bound memory; the
    findings (duplicates across slices, D103 across files included) must not change."""
    import importlib

    check_module = importlib.import_module("p2pfile.check")
    messy = (Path(__file__).parent.parent / "examples" / "messy.csv").read_text("utf-8")
    extra = "۰۹۱۲ ۳۴۵ ۶۷۸۹,سلام\n09123456789,سلام\n+98 912 345 6789,other\n"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(messy + extra, "utf-8")
    second.write_text("recipient,message\n9123456789,سلام\n", "utf-8")
    whole = check([first, second], isolated=True)
    for rows in (1, 3, 8):
        monkeypatch.setattr(check_module, "ANALYSIS_ROWS", rows)
        sliced = check([first, second], isolated=True)
        assert sliced.frame.equals(whole.frame), rows
        assert sliced.files == whole.files
    assert {"D101", "D102", "D103"} <= set(whole.frame.get_column("code"))


def test_small_files_checked_together_report_exactly_as_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small files are analyzed in batches (one query for many files); each file's
    findings, duplicates within it, D103 across files, per-file ignores, unreadable
    and empty files and summaries must be what checking each file alone gives."""
    import importlib

    check_module = importlib.import_module("p2pfile.check")
    messy = (EXAMPLES / "messy.csv").read_text("utf-8")
    files = {
        "a.csv": messy,
        # The same recipients as in a.csv, and duplicates of its own on the same lines
        # numbers as a.csv's: never duplicates of a.csv's rows, except as D103.
        "b.csv": "recipient,message\n09121234567,hi\n+989121234567,hi\n9121234567,other\n",
        "c.csv": "recipient,message\n09121234567,hi\n",
        "empty.csv": "",
        "header.csv": "recipient,message\n",
        "ignored.csv": messy,
        "d.csv": "recipient,message\n09351234567,x\n0935 123 4567,x\n",
    }
    for name, text in files.items():
        _write(tmp_path, name, text)
    paths = [tmp_path / n for n in files] + [tmp_path / "missing.csv", tmp_path / "c.csv"]
    options = {"per_file_ignores": {"ignored.csv": ["P1", "D"]}}
    monkeypatch.setattr(check_module, "BATCH_ROWS", 0)
    alone = check(paths, isolated=True, **options)
    monkeypatch.setattr(check_module, "BATCH_ROWS", 50_000)
    together = check(paths, isolated=True, **options)
    assert together.files == alone.files
    assert together.frame.equals(alone.frame)
    codes = set(alone.frame.get_column("code"))
    assert {"D101", "D102", "D103", "F101", "F106", "P102"} <= codes
    b_dups = alone.frame.filter((c("path") == str(tmp_path / "b.csv")) & (c("code") == "D101"))
    assert b_dups.get_column("related_line").to_list() == [2]
    ignored = alone.frame.filter(c("path") == str(tmp_path / "ignored.csv"))
    assert not ignored.filter(
        c("code").str.starts_with("D") | c("code").str.starts_with("P1")
    ).height
    assert ignored.height


# -- the message rules' prefilters: cheap tests of odd_chars that keep every hit -------

# Every kind of character a message rule or the analysis looks at, and the plain
# text around them (Persian digits first in Latin text: the odd_chars stretch).
_PIECES = [
    *"ab Z09.,!?%<>$@_\n",
    *"سلامکگپچژیۀآ،؛؟٪\u064b\u200c",
    *"۰۱۲۳۴۵۶۷۸۹",
    *"\u064a\u0643",  # M301
    "\r",
    "\r\n",  # M204
    *"\t\x00\x0b\x0c\x1b\x1c\x7f\x85\x9f",  # M103
    *"éÇçØÃÂ«»\xa0\ufffd",
    "Ã©",
    "Ø³Ù„Ø§Ù…",
    "ÓáÇã",
    "ط³ظ„ط§ظ…",
    "ع©ط¯",
    "â€Œ",
    "????",
    "عل?ی",  # M104
    *"\u202a\u202b\u202e\u2066\u2069",  # M105
    *"\u201c\u201d\u2019\u2013\u2026\u200b\ufeff\xad\u2060`",
    *"٠١٢٣",  # M203
    *"{}[]~|^\\€",  # GSM escape pairs
    "\U0001f600",
    "\U0001f44d\U0001f3fd",
    "\U000e0067",  # astral
    *"\u3000\u2028\u1680\u200d\u0414\u4e2d",
    "{name}",
    "%s",
]


@st.composite
def _messages(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(_PIECES), max_size=12))
    if draw(st.booleans()):
        # Long enough that a GSM-7 rewrite saves a part (M203).
        pieces.insert(draw(st.integers(0, len(pieces))), "a" * draw(st.sampled_from([60, 150])))
    return "".join(pieces)


def _analyzed(texts: list[str], options: Options) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "line": range(2, len(texts) + 2),
            "row": range(1, len(texts) + 1),
            "recipient": ["+989121112233"] * len(texts),
            "message": texts,
        },
        schema={"line": pl.Int64, "row": pl.Int64, "recipient": pl.String, "message": pl.String},
    )
    return analyze(frame, options)


def _message_findings(options: Options) -> list[tuple[str, Finding]]:
    checks = [(r.code, r.check) for r in all_rules() if r.field == "message"]
    return [(code, check(options)) for code, check in checks if check is not None]


def _missed(analyzed: pl.DataFrame, options: Options) -> dict[str, list[str]]:
    """For each message rule, the messages it hits that its prefilter drops (none, we hope)."""
    missed = {
        code: finding.hit.fill_null(value=False) & ~finding.prefilter.fill_null(value=False)
        for code, finding in _message_findings(options)
        if finding.prefilter is not None
    }
    masks = analyzed.select(**missed)
    return {
        code: analyzed.filter(masks.get_column(code)).get_column("message").to_list()
        for code in missed
        if masks.get_column(code).any()
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_messages(), min_size=1, max_size=8), st.sampled_from(["", " لغو11", "!", "“"]))
def test_message_prefilters_keep_every_hit(texts: list[str], suffix: str) -> None:
    options = Options(suffix=suffix)
    assert _missed(_analyzed(texts, options), options) == {}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_messages(), min_size=1, max_size=8))
def test_message_prefilters_hold_after_fixes_on_the_odd_chars_as_read(texts: list[str]) -> None:
    """``fix`` re-analyzes the rows a fix changed but may keep their ``odd_chars`` as read:
    the prefilters must still keep every hit of every rule after any chain of fixes."""
    options = Options()
    analyzed = _analyzed(texts, options)
    as_read = analyzed.get_column("odd_chars")
    fixes = sorted(
        ((code, f) for code, f in _message_findings(options) if code in MESSAGE_FIX_ORDER),
        key=lambda code_finding: MESSAGE_FIX_ORDER.index(code_finding[0]),
    )
    for code, finding in fixes:
        assert finding.replacement is not None
        prefilter = pl.lit(value=True) if finding.prefilter is None else finding.prefilter
        fixed = analyzed.select(
            pl.when((prefilter & finding.hit).fill_null(value=False))
            .then(finding.replacement)
            .otherwise(c("message"))
        )
        analyzed = _analyzed(fixed.to_series().to_list(), options).with_columns(odd_chars=as_read)
        assert _missed(analyzed, options) == {}, code


def test_analyze_returns_the_analyzed_columns() -> None:
    analyzed = _analyzed(["hi", "سلام \U0001f600"], Options())
    assert set(ANALYZED_COLUMNS) <= set(analyzed.columns)


def test_a_large_files_text_is_let_go_before_its_findings_are_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 10M-row memory contract: nothing holds the file read (its text) when the
    packed findings of its slices are opened; a reference left in ``check_files``
    once raised the 10M check's peak from 3.9 to 4.1 GB."""
    import gc
    import importlib
    import weakref

    check_module = importlib.import_module("p2pfile.check")
    monkeypatch.setattr(check_module, "ANALYSIS_ROWS", 2)
    monkeypatch.setattr(check_module, "BATCH_ROWS", 0)
    path = _write(tmp_path, "big.csv", "recipient,message\n" + "09121234567,hi\n" * 5)
    reads: list[weakref.ref[object]] = []
    read = check_module._read

    def tracked(source: object, plan: object) -> object:
        result = read(source, plan)
        reads.append(weakref.ref(result))
        return result

    alive_at_merge: list[bool] = []
    merged = check_module._Sliced.merged

    def checking(self: object) -> pl.DataFrame:
        gc.collect()
        alive_at_merge.append(reads[-1]() is not None)
        return merged(self)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "_read", tracked)
    monkeypatch.setattr(check_module._Sliced, "merged", checking)
    report = check(path, isolated=True)
    assert alive_at_merge == [False]
    assert [d.code for d in report].count("D101") == 4


def test_avoidable_ucs2_is_reported_only_when_the_rewrite_costs_less(tmp_path: Path) -> None:
    """A GSM-7 part costs about 2.5 UCS-2 parts: 2 UCS-2 parts rewritten to 1 GSM-7 part
    is dearer, 3 to 1 cheaper. With a tariff, the costs are in rials, by operator."""
    two = "\u201c" + "a" * 100 + "\u201d"  # 102 units: 2 UCS-2 parts, 1 GSM-7 part
    three = "\u201c" + "a" * 150 + "\u201d"  # 152 units: 3 UCS-2 parts, 1 GSM-7 part
    path = tmp_path / "f.csv"
    path.write_text(
        f"recipient,message\n09121234567,{two}\n09121234568,{three}\n09351234567,{two}\n",
        "utf-8",
    )
    found = {d.line: d.message for d in check(path, isolated=True) if d.code == "M203"}
    assert found == {
        3: "UCS-2 only because of look-alikes (first: U+201C LEFT DOUBLE QUOTATION MARK); "
        "as GSM-7 it is 1 part(s), not 3, cheaper though a GSM-7 part costs about 2.5 "
        "UCS-2 parts"
    }
    # A tariff where MCI's GSM-7 parts cost what its UCS-2 parts do: 2 to 1 pays there.
    tariff = {
        "persian_mci": 1000,
        "english_mci": 1000,
        "persian_other": 1000,
        "english_other": 2500,
    }
    found = {
        d.line: d.message for d in check(path, isolated=True, tariff=tariff) if d.code == "M203"
    }
    assert sorted(found) == [2, 3]  # line 4 is Irancell: 2,500 is not less than 2,000
    assert found[2].endswith("as GSM-7 it is 1 part(s), not 2: 1000 rials instead of 2000")
