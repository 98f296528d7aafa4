"""Messages as real exports damage them: mojibake, letters lost to "?", spreadsheet leftovers.

Each case is a literal copy of what LibreOffice, Excel or pandas wrote (the
red-team files ``lo04``, ``lo11``, ``lo13``, ``lo14``, ``mj01``, ``fm01``), checked
through ``check``: the code and message a user reads.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from p2pfile.check import check
from p2pfile.report import Report


def _check_messages(tmp_path: Path, messages: list[str], **settings: object) -> Report:
    """check() on a CSV of one valid recipient per message (each message quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["recipient", "message"])
    for i, message in enumerate(messages):
        writer.writerow([f"0912100{i:04d}", message])
    path = tmp_path / "m.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    settings.setdefault("select", ["ALL"])
    return check(path, isolated=True, **settings)


def _by_row(report: Report, code: str) -> dict[int, str]:
    """Messages of ``code`` by 0-based index of the message (rows are 1-based)."""
    return {d.row - 1: d.message for d in report if d.code == code}


def _hits(tmp_path: Path, messages: list[str], code: str) -> list[str]:
    """The messages ``code`` fires on."""
    found = _by_row(_check_messages(tmp_path, messages), code)
    return [m for i, m in enumerate(messages) if i in found]


# -- M104: UTF-8 read as Windows-1256 ------------------------------------------------

#: UTF-8 Persian opened as Windows-1256 and saved again (LibreOffice, Excel on a
#: Persian Windows): lo14, lo13 and mj01, and what they should read.
UTF8_AS_CP1256 = {
    "ط³ظ„ط§ظ… ط¹ظ„غŒ ط¬ط§ظ†طŒ ط³ظپط§ط±ط´ ط´ظ…ط§": "سلام علی جان، سفارش شما",
    "طھط®ظپغŒظپ غ²غ°ظھ طھط§ ط¬ظ…ط¹ظ‡": "تخفیف ۲۰٪ تا جمعه",
    "ط³ظ„ط§ظ…\nط®ط· ط¯ظˆظ…": "سلام\nخط دوم",
    "ظ‚غŒظ…طھ: 1,250,000 ط±غŒط§ظ„": "قیمت: 1,250,000 ریال",
    "ع©ط¯ طھط§غŒغŒط¯ ط´ظ…ط§ غ±غ²غ³غ´ ط§ط³طھ": "کد تایید شما ۱۲۳۴ است",
    "ظ…ط´طھط±غŒ ع¯ط±ط§ظ…غŒ": "مشتری گرامی",
    # ZWNJ (E2 80 8C) and an emoji come through too; an opt-out word added afterwards
    # in real Persian does not hide the damage.
    "ظ…غŒâ€Œط±ظˆغŒظ… ًںکٹ": "می\u200cرویم \U0001f60a",
    "ط³ظ„ط§ظ… ط¯ظˆط³طھ ظ…ظ† لغو۱۱": "سلام دوست من لغو۱۱",
}


def test_utf8_read_as_cp1256_is_mojibake(tmp_path: Path) -> None:
    messages = list(UTF8_AS_CP1256)
    found = _by_row(_check_messages(tmp_path, messages), "M104")
    assert sorted(found) == list(range(len(messages)))
    for i, text in enumerate(messages):
        assert found[i] == (
            "garbled text (mojibake): UTF-8 text was read as Windows-1256 (cp1256); "
            "it should read: " + UTF8_AS_CP1256[text][:40]
        )


