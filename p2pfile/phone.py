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

Two steps go beyond the spec. Step 9 drops a float's fraction of zeros written
with a decimal comma too (``9121234567,0``: pandas ``to_csv(decimal=",")``, a
European-locale Excel), as it does ``.0``. And after step 9, a cell that is
still a decimal (digits, ``.`` or ``,``, one or two digits: ``912100030.5``,
``912100030,5``) is rejected as ``invalid-length``. Step 10 would delete that
``.`` as a separator and accept ``+989121000305``, a valid number that is
someone else's: the class of error the spec's own pitfall 1 warns of. Dotted
phone numbers group their digits (``0912.345.6789``) and still read.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final, Literal, get_args

import phonenumbers
import polars as pl
from phonenumbers.phonemetadata import PhoneMetadata

from p2pfile import _chars
from p2pfile._column import column_arg, expr_arg, text_arg
from p2pfile._phone_meta import (
    FIXED,
    MAX_NSN_DIGITS,
    MOBILE,
    OTHER,
    iranian_carrier,
    iranian_carrier_expr,
    iranian_kind,
    iranian_kind_expr,
    mobile_pattern_for_ten_digits,
    ten_digit_mobile_body,
)

# Foreign numbers are judged with the patterns of many regions, more than the re
# module's cache holds: without this, phonenumbers recompiles them (half the time
# of a foreign number). The patterns come from the fixed metadata, so the cache
# is bounded.
phonenumbers.enable_pattern_cache()

