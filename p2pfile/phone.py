"""Iranian mobile numbers, as real files write them, to E.164.

The contract is ``spec/iran-numbers.md`` §4: a strict cleaning order, then a
routing decided by length (a prefix is never stripped twice, a country code
is never guessed), then a judgement by the installed ``phonenumbers``
metadata. Two faces give the same answers:

* :func:`normalize_number` is the readable scalar reference, one cell at a
  time, judging with ``phonenumbers`` itself;
* :func:`normalize_numbers` and :func:`number_expr` run the same steps as
  whole-column polars expressions, with Python only for the rare
  ``+``/``00`` foreign numbers (judged once per distinct value).

Form problems met on the way (Persian digits, separators, a lost leading
zero, ``.0``, a spreadsheet text marker, not E.164) are reported as the P1xx
rule codes of ``spec/rules.md``, and only for numbers that are valid.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal, get_args

import phonenumbers
import polars as pl

from p2pfile import _chars
from p2pfile._phone_meta import (
    FIXED,
    MOBILE,
    OTHER,
    iranian_carrier,
    iranian_carrier_expr,
    iranian_kind,
    iranian_kind_expr,
    mobile_pattern_for_ten_digits,
)

__all__ = [
    "FORM_CODES",
    "FORM_NAMES",
    "NUMBER_DTYPE",
    "REASONS",
    "REASON_TEXT",
    "NumberResult",
    "Reason",
    "normalize_number",
    "normalize_numbers",
    "number_expr",
]

Reason = Literal[
    "empty",
    "invalid-characters",
    "formula",
    "scientific-notation",
    "invalid-length",
    "unknown-prefix",
    "landline",
    "not-mobile",
    "sender-line",
    "invalid-number",
]
REASONS: Final[tuple[Reason, ...]] = get_args(Reason)

NON_ASCII_DIGITS: Final = "P101"
FORMATTING_CHARACTERS: Final = "P102"
NON_E164: Final = "P103"
MISSING_LEADING_ZERO: Final = "P104"
FLOAT_ARTIFACT: Final = "P105"
TEXT_MARKER: Final = "P106"
#: The recipient-form rule codes, in the order they are reported.
FORM_CODES: Final = (
    NON_ASCII_DIGITS,
    FORMATTING_CHARACTERS,
    NON_E164,
    MISSING_LEADING_ZERO,
    FLOAT_ARTIFACT,
    TEXT_MARKER,
)

#: The kebab names of the form codes (spec/rules.md, P1xx).
FORM_NAMES: Final = {
    NON_ASCII_DIGITS: "non-ascii-digits",
    FORMATTING_CHARACTERS: "formatting-characters",
    NON_E164: "non-e164",
    MISSING_LEADING_ZERO: "missing-leading-zero",
    FLOAT_ARTIFACT: "float-artifact",
    TEXT_MARKER: "spreadsheet-text-marker",
}

#: What each reason means to the person who has to fix the cell.
REASON_TEXT: Final[dict[Reason, str]] = {
    "empty": "no number: the cell is blank, invisible marks only, or a null marker (nan, #N/A)",
    "invalid-characters": "letters, punctuation or two numbers in one cell; only digits, "
    "one leading + and the separators - . ( ) / and spaces are allowed",
    "formula": "a spreadsheet formula, not a number; paste the values instead",
    "scientific-notation": "scientific notation: the spreadsheet already lost digits; "
    "re-export the column formatted as text",
    "invalid-length": "the wrong number of digits for a mobile number",
    "unknown-prefix": "an 09xx block that no operator has for mobiles",
    "landline": "a landline or fixed-wireless number; it cannot receive SMS",
    "not-mobile": "a service number (not a mobile)",
    "sender-line": "an SMS sender line (1000/2000/3000/5000...), not a recipient",
    "invalid-number": "not a valid phone number (unknown country code, or 00 followed by junk)",
}

#: The polars dtype of :func:`number_expr` (the columns of :func:`normalize_numbers` but ``input``).
NUMBER_DTYPE: Final = pl.Struct(
    {
        "e164": pl.String,
        "reason": pl.String,
        "operator": pl.String,
        "foreign": pl.Boolean,
        "forms": pl.List(pl.String),
    }
)


@dataclass(frozen=True, slots=True)
class NumberResult:
    """The verdict on one recipient cell.

    ``e164`` is set exactly when ``reason`` is None. ``operator`` is the
    allocating carrier of a valid Iranian mobile (``MCI``, ``Irancell``,
    ``RighTel``, ``MTCE``, ``TeleKish``, ``Aptel``, ... or ``unknown``), and
    None otherwise; with mobile number portability it is where the number was
    allocated, not where it lives today. ``foreign`` is True for a valid
    non-Iranian mobile. ``forms`` lists the P1xx codes of the form problems
    the cell had (empty for invalid numbers).
    """

    input: str
    e164: str | None
    reason: Reason | None
    operator: str | None
    foreign: bool
    forms: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """True when the cell is a number p2pfile can send to."""
        return self.e164 is not None

    @property
    def national(self) -> str | None:
        """The Iranian national form (``09121234567``); E.164 for foreign numbers."""
        if self.e164 is None or self.foreign:
            return self.e164
        return "0" + self.e164[3:]


# -- cleaning (spec §4, steps 1-11), shared patterns -----------------------------

_NULL_MARKERS: Final = ("nan", "none", "null", "n/a", "#n/a")
_TEXT_MARKERS: Final = ("'", "\u2019")
_DASHES: Final = "".join(chr(c) for c in range(0x2010, 0x2016)) + "\u2212\ufe58\ufe63\uff0d"
_SEPARATORS: Final = _chars.WHITESPACE + "-.()/" + _DASHES

_QUOTED: Final = r'^"([^"]*)"$'
_NUMERIC_LITERAL: Final = r"^\+?[0-9]+(?:[.,][0-9]*)?(?:[eE][+-]?[0-9]+)?$"
_SURROUNDING_QUOTES: Final = r'(?s)^"(.*)"$'
_SCIENTIFIC: Final = r"^[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+$"
_FLOAT_FRACTION: Final = r"^([0-9]+)\.0+$"
_CLEAN: Final = r"^\+?[0-9]+$"
#: SMS sender lines: 1000/2000/3000/5000 and 3 to 10 more digits.
_SENDER_LINE: Final = r"^(?:1000|2000|3000|5000)[0-9]{3,10}$"


def _python_regex(pattern: str) -> re.Pattern[str]:
    """Compile a shared pattern for Python ``re``, where ``$`` also matches before a final newline.

    Rust's ``$`` matches only at the very end; ``\\Z`` is Python's spelling of that.
    """
    return re.compile(pattern.removesuffix("$") + r"\Z")


_re_quoted = _python_regex(_QUOTED)
_re_numeric_literal = _python_regex(_NUMERIC_LITERAL)
_re_surrounding_quotes = _python_regex(_SURROUNDING_QUOTES)
_re_scientific = _python_regex(_SCIENTIFIC)
_re_float_fraction = _python_regex(_FLOAT_FRACTION)
_re_clean = _python_regex(_CLEAN)
_re_sender_line = _python_regex(_SENDER_LINE)
_digit_table = str.maketrans(_chars.NON_ASCII_DIGITS)
_separator_table = str.maketrans(dict.fromkeys(_SEPARATORS))


@dataclass(frozen=True, slots=True)
class _Verdict:
    e164: str | None = None
    reason: Reason | None = None
    operator: str | None = None
    foreign: bool = False


def _reject(reason: Reason) -> _Verdict:
    return _Verdict(reason=reason)


def normalize_number(text: str) -> NumberResult:
    """Normalize one recipient cell to E.164, or say why it cannot be sent to.

    >>> normalize_number("۰۹۱۲ ۳۴۵ ۶۷۸۹").e164
    '+989123456789'
    >>> normalize_number("9.12346E+09").reason
    'scientific-notation'
    """
    if not isinstance(text, str):
        msg = f"normalize_number() takes a str, not {type(text).__name__}"
        raise TypeError(msg)
    forms: set[str] = set()
    # 1. Persian and Arabic-Indic digits to ASCII.
    s = text.translate(_digit_table)
    if s != text:
        forms.add(NON_ASCII_DIGITS)
    # 2. Invisible format characters (ZWNJ, LRM, RLM, bidi marks, BOM...), anywhere.
    cf = _chars.format_chars()
    cleaned = "".join(ch for ch in s if ch not in cf)
    # 3. Surrounding whitespace.
    stripped = cleaned.strip(_chars.WHITESPACE)
    if stripped != s:
        forms.add(FORMATTING_CHARACTERS)
    s = stripped
    # 4. Empty cells and spreadsheet null markers.
    if not s or s.lower() in _NULL_MARKERS:
        return _result(text, _reject("empty"), ())
    # 5. One Excel text marker.
    if s.startswith(_TEXT_MARKERS):
        s = s[1:]
        forms.add(TEXT_MARKER)
    # 6. A formula is fine only when it holds a literal.
    if s.startswith("="):
        forms.add(TEXT_MARKER)
        content = s[1:].strip(_chars.WHITESPACE)
        quoted = _re_quoted.match(content)
        if quoted:
            s = quoted.group(1)
        elif _re_numeric_literal.match(content):
            s = content
        else:
            return _result(text, _reject("formula"), ())
    # 7. One pair of stray surrounding quotes.
    unquoted = _re_surrounding_quotes.sub(r"\1", s, count=1)
    if unquoted != s:
        forms.add(TEXT_MARKER)
    s = unquoted.strip(_chars.WHITESPACE)
    if s != unquoted:
        forms.add(FORMATTING_CHARACTERS)
    # 8. Scientific notation: the digits are gone, never guess them.
    if _re_scientific.match(s):
        return _result(text, _reject("scientific-notation"), ())
    # 9. A float column's ".0", before "." may be taken for a separator.
    unfloated = _re_float_fraction.sub(r"\1", s, count=1)
    if unfloated != s:
        forms.add(FLOAT_ARTIFACT)
    # 10. Separators: whitespace, - . ( ) / and the Unicode dashes.
    s = unfloated.translate(_separator_table)
    if s != unfloated:
        forms.add(FORMATTING_CHARACTERS)
    if not s:
        return _result(text, _reject("empty"), ())
    # 11. Only digits and a leading + may be left.
    if not _re_clean.match(s):
        return _result(text, _reject("invalid-characters"), ())

    verdict, lost_zero = _route(s)
    if verdict.e164 is None:
        return _result(text, verdict, ())
    if lost_zero:
        forms.add(MISSING_LEADING_ZERO)
    if s != verdict.e164:
        forms.add(NON_E164)
    return _result(text, verdict, tuple(code for code in FORM_CODES if code in forms))


def _result(text: str, verdict: _Verdict, forms: tuple[str, ...]) -> NumberResult:
    return NumberResult(
        text, verdict.e164, verdict.reason, verdict.operator, verdict.foreign, forms
    )


def _route(s: str) -> tuple[_Verdict, bool]:
    """Decide by prefix and length which digits are the NSN; True when the 0 was lost."""
    international = False
    if s.startswith("+"):
        s = s[1:]
        # '+0…' cannot start a country code: a typing slip, read as if the '+' were absent.
        international = not s.startswith("0")
    if not international and s.startswith("00"):
        s, international = s[2:], True
    if international:
        if s.startswith("98"):
            nsn = s[2:]
            # One trunk zero after the country code: '+98 (0)912…'.
            if nsn.startswith("0"):
                nsn = nsn[1:]
            return _judge_iranian(nsn, routed=True), False
        if not s or s.startswith("0"):
            return _reject("invalid-number"), False
        return _judge_foreign(s), False
    n = len(s)
    if n == 11 and s.startswith("0"):
        return _judge_iranian(s[1:], routed=True), False
    if n == 10 and not s.startswith("0"):
        return _judge_iranian(s, routed=True), True
    if n == 12 and s.startswith("98"):
        return _judge_iranian(s[2:], routed=True), False
    if n == 13 and s.startswith(("980", "098")):
        return _judge_iranian(s[3:], routed=True), False
    return _judge_iranian(s.removeprefix("0"), routed=False), False


def _judge_iranian(nsn: str, *, routed: bool) -> _Verdict:
    """Judge an Iranian NSN. ``routed``: its length and prefix matched a full-number form."""
    kind = iranian_kind(nsn)
    if kind == MOBILE:
        return _Verdict(e164="+98" + nsn, operator=iranian_carrier(nsn))
    if _re_sender_line.match(nsn) or (
        not routed and nsn.startswith("98") and _re_sender_line.match(nsn[2:])
    ):
        return _reject("sender-line")
    if kind == FIXED:
        return _reject("landline")
    if kind == OTHER:
        return _reject("not-mobile")
    if routed and len(nsn) == 10:
        return _reject("unknown-prefix" if nsn.startswith("9") else "invalid-number")
    return _reject("invalid-length")


_MOBILE_TYPES: Final = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def _judge_foreign(digits: str) -> _Verdict:
    """Judge a number written with ``+``/``00`` and a country code other than 98."""
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return _reject("invalid-number")
    if not phonenumbers.is_valid_number(number):
        return _reject("invalid-number")
    kind = phonenumbers.number_type(number)
    if kind in _MOBILE_TYPES:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return _Verdict(e164=e164, foreign=True)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return _reject("landline")
    return _reject("not-mobile")


# -- the vectorized face ---------------------------------------------------------


def normalize_numbers(
    values: pl.Series | Sequence[str | None] | Iterable[str | None],
) -> pl.DataFrame:
    """Normalize a whole column: one row per input, in input order.

    Columns: ``input``, ``e164``, ``reason``, ``operator``, ``foreign``,
    ``forms`` (the fields of :class:`NumberResult`). A null input is an
    ``empty`` cell.
    """
    series = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.String)
    if series.dtype != pl.String:
        series = series.cast(pl.String)
    verdicts = _normalize_series(series.rename("input"))
    return pl.concat([series.rename("input").to_frame(), verdicts], how="horizontal")


def number_expr(column: str | pl.Expr) -> pl.Expr:
    """The normalizer as an expression for a LazyFrame pipeline: a struct of :data:`NUMBER_DTYPE`.

    >>> lf.with_columns(number=number_expr("recipient")).unnest("number")  # doctest: +SKIP
    """
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.String).map_batches(
        lambda s: _normalize_series(s).to_struct(s.name),
        return_dtype=NUMBER_DTYPE,
        is_elementwise=True,
    )


#: Cells already clean: ASCII digits in one of the routed forms of a 10-digit NSN
#: starting with 9. Most cells of real files; for them the NSN is the last ten
#: digits and only the metadata judgement is left (see :func:`_route`).
_CLEAN_MOBILE_FORM: Final = r"^(?:\+98|0098|98|0)?9[0-9]{9}$"


def _normalize_series(series: pl.Series) -> pl.DataFrame:
    """The columns of :data:`NUMBER_DTYPE` for a String series, computed column-wise.

    Clean cells take a short path; the rest run every cleaning step. The two
    halves are put back in input order.
    """
    clean = series.str.contains(_CLEAN_MOBILE_FORM).fill_null(value=False)
    n_clean = int(clean.sum())
    if n_clean == len(series):
        return _clean_verdicts(series)
    if n_clean == 0:
        return _full_verdicts(series)
    order = pl.int_range(len(series), dtype=pl.Int64, eager=True)
    halves = [
        _clean_verdicts(series.filter(clean)).with_columns(_order=order.filter(clean)),
        _full_verdicts(series.filter(~clean)).with_columns(_order=order.filter(~clean)),
    ]
    return pl.concat(halves).sort("_order").drop("_order")


def _full_verdicts(series: pl.Series) -> pl.DataFrame:
    frame = _with_foreign_verdicts(_cleaned(series).collect())
    return _verdicts(frame.lazy()).collect()


def _clean_verdicts(series: pl.Series) -> pl.DataFrame:
    """Verdicts for cells matching :data:`_CLEAN_MOBILE_FORM` (no cleaning, no routing)."""
    c = pl.col
    nsn = series.str.slice(-10)
    mobile_pattern = mobile_pattern_for_ten_digits()
    if mobile_pattern is None:
        kind = pl.select(iranian_kind_expr(pl.lit(nsn))).to_series()
    else:
        # One regex pass decides most rows; the full type chain only for the rest.
        is_mobile = nsn.str.contains(mobile_pattern)
        kind = pl.select(pl.when(pl.lit(is_mobile)).then(pl.lit(MOBILE))).to_series()
        if not is_mobile.all():
            where = (~is_mobile).arg_true()
            rest = pl.select(iranian_kind_expr(pl.lit(nsn.gather(where)))).to_series()
            kind = kind.scatter(where, rest)
    lf = pl.LazyFrame({"s": series, "nsn": nsn, "kind": kind}).with_columns(
        reason=pl.when(c("kind") == MOBILE)
        .then(None)
        .when(c("kind") == FIXED)
        .then(pl.lit("landline"))
        .when(c("kind") == OTHER)
        .then(pl.lit("not-mobile"))
        .otherwise(pl.lit("unknown-prefix"))
    )
    lf = lf.with_columns(valid=c("reason").is_null()).with_columns(
        e164=pl.when(c("valid")).then(pl.lit("+98") + c("nsn")),
        operator=pl.when(c("valid")).then(iranian_carrier_expr(c("nsn"))),
        foreign=pl.lit(value=False),
        form_mask=(
            (c("valid") & ~c("s").str.starts_with("+98")).cast(pl.UInt8) * _bit(NON_E164)
            + (c("valid") & (c("s").str.len_bytes() == 10)).cast(pl.UInt8)
            * _bit(MISSING_LEADING_ZERO)
        ).cast(pl.UInt8),
    )
    lf = lf.join(_forms_table().lazy(), on="form_mask", how="left", maintain_order="left")
    return lf.select("e164", "reason", "operator", "foreign", "forms").collect()


def _bit(code: str) -> int:
    return 1 << FORM_CODES.index(code)


def _cleaned(series: pl.Series) -> pl.LazyFrame:
    """Steps 1 to 11 and the routing of spec §4, each stage its own ``with_columns``.

    Staging matters: a single when/then chain that reuses a cleaned column
    recomputes it per branch (DESIGN.md, performance notes).
    """
    c = pl.col
    ws = _chars.WHITESPACE
    lf = pl.LazyFrame({"s0": series.fill_null("")})
    lf = lf.with_columns(s1=c("s0").str.replace_many(_chars.NON_ASCII_DIGITS))
    lf = lf.with_columns(
        p101=c("s1") != c("s0"),
        s2=c("s1").str.replace_all(_chars.rust_class(_chars.format_chars()), ""),
    )
    lf = lf.with_columns(s3=c("s2").str.strip_chars(ws))
    lf = lf.with_columns(
        p102=c("s3") != c("s1"),
        null_marker=(c("s3") == "") | c("s3").is_in(_null_marker_spellings()),
        s5=c("s3").str.replace(r"^['\x{2019}]", ""),
    )
    lf = lf.with_columns(
        is_formula=c("s5").str.starts_with("="),
        content=c("s5").str.slice(1).str.strip_chars(ws),
    )
    lf = lf.with_columns(
        s6=pl.when(~c("is_formula"))
        .then(c("s5"))
        .otherwise(
            pl.coalesce(
                c("content").str.extract(_QUOTED, 1),
                pl.when(c("content").str.contains(_NUMERIC_LITERAL)).then(c("content")),
            )
        )
    )
    lf = lf.with_columns(
        bad_formula=c("s6").is_null(),
        s7=c("s6").str.replace(_SURROUNDING_QUOTES, "${1}"),
    )
    lf = lf.with_columns(s7b=c("s7").str.strip_chars(ws))
    lf = lf.with_columns(
        p106=(c("s5") != c("s3")) | c("is_formula") | (c("s7") != c("s6")),
        scientific=c("s7b").str.contains(_SCIENTIFIC),
        s9=c("s7b").str.replace(_FLOAT_FRACTION, "${1}"),
    )
    lf = lf.with_columns(
        p105=c("s9") != c("s7b"),
        s10=c("s9").str.replace_all(_chars.rust_class(_SEPARATORS), ""),
    )
    lf = lf.with_columns(
        p102=c("p102") | (c("s7b") != c("s7")) | (c("s10") != c("s9")),
        early=pl.when(c("null_marker"))
        .then(pl.lit("empty"))
        .when(c("bad_formula"))
        .then(pl.lit("formula"))
        .when(c("scientific"))
        .then(pl.lit("scientific-notation"))
        .when(c("s10") == "")
        .then(pl.lit("empty"))
        .when(~c("s10").str.contains(_CLEAN))
        .then(pl.lit("invalid-characters")),
    )
    return _routed(lf)


@cache
def _null_marker_spellings() -> list[str]:
    """Every upper/lower-case spelling of the null markers: a hash lookup instead of lowercasing
    every cell (only ASCII letters can lowercase to these ASCII markers)."""
    return sorted(
        {
            "".join(chars)
            for marker in _NULL_MARKERS
            for chars in itertools.product(*({ch, ch.upper()} for ch in marker))
        }
    )


def _routed(lf: pl.LazyFrame) -> pl.LazyFrame:
    """The routing of :func:`_route`, column-wise, for rows with no early reason."""
    c = pl.col
    lf = lf.with_columns(
        plus=c("early").is_null() & c("s10").str.starts_with("+"),
    ).with_columns(body=pl.when(c("plus")).then(c("s10").str.slice(1)).otherwise(c("s10")))
    lf = lf.with_columns(
        plus_intl=c("plus") & ~c("body").str.starts_with("0"),
        zero_intl=c("early").is_null() & c("body").str.starts_with("00"),
    ).with_columns(
        intl=c("plus_intl") | c("zero_intl"),
        digits=pl.when(c("plus_intl"))
        .then(c("body"))
        .when(c("zero_intl"))
        .then(c("body").str.slice(2)),
    )
    n = c("body").str.len_bytes()
    lf = lf.with_columns(
        intl_ir=c("digits").str.starts_with("98"),
        intl_bad=c("intl") & ((c("digits") == "") | c("digits").str.starts_with("0")),
        national=pl.when(c("early").is_null() & ~c("intl")).then(c("body")),
    ).with_columns(
        foreign_digits=pl.when(c("intl") & ~c("intl_ir") & ~c("intl_bad")).then(c("digits")),
        nsn_intl=pl.when(c("intl_ir")).then(c("digits").str.slice(2).str.replace(r"^0", "")),
        nsn_national=pl.when(n.eq(11) & c("national").str.starts_with("0"))
        .then(c("national").str.slice(1))
        .when(n.eq(10) & ~c("national").str.starts_with("0"))
        .then(c("national"))
        .when(n.eq(12) & c("national").str.starts_with("98"))
        .then(c("national").str.slice(2))
        .when(
            n.eq(13) & (c("national").str.starts_with("980") | c("national").str.starts_with("098"))
        )
        .then(c("national").str.slice(3)),
    )
    lf = lf.with_columns(
        routed=c("nsn_intl").is_not_null() | c("nsn_national").is_not_null(),
        lost_zero=n.eq(10) & c("national").is_not_null() & ~c("national").str.starts_with("0"),
        nsn=pl.coalesce(c("nsn_intl"), c("nsn_national"), c("national").str.replace(r"^0", "")),
    )
    return lf.with_columns(kind=iranian_kind_expr(c("nsn")))


def _with_foreign_verdicts(frame: pl.DataFrame) -> pl.DataFrame:
    """Judge the rare foreign numbers in Python, once per distinct value."""
    distinct = frame.get_column("foreign_digits").drop_nulls().unique()
    verdicts = {d: _judge_foreign(d) for d in distinct.to_list()}
    return frame.with_columns(
        foreign_e164=pl.col("foreign_digits").replace_strict(
            {d: v.e164 for d, v in verdicts.items()}, default=None, return_dtype=pl.String
        ),
        foreign_reason=pl.col("foreign_digits").replace_strict(
            {d: v.reason for d, v in verdicts.items()}, default=None, return_dtype=pl.String
        ),
    )


@cache
def _forms_table() -> pl.DataFrame:
    masks = range(1 << len(FORM_CODES))
    return pl.DataFrame(
        {
            "form_mask": pl.Series(masks, dtype=pl.UInt8),
            "forms": [[code for bit, code in enumerate(FORM_CODES) if m >> bit & 1] for m in masks],
        },
        schema={"form_mask": pl.UInt8, "forms": pl.List(pl.String)},
    )


def _verdicts(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Reason, E.164, operator and forms; each stage once, as in :func:`_cleaned`."""
    c = pl.col
    nsn = c("nsn")
    sender = nsn.str.contains(_SENDER_LINE) | (
        ~c("routed") & nsn.str.starts_with("98") & nsn.str.slice(2).str.contains(_SENDER_LINE)
    )
    iranian_reason = (
        pl.when(c("kind") == MOBILE)
        .then(None)
        .when(sender)
        .then(pl.lit("sender-line"))
        .when(c("kind") == FIXED)
        .then(pl.lit("landline"))
        .when(c("kind") == OTHER)
        .then(pl.lit("not-mobile"))
        .when(c("routed") & nsn.str.len_bytes().eq(10) & nsn.str.starts_with("9"))
        .then(pl.lit("unknown-prefix"))
        .when(c("routed") & nsn.str.len_bytes().eq(10))
        .then(pl.lit("invalid-number"))
        .otherwise(pl.lit("invalid-length"))
    )
    lf = lf.with_columns(is_foreign=c("foreign_digits").is_not_null()).with_columns(
        reason=pl.when(c("early").is_not_null())
        .then(c("early"))
        .when(c("intl_bad"))
        .then(pl.lit("invalid-number"))
        .when(c("is_foreign"))
        .then(c("foreign_reason"))
        .otherwise(iranian_reason)
    )
    lf = lf.with_columns(valid=c("reason").is_null()).with_columns(
        e164=pl.when(c("valid") & c("is_foreign"))
        .then(c("foreign_e164"))
        .when(c("valid"))
        .then(pl.lit("+98") + nsn),
        operator=pl.when(c("valid") & ~c("is_foreign")).then(iranian_carrier_expr(nsn)),
        foreign=c("valid") & c("is_foreign"),
    )
    flags = (
        c("p101"),
        c("p102"),
        c("s10") != c("e164"),
        c("lost_zero"),
        c("p105"),
        c("p106"),
    )
    # A 6-bit mask joined to the 64 possible code lists: building lists row by
    # row (concat_list + drop_nulls) cost 1.6 s per 1M, this costs 0.07 s.
    mask = pl.sum_horizontal(
        [
            (c("valid") & flag).cast(pl.UInt8) * _bit(code)
            for code, flag in zip(FORM_CODES, flags, strict=True)
        ]
    ).cast(pl.UInt8)
    lf = lf.with_columns(form_mask=mask).join(
        _forms_table().lazy(), on="form_mask", how="left", maintain_order="left"
    )
    return lf.select("e164", "reason", "operator", "foreign", "forms")
