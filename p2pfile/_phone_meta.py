"""What the installed ``phonenumbers`` metadata says about Iranian numbers.

Both faces of the normalizer judge a cleaned national significant number
(NSN) with this data: the scalar face through ``phonenumbers`` itself, the
vectorized face through the same metadata patterns, anchored and run in
polars, and a carrier table built from ``phonenumbers.carrierdata``. Nothing
here is a hand-written list of prefixes: when the metadata moves, so do we.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import phonenumbers
import polars as pl
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

IR_COUNTRY_CODE: Final = 98

#: How p2pfile names carriers: the metadata's English names, with the three
#: big operators spelled as Iranian users know them.
CARRIER_DISPLAY: Final = {"IR-MCI": "MCI", "Rightel": "RighTel"}

#: What the classifier returns for an NSN (phonenumbers' types, folded).
MOBILE: Final = "mobile"  # MOBILE or FIXED_LINE_OR_MOBILE
FIXED: Final = "fixed"  # FIXED_LINE (landlines, 094x fixed-wireless)
OTHER: Final = "other"  # any other valid type (UAN, toll free, ...)


def display_carrier(name: str) -> str:
    """The operator name p2pfile reports for a carrier name from the metadata."""
    return CARRIER_DISPLAY.get(name, name) if name else "unknown"


#: The longest national significant number phonenumbers' parse() accepts (E.164
#: allows 15 digits with the country code).
MAX_NSN_DIGITS: Final = 17


def iranian_kind(nsn: str) -> str | None:
    """Scalar reference: classify an Iranian NSN with ``phonenumbers`` itself.

    ``None`` means not a valid Iranian number. An NSN with a leading zero is
    never valid (``int()`` would silently drop that zero), nor one longer than any
    numbering plan allows (``int()`` refuses more than 4,300 digits: a pasted column).
    """
    if not nsn or nsn.startswith("0") or len(nsn) > MAX_NSN_DIGITS:
        return None
    number = phonenumbers.PhoneNumber(country_code=IR_COUNTRY_CODE, national_number=int(nsn))
    if not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return MOBILE
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return FIXED
    return OTHER


def iranian_carrier(nsn: str) -> str:
    """Scalar reference: the carrier ``phonenumbers`` names for a valid Iranian mobile NSN."""
    from phonenumbers import carrier  # noqa: PLC0415 - loads every country's carriers (0.1 s)

    number = phonenumbers.PhoneNumber(country_code=IR_COUNTRY_CODE, national_number=int(nsn))
    return display_carrier(carrier.name_for_number(number, "en"))


# -- the vectorized face -------------------------------------------------------


@dataclass(frozen=True)
class _Desc:
    pattern: str  # anchored, ASCII digits only
    lengths: tuple[int, ...]


def _desc(desc: PhoneNumberDesc | None) -> _Desc | None:
    if desc is None or desc.national_number_pattern is None:
        return None
    # Anchored because polars' str.contains searches; \d narrowed to ASCII because
    # Rust's \d is Unicode-aware (spec iran-numbers.md, pitfalls 5 and 6).
    pattern = desc.national_number_pattern.replace("\\d", "[0-9]")
    return _Desc(f"^(?:{pattern})$", tuple(desc.possible_length or ()))


def _matches(nsn: pl.Expr, desc: _Desc | None) -> pl.Expr:
    if desc is None:
        return pl.lit(value=False)
    hit = nsn.str.contains(desc.pattern)
    if desc.lengths:
        hit = hit & nsn.str.len_bytes().is_in(list(desc.lengths))
    return hit


# The order phonenumbers' _number_type_helper tests the types in; the first
# match wins, and fixed line is tested before mobile.
_SPECIAL_TYPES: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


def iranian_kind_expr(nsn: pl.Expr) -> pl.Expr:
    """Vectorized :func:`iranian_kind`: the same answer from the same metadata, in polars."""
    meta = PhoneMetadata.metadata_for_region("IR")
    if meta is None:  # pragma: no cover - phonenumbers always ships IR
        msg = "phonenumbers has no metadata for IR"
        raise RuntimeError(msg)
    general = _matches(nsn, _desc(meta.general_desc)) & ~nsn.str.starts_with("0")
    special = pl.lit(value=False)
    for name in _SPECIAL_TYPES:
        special = special | _matches(nsn, _desc(getattr(meta, name)))
    fixed = _matches(nsn, _desc(meta.fixed_line))
    mobile = _matches(nsn, _desc(meta.mobile))
    if meta.same_mobile_and_fixed_line_pattern:
        mobile = fixed
    return (
        pl.when(~general)
        .then(None)
        .when(special)
        .then(pl.lit(OTHER))
        .when(fixed & mobile)
        .then(pl.lit(MOBILE))
        .when(fixed)
        .then(pl.lit(FIXED))
        .when(mobile)
        .then(pl.lit(MOBILE))
        .otherwise(None)
    )


@cache
def mobile_pattern_for_ten_digits() -> str | None:
    """The anchored mobile pattern, when it alone decides a 10-digit NSN starting with 9.

    True when no special type (UAN, toll free, ...) can have 10 digits and the
    general pattern accepts every 10-digit NSN starting with 9: then such an
    NSN is a mobile exactly when the mobile pattern matches. None otherwise
    (a future metadata change), and callers fall back to the full chain.
    """
    meta = PhoneMetadata.metadata_for_region("IR")
    if meta is None:  # pragma: no cover
        return None
    for name in _SPECIAL_TYPES:
        desc = _desc(getattr(meta, name))
        if desc is not None and (not desc.lengths or 10 in desc.lengths):
            return None
    general, mobile = _desc(meta.general_desc), _desc(meta.mobile)
    if general is None or mobile is None or (general.lengths and 10 not in general.lengths):
        return None
    probe = pl.Series(["9000000000", "9999999999"])
    if not probe.str.contains(general.pattern).all():
        return None
    return mobile.pattern


@cache
def ten_digit_mobile_body() -> str | None:
    """The mobile pattern, unanchored, when it can only match ten ASCII digits starting with 9.

    Then, with :func:`mobile_pattern_for_ten_digits`, a cell made of a prefix
    and this body is such an NSN and a mobile in one regex, without cutting
    the NSN out first. None otherwise (or when the pattern uses more than the
    plain syntax :func:`_shape` reads).
    """
    pattern = mobile_pattern_for_ten_digits()
    if pattern is None:
        return None
    body = pattern.removeprefix("^").removesuffix("$")
    if _shape(body) != (frozenset({10}), frozenset("9")):
        return None
    return body


Shape = tuple[frozenset[int], frozenset[str]]


def _shape(pattern: str) -> Shape | None:
    """The lengths and the first characters of the strings a pattern matches.

    Only for the plain syntax of the metadata patterns: digits, classes of
    digits and digit ranges, ``(?:...)`` groups, ``|``, and the ``?``,
    ``{n}`` and ``{n,m}`` quantifiers; every character such a pattern matches
    is an ASCII digit. None for anything else.
    """
    reader = _ShapeReader(pattern)
    try:
        shape = reader.alternation()
    except ValueError:
        return None
    return shape if reader.pos == len(pattern) else None


class _ShapeReader:
    """Recursive descent over the plain pattern syntax of :func:`_shape`."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0

    def peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def take(self, expected: str) -> None:
        if not self.pattern.startswith(expected, self.pos):
            raise ValueError(expected)
        self.pos += len(expected)

    def alternation(self) -> Shape:
        lengths, first = self.sequence()
        while self.peek() == "|":
            self.take("|")
            more_lengths, more_first = self.sequence()
            lengths, first = lengths | more_lengths, first | more_first
        return lengths, first

    def sequence(self) -> Shape:
        lengths, first = frozenset({0}), frozenset[str]()
        while self.peek() not in ("", "|", ")"):
            item_lengths, item_first = self.quantified(self.atom())
            if 0 in lengths:  # all before can be empty: this item can start the string
                first |= item_first
            lengths = frozenset(a + b for a in lengths for b in item_lengths)
        return lengths, first

    def atom(self) -> Shape:
        char = self.peek()
        if char.isdigit() and char.isascii():
            self.pos += 1
            return frozenset({1}), frozenset(char)
        if char == "[":
            return self.digit_class()
        self.take("(?:")
        shape = self.alternation()
        self.take(")")
        return shape

    def digit_class(self) -> Shape:
        self.take("[")
        chars: set[str] = set()
        while self.peek() != "]":
            low = self.digit()
            high = low
            if self.peek() == "-":
                self.take("-")
                high = self.digit()
            if high < low:
                raise ValueError(self.pattern)
            chars.update(chr(c) for c in range(ord(low), ord(high) + 1))
        self.take("]")
        if not chars:
            raise ValueError(self.pattern)
        return frozenset({1}), frozenset(chars)

    def digit(self) -> str:
        char = self.peek()
        if not (char.isdigit() and char.isascii()):
            raise ValueError(self.pattern)
        self.pos += 1
        return char

    def number(self) -> int:
        start = self.pos
        while self.peek().isdigit() and self.peek().isascii():
            self.pos += 1
        if self.pos == start:
            raise ValueError(self.pattern)
        return int(self.pattern[start : self.pos])

    def quantified(self, shape: Shape) -> Shape:
        if self.peek() == "?":
            self.take("?")
            low, high = 0, 1
        elif self.peek() == "{":
            self.take("{")
            low = high = self.number()
            if self.peek() == ",":
                self.take(",")
                high = self.number()
            self.take("}")
        else:
            return shape
        if high < low:
            raise ValueError(self.pattern)
        lengths, first = shape
        repeated = frozenset({0})
        reachable: set[int] = {0} if low == 0 else set()
        for count in range(1, high + 1):
            repeated = frozenset(a + b for a in repeated for b in lengths)
            if count >= low:
                reachable |= repeated
        return frozenset(reachable), (first if high >= 1 else frozenset())


