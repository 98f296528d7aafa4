"""Every row of the decision table in spec/iran-numbers.md §4, through both faces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2pfile import UsageError, _phone_meta, normalize_number, normalize_numbers, number_expr, phone

MCI = "+989123456789"

# (cell, e164 or None, reason or None)
ACCEPTED = [
    ("09123456789", MCI),
    ("9123456789", MCI),
    ("989123456789", MCI),
    ("+989123456789", MCI),
    ("00989123456789", MCI),
    ("+98 912 345 6789", MCI),
    ("(0912) 345-6789", MCI),
    ("0912-345-6789", MCI),
    ("0912 345 67 89", MCI),
    ("0912.345.6789", MCI),
    ("0912/345/6789", MCI),
    ("0912\u2013345\u20136789", MCI),
    ("0912\u2212345\uff0d6789", MCI),
    ("(+98) 912 345 6789", MCI),
    ("+98(0)9123456789", MCI),
    ("+98 0912 345 6789", MCI),
    ("0098 0912 345 6789", MCI),
    ("9809123456789", MCI),
    ("۰۹۱۲۳۴۵۶۷۸۹", MCI),
    ("٠٩١٢٣٤٥٦٧٨٩", MCI),
    ("۰۹۱۲٣٤٥۶۷۸۹", MCI),
    ("\u200e09123456789\u200f", MCI),
    ("\u202a+98 912 345 6789\u202c", MCI),
    ("\ufeff0912\u200c345\u20606789", MCI),
    ("\xa00912\u202f345\u2009678\u30009\t\r\n", MCI),
    ("'09123456789", MCI),
    ("\u201909123456789", MCI),
    ('="09123456789"', MCI),
    ("=09123456789", MCI),
    ('"09123456789"', MCI),
    ("9123456789.0", MCI),
    ("989123456789.0", MCI),
    ("9123456789,0", MCI),  # a decimal comma: pandas to_csv(decimal=","), European Excel
    ("9123456789,00", MCI),
    ("09123456789,0", MCI),
    ("0989123456789", MCI),
    ("+09123456789", MCI),
    ("+0989123456789", MCI),
    ("+00989123456789", MCI),
]

REJECTED = [
    ("9.12346E+09", "scientific-notation"),
    ("9.89123E+11", "scientific-notation"),
    ("9,12346E+09", "scientific-notation"),
    ("9.123456789E+09", "scientific-notation"),
    ("912345678.0", "invalid-length"),
    # A decimal is a spreadsheet's number: deleting its "." would make a valid, wrong one.
    ("912100030.5", "invalid-length"),
    ("9123456789.5", "invalid-length"),
    ("91234567.89", "invalid-length"),
    ("912345678,0", "invalid-length"),
    ("9123456789,5", "invalid-length"),
    ("912100030,5", "invalid-length"),
    ("0912,1234567", "invalid-characters"),
    ("9123456789,0,0", "invalid-characters"),
    ("009123456789", "invalid-number"),
    ("9891234567", "unknown-prefix"),
    ("09891234567", "unknown-prefix"),
    ("+98989123456789", "invalid-length"),
    ("98989123456789", "invalid-length"),
    ("0912345678", "invalid-length"),
    ("091234567890", "invalid-length"),
    ("+98912000000", "invalid-length"),
    ("09061234567", "unknown-prefix"),
    ("09401234567", "unknown-prefix"),
    ("09971234567", "unknown-prefix"),
    ("09988712345", "unknown-prefix"),
    ("02188776655", "landline"),
    ("+982188776655", "landline"),
    ("2188776655", "landline"),
    ("09412345678", "landline"),
    ("9601", "not-mobile"),
    ("09601", "not-mobile"),
    ("3000505", "sender-line"),
    ("+983000505", "sender-line"),
    ("50001234567", "sender-line"),
    ("10001234", "sender-line"),
    ("20001234", "sender-line"),
    ("+98217000070", "invalid-length"),
    ("88776655", "invalid-length"),
    ("110", "invalid-length"),
    ("+44 121 234 5678", "landline"),
    ("+1 555 0100", "invalid-number"),
    ("+999123456789", "invalid-number"),
    ("+9123456789", "invalid-number"),
    ("971501234567", "invalid-length"),
    ("79123456789", "invalid-length"),
    ("Ali 09123456789", "invalid-characters"),
    ("tel:09123456789", "invalid-characters"),
    ("09123456789 ext 12", "invalid-characters"),
    ("09123456789,09123456788", "invalid-characters"),
    ("09123456789;09123456788", "invalid-characters"),
    ("0912|345|6789", "invalid-characters"),
    ("*09123456789#", "invalid-characters"),
    ("0912_345_6789", "invalid-characters"),
    ("O9123456789", "invalid-characters"),
    ("98+9123456789", "invalid-characters"),
    ("++989123456789", "invalid-characters"),
    ("989123456789+", "invalid-characters"),
    ("9,123,456,789", "invalid-characters"),
    ("0912३४५६७८९", "invalid-characters"),  # Devanagari digits are not mapped
    ("=SUM(A1:A2)", "formula"),
    ("=A1", "formula"),
    ("", "empty"),
    ("   ", "empty"),
    ("\u200c\u200e", "empty"),
    ("- -", "empty"),
    ("nan", "empty"),
    ("None", "empty"),
    ("NULL", "empty"),
    ("N/A", "empty"),
    ("NA", "empty"),  # R's write.csv for a missing value
    ("#N/A", "empty"),
    ("Err:502", "empty"),
]

FOREIGN = [
    ("+971 50 123 4567", "+971501234567"),
    ("0044 7400 123456", "+447400123456"),
    ("+79123456789", "+79123456789"),
    ("+1 650 253 0000", "+16502530000"),  # US numbers are FIXED_LINE_OR_MOBILE
]

OPERATORS = [
    ("09101234567", "MCI"),
    ("09351234567", "Irancell"),
    ("09011234567", "Irancell"),
    ("09201234567", "RighTel"),
    ("09311234567", "MTCE"),
    ("09321234567", "MCI"),
    ("09341234567", "TeleKish"),
    ("09901234567", "MCI"),
    ("09955123456", "Irancell"),
    ("09981234567", "RighTel"),
    ("09991234567", "Irancell"),
    ("09921234567", "MCI"),
    ("09931234567", "MCI"),
    ("09993123456", "Aptel"),
    ("09951012345", "unknown"),
    ("09997712345", "unknown"),
]


def _vectorized(cell: str) -> dict[str, object]:
    return normalize_numbers([cell]).row(0, named=True)


@pytest.mark.parametrize(("cell", "e164"), ACCEPTED)
def test_accepted_forms_become_e164(cell: str, e164: str) -> None:
    result = normalize_number(cell)
    assert (result.e164, result.reason, result.foreign) == (e164, None, False)
    row = _vectorized(cell)
    assert (row["e164"], row["reason"], row["foreign"]) == (e164, None, False)


@pytest.mark.parametrize(("cell", "reason"), REJECTED)
def test_rejected_forms_name_their_reason(cell: str, reason: str) -> None:
    result = normalize_number(cell)
    assert (result.e164, result.reason, result.operator, result.forms) == (None, reason, None, ())
    row = _vectorized(cell)
    assert (row["e164"], row["reason"], row["operator"], row["forms"]) == (None, reason, None, [])


@pytest.mark.parametrize(("cell", "e164"), FOREIGN)
def test_foreign_mobiles_are_accepted_and_flagged(cell: str, e164: str) -> None:
    result = normalize_number(cell)
    assert (result.e164, result.foreign, result.operator) == (e164, True, None)
    row = _vectorized(cell)
    assert (row["e164"], row["foreign"], row["operator"]) == (e164, True, None)


@pytest.mark.parametrize(("cell", "operator"), OPERATORS)
def test_operator_is_the_longest_carrier_prefix(cell: str, operator: str) -> None:
    assert normalize_number(cell).operator == operator
    assert _vectorized(cell)["operator"] == operator


@pytest.mark.parametrize(
    ("cell", "forms"),
    [
        ("+989123456789", ()),
        ("09123456789", ("P103",)),
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", ("P101", "P102", "P103")),
        ("9123456789.0", ("P103", "P104", "P105")),
        ("9123456789,0", ("P103", "P104", "P105")),
        ("989123456789,00", ("P103", "P105")),
        ("'09123456789", ("P103", "P106")),
        ('="+989123456789"', ("P106",)),
        (" +989123456789 ", ("P102",)),
        ("+98 912 345 6789", ("P102",)),
        ("\u200e+989123456789", ("P102",)),
        ("9123456789", ("P103", "P104")),
    ],
)
def test_form_problems_are_reported_for_valid_numbers(cell: str, forms: tuple[str, ...]) -> None:
    assert normalize_number(cell).forms == forms
    assert tuple(_vectorized(cell)["forms"]) == forms


def test_national_form_for_providers_that_want_it() -> None:
    assert normalize_number("+98 912 345 6789").national == "09123456789"
    assert normalize_number("+971501234567").national == "+971501234567"
    assert normalize_number("junk").national is None


def test_vectorized_keeps_input_order_and_nulls() -> None:
    frame = normalize_numbers(pl.Series(["09123456789", None, "x", "+971501234567"]))
    assert frame.columns == ["input", "e164", "reason", "operator", "foreign", "forms"]
    assert frame.get_column("input").to_list() == ["09123456789", None, "x", "+971501234567"]
    assert frame.get_column("reason").to_list() == [None, "empty", "invalid-characters", None]


def test_expression_form_works_inside_a_lazy_pipeline() -> None:
    lf = pl.LazyFrame({"recipient": ["۰۹۱۲۳۴۵۶۷۸۹", "021 8877 6655"], "message": ["a", "b"]})
    out = lf.with_columns(number=number_expr("recipient")).unnest("number").collect()
    assert out.get_column("e164").to_list() == [MCI, None]
    assert out.get_column("reason").to_list() == [None, "landline"]
    assert out.get_column("message").to_list() == ["a", "b"]


def test_scalar_face_refuses_non_strings() -> None:
    with pytest.raises(UsageError, match="str"):
        normalize_number(9123456789)  # type: ignore[arg-type]


def test_carrier_tables_are_cached_per_phonenumbers_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache saves loading every country's carriers on each run; a damaged or
    foreign cache file is rebuilt from phonenumbers, never trusted."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fresh = _phone_meta._carrier_tables_from_phonenumbers()
    assert any("IR-MCI" in table.values() for _, table in fresh)
    _phone_meta._carrier_tables.cache_clear()
    try:
        assert _phone_meta._carrier_tables() == fresh
        (cached,) = (tmp_path / "p2pfile").glob("ir-carriers-phonenumbers-*.json")
        assert phonenumbers.__version__ in cached.name
        _phone_meta._carrier_tables.cache_clear()
        assert _phone_meta._carrier_tables() == fresh  # read back from the file
        for damaged in ("{not json", '[[4, {"912": 7}]]', '[["4", {}]]', "{}"):
            cached.write_text(damaged, "utf-8")
            _phone_meta._carrier_tables.cache_clear()
            assert _phone_meta._carrier_tables() == fresh
            assert _phone_meta._tables_from_json(cached.read_text("utf-8")) == fresh
    finally:
        _phone_meta._carrier_tables.cache_clear()
        _phone_meta._carrier_by_prefix.cache_clear()
        _phone_meta._carrier_by_position.cache_clear()


def _parsed(build: Callable[[str], phonenumbers.PhoneNumber], digits: str) -> object:
    try:
        return build(digits)
    except phonenumbers.NumberParseException as error:
        return error.error_type


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    # National prefixes and carrier codes parse() strips (0, 8, 1, 15...), or none.
    st.sampled_from(["", "", "0", "00", "8", "1", "15", "9", "7"]),
    st.text(alphabet="0123456789", max_size=19),
)
def test_foreign_numbers_are_judged_as_phonenumbers_judges_them(
    country_code: int, prefix: str, rest: str
) -> None:
    """The foreign judgement builds plain numbers without parse() and asks number_type()
    alone: both must give what parse() and is_valid_number() give."""
    digits = f"{country_code}{prefix}{rest}"
    number = _parsed(phone._international_number, digits)
    assert number == _parsed(lambda d: phonenumbers.parse("+" + d, None), digits)
    if isinstance(number, phonenumbers.PhoneNumber):
        unknown = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.UNKNOWN
        assert unknown == (not phonenumbers.is_valid_number(number))


def _all_cells() -> list[str]:
    return [cell for cell, _ in ACCEPTED + REJECTED + FOREIGN + OPERATORS] + [
        "۰۹۱۲ ۳۴۵ ۶۷۸۹",
        "9123456789.0",
        " +989123456789 ",
        "+98 912 345 6789",
    ]


def _scalar_rows(cells: list[str]) -> list[tuple[object, ...]]:
    rows = []
    for cell in cells:
        r = normalize_number(cell)
        rows.append((r.e164, r.reason, r.operator, r.foreign, list(r.forms)))
    return rows


@pytest.mark.parametrize("shortcut", ["one-regex", "two-regexes", "none", "carrier-by-prefix"])
def test_vectorized_face_without_its_metadata_shortcuts(
    shortcut: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each shortcut the vectorized face takes from the metadata has a fallback for
    metadata that no longer allows it; the fallbacks give the same answers."""
    if shortcut in ("two-regexes", "none"):
        monkeypatch.setattr(phone, "ten_digit_mobile_body", lambda: None)
    if shortcut == "none":
        monkeypatch.setattr(phone, "mobile_pattern_for_ten_digits", lambda: None)
    if shortcut == "carrier-by-prefix":
        monkeypatch.setattr(_phone_meta, "_carrier_by_position", lambda: None)
    cached = (phone._short, phone._rest_selections)
    for function in cached:
        function.cache_clear()
    try:
        cells = _all_cells()
        frame = normalize_numbers(cells).drop("input")
        assert list(frame.iter_rows()) == _scalar_rows(cells)
    finally:
        for function in cached:
            function.cache_clear()


