"""P1xx (recipient form) and P2xx (recipient validity).

Every P2xx rule is one ``reason`` of :func:`p2pfile.normalize_number`
(``spec/iran-numbers.md`` §4). P1xx rules fire only for numbers that are
valid once normalized, and each form problem of a cell is reported.
"""

from __future__ import annotations

import polars as pl

from p2pfile._chars import DIGIT_CLASS
from p2pfile._sniff import header_row_expr
from p2pfile.phone import REASON_TEXT, TWO_NUMBERS_TEXT, Reason, two_numbers_expr
from p2pfile.rules import Finding, Options, row_rule

c = pl.col


def _replacement(options: Options) -> pl.Expr:
    if options.number_format == "national":
        return pl.when(c("foreign")).then(c("e164")).otherwise("0" + c("e164").str.slice(3))
    return c("e164")


def foreign_rejected(options: Options) -> pl.Expr:
    """Valid foreign numbers that the options do not allow (P203)."""
    if options.allow_foreign:
        return pl.lit(value=False)
    allowed = c("region").is_in(sorted(options.allowed_regions))
    return c("foreign") & ~allowed.fill_null(value=False)


def _form(code: str, message: str, options: Options) -> Finding:
    return Finding(
        hit=c("forms").list.contains(code) & ~foreign_rejected(options),
        message=pl.lit(message),
        replacement=_replacement(options),
    )


@row_rule("P101", "non-ascii-digits", "warning", field="recipient", fix="safe")
def non_ascii_digits(options: Options) -> Finding:
    """Persian (۰-۹) or Arabic-Indic (٠-٩) digits in a recipient.

    Why: many systems do not read them as digits; the two blocks also look
    alike but differ (۴ and ٤). Example: ``۰۹۱۲۳۴۵۶۷۸۹``.
    Fix (safe): the number is written in E.164 with ASCII digits.
    """
    return _form("P101", "Persian or Arabic-Indic digits", options)


@row_rule("P102", "formatting-characters", "warning", field="recipient", fix="safe")
def formatting_characters(options: Options) -> Finding:
    """Spaces, ``- . ( ) /``, NBSP or invisible marks (ZWNJ, LRM, RLM, BOM, ...) in a recipient.

    Why: invisible marks come from copying out of contacts apps and RTL
    editors; they break exact matching and some uploaders. NULs padding a
    cell (fixed-width exports) count too; a NUL among the digits does not
    (P207: UTF-16 text read as UTF-8 looks like that).
    Example: ``0912 345 6789``, ``\\u200e09123456789``, ``09123456789\\x00\\x00``.
    Fix (safe): the number is written in E.164.
    """
    return _form("P102", "spaces, separators or invisible marks around the digits", options)


@row_rule("P103", "non-e164", None, field="recipient", fix="safe")
def non_e164(options: Options) -> Finding:
    """A valid number not written in E.164 (``09...``, ``98...``, ``0098...``).

    Off by default: the provider's own sample writes ``09...``. Turn it on
    to keep files canonical. Fix (safe): the number is written in E.164.
    """
    return _form("P103", "not written in E.164 (+98...)", options)


@row_rule("P104", "missing-leading-zero", "warning", field="recipient", fix="safe")
def missing_leading_zero(options: Options) -> Finding:
    """A 10-digit national number ``9XXXXXXXXX``: the leading zero was lost.

    Why: typical of Excel storing the column as numbers; the next tool may
    read it as something else. Fix (safe): the number is written in E.164.
    """
    return _form("P104", "the leading zero was lost (a spreadsheet number column?)", options)


@row_rule("P105", "float-artifact", "warning", field="recipient", fix="safe")
def float_artifact(options: Options) -> Finding:
    """A trailing ``.0`` (or ``,0``) from a float column: ``9123456789.0``, ``9123456789,0``.

    ``,0`` is what a decimal comma makes of it: pandas ``to_csv(decimal=",")``,
    a European-locale Excel.

    Why: the column went through a float; the next export may turn it into
    scientific notation and lose digits. Only zeros: ``9123456789,5`` is a
    decimal (P202), and ``0912,1234567`` is not a number (P207).
    Fix (safe): E.164.
    """
    return _form("P105", "a trailing .0 or ,0 from a float column", options)


@row_rule("P106", "spreadsheet-text-marker", "warning", field="recipient", fix="safe")
def spreadsheet_text_marker(options: Options) -> Finding:
    """A leading ``'``, a literal formula (``="0912..."``, ``=0912...``) or surrounding quotes.

    Judged on the cell after CSV unquoting: a file that quotes every field is
    fine. Fix (safe): E.164 without the marker.
    """
    return _form("P106", 'a spreadsheet text marker (\' or ="...") or stray quotes', options)


def _reason(*reasons: Reason) -> pl.Expr:
    return c("reason").is_in(list(reasons))


def _explained(*reasons: Reason) -> Finding:
    return Finding(
        hit=_reason(*reasons),
        message=c("reason").replace_strict(
            {r: REASON_TEXT[r] for r in reasons}, default=None, return_dtype=pl.String
        ),
    )


@row_rule("P201", "empty-recipient", "error", field="recipient")
def empty_recipient(options: Options) -> Finding:
    """No recipient: a blank cell, invisible marks only, or a null marker (``nan``, ``#N/A``).

    Null markers are what exports write for nothing (``nan``, ``None``,
    ``NULL``, ``N/A``, ``-``) and Excel's error values (``#N/A``, ``#VALUE!``,
    ``#REF!``, ``#NAME?``, ``#DIV/0!``, ``#NUM!``, ``#NULL!``, ...) and
    LibreOffice's (``Err:502``, ``Err:520``: ``Err:`` and three digits), typed
    in a CSV or stored as an error cell in an XLSX.

    Why: the row cannot be sent. Fix: fill in the number or drop the row
    (``p2pfile fix --rejects`` moves it to the rejects file).
    """
    return _explained("empty")


