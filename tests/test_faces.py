"""The two faces agree: vectorized == scalar, on generated input, nasty cases included.

Generated numbers mix what real files hold: every prefix form, digit scripts
per character, separators and invisible marks, spreadsheet wrappers, float
and scientific artifacts, and junk. Generated messages mix GSM basic and
extension characters, Persian with ZWNJ, astral emoji and look-alikes, with
lengths around every part boundary.
"""

from __future__ import annotations

import phonenumbers
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p2pfile import analyze_message, analyze_messages, normalize_number, normalize_numbers
from p2pfile._phone_meta import display_carrier
from p2pfile.sms import GSM_BASIC, GSM_EXTENSION

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC = "٠١٢٣٤٥٦٧٨٩"
MARKS = [
    "\u200c",
    "\u200d",
    "\u200b",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2069",
    "\ufeff",
    "\xad",
    "\u2060",
]
SPACES = [" ", "\xa0", "\u2009", "\u202f", "\u3000", "\t", "\r\n", "\x1c"]
# What cells are padded with: marks, spaces, and the NULs of fixed-width exports.
PADDING = [*MARKS, *SPACES, "\x00", "\x00\x00\x00"]
SEPARATORS = ["-", ".", "(", ")", "/", "\u2013", "\u2212", "\ufe63", "\uff0d", *SPACES]
PREFIXES = [
    "",
    "0",
    "+98",
    "0098",
    "98",
    "+980",
    "980",
    "098",
    "+0",
    "+",
    "00",
    "+0098",
    "9898",
    "+1",
    "+44",
    "0044",
    "+971",
    "+7",
    "+91",
    "+999",
    "0000",
]
WRAPPERS = [
    "{}",
    "'{}",
    "\u2019{}",
    '="{}"',
    "={}",
    '"{}"',
    "{}.0",
    "{}.00",
    "{},0",
    "{},00",
    "{},5",
    "{},50",
    " {} ",
    "{}+",
    "= {}",
    '""{}""',
    "{},",
    "tel:{}",
    "{} ext 2",
    "nan",
    "NA",
    "#N/A",
    "#div/0!",
    "#NULL!",
    "Err:502",
    "err:520",
    "Err:5021",
    "N/A",
    "=SUM({})",
    "{}e+09",
]
BLOCK_STARTS = [
    "90",
    "91",
    "92",
    "93",
    "94",
    "95",
    "96",
    "97",
    "98",
    "99",
    "21",
    "30",
    "10",
    "50",
    "20",
    "9955",
    "9951",
    "9998",
    "9999",
    "9412",
    "9601",
    "3000",
    "5000",
]


@st.composite
def digit_char(draw: st.DrawFn, ascii_digit: str) -> str:
    script = draw(st.sampled_from(["ascii", "ascii", "ascii", "persian", "arabic"]))
    d = int(ascii_digit)
    return {"ascii": ascii_digit, "persian": PERSIAN[d], "arabic": ARABIC[d]}[script]


@st.composite
def number_cells(draw: st.DrawFn) -> str:
    start = draw(st.sampled_from(BLOCK_STARTS))
    length = draw(st.sampled_from([3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 11, 12]))
    tail = draw(st.text(alphabet="0123456789", min_size=0, max_size=max(0, length - len(start))))
    digits = draw(st.sampled_from(PREFIXES)) + start + tail
    out: list[str] = []
    for ch in digits:
        if ch.isdigit():
            out.append(draw(digit_char(ch)))
        else:
            out.append(ch)
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS + MARKS)))
    cell = "".join(out)
    if draw(st.booleans()):
        cell = draw(st.sampled_from(WRAPPERS)).format(cell)
    if draw(st.integers(0, 5)) == 0:
        cell = draw(st.sampled_from(PADDING)) + cell + draw(st.sampled_from(PADDING))
    return cell


scientific = st.builds(
    lambda m, f, sep, e, exp, digits: f"{m}{sep}{f}{e}{exp}".translate(digits),
    st.integers(1, 9),
    st.integers(0, 99999),
    # ٫ (U+066B) and / are the decimal separators of Persian-locale exports.
    st.sampled_from([".", ",", "\u066b", "/", "\u066c"]),
    st.sampled_from(["E+", "e+", "E", "e-"]),
    st.integers(0, 12),
    st.sampled_from(
        [{}, str.maketrans("0123456789", PERSIAN), str.maketrans("0123456789", ARABIC)]
    ),
)
junk = st.lists(
    st.sampled_from(
        list("0123456789+-.()/'=\" ,;|*#_aOeE")
        + MARKS
        + SPACES
        + list(PERSIAN + ARABIC)
        + ["३", "١", "\x00", "\n"]
    ),
    max_size=18,
).map("".join)
# Two numbers in one cell, as CRMs join them.
two_numbers = st.builds(
    lambda a, sep, b: f"{a}{sep}{b}",
    number_cells(),
    st.sampled_from(["", " ", "/", ",", " - ", ";", "\n", " \u0648 "]),
    number_cells(),
)
# A spreadsheet's decimal number: digits, ".", one to three digits (three is no decimal).
decimals = st.builds(
    lambda a, sep, b: f"{a}{sep}{b}",
    number_cells(),
    st.sampled_from([".", ". ", "\u066b"]),
    st.text(alphabet="0123456789" + PERSIAN, min_size=1, max_size=3),
)
any_cell = st.one_of(
    number_cells(), number_cells(), scientific, junk, two_numbers, decimals, st.text(max_size=16)
)