@pytest.mark.parametrize(
    ("pattern", "shape"),
    [
        ("9[0-9]{9}", ({10}, {"9"})),
        ("9(?:0[0-5]|[13][0-9])[0-9]{7}", ({10}, {"9"})),
        ("9(?:1|23)[0-9]{8}", ({10, 11}, {"9"})),
        ("(?:9|1)[0-9]{9}", ({10}, {"1", "9"})),
        ("9?[0-9]{2}", ({2, 3}, set("0123456789"))),
        ("9[0-9]{8,9}", ({9, 10}, {"9"})),
        ("(?:)9", ({1}, {"9"})),
        ("9[0-9]{9}|", ({0, 10}, {"9"})),
    ],
)
def test_shape_of_a_metadata_pattern(pattern: str, shape: tuple[set[int], set[str]]) -> None:
    assert _phone_meta._shape(pattern) == (frozenset(shape[0]), frozenset(shape[1]))


@pytest.mark.parametrize(
    "pattern",
    ["9\\d{9}", "9.{9}", "9[0-9]+", "9[0-9]*", "9[^0]", "9{,3}", "9[0-9]{9})", "[]", "9-0", "a"],
)
def test_shape_refuses_what_it_cannot_read(pattern: str) -> None:
    assert _phone_meta._shape(pattern) is None


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["", "0", "98", "+98", "0098", "+0", "00", "+", "980", "9898"]),
    st.text(alphabet="0123456789", min_size=8, max_size=12),
)
def test_one_regex_finds_clean_mobiles(prefix: str, digits: str) -> None:
    """The short path's single regex accepts exactly the cells in a routed clean form
    whose last ten digits are a mobile."""
    body = _phone_meta.ten_digit_mobile_body()
    mobile = _phone_meta.mobile_pattern_for_ten_digits()
    assert body is not None
    assert mobile is not None
    cells = pl.Series([prefix + digits, prefix + "9" + digits[:9]])
    one = cells.str.contains(f"{phone._ROUTED_PREFIX}{body}$")
    two = cells.str.contains(phone._CLEAN_MOBILE_FORM) & cells.str.slice(-10).str.contains(mobile)
    assert one.to_list() == two.to_list()