#: Real messages: Persian with every letter cp1256 puts among the continuation bytes
#: (پ چ ژ گ ک ، ؛ ؟), after ط ظ ع غ where Persian allows it, Persian digits, ZWNJ,
#: « », Arabic, English, emoji, and text with typographic quotes and dashes.
GENUINE = [
    "سلام علی جان، سفارش شما ارسال شد",
    "کد تایید شما ۱۲۳۴ است",
    "مشتری گرامی، تخفیف ۲۰٪ تا جمعه",
    "عکس‌ها را ببینید؛ موضوع «جدید» است",
    "موضوع؟ لطفا پاسخ دهید",
    "طپش قلب، عچ، غژ، ظگ، طک",
    "می‌روم به بازار و برمی‌گردم",
    "باغ‌های شیراز در بهار زیباست",
    "شرکت پژواک: پیش‌فاکتور شماره ۱۲۵ صادر شد",
    "قطع برق فردا ساعت ۱۰ تا ۱۲ در منطقه ۵",
    "ضمن عرض تبریک، «چهارشنبه‌سوری» مبارک!",
    "عزیزم، فردا ساعت ۸ صبح منتظرت هستم.",
    "چطوری؟ کجایی؟ چرا جواب نمی‌دی؟",
    "مرحبا بكم في متجرنا، الخصم ٢٠٪",
    "السلام عليكم ورحمة الله وبركاته",
    "Your code is 4821",
    "“Sale” — 50% off… today only ‘really’",
    "Prix: 20 € ; café, naïve, Œuvre ™ ©",
    "سلام 😊👍🏽 خوش آمدید",
    "موضوع‌ها: ۱) ارسال ۲) دریافت",
    "اطلاعیه: طرح «طلایی» فعال شد",
    "ع‌ ط‌ ظ‌ غ‌",
]


def test_genuine_text_is_not_mojibake(tmp_path: Path) -> None:
    assert _hits(tmp_path, GENUINE, "M104") == []


# -- M104: letters lost to "?" -------------------------------------------------------

LOST = "letters were replaced by '?' when the file was saved in an encoding without them: " + (
    "re-export as UTF-8"
)

QUESTION_MARKS_LOST = [
    # cp1252 (lo04): every Persian letter is "?".
    "???? ??? ???? ????? ??? ????? ??",
    "????? ??? ?? ????",
    "????\n?? ???",
    "????: 1,250,000 ????",
    "???????????",
    # cp1256 (lo04): ی, Persian digits and ٪ are not in it.
    "تخف?ف ??? تا جمعه",
    "ق?مت: 1,250,000 ر?ال",
    "کد شما ???? است، ممنون",
    "(????) سفارش",
    # Red team 9: a UTF-8 template (its ی kept) merged with a name from a cp1256 source.
    "فر?با عزیز، سفارش شما ارسال شد",
    "م?ثم گرامی، کد شما ۴۵۶۷ است",
]


def test_letters_lost_to_question_marks_are_m104(tmp_path: Path) -> None:
    found = _by_row(_check_messages(tmp_path, QUESTION_MARKS_LOST), "M104")
    assert found == dict.fromkeys(range(len(QUESTION_MARKS_LOST)), LOST)


QUESTION_MARKS_MEANT = [
    "خوبی?",
    "خوبی? فردا میای?",
    "Really??",
    "Really?? Yes!",
    "What?!??",
    "Really ??",
    "چرا ??",
    "کی میای ???",
    "Is it 5?",
    "?",
    "? yes",
    "https://example.com/?a=1&b=2",
    "سلام? ok",
    # Red team 8: a question mark typed without its space after a ی, which an export
    # that loses letters would have turned into "?" too.
    "سلام علی جان، خوبی?فردا میای؟",
    "کجایی?بیا بیرون",
]


def test_question_marks_meant_as_such_are_fine(tmp_path: Path) -> None:
    assert _hits(tmp_path, QUESTION_MARKS_MEANT, "M104") == []


# -- M402: LibreOffice's error values and more formula text ----------------------------

#: lo11 (LibreOffice's CSV of failed formulas) and fm01 (formulas shown as text).
ARTIFACTS = {
    "Err:502": "the message is a spreadsheet artifact: Err:502",
    "Err:520": "the message is a spreadsheet artifact: Err:520",
    " err:504 ": "the message is a spreadsheet artifact: err:504",
    "#NAME?": "the message is a spreadsheet artifact: #NAME?",
    "NA": "the message is a spreadsheet artifact: NA",  # R's missing value
    "=Sheet2!B3": "the message is a spreadsheet formula, not its value: =Sheet2!B3",
    "='Sheet 2'!B3": "the message is a spreadsheet formula, not its value: ='Sheet 2'!B3",
    "=Data!$B$2": "the message is a spreadsheet formula, not its value: =Data!$B$2",
    "=برگه۱!A1": "the message is a spreadsheet formula, not its value: =برگه۱!A1",
    "=1+1": "the message is a spreadsheet formula, not its value: =1+1",
    "=10*2": "the message is a spreadsheet formula, not its value: =10*2",
    "= 2.5 * 4 - 1": "the message is a spreadsheet formula, not its value: = 2.5 * 4 - 1",
}


