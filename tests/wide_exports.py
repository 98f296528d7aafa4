"""Helpers shared by the tests of wide CRM exports (test_extra_columns, test_title_wide)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from p2pfile.check import check
from p2pfile.fix import FixResult
from p2pfile.reader import FileIssue, ReadResult

CRM = 'Name,Mobile,Message\nAli,09123456789,Hello Ali\nSara,0912 345 6780,"Hi, Sara"\n'
PERSIAN = "نام,موبایل,متن پیام\nعلی,09123456789,سلام علی\nسارا,09351234567,درود\n"


def rows(result: ReadResult) -> list[tuple[object, ...]]:
    return result.frame.rows()


def issue(result: ReadResult, code: str) -> FileIssue:
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, result.issues
    return found[0]


def write(tmp_path: Path, text: str, name: str = "crm.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def workbook(tmp_path: Path, table: list[list[object]], name: str = "crm.xlsx") -> Path:
    """One sheet; a number is stored as a number, a str as text, None as no cell."""
    path = tmp_path / name
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, values in enumerate(table):
        for col, value in enumerate(values):
            if isinstance(value, str):
                ws.write_string(r, col, value)
            elif value is not None:
                ws.write_number(r, col, value)
    wb.close()
    return path


def accounted(result: FixResult) -> None:
    """Every row in is written, rejected or a duplicate dropped."""
    assert result.rows_in == result.rows_written + result.rows_rejected + result.duplicates_dropped


def errors(path: Path) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in check(path, isolated=True) if d.severity == "error"]
