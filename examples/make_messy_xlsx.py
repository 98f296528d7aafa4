"""Write ``examples/messy.xlsx``: a workbook as a Persian CRM export or an Excel user makes one.

The committed file is this script's output (``tests/test_examples.py`` checks that
they agree); run it again after changing it::

    python examples/make_messy_xlsx.py            # writes examples/messy.xlsx
    python examples/make_messy_xlsx.py out.xlsx

What it shows, by Excel row (``p2pfile check examples/messy.xlsx``):

* row 1: a Persian header (F202, a known alias: safe fix);
* row 2: a recipient stored as a number, its leading zero gone (F109, P104);
* row 3: Persian digits and spaces (P101, P102);
* row 4: an empty row (F206);
* row 5: row 2's recipient and message again, spelled ``+98 912 ...`` (D101);
* row 6: an error cell, ``#N/A`` from a failed lookup (P201);
* row 7: a message with Excel's CRLF line break (M204);
* row 8: an unfilled ``{name}`` (M401);
* row 9: Arabic ي and ك in Persian text (M301);
* row 10: a row hidden by a filter (F110);
* row 11: a landline (P204);
* row 12: a number Excel turned to scientific notation and back to text (P206);
* row 13: row 2's recipient with another message (D102);
* sheet 2: recipients left on another sheet, which the provider never reads (F107).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import xlsxwriter

__all__ = ["write"]

HERE = Path(__file__).resolve().parent


def write(path: str | Path) -> Path:
    """Write the workbook to ``path`` and return it."""
    wb = xlsxwriter.Workbook(str(path))
    # A fixed date: the same bytes of document properties on every run.
    wb.set_properties({"created": datetime(2026, 11, 29, tzinfo=timezone.utc)})
    ws = wb.add_worksheet("ارسال")
    ws.right_to_left()
    ws.write_row(0, 0, ["شماره موبایل", "متن پیام"])
    ws.write_number(1, 0, 9121234567)
    ws.write_string(1, 1, "سلام علی، سفارش شما ارسال شد")
    ws.write_row(2, 0, ["۰۹۳۵ ۱۲۳ ۴۵۶۷", "کد ورود شما ۱۲۳۴۵ است"])
    # Row 4 is left empty.
    ws.write_row(4, 0, ["+98 912 123 4567", "سلام علی، سفارش شما ارسال شد"])
    ws.write_formula(5, 0, '=VLOOKUP("Sara",D:E,2,FALSE)', None, "#N/A")
    ws.write_string(5, 1, "سارا جان، تولدت مبارک")
    ws.write_row(6, 0, ["09371234567", "خط اول\r\nخط دوم"])
    ws.write_row(7, 0, ["09381234567", "Dear {name}, your order is ready"])
    ws.write_row(8, 0, ["09391234567", "کتاب يك هديه"])
    ws.write_row(9, 0, ["09351234569", "تخفیف ویژه فقط برای شیراز"])
    ws.set_row(9, None, None, {"hidden": True})
    ws.write_row(10, 0, ["021 8877 6655", "جلسه ساعت ۱۰"])
    ws.write_row(11, 0, ["9.12346E+09", "Hi there"])
    ws.write_row(12, 0, ["09121234567", "پیام دوم برای همان گیرنده"])
    ws.autofilter(0, 0, 12, 1)
    old = wb.add_worksheet("شماره‌های قدیمی")
    old.write_row(0, 0, ["شماره", "پیام"])
    old.write_row(1, 0, ["09121112233", "این ردیف ارسال نمی‌شود"])
    wb.close()
    return Path(path)


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else HERE / "messy.xlsx")
