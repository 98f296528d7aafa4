"""SMS encoding (GSM-7 or UCS-2), units and parts, as an SMSC will bill them.

The contract is ``spec/sms-segments.md``: GSM-7 when every character is in
the 3GPP TS 23.038 default alphabet or its extension table, otherwise the
whole message is UCS-2; units are septets (extension characters cost two) or
UTF-16 code units (astral characters cost two); a single part holds 160/70
units, a part of a longer message 153/67, and an escape pair or a surrogate
pair is never split across parts (greedy packing, not ``ceil``).

Two faces give the same answers: :func:`analyze_message` is the readable
per-message reference; :func:`analyze_messages` and :func:`message_expr`
compute whole columns with polars from the few characters of each message
outside the common set (:func:`odd_chars`), packing exactly only the few
messages whose pairs may straddle a part boundary.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from p2pfile._chars import PERSIAN_DIGITS, PLAIN, PLAIN_ASCII, rust_class
from p2pfile._column import column_arg, expr_arg, text_arg

__all__ = [
    "GSM_BASIC",
    "GSM_EXTENSION",
    "MESSAGE_DTYPE",
    "Encoding",
    "MessageInfo",
    "NonGsmChar",
    "analyze_message",
    "analyze_messages",
    "analyzed_message_expr",
    "message_expr",
    "odd_chars",
]

Encoding = Literal["GSM-7", "UCS-2"]

#: The 127 characters of the GSM 7-bit default alphabet (TS 23.038 6.2.1), in code order.
#: 0x1B is ESC, the escape to the extension table, and is not a character: a
#: U+001B in a message forces UCS-2.
GSM_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
).replace("\x1b", "")
#: The extension table (6.2.1.1): each costs two septets, ESC + code.
GSM_EXTENSION: Final = "\x0c^{}\\[~]|€"

_BASIC: Final = frozenset(GSM_BASIC)
_EXTENSION: Final = frozenset(GSM_EXTENSION)

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

#: The polars dtype of :func:`message_expr`.
MESSAGE_DTYPE: Final = pl.Struct(
    {
        "encoding": pl.String,
        "units": pl.Int64,
        "parts": pl.Int64,
        "per_part_limit": pl.Int64,
        "chars": pl.Int64,
    }
)


@dataclass(frozen=True, slots=True)
class NonGsmChar:
    """A character that forces UCS-2, at its 0-based code-point index in the sent text."""

    index: int
    char: str

    @property
    def codepoint(self) -> str:
        """``U+201C`` style."""
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        """The Unicode name, or the code point for unnamed characters (controls, surrogates)."""
        return unicodedata.name(self.char, self.codepoint)


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """How a message will be sent and billed.

    ``units`` are septets (GSM-7) or UTF-16 code units (UCS-2); ``parts`` is
    the number of SMS parts; ``per_part_limit`` is 160/70 for a single part and
    153/67 otherwise; ``chars`` counts code points (what the provider's
    1400-character limit counts); ``non_gsm`` lists every character that
    forces UCS-2 (empty for GSM-7).
    """

    encoding: Encoding
    units: int
    parts: int
    per_part_limit: int
    chars: int
    non_gsm: tuple[NonGsmChar, ...]


def _is_high_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


def _is_low_surrogate(ch: str) -> bool:
    return "\udc00" <= ch <= "\udfff"


def _atoms(text: str, gsm: bool) -> list[int]:
    """The sizes of the indivisible units of ``text``, in order (spec §3 step 2)."""
    if gsm:
        return [2 if ch in _EXTENSION else 1 for ch in text]
    sizes: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ord(ch) > 0xFFFF:
            sizes.append(2)
        elif _is_high_surrogate(ch) and i + 1 < len(text) and _is_low_surrogate(text[i + 1]):
            # A surrogate pair held as two code points (e.g. from 'surrogatepass').
            sizes.append(2)
            i += 1
        else:
            sizes.append(1)
        i += 1
    return sizes


def _pack(atoms: list[int], multi: int) -> int:
    """Greedy packing: an atom that does not fit in what is left opens a new part."""
    parts, used = 1, 0
    for size in atoms:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts


def analyze_message(text: str, *, suffix: str = "") -> MessageInfo:
    """Encoding, units and parts of ``text`` as sent, with ``suffix`` (the opt-out word) appended.

    >>> analyze_message("a" * 152 + "€" + "a" * 152).parts
    3
    """
    sent = text_arg(text, "analyze_message()") + text_arg(suffix, "analyze_message()", "suffix")
    non_gsm = tuple(
        NonGsmChar(i, ch) for i, ch in enumerate(sent) if ch not in _BASIC and ch not in _EXTENSION
    )
    gsm = not non_gsm
    atoms = _atoms(sent, gsm)
    units = sum(atoms)
    single, multi = (GSM_SINGLE, GSM_MULTI) if gsm else (UCS2_SINGLE, UCS2_MULTI)
    if units <= single:
        parts, limit = 1, single
    else:
        parts, limit = _pack(atoms, multi), multi
    return MessageInfo("GSM-7" if gsm else "UCS-2", units, parts, limit, len(sent), non_gsm)


# -- the vectorized face ---------------------------------------------------------

_NOT_GSM: Final = rust_class(_BASIC | _EXTENSION, negate=True)
_EXTENSION_CLASS: Final = rust_class(_EXTENSION)
_NOT_EXTENSION_CLASS: Final = rust_class(_EXTENSION, negate=True)
_ASTRAL: Final = r"[\x{10000}-\x{10FFFF}]"
_NOT_ASTRAL: Final = r"[^\x{10000}-\x{10FFFF}]"
# Every character outside PLAIN; and, when the first character past plain ASCII is a
# Persian digit, the stretch up to it: a Latin message that only Persian digits make
# UCS-2 has no other odd character, yet M203 must find it. (The stretch is plain
# ASCII and a Persian digit, GSM and look-alikes only: the encoding and units drawn
# from odd_chars, and the rules' tests of it, are the same with it or without it.)
_ODD_PATTERN: Final = (
    f"^{rust_class(PLAIN_ASCII)}*{rust_class(PERSIAN_DIGITS)}|{rust_class(PLAIN, negate=True)}"
)


def odd_chars(text: pl.Expr) -> pl.Expr:
    """The characters of ``text`` outside :data:`p2pfile._chars.PLAIN`, in order ("" for null).

    A character outside ``PLAIN`` is in ``text`` exactly when it is here, and most
    messages have none or a few, so a test of this column costs a tenth of one
    over the text. (When the first character past plain ASCII is a Persian digit,
    the stretch up to it is kept too, see ``_ODD_PATTERN``.) One regex pass;
    ``check.analyze`` keeps the result as the ``odd_chars`` column, for the
    message analysis and the message rules' prefilters.
    """
    return text.fill_null("").str.extract_all(_ODD_PATTERN).list.join("")


def analyze_messages(
    values: pl.Series | Sequence[str | None] | Iterable[str | None], *, suffix: str = ""
) -> pl.DataFrame:
    """Analyze a whole column, one row per input in input order.

    Columns: ``encoding``, ``units``, ``parts``, ``per_part_limit``, ``chars``;
    a null message is analyzed as empty.
    """
    series = column_arg(values, "analyze_messages()", "analyze_message()")
    return _analyze_series(series, text_arg(suffix, "analyze_messages()", "suffix"))


def message_expr(column: str | pl.Expr, *, suffix: str = "") -> pl.Expr:
    """The analyzer as an expression for a LazyFrame pipeline: a struct of :data:`MESSAGE_DTYPE`."""
    expr = expr_arg(column, "message_expr()")
    return expr.cast(pl.String).map_batches(
        lambda s: _analyze_series(s, suffix).to_struct(s.name),
        return_dtype=MESSAGE_DTYPE,
        is_elementwise=True,
    )


def analyzed_message_expr(text: str, odd: str, *, suffix: str = "") -> pl.Expr:
    """:func:`message_expr` of column ``text``, whose :func:`odd_chars` are column ``odd``.

    For a frame that keeps the odd characters anyway (``check.analyze``): they
    are extracted once, by a plain expression the engine can run in parallel.
    """
    return pl.struct(text, odd).map_batches(
        lambda s: _analyze(s.struct.field(text), s.struct.field(odd), suffix).to_struct(text),
        return_dtype=MESSAGE_DTYPE,
        is_elementwise=True,
    )


#: Rows per chunk for the regex pass of :func:`odd_chars` over a large series: polars
#: runs an expression over the chunks of a frame in parallel, over one chunk on one core.
_CHUNK_ROWS: Final = 100_000


def _analyze_series(series: pl.Series, suffix: str) -> pl.DataFrame:
    chunks = [series.slice(at, _CHUNK_ROWS) for at in range(0, series.len(), _CHUNK_ROWS)]
    text = pl.concat(chunks, rechunk=False) if len(chunks) > 1 else series
    odd = text.to_frame("text").lazy().select(odd_chars(pl.col("text"))).collect().to_series()
    return _analyze(series, odd, suffix)


def _analyze(text: pl.Series, odd: pl.Series, suffix: str) -> pl.DataFrame:
    """The columns of :data:`MESSAGE_DTYPE` for ``text + suffix``, given ``odd_chars(text)``.

    A plain character is GSM basic and one septet when ASCII, UCS-2 and one
    unit otherwise, so the text is GSM-7 when its odd characters are and it has
    no plain non-ASCII one (its bytes past the first of each character are then
    all in ``odd``); escape pairs (GSM-7) and astral characters (UCS-2) are odd,
    counted there. The suffix, one string, is analyzed in Python and added.
    """
    c = pl.col
    suffix_gsm = all(ch in _BASIC or ch in _EXTENSION for ch in suffix)
    suffix_extension = sum(ch in _EXTENSION for ch in suffix)
    suffix_astral = sum(ord(ch) > 0xFFFF for ch in suffix)
    # In stages, each value computed once (one select repeating them costs twice as much).
    frame = (
        pl.DataFrame({"text": text.fill_null(""), "odd": odd.fill_null("")})
        .lazy()
        .select(
            "text",
            text_chars=c("text").str.len_chars().cast(pl.Int64),
            odd_gsm=~c("odd").str.contains(_NOT_GSM),
            odd_extra_bytes=c("odd").str.len_bytes().cast(pl.Int64)
            - c("odd").str.len_chars().cast(pl.Int64),
            extension=c("odd").str.count_matches(_EXTENSION_CLASS).cast(pl.Int64),
            astral=c("odd").str.count_matches(_ASTRAL).cast(pl.Int64),
        )
        .select(
            "text",
            chars=c("text_chars") + len(suffix),
            gsm=c("odd_gsm")
            & (c("text").str.len_bytes().cast(pl.Int64) - c("text_chars") == c("odd_extra_bytes"))
            & pl.lit(suffix_gsm),
            extension=c("extension") + suffix_extension,
            astral=c("astral") + suffix_astral,
        )
        .select(
            "text",
            "chars",
            "gsm",
            pairs=pl.when(c("gsm")).then(c("extension")).otherwise(c("astral")),
            single=pl.when(c("gsm")).then(GSM_SINGLE).otherwise(UCS2_SINGLE).cast(pl.Int64),
            multi=pl.when(c("gsm")).then(GSM_MULTI).otherwise(UCS2_MULTI).cast(pl.Int64),
        )
        .with_columns(units=c("chars") + c("pairs"))
        .with_columns(
            multipart=c("units") > c("single"),
            ceil=(c("units") + c("multi") - 1) // c("multi"),
        )
        .with_columns(
            parts=pl.when(c("multipart")).then(c("ceil")).otherwise(1).cast(pl.Int64),
            # Packing moves at most one pair a part, wasting a unit each time: when the
            # first ceil-1 parts cannot waste more than the last one has free, ceil is exact.
            exact=c("multipart")
            & (pl.min_horizontal(c("pairs"), c("ceil") - 1) > c("ceil") * c("multi") - c("units")),
        )
        .collect()
    )
    exact = frame.get_column("exact")
    if exact.any():
        where = exact.arg_true()
        rows = frame[where].with_columns(sent=c("text") + pl.lit(suffix))
        frame = frame.with_columns(
            parts=frame.get_column("parts").scatter(where, _packed_parts(rows))
        )
    return frame.select(
        encoding=pl.when(c("gsm")).then(pl.lit("GSM-7")).otherwise(pl.lit("UCS-2")),
        units=c("units"),
        parts=c("parts"),
        per_part_limit=pl.when(c("multipart")).then(c("multi")).otherwise(c("single")),
        chars=c("chars"),
    )


def _packed_parts(frame: pl.DataFrame) -> pl.Series:
    """Exact greedy packing for multi-part messages that hold escape or surrogate pairs.

    For each message, the unit offsets where its pairs start: a run of
    ``L`` characters ending in a pair spans ``L + 1`` units, and its pair
    starts one unit before the run's end. A part that starts at unit ``b``
    ends at ``b + multi``, or one unit early when a pair starts at
    ``b + multi - 1`` (the pair moves whole to the next part). One vectorized
    step per part, over the messages still open.
    """
    c = pl.col
    runs = (
        pl.when(c("gsm"))
        .then(c("sent").str.extract_all(f"{_NOT_EXTENSION_CLASS}*{_EXTENSION_CLASS}"))
        .otherwise(c("sent").str.extract_all(f"{_NOT_ASTRAL}*{_ASTRAL}"))
    )
    state = frame.select(
        idx=pl.int_range(pl.len(), dtype=pl.Int64),
        pair_starts=runs.list.eval((pl.element().str.len_chars().cast(pl.Int64) + 1).cum_sum() - 2),
        units=c("units"),
        multi=c("multi"),
        start=pl.lit(0, dtype=pl.Int64),
        parts=pl.lit(1, dtype=pl.Int64),
    )
    done: list[pl.DataFrame] = []
    while state.height:
        is_open = state.get_column("units") - state.get_column("start") > state.get_column("multi")
        done.append(state.filter(~is_open).select("idx", "parts"))
        state = state.filter(is_open).with_columns(
            start=c("start")
            + c("multi")
            - c("pair_starts").list.contains(c("start") + c("multi") - 1).cast(pl.Int64),
            parts=c("parts") + 1,
        )
    return pl.concat(done).sort("idx").get_column("parts")