@row_rule("P202", "invalid-length", "error", field="recipient")
def invalid_length(options: Options) -> Finding:
    """The wrong number of digits for a mobile number, or a decimal number.

    Example: ``0912345678`` (10 digits with the zero), ``912345678.0``,
    ``+98217000070``, a foreign number without its ``+`` (a country code is
    never guessed). A decimal (``912100030.5``, ``912100030,5``) is a spreadsheet's number, not
    a phone number written with a dot: deleting the dot would make a valid
    number that is someone else's. Fix: correct the number at its source.
    """
    explained = _explained("invalid-length")
    return Finding(
        hit=explained.hit,
        message=pl.when(c("recipient").str.contains(_DECIMAL_CELL))
        .then(pl.lit(DECIMAL_TEXT))
        .otherwise(explained.message),
    )


#: A cell holding a decimal number (with what cleaning strips around it: spaces, ', =, "),
#: with a decimal point or comma.
_DECIMAL_CELL = rf"""^[\s'"=]*{DIGIT_CLASS}+[.,]{DIGIT_CLASS}{{1,2}}[\s"]*$"""
#: P202's message for a decimal number.
DECIMAL_TEXT = (
    "a decimal number, not a phone number: the column was a number column in a "
    "spreadsheet; re-export it formatted as text"
)


@row_rule("P203", "foreign-number", "error", field="recipient")
def foreign_number(options: Options) -> Finding:
    """A valid mobile number of another country.

    Why: Iranian bulk lines usually cannot send abroad, and abroad costs more.
    Allow them with ``allow-foreign = true`` or ``allowed-regions = ["AE"]``.
    Example: ``+971501234567``.
    """
    return Finding(
        hit=foreign_rejected(options),
        message=pl.lit("a foreign mobile number (") + c("region").fill_null("?") + pl.lit(")"),
    )


@row_rule("P204", "not-mobile", "error", field="recipient")
def not_mobile(options: Options) -> Finding:
    """A landline, fixed-wireless (094x) or service number: it cannot receive SMS.

    Example: ``021 8877 6655``, ``2188776655`` (a Tehran landline that lost
    its zero), ``9601``. Fix: remove the row or find the mobile number.
    """
    return _explained("landline", "not-mobile")


@row_rule("P205", "unknown-prefix", "error", field="recipient")
def unknown_prefix(options: Options) -> Finding:
    """A 10-digit number in a ``09xx`` block that no operator has for mobiles.

    Why: ``^09\\d{9}$`` is not validity; 0906-0909, 094x-098x, 0997 and parts
    of 0995/0998/0999 are unassigned (libphonenumber metadata).
    Example: ``09061234567``. Fix: correct the number at its source.
    """
    return _explained("unknown-prefix")


@row_rule("P206", "scientific-notation", "error", field="recipient")
def scientific_notation(options: Options) -> Finding:
    """Scientific notation such as ``9.12346E+09``: the spreadsheet already lost digits.

    Whatever the locale wrote: ``9,12346E+09`` (European), ``۹٫۱۲۳۴۶E+۰۹``
    (Persian digits and decimal separator), ``9.12346e9``.

    p2pfile never guesses the missing digits. Fix: re-export the column
    formatted as text from the original source.
    """
    return _explained("scientific-notation")


@row_rule("P207", "invalid-characters", "error", field="recipient")
def invalid_characters(options: Options) -> Finding:
    """Letters, two numbers in one cell, ``ext``, ``tel:``, ``,;|*#_`` or a misplaced ``+``.

    Why: deleting every non-digit turns text into wrong numbers, so p2pfile
    only removes a fixed set of separators. Example: ``Ali 09121234567``,
    ``0912...,0935...``. Two numbers in a cell are named as such, whatever
    separates them (``0912... 0935...``, ``0912.../0935...``, ``0912... - 0935...``),
    rather than as one number of the wrong length.
    A header repeated further down (two exports joined) is named as such.
    Fix: one number per cell, digits only.
    """
    explained = _explained("invalid-characters")
    return Finding(
        hit=explained.hit,
        message=pl.when(two_numbers_expr(c("recipient")))
        .then(pl.lit(TWO_NUMBERS_TEXT))
        .when(header_row_expr(c("recipient"), c("message")))
        .then(pl.lit(REPEATED_HEADER_TEXT))
        .otherwise(explained.message),
    )


#: P207's message for a header repeated as a data row.
REPEATED_HEADER_TEXT = (
    "a header repeated as a data row (two exports joined into one file?): delete the line"
)


@row_rule("P208", "formula", "error", field="recipient")
def formula(options: Options) -> Finding:
    """A spreadsheet formula that is not a literal (``=A1``, ``=SUM(...)``).

    Fix: paste values instead of formulas before exporting.
    """
    return _explained("formula")


@row_rule("P209", "sender-line", "error", field="recipient")
def sender_line(options: Options) -> Finding:
    """An SMS sender line (``1000...``, ``2000...``, ``3000...``, ``5000...``) used as a recipient.

    Example: ``3000505``, ``+983000505``. Fix: remove the row.
    """
    return _explained("sender-line")


@row_rule("P210", "invalid-number", "error", field="recipient")
def invalid_number(options: Options) -> Finding:
    """Anything else libphonenumber rejects: no such country code, area code or prefix.

    Example: ``+1 555 0100``, ``01012345678`` (Iran has no area code 10),
    ``009123456789`` (``00`` is the international prefix: this is +91 23456789).
    Fix: correct the number at its source.
    """
    return _explained("invalid-number")