def _scalar_row(cell: str) -> tuple[object, ...]:
    r = normalize_number(cell)
    return (r.e164, r.reason, r.operator, r.foreign, list(r.forms))


@settings(SETTINGS, max_examples=250)
@given(st.lists(any_cell, min_size=1, max_size=40))
def test_vectorized_numbers_equal_scalar(cells: list[str]) -> None:
    frame = normalize_numbers(cells)
    vectorized = list(frame.select("e164", "reason", "operator", "foreign", "forms").iter_rows())
    assert vectorized == [_scalar_row(c) for c in cells]


def test_vectorized_numbers_equal_scalar_on_nasty_spec_cases() -> None:
    cells = [
        "912100030.5",
        "9123456789.50",
        "'9123456789.5",
        "۹۱۲۳۴۵۶۷۸۹.۵",
        "9123456789.0",
        "0912.345.6789",
        "0912345.678",
        "0912\u200c345\u200c6789",
        "\u202b۰۹۱۲۳۴۵۶۷۸۹\u202c",
        "912٣٤٥६७८९",
        "+98 98 912 345 6789",
        "00919123456789",
        "9.12346E+09",
        "912345678.0",
        "9123456789,0",
        "9123456789,00",
        "912345678,0",
        "9123456789,5",
        "0912,1234567",
        '="9123456789,0"',
        "'۹۱۲۳۴۵۶۷۸۹,۰",
        "'=0912",
        '="0912 345 6789"',
        "=0912-345-6789",
        "\x1c09123456789\x1c",
        "+",
        "00",
        "+98",
        "0",
        "'",
        '""',
        "09121234567\x00\x00",
        '"\x0009121234567 \x00"',
        "0912\x001234567",
        "09121234567 09351234567",
        "9121234567/+989351234567",
        "0098 912 123 4567 - 0935 123 4567",
        "۹٫۱۲۳۴۶E+۰۹",
        "9٫12346E+09",
        "9,12346E+09",
        "9.12346e9",
        # A pasted column of digits: more than int() takes (4,300), and than any NSN.
        "9" * 5000,
        "+98" + "1" * 5000,
        "0098" + "1" * 30,
        "+1" + "5" * 5000,
    ]
    frame = normalize_numbers(cells)
    assert list(frame.select("e164", "reason", "operator", "foreign", "forms").iter_rows()) == [
        _scalar_row(c) for c in cells
    ]


@SETTINGS
@given(
    st.sampled_from(["0", "+98", "98", "0098"]),
    st.integers(1, 9),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
def test_clean_digit_strings_match_phonenumbers(prefix: str, first: int, rest: str) -> None:
    """For clean 10-digit NSNs, our verdict is phonenumbers' own verdict."""
    cell = f"{prefix}{first}{rest}"
    parsed = phonenumbers.parse(f"0{first}{rest}", "IR")
    kind = phonenumbers.number_type(parsed)
    result = normalize_number(cell)
    if phonenumbers.is_valid_number(parsed) and kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        assert result.e164 == phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164
        )
        assert result.operator == display_carrier(
            phonenumbers.carrier.name_for_number(parsed, "en")
        )
    elif phonenumbers.is_valid_number(parsed):
        expected = "landline" if kind == phonenumbers.PhoneNumberType.FIXED_LINE else "not-mobile"
        assert result.reason == expected
    else:
        assert result.e164 is None
        assert result.reason in {"unknown-prefix", "invalid-number", "sender-line"}


# -- messages -----------------------------------------------------------------

MESSAGE_ALPHABET = st.sampled_from(
    list(GSM_BASIC)
    + list(GSM_EXTENSION) * 3
    + list("سلامدوستعزیزکگپچژیي")
    + ["\u200c", "\u200d", "\u064b"]
    + ["\U0001f600", "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "\U0001f1ee\U0001f1f7"]
    + ["\u201c", "\u201d", "\u2019", "\u2013", "\u2026", "\xa0", "ç", "`", "\t", "\x1b", "\r\n"]
    + list(PERSIAN)
)
BOUNDARY_LENGTHS = [
    0,
    1,
    66,
    67,
    68,
    69,
    70,
    71,
    72,
    133,
    134,
    135,
    152,
    153,
    154,
    159,
    160,
    161,
    162,
    200,
    201,
    202,
    305,
    306,
    307,
    458,
    459,
    460,
    1340,
    1400,
]


@st.composite
def messages(draw: st.DrawFn) -> str:
    n = draw(st.sampled_from(BOUNDARY_LENGTHS))
    if draw(st.booleans()):
        # Mostly one script, a few odd characters: the realistic near-boundary case.
        base = draw(st.sampled_from(["a", "س", "]", "\U0001f600"]))
        text = list(base * n)
        for _ in range(draw(st.integers(0, 3))):
            if text:
                text[draw(st.integers(0, len(text) - 1))] = draw(MESSAGE_ALPHABET)
        return "".join(text)
    pieces = draw(st.lists(MESSAGE_ALPHABET, min_size=max(0, n - 20), max_size=n + 2))
    return "".join(pieces)


@settings(SETTINGS, max_examples=150)
@given(
    st.lists(messages(), min_size=1, max_size=8), st.sampled_from(["", " لغو11", "\nلغو11", "!"])
)
def test_vectorized_messages_equal_scalar(texts: list[str], suffix: str) -> None:
    frame = analyze_messages(pl.Series(texts, dtype=pl.String), suffix=suffix)
    expected = []
    for t in texts:
        info = analyze_message(t, suffix=suffix)
        expected.append((info.encoding, info.units, info.parts, info.per_part_limit, info.chars))
    assert list(frame.iter_rows()) == expected