def test_libreoffice_errors_sheet_references_and_arithmetic_are_m402(tmp_path: Path) -> None:
    found = _by_row(_check_messages(tmp_path, list(ARTIFACTS)), "M402")
    assert found == dict(enumerate(ARTIFACTS.values()))


NOT_FORMULAS = [
    "=== SALE ===",
    "= 50% off =",
    "=)",
    "=Hello there, your order is ready",
    "=Wow!Great news",
    "=100",
    "=2+2 is 4",
    "=1/2 price today",
    "Err:502 is what the sheet showed",
    "Error: 502",
    "Err:50",
    "سلام =A1",
]


def test_text_that_only_looks_like_a_formula_or_error_is_a_message(tmp_path: Path) -> None:
    assert _hits(tmp_path, NOT_FORMULAS, "M402") == []


# -- M401: what is a placeholder, and what is only bracketed text ----------------------


def test_tags_brands_quotes_and_opt_out_words_are_not_placeholders(tmp_path: Path) -> None:
    # Red team 5/6: every row of a campaign tagged [فوری] or quoting <<یلدا>> was an
    # error, so fix rejected whole campaigns.
    text = [
        "جشنواره <<یلدا>> با ۳۰٪ تخفیف آغاز شد",
        "[فوری] قطعی آب فردا از ساعت ۸ تا ۱۲",
        "کد تخفیف شما: YALDA30 [لغو11]",
        "<<اطلاعیه>> کلاس فردا تشکیل نمی\u200cشود",
        "[VIP] Your exclusive offer is ready",
        "[Snapp] Your code is 1234",
        "[دیجی\u200cکالا] سفارش شما ارسال شد",
        "کد تایید شما: 4821 [بانک ملت]",
        "Pay with $USD or €",
    ]
    assert _hits(tmp_path, text, "M401") == []


def test_template_variables_in_any_bracket_are_placeholders(tmp_path: Path) -> None:
    variables = [
        "Dear [name], your order shipped",
        "Dear [Name], your order shipped",
        "سلام [نام] عزیز",
        "مشتری گرامی <FIRST_NAME>",
        "[نام_مشتری] عزیز",
        "Hi $firstName!",
        "کد شما <کد> است",
        "Total: $amount.",
        "Hello {VIP}",
    ]
    assert _hits(tmp_path, variables, "M401") == variables
    found = _by_row(_check_messages(tmp_path, variables), "M401")
    assert found[1].endswith("[Name]")
    assert found[5].endswith("$firstName")


# -- M104: signs that share Latin-1's letter range ----------------------------------


def test_masked_card_numbers_are_not_mojibake(tmp_path: Path) -> None:
    # × (U+00D7) sits among Latin-1's letters; a masked card number is no cp1256 damage.
    masked = ["برداشت از کارت 6037-××××-××××-1234 مبلغ ۵۰۰٬۰۰۰ ریال", "÷÷÷ تقسیم"]
    assert _hits(tmp_path, masked, "M104") == []
    assert _hits(tmp_path, ["ÓáÇã Úáí"], "M104") == ["ÓáÇã Úáí"]


def test_crm_fields_in_any_case_or_spelling_are_placeholders(tmp_path: Path) -> None:
    # Red team 7: narrowing M401 to lower case and a few field words let these through,
    # so fix wrote them as clean; a missed placeholder goes to every recipient.
    variables = [
        "[FName] عزیز، کد تخفیف شما [DiscountCode] است",
        "سفارش [OrderID] ارسال شد",
        "موجودی شما [Balance] ریال",
        "ایمیل: [EMAIL]",
        "سلام [نام مشتری] عزیز",
        "[مشتري] گرامی",  # Arabic ي, as CRM data has it (M301 would fix it afterwards)
        "کد پیگیری: [کدپیگیری]",
        "[نام\u200cمشتری] عزیز",
        "Your code: [CODE]",
        "[Name] عزیز، خوش آمدید",  # a field at the start is no brand tag
        "[Snapp] Dear [FName]",  # after a brand tag
    ]
    assert _hits(tmp_path, variables, "M401") == variables
    found = _by_row(_check_messages(tmp_path, variables), "M401")
    assert found[5].endswith("[مشتري]")
    assert found[10].endswith("[FName]")
    assert _hits(tmp_path, ["[SALE] 50% off", "[100_000] تومان"], "M401") == []