CarrierTables = tuple[tuple[int, dict[str, str]], ...]


@cache
def _carrier_tables() -> CarrierTables:
    """NSN-prefix -> carrier tables, longest prefix first, from phonenumbers' carrier data.

    Importing that data loads every country's carriers, a tenth of a second
    on each run for the 23 Iranian entries; so the Iranian tables are kept in
    the user's cache directory, keyed by the phonenumbers version (a new
    version rebuilds them). A cache that cannot be read or written is rebuilt
    or skipped, never trusted.
    """
    path = _carrier_cache_path()
    try:
        return _tables_from_json(path.read_text("utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    tables = _carrier_tables_from_phonenumbers()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as tmp:
            json.dump([[length, table] for length, table in tables], tmp, ensure_ascii=False)
        Path(tmp.name).replace(path)
    except OSError:
        pass
    return tables


def _carrier_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "p2pfile" / f"ir-carriers-phonenumbers-{phonenumbers.__version__}.json"


def _tables_from_json(text: str) -> CarrierTables:
    data = json.loads(text)
    if not isinstance(data, list) or not data:
        raise TypeError("not a carrier table")
    tables: list[tuple[int, dict[str, str]]] = []
    for length, table in data:
        if not isinstance(length, int) or not isinstance(table, dict):
            raise TypeError("not a carrier table")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise TypeError("not a carrier table")
        tables.append((length, table))
    return tuple(tables)


def _carrier_tables_from_phonenumbers() -> CarrierTables:
    """Mirrors phonenumbers' lookup: the longest key that prefixes ``98 + NSN``
    and has an English name wins."""
    from phonenumbers import carrierdata  # noqa: PLC0415 - see _carrier_tables

    by_length: dict[int, dict[str, str]] = {}
    cc = str(IR_COUNTRY_CODE)
    for key, names in carrierdata.CARRIER_DATA.items():
        name = names.get("en")
        if name is None or not (key.startswith(cc) or cc.startswith(key)):
            continue
        nsn_prefix = key[len(cc) :] if key.startswith(cc) else ""
        by_length.setdefault(len(nsn_prefix), {})[nsn_prefix] = name
    return tuple(sorted(by_length.items(), reverse=True))


@cache
def _carrier_by_prefix() -> tuple[int, dict[str, str]]:
    """All carrier keys folded into one table of the longest prefix length.

    Shorter keys are expanded to every longer prefix they cover, then longer
    keys override them: one lookup per number gives the longest-prefix match.
    """
    tables = _carrier_tables()
    width = tables[0][0] if tables else 0
    folded: dict[str, str] = {}
    for length, table in reversed(tables):  # shortest first, so longer keys win
        for prefix, name in table.items():
            span = 10 ** (width - length)
            for tail in range(span):
                suffix = str(tail).zfill(width - length) if width > length else ""
                folded[prefix + suffix] = display_carrier(name)
    return width, folded


#: The widest carrier prefix looked up by position: a table of 10**width names.
_POSITIONAL_WIDTH: Final = 5


@cache
def _carrier_by_position() -> pl.Series | None:
    """:func:`_carrier_by_prefix` as a Series whose position is the prefix read as a number.

    None when the table would be too large, or when a valid Iranian NSN (its
    length one the general description allows) could be shorter than the
    prefixes: read as a number, a short prefix would take a longer one's place.
    """
    width, folded = _carrier_by_prefix()
    meta = PhoneMetadata.metadata_for_region("IR")
    general = _desc(meta.general_desc) if meta is not None else None
    if not 0 < width <= _POSITIONAL_WIDTH or general is None or not general.lengths:
        return None
    if min(general.lengths) < width:
        return None
    names = [folded.get(str(p).zfill(width), "unknown") for p in range(10**width)]
    return pl.Series(names, dtype=pl.String)


def iranian_carrier_expr(nsn: pl.Expr, *, skip: int = 0) -> pl.Expr:
    """Vectorized :func:`iranian_carrier`, for NSNs already known to be valid mobiles.

    ``skip``: characters before the NSN, 3 for E.164 (``+98``), so that no
    NSN column has to be cut out first.
    """
    width, folded = _carrier_by_prefix()
    prefix = nsn.str.slice(skip, width)
    by_position = _carrier_by_position()
    if by_position is None:
        return prefix.replace_strict(folded, default="unknown", return_dtype=pl.String)
    # Parsing four digits and indexing costs a third less than hashing the string.
    carrier = pl.lit(by_position).gather(prefix.str.to_integer(strict=False))
    name = nsn.meta.output_name(raise_if_undetermined=False)
    return carrier if name is None else carrier.alias(name)