__all__ = [
    "FORM_CODES",
    "FORM_NAMES",
    "NUMBER_DTYPE",
    "REASONS",
    "REASON_TEXT",
    "TWO_NUMBERS_TEXT",
    "NumberResult",
    "Reason",
    "e164_numbers",
    "e164_text",
    "normalize_number",
    "normalize_numbers",
    "number_expr",
    "two_numbers_expr",
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
    "empty": "no number: the cell is blank, invisible marks only, a null marker (nan, N/A) "
    "or a spreadsheet error (#N/A, #REF!, Err:502...)",
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
    "invalid-number": "not a valid phone number: no such country code, area code or prefix",
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

_TEXT_MARKERS: Final = ("'", "\u2019")
_DASHES: Final = "".join(chr(c) for c in range(0x2010, 0x2016)) + "\u2212\ufe58\ufe63\uff0d"
_SEPARATORS: Final = _chars.WHITESPACE + "-.()/" + _DASHES
#: Stripped from both ends of a cell: whitespace, and the NULs that fixed-width
#: exports pad fields with. A NUL *inside* a cell is not padding (UTF-16 text read
#: as UTF-8 interleaves them with the digits), so it stays and rejects the cell.
_PADDING: Final = _chars.WHITESPACE + "\x00"

_QUOTED: Final = r'^"([^"]*)"$'
_NUMERIC_LITERAL: Final = r"^\+?[0-9]+(?:[.,][0-9]*)?(?:[eE][+-]?[0-9]+)?$"
_SURROUNDING_QUOTES: Final = r'(?s)^"(.*)"$'
#: The decimal separators of a mantissa: ``.``, the ``,`` of European and Persian
#: locales' Excel, the Arabic decimal separator ``٫`` (U+066B) of a Persian-locale
#: export, and the ``/`` Persian handwriting uses: ``۹٫۱۲۳۴۶E+۰۹`` is
#: ``9.12346E+09`` written by a Persian-locale Excel, its digits just as lost.
_DECIMAL_SEPARATORS: Final = ".,/\u066b"
_SCIENTIFIC: Final = rf"^[0-9]+(?:[{_DECIMAL_SEPARATORS}][0-9]*)?[eE][+-]?[0-9]+$"
#: A float's fraction of zeros, after a decimal point or the decimal comma of European
#: locales (pandas ``to_csv(decimal=",")``, Excel): ``9121234567.0``, ``9121234567,0``.
_FLOAT_FRACTION: Final = r"^([0-9]+)[.,]0+$"
#: A decimal number: digits, one "." or ",", one or two digits. No one writes a phone
#: number so (dotted numbers group their digits: 0912.345.6789); a spreadsheet's number
#: column does (912100030.5, 912100030,5). Step 10 would delete the "." and make a
#: valid, wrong, number; a "," is no separator, but the cell is a decimal all the same.
_DECIMAL: Final = r"^[0-9]+[.,][0-9]{1,2}$"
_CLEAN: Final = r"^\+?[0-9]+$"
#: One number in a mobile form (``0912…``, ``912…``, ``98912…``, ``+98912…``, ``0098912…``).
_ONE_NUMBER: Final = r"(?:\+?(?:00)?98|0)?9[0-9]{9}"
#: A landline: with its area code (``021…``, ``98 21…``), or the 8 digits of a local one.
_ONE_LANDLINE: Final = r"(?:\+?(?:00)?98|0)?[1-8][0-9]{9}|[1-8][0-9]{7}"
#: Two or more numbers back to back once the separators are gone, one of them a mobile
#: (``0912… 0935…``, ``0912…/0935…``, a CRM's ``021-88776655 / 0912…``): 18 digits at
#: least, longer than any phone number, so a cell matching this is never valid; it is
#: reported as what it is, not as a wrong length. (Two landlines alone are not looked
#: for: a 16-digit card number would read as two local numbers.)
_TWO_NUMBERS: Final = (
    rf"^(?:(?:{_ONE_LANDLINE})+(?:{_ONE_NUMBER})(?:{_ONE_NUMBER}|{_ONE_LANDLINE})*"
    rf"|(?:{_ONE_NUMBER})(?:{_ONE_NUMBER}|{_ONE_LANDLINE})+)$"
)
#: Three numbers in their longest form with a ``+`` each, and some room: past this
#: many characters a cell is a wrong length, and _TWO_NUMBERS (whose parts overlap) is
#: not tried: Python's backtracking ``re`` would take exponential time on a long run of
#: digits.
_TWO_NUMBERS_MAX: Final = 48
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
_re_decimal = _python_regex(_DECIMAL)
_re_clean = _python_regex(_CLEAN)
_re_sender_line = _python_regex(_SENDER_LINE)
_re_libreoffice_error = _python_regex(_chars.LIBREOFFICE_ERROR)
_re_two_numbers = _python_regex(_TWO_NUMBERS)
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


def _without_float_fraction(s: str, forms: set[str]) -> str | None:
    """Step 9: a float column's ``.0`` (or ``,0``, a decimal comma) dropped (P105). None
    for any other fraction of one or two digits: a decimal number (``912100030.5``,
    ``912100030,5``), never a dotted phone number, which deleting the "." as a separator
    would turn into a valid and wrong one."""
    unfloated = _re_float_fraction.sub(r"\1", s, count=1)
    if unfloated != s:
        forms.add(FLOAT_ARTIFACT)
    return None if _re_decimal.match(unfloated) else unfloated


def normalize_number(text: str) -> NumberResult:
    """Normalize one recipient cell to E.164, or say why it cannot be sent to.

    >>> normalize_number("۰۹۱۲ ۳۴۵ ۶۷۸۹").e164
    '+989123456789'
    >>> normalize_number("9.12346E+09").reason
    'scientific-notation'
    """
    text = text_arg(text, "normalize_number()")
    forms: set[str] = set()
    # 1. Persian and Arabic-Indic digits to ASCII.
    s = text.translate(_digit_table)
    if s != text:
        forms.add(NON_ASCII_DIGITS)
    # 2. Invisible format characters (ZWNJ, LRM, RLM, bidi marks, BOM...), anywhere.
    cf = _chars.format_chars()
    cleaned = "".join(ch for ch in s if ch not in cf)
    # 3. Surrounding whitespace and NUL padding.
    stripped = cleaned.strip(_PADDING)
    if stripped != s:
        forms.add(FORMATTING_CHARACTERS)
    s = stripped
    # 4. Empty cells and spreadsheet null markers.
    if not s or s.lower() in _chars.NULL_MARKERS or _re_libreoffice_error.match(s):
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
    s = unquoted.strip(_PADDING)
    if s != unquoted:
        forms.add(FORMATTING_CHARACTERS)
    # 8. Scientific notation: the digits are gone, never guess them.
    if _re_scientific.match(s):
        return _result(text, _reject("scientific-notation"), ())
    # 9. A float column's ".0" or ",0", before "." may be taken for a separator.
    unfloated = _without_float_fraction(s, forms)
    if unfloated is None:
        return _result(text, _reject("invalid-length"), ())
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
    if (
        verdict.reason == "invalid-length"
        and len(s) <= _TWO_NUMBERS_MAX
        and _re_two_numbers.match(s)
    ):
        verdict = _reject("invalid-characters")
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


def _international_number(digits: str) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse("+" + digits)``, for ASCII digits not starting with 0.

    parse() takes the first 1 to 3 digits that are a country code, then strips
    a national prefix the rest may start with. When the rest has a length
    parse() accepts and starts with neither that prefix nor a 0, parse()'s
    number is just the country code and the rest: built directly, it costs a
    tenth of parse()'s text scanning. Anything else goes through parse(), which
    may raise ``NumberParseException``.
    """
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = digits[size:]
            break
    else:
        return phonenumbers.parse("+" + digits, None)
    region = phonenumbers.region_code_for_country_code(country_code)
    meta = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    prefix = meta.national_prefix_for_parsing if meta is not None else None
    if (
        not 2 <= len(rest) <= MAX_NSN_DIGITS
        or rest.startswith("0")
        or (prefix and _compiled(prefix).match(rest))
    ):
        return phonenumbers.parse("+" + digits, None)
    return phonenumbers.PhoneNumber(country_code=country_code, national_number=int(rest))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_MOBILE_TYPES: Final = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


@lru_cache(maxsize=1 << 16)
def _judge_foreign(digits: str) -> _Verdict:
    """Judge a number written with ``+``/``00`` and a country code other than 98.

    Cached: the vectorized face judges each batch's distinct values, and large
    files are judged twice (duplicates first, then the analysis), in batches.
    """
    try:
        number = _international_number(digits)
    except phonenumbers.NumberParseException:
        return _reject("invalid-number")
    # number_type() is UNKNOWN exactly for the numbers is_valid_number() rejects
    # (both test the same patterns of the same region); asking once saves a
    # third of the time of a foreign number.
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return _reject("invalid-number")
    if kind in _MOBILE_TYPES:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return _Verdict(e164=e164, foreign=True)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return _reject("landline")
    return _reject("not-mobile")


#: What P207 says of a cell :func:`two_numbers_expr` finds.
TWO_NUMBERS_TEXT: Final = (
    "two numbers in one cell; put each mobile number in a row of its own (a landline "
    "cannot receive SMS)"
)


def two_numbers_expr(cell: pl.Expr) -> pl.Expr:
    """True for a cell that holds two or more mobile numbers, whatever sits between them.

    Judged on the cell's digits (any script) and ``+`` alone, so ``0912…,0935…``,
    ``0912… و 0935…`` and ``Ali 0912… Reza 0935…`` are found as well: meant for the
    message of a rejected cell, not as a verdict.
    """
    digits = cell.str.replace_many(_chars.NON_ASCII_DIGITS).str.replace_all("[^0-9+]", "")
    within = digits.str.len_bytes().le(_TWO_NUMBERS_MAX)
    return (within & digits.str.contains(_TWO_NUMBERS)).fill_null(value=False)


# -- the vectorized face ---------------------------------------------------------


def normalize_numbers(
    values: pl.Series | Sequence[str | None] | Iterable[str | None],
) -> pl.DataFrame:
    """Normalize a whole column: one row per input, in input order.

    Columns: ``input``, ``e164``, ``reason``, ``operator``, ``foreign``,
    ``forms`` (the fields of :class:`NumberResult`). A null input is an
    ``empty`` cell.
    """
    series = column_arg(values, "normalize_numbers()", "normalize_number()")
    verdicts = _normalize_series(series.rename("input"))
    return pl.concat([series.rename("input").to_frame(), verdicts], how="horizontal")


def number_expr(column: str | pl.Expr) -> pl.Expr:
    """The normalizer as an expression for a LazyFrame pipeline: a struct of :data:`NUMBER_DTYPE`.

    >>> lf.with_columns(number=number_expr("recipient")).unnest("number")  # doctest: +SKIP
    """
    expr = expr_arg(column, "number_expr()")
    return expr.cast(pl.String).map_batches(
        lambda s: _normalize_series(s).to_struct(s.name),
        return_dtype=NUMBER_DTYPE,
        is_elementwise=True,
    )


#: Cells already clean: ASCII digits in one of the routed forms of a 10-digit NSN
#: starting with 9. Most cells of real files; for them the NSN is the last ten
#: digits and only the metadata judgement is left (see :func:`_route`).
_ROUTED_PREFIX: Final = r"^(?:\+98|0098|98|0)?"
_CLEAN_MOBILE_FORM: Final = _ROUTED_PREFIX + "9[0-9]{9}$"


def _normalize_series(series: pl.Series) -> pl.DataFrame:
    """The columns of :data:`NUMBER_DTYPE` for a String series, computed column-wise.

    Each tier runs only on what the cheaper ones before it left:

    1. cells in :data:`_CLEAN_MOBILE_FORM` whose NSN is a mobile, most cells of
       real files, are found by one regex and need only their E.164
       (:func:`_short_judgement`), computed on the whole column;
    2. the other cells are cleaned, those of digits and separators only by a
       few replaces (:func:`_simple_cleaning`), the rest by every step
       (:func:`_full_cleaning`);
    3. cleaned cells now in that form take the same short judgement; only what
       is left is routed and judged in full (:func:`_routing`, :func:`_judgement`).

    The verdicts of tiers 2 and 3 are scattered back by row number (sorting
    them back cost more than judging them). The operator, the reason and the
    lists of form codes are built once, at the end, from the E.164 and small
    integer codes: a ``List`` column costs ten times a ``String`` one to move.
    """
    c = pl.col
    n = len(series)
    # with_columns, not select: a literal False (see _in_mobile_form) must fill the column.
    fast = series.to_frame("s").with_columns(fast=_in_mobile_form(c("s"))).get_column("fast")
    e164, short_mask = _short_judgement(c("s"))
    # Computed for every row: the rows off the short path are all overwritten below.
    head = pl.LazyFrame({"s": series}).select(e164=e164, form_mask=short_mask)
    off = ~fast
    reasons = pl.zeros(n, dtype=pl.UInt8, eager=True)
    foreign = pl.repeat(value=False, n=n, eager=True)
    if off.any():
        # Collected first: the three parts of the judgement all read it. The E.164
        # of tier 1 is computed next to the judgement, which has a single-threaded
        # part (foreign numbers in Python) that leaves a core free.
        cleaned = _cleaned_rest(off.arg_true(), series.filter(off)).collect()
        head_frame, rest = pl.collect_all([head, _rest_verdicts(cleaned.lazy())])
        rows = rest.get_column("row")
        e164s = head_frame.get_column("e164").scatter(rows, rest.get_column("e164"))
        masks = head_frame.get_column("form_mask").scatter(rows, rest.get_column("form_mask"))
        reasons = reasons.scatter(rows, rest.get_column("reason"))
        foreign = foreign.scatter(rows, rest.get_column("foreign"))
    else:
        head_frame = head.collect()
        e164s, masks = head_frame.get_column("e164"), head_frame.get_column("form_mask")
    frame = pl.DataFrame({"e164": e164s, "foreign": foreign})
    return (
        frame.lazy()
        .select(
            "e164",
            reason=pl.lit(_reasons_by_code()).gather(pl.lit(reasons)),
            # Every valid number not foreign is Iranian, its NSN after the '+98'.
            operator=pl.when(c("e164").is_not_null() & ~c("foreign")).then(
                iranian_carrier_expr(c("e164"), skip=3)
            ),
            foreign="foreign",
            forms=pl.lit(_forms_by_mask()).gather(pl.lit(masks)),
        )
        .collect()
    )


def _in_mobile_form(s: pl.Expr) -> pl.Expr:
    """True for a cell in :data:`_CLEAN_MOBILE_FORM` whose NSN, its last ten digits, is a mobile.

    False for every cell when the mobile pattern alone no longer decides such an
    NSN (:func:`mobile_pattern_for_ten_digits`): all then take the full judgement.
    """
    body = ten_digit_mobile_body()
    if body is not None:
        # The body matches only such NSNs: one regex tells the form and the mobile.
        return s.str.contains(f"{_ROUTED_PREFIX}{body}$").fill_null(value=False)
    pattern = mobile_pattern_for_ten_digits()
    if pattern is None:
        return pl.lit(value=False)
    nsn = s.str.slice(-10)
    return (s.str.contains(_CLEAN_MOBILE_FORM) & nsn.str.contains(pattern)).fill_null(value=False)


def _short_judgement(s10: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """E.164 and the P103/P104 mask bits of a cleaned cell for which :func:`_in_mobile_form`.

    As :func:`_route` goes, the NSN of such a cell is its last ten digits; the
    length alone tells the prefix: 13 characters are ``+98`` (E.164 already),
    10 are a lost zero, the others non-E.164 national or ``98``/``0098`` forms.
    """
    e164 = pl.lit("+98") + s10.str.slice(-10)
    n = s10.str.len_bytes()
    bits = (
        pl.when(n == 13)
        .then(pl.lit(0, dtype=pl.UInt8))
        .when(n == 10)
        .then(pl.lit(_bit(NON_E164) | _bit(MISSING_LEADING_ZERO), dtype=pl.UInt8))
        .otherwise(pl.lit(_bit(NON_E164), dtype=pl.UInt8))
    )
    return e164, bits


def _bit(code: str) -> int:
    return 1 << FORM_CODES.index(code)


def _form_mask(valid: pl.Expr, flags: dict[str, pl.Expr]) -> pl.Expr:
    """The 6-bit mask of the form codes, for valid numbers only."""
    return pl.sum_horizontal(
        [(valid & flags[code]).cast(pl.UInt8) * _bit(code) for code in FORM_CODES]
    ).cast(pl.UInt8)


@cache
def _forms_by_mask() -> pl.Series:
    """The lists of form codes of the 64 masks, indexed by mask."""
    masks = range(1 << len(FORM_CODES))
    return pl.Series(
        "forms",
        [[code for bit, code in enumerate(FORM_CODES) if m >> bit & 1] for m in masks],
        dtype=pl.List(pl.String),
    )


#: A reason as a small integer while rows are put back in place: 0 for none.
_REASON_CODES: Final = {reason: code for code, reason in enumerate(REASONS, start=1)}


@cache
def _reasons_by_code() -> pl.Series:
    return pl.Series("reason", [None, *REASONS], dtype=pl.String)


def _cleaned_rest(rows: pl.Series, cells: pl.Series) -> pl.LazyFrame:
    """Cells off the short path (``rows``: their row numbers) cleaned, in no particular
    order, and ``short``: whether they now take the short judgement."""
    frame = pl.DataFrame({"row": rows, "s0": cells.fill_null("")})
    simple = ~frame.get_column("s0").str.contains(_not_simple())
    cleaned = pl.concat(
        [
            _planned(frame.filter(simple).lazy(), _simple_cleaning()),
            _planned(frame.filter(~simple).lazy(), _full_cleaning()),
        ]
    )
    return cleaned.with_columns(short=_short())


# The query plans below are built once and kept: building their expressions
# costs a few milliseconds, and a column is normalized in batches (a lazy
# pipeline calls :func:`number_expr` per batch of about 100,000 rows).

#: ``with_columns`` stages, each its own (a when/then chain reusing a computed
#: column recomputes it per branch: DESIGN.md, performance notes), then what to select.
_Plan = tuple[tuple[dict[str, pl.Expr], ...], tuple[pl.Expr, ...]]


def _planned(lf: pl.LazyFrame, plan: _Plan) -> pl.LazyFrame:
    stages, selected = plan
    for stage in stages:
        lf = lf.with_columns(**stage)
    return lf.select(*selected)


@cache
def _short() -> pl.Expr:
    return pl.col("early").is_null() & _in_mobile_form(pl.col("s10"))


def _rest_verdicts(cleaned: pl.LazyFrame) -> pl.LazyFrame:
    """Columns ``row``, ``e164``, ``reason`` (a code of :data:`_REASON_CODES`), ``foreign``
    and ``form_mask`` for the cleaned cells of :func:`_cleaned_rest`."""
    c = pl.col
    shortly, early, reason_code = _rest_selections()
    fully_judged = cleaned.filter(c("early").is_null() & ~c("short"))
    for plan in (_routing(), _foreign_judgement(), _judgement()):
        fully_judged = _planned(fully_judged, plan)
    return pl.concat(
        [
            cleaned.filter(c("short")).select(*shortly),
            # Cells with a reason from cleaning (blank, scientific, junk...) skip the routing.
            cleaned.filter(c("early").is_not_null()).select(*early),
            fully_judged,
        ]
    ).with_columns(reason_code)


@cache
def _rest_selections() -> tuple[tuple[pl.Expr, ...], tuple[pl.Expr, ...], pl.Expr]:
    """What :func:`_rest_verdicts` selects of short and early cells, and the reason code."""
    c = pl.col
    e164, short_bits = _short_judgement(c("s10"))
    flags = {
        NON_ASCII_DIGITS: c("p101"),
        FORMATTING_CHARACTERS: c("p102"),
        FLOAT_ARTIFACT: c("p105"),
        TEXT_MARKER: c("p106"),
        NON_E164: pl.lit(value=False),
        MISSING_LEADING_ZERO: pl.lit(value=False),
    }
    shortly = (
        c("row"),
        e164.alias("e164"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(value=False).alias("foreign"),
        (_form_mask(pl.lit(value=True), flags) | short_bits).cast(pl.UInt8).alias("form_mask"),
    )
    early = (
        c("row"),
        pl.lit(None, dtype=pl.String).alias("e164"),
        c("early").alias("reason"),
        pl.lit(value=False).alias("foreign"),
        pl.lit(0, dtype=pl.UInt8).alias("form_mask"),
    )
    reason_code = (
        c("reason").replace_strict(_REASON_CODES, return_dtype=pl.UInt8).fill_null(0)
    ).alias("reason")
    return shortly, early, reason_code


@cache
def _not_simple() -> str:
    """A character class matching what takes a cell off :func:`_simple_cleaning`.

    Simple cells hold only digits (ASCII, Persian, Arabic-Indic), ``+`` and the
    separators; so no format character, null marker, text marker, formula,
    quote or exponent (steps 2 and 4 to 8).
    """
    allowed = set("0123456789+") | set(_chars.NON_ASCII_DIGITS) | set(_SEPARATORS)
    return _chars.rust_class(allowed - _chars.format_chars(), negate=True)


@cache
def _simple_cleaning() -> _Plan:
    """Steps 1 to 11 for cells of :func:`_not_simple`'s complement: what
    :func:`_full_cleaning` computes for them, with the steps that cannot apply left out."""
    c = pl.col
    stages = (
        {"s1": c("s0").str.replace_many(_chars.NON_ASCII_DIGITS)},
        {"s3": c("s1").str.strip_chars(_chars.WHITESPACE)},
        {"s9": c("s3").str.replace(_FLOAT_FRACTION, "${1}")},
        {"s10": c("s9").str.replace_all(_chars.rust_class(_SEPARATORS), "")},
    )
    selected = (
        c("row"),
        c("s10"),
        (c("s1") != c("s0")).alias("p101"),
        ((c("s3") != c("s1")) | (c("s10") != c("s9"))).alias("p102"),
        (c("s9") != c("s3")).alias("p105"),
        pl.lit(value=False).alias("p106"),
        # Blank after stripping implies blank after the separators go.
        pl.when(c("s9").str.contains(_DECIMAL))
        .then(pl.lit("invalid-length"))
        .when(c("s10") == "")
        .then(pl.lit("empty"))
        .when(~c("s10").str.contains(_CLEAN))
        .then(pl.lit("invalid-characters"))
        .alias("early"),
    )
    return stages, selected


@cache
def _full_cleaning() -> _Plan:
    """Steps 1 to 11 of spec §4: the cleaned cell ``s10``, the P101/P102/P105/P106
    flags, and ``early``, the reason found while cleaning."""
    c = pl.col
    ws = _chars.WHITESPACE
    stages = (
        {"s1": c("s0").str.replace_many(_chars.NON_ASCII_DIGITS)},
        {
            "p101": c("s1") != c("s0"),
            "s2": c("s1").str.replace_all(_chars.rust_class(_chars.format_chars()), ""),
        },
        {"s3": c("s2").str.strip_chars(_PADDING)},
        {
            "p102": c("s3") != c("s1"),
            "null_marker": (c("s3") == "")
            | c("s3").is_in(_null_marker_spellings())
            | c("s3").str.contains(_chars.LIBREOFFICE_ERROR),
            "s5": c("s3").str.replace(r"^['\x{2019}]", ""),
        },
        {
            "is_formula": c("s5").str.starts_with("="),
            "content": c("s5").str.slice(1).str.strip_chars(ws),
        },
        {
            "s6": pl.when(~c("is_formula"))
            .then(c("s5"))
            .otherwise(
                pl.coalesce(
                    c("content").str.extract(_QUOTED, 1),
                    pl.when(c("content").str.contains(_NUMERIC_LITERAL)).then(c("content")),
                )
            )
        },
        {
            "bad_formula": c("s6").is_null(),
            "s7": c("s6").str.replace(_SURROUNDING_QUOTES, "${1}"),
        },
        {"s7b": c("s7").str.strip_chars(_PADDING)},
        {
            "p106": (c("s5") != c("s3")) | c("is_formula") | (c("s7") != c("s6")),
            "scientific": c("s7b").str.contains(_SCIENTIFIC),
            "s9": c("s7b").str.replace(_FLOAT_FRACTION, "${1}"),
        },
        {
            "p105": c("s9") != c("s7b"),
            "s10": c("s9").str.replace_all(_chars.rust_class(_SEPARATORS), ""),
        },
    )
    selected = (
        c("row"),
        c("s10"),
        c("p101"),
        (c("p102") | (c("s7b") != c("s7")) | (c("s10") != c("s9"))).alias("p102"),
        c("p105"),
        c("p106"),
        pl.when(c("null_marker"))
        .then(pl.lit("empty"))
        .when(c("bad_formula"))
        .then(pl.lit("formula"))
        .when(c("scientific"))
        .then(pl.lit("scientific-notation"))
        .when(c("s9").str.contains(_DECIMAL))
        .then(pl.lit("invalid-length"))
        .when(c("s10") == "")
        .then(pl.lit("empty"))
        .when(~c("s10").str.contains(_CLEAN))
        .then(pl.lit("invalid-characters"))
        .alias("early"),
    )
    return stages, selected


@cache
def _null_marker_spellings() -> list[str]:
    """Every upper/lower-case spelling of the null markers: a hash lookup instead of lowercasing
    every cell (only ASCII letters can lowercase to these ASCII markers)."""
    return sorted(
        {
            "".join(chars)
            for marker in _chars.NULL_MARKERS
            for chars in itertools.product(*({ch, ch.upper()} for ch in marker))
        }
    )


@cache
def _routing() -> _Plan:
    """The routing of :func:`_route`, column-wise, for rows with no early reason."""
    c = pl.col
    n = c("body").str.len_bytes()
    stages = (
        {"plus": c("early").is_null() & c("s10").str.starts_with("+")},
        {"body": pl.when(c("plus")).then(c("s10").str.slice(1)).otherwise(c("s10"))},
        {
            "plus_intl": c("plus") & ~c("body").str.starts_with("0"),
            "zero_intl": c("early").is_null() & c("body").str.starts_with("00"),
        },
        {
            "intl": c("plus_intl") | c("zero_intl"),
            "digits": pl.when(c("plus_intl"))
            .then(c("body"))
            .when(c("zero_intl"))
            .then(c("body").str.slice(2)),
        },
        {
            "intl_ir": c("digits").str.starts_with("98"),
            "intl_bad": c("intl") & ((c("digits") == "") | c("digits").str.starts_with("0")),
            "national": pl.when(c("early").is_null() & ~c("intl")).then(c("body")),
        },
        {
            "foreign_digits": pl.when(c("intl") & ~c("intl_ir") & ~c("intl_bad")).then(c("digits")),
            "nsn_intl": pl.when(c("intl_ir")).then(c("digits").str.slice(2).str.replace(r"^0", "")),
            "nsn_national": pl.when(n.eq(11) & c("national").str.starts_with("0"))
            .then(c("national").str.slice(1))
            .when(n.eq(10) & ~c("national").str.starts_with("0"))
            .then(c("national"))
            .when(n.eq(12) & c("national").str.starts_with("98"))
            .then(c("national").str.slice(2))
            .when(
                n.eq(13)
                & (c("national").str.starts_with("980") | c("national").str.starts_with("098"))
            )
            .then(c("national").str.slice(3)),
        },
        {
            "routed": c("nsn_intl").is_not_null() | c("nsn_national").is_not_null(),
            "lost_zero": n.eq(10)
            & c("national").is_not_null()
            & ~c("national").str.starts_with("0"),
            "nsn": pl.coalesce(
                c("nsn_intl"), c("nsn_national"), c("national").str.replace(r"^0", "")
            ),
        },
        {"kind": iranian_kind_expr(c("nsn"))},
    )
    return stages, (pl.all(),)


_FOREIGN_DTYPE: Final = pl.Struct({"foreign_e164": pl.String, "foreign_reason": pl.String})


@cache
def _foreign_judgement() -> _Plan:
    """The rare foreign numbers judged in Python, once per distinct value.

    Inside the query rather than between two collects: each collect of a
    batch costs about a millisecond of planning, whatever its size.
    """
    verdict = pl.col("foreign_digits").map_batches(_foreign_verdicts, return_dtype=_FOREIGN_DTYPE)
    # The fields read off a column: struct.unnest() would run the UDF once per field.
    fields = (
        pl.col("foreign_verdict").struct.field(name).alias(name)
        for name in ("foreign_e164", "foreign_reason")
    )
    return ({"foreign_verdict": verdict},), (pl.all(), *fields)


def _foreign_verdicts(digits: pl.Series) -> pl.Series:
    distinct = digits.drop_nulls().unique()
    verdicts = {d: _judge_foreign(d) for d in distinct.to_list()}
    return pl.select(
        foreign_e164=pl.lit(digits).replace_strict(
            {d: v.e164 for d, v in verdicts.items()}, default=None, return_dtype=pl.String
        ),
        foreign_reason=pl.lit(digits).replace_strict(
            {d: v.reason for d, v in verdicts.items()}, default=None, return_dtype=pl.String
        ),
    ).to_struct(digits.name)


@cache
def _judgement() -> _Plan:
    """Reason, E.164 and the form mask of routed cells."""
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
        .when(c("s10").str.len_bytes().le(_TWO_NUMBERS_MAX) & c("s10").str.contains(_TWO_NUMBERS))
        .then(pl.lit("invalid-characters"))
        .otherwise(pl.lit("invalid-length"))
    )
    flags = {
        NON_ASCII_DIGITS: c("p101"),
        FORMATTING_CHARACTERS: c("p102"),
        NON_E164: c("s10") != c("e164"),
        MISSING_LEADING_ZERO: c("lost_zero"),
        FLOAT_ARTIFACT: c("p105"),
        TEXT_MARKER: c("p106"),
    }
    stages = (
        {"is_foreign": c("foreign_digits").is_not_null()},
        {
            "reason": pl.when(c("early").is_not_null())
            .then(c("early"))
            .when(c("intl_bad"))
            .then(pl.lit("invalid-number"))
            .when(c("is_foreign"))
            .then(c("foreign_reason"))
            .otherwise(iranian_reason)
        },
        {"valid": c("reason").is_null()},
        {
            "e164": pl.when(c("valid") & c("is_foreign"))
            .then(c("foreign_e164"))
            .when(c("valid"))
            .then(pl.lit("+98") + nsn),
            "foreign": c("valid") & c("is_foreign"),
        },
    )
    selected = (
        c("row"),
        c("e164"),
        c("reason"),
        c("foreign"),
        _form_mask(c("valid"), flags).alias("form_mask"),
    )
    return stages, selected


def e164_numbers(e164: pl.Series) -> pl.Series:
    """E.164 numbers as integers: ``+989121234567`` is 989121234567.

    Exact both ways (at most 15 digits after the ``+``, the first never 0), and
    8 bytes a row where the text costs 29 (its 13 bytes do not fit inline in a
    string view): a 10M-row file keeps every row's number in 80 MB.
    """
    number = e164.str.slice(1).cast(pl.Int64, strict=False)
    # The text is "+" and exactly the digits of the number (no sign, no leading 0):
    # counted by comparisons with powers of ten, cheaper than spelling it again.
    digits = pl.sum_horizontal(pl.col("n") >= 10**k for k in range(19))
    spelled = pl.DataFrame({"e164": e164, "n": number}).select(
        (
            pl.col("n").is_not_null()
            & pl.col("e164").str.starts_with("+")
            & (digits == pl.col("e164").str.len_bytes() - 1)
        ).or_(pl.col("e164").is_null())
    )
    if not spelled.to_series().all():  # pragma: no cover - p2pfile.phone's E.164 invariant
        msg = "an E.164 number that is not + and digits"
        raise AssertionError(msg)
    return number


def e164_text(number: pl.Expr) -> pl.Expr:
    """The E.164 text of an :func:`e164_numbers` integer (null stays null)."""
    return pl.lit("+") + number.cast(pl.String)