def test_positional_and_panel_token_slots_are_placeholders(tmp_path: Path) -> None:
    # .NET's String.Format and the shared-line patterns of Iranian SMS panels write
    # {0}, {1}; verification templates write %token, %token2 (no closing %). Each was
    # sent to every recipient as it stood.
    slots = [
        "سلام {0} عزیز، سفارش {1} ارسال شد",
        "کد تایید شما: %token",
        "کد: %token2 - مبلغ %token3 ریال",
        "Hi {12}",
        "Code %token%",
    ]
    assert _hits(tmp_path, slots, "M401") == slots
    found = _by_row(_check_messages(tmp_path, slots), "M401")
    assert found[0].endswith("{0}")
    assert found[1].endswith("%token")
    assert found[4].endswith("%token%")
    text = ["{100} تومان", "50%tokens off", "%tokenize", "{ 0 }"]
    assert _hits(tmp_path, text, "M401") == []


def test_persian_names_with_zwnj_marks_or_spaces_are_placeholders(tmp_path: Path) -> None:
    # Red team 8: the commonest Persian field, نام‌خانوادگی, is spelled with a ZWNJ, and
    # CRM fields have spaces; fix wrote all of these as clean. Red team 9: a kasra, a
    # no-break space, .NET's {0:N0} and a Persian-digit {۰}.
    slots = [
        "{نام\u200cخانوادگی} گرامی",
        "{نام مشتری} عزیز، سفارش شما ارسال شد",
        "{ name } عزیز",
        "{first name}, your order shipped",
        "%نام مشتری% عزیز",
        "{نامِ مشتری} عزیز",
        "{نام\u00a0خانوادگی} گرامی",
        "مبلغ {0:N0} ریال",
        "مبلغ {0:#,##0} تومان",
        "سلام {۰}",
    ]
    assert _hits(tmp_path, slots, "M401") == slots
    found = _by_row(_check_messages(tmp_path, slots), "M401")
    assert found[0].endswith("{نام\u200cخانوادگی}")
    assert found[4].endswith("%نام مشتری%")
    assert found[7].endswith("{0:N0}")


def test_hashtags_percentages_decorations_and_url_escapes_are_text(tmp_path: Path) -> None:
    # Red team 9: the first version of the rule above rejected these campaigns.
    text = [
        "#موبایل #گوشی #سامسونگ",
        "#کد_تخفیف #یلدا",
        "#ساعت هوشمند #اپل",
        "#BlackFriday#DigikalaSale",
        "#digikala#sale",
        "50%OFF extra10%",
        "۲۰%تا۳۰%",
        "Get 20%off for 30% more",
        "۲۰%تخفیف ویژه و ۳۰% بیشتر",
        "{ جدید } محصولات",
        "{شگفت انگیز} تا جمعه",
        "https://example.ir/search?q=%D8%AA%D8%AE%D9%81%DB%8C%D9%81",
        "کد *123# را بگیرید",
        "50% off, 70% more",
        "#تخفیف# #یلدا",
        "#1# شماره",
    ]
    assert _hits(tmp_path, text, "M401") == []


# -- M205: a part boundary with a pair that cannot be split ---------------------------


def test_near_boundary_counts_the_unit_a_straddling_pair_wastes(tmp_path: Path) -> None:
    # Red team 8: an escape pair or an emoji never splits between parts, so ]x153 (306
    # septets) bills 3 parts, and M205 said nothing; for a Persian text with an emoji
    # it named a cut that saved no part.
    messages = [
        "]" * 153,
        "a" * 152 + "€" + "a" * 152,
        "\U0001f600" * 67,
        "س" * 66 + "\U0001f600" + "س" * 67,
        "a" * 161,
        "a" * 160,
        "a" * 157 + "€",  # 159 septets: one part, nothing near
    ]
    found = _by_row(_check_messages(tmp_path, messages), "M205")
    assert sorted(found) == [0, 1, 2, 3, 4]
    assert found[0] == (
        "2 unit(s) over a part boundary: 3 part(s); 2 fewer units at the end make it 2"
    )
    assert found[1].startswith("1 unit(s)")
    assert found[3].startswith("2 unit(s)")  # the last س alone leaves 3 parts
    assert found[4].endswith("1 fewer units at the end make it 1")
