"""Masking of personal data in formats that leave the machine.

Two faces that agree, as ``phone`` and ``sms`` have: :func:`mask_phone` is the
readable reference for one value, :func:`mask_phone_expr` does the same over a
polars column so a million-row report is redacted without a Python loop.

A masked recipient keeps what a reviewer needs and no more: the prefix up to
the operator block (``0912``, ``+98912``), the last four characters and the
length. An Iranian mobile has seven subscriber digits after the block, so
three of them are always hidden.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from p2pfile._chars import DIGIT_CLASS
from p2pfile.rules.message import QUOTE_AFTER

__all__ = [
    "mask_numbers_in_text",
    "mask_phone",
    "mask_phone_expr",
    "message_excerpt",
    "message_excerpt_expr",
    "redact_frame",
]

#: Values shorter than this are masked entirely: too little would stay hidden.
SHORT: Final = 10
#: Characters kept at the end.
TAIL: Final = 4
#: Subscriber digits hidden in a well-formed number (seven after the block, minus TAIL).
HIDDEN: Final = 3
#: At most this much of the start is kept: ``+98912`` (country code and operator block).
MAX_HEAD: Final = 6
#: Message excerpts in outbound formats keep this many characters.
EXCERPT: Final = 20
ELLIPSIS: Final = "…"


def mask_phone(value: str) -> str:
    """Mask a recipient: ``09121234567`` -> ``0912***4567``, ``+989121234567`` -> ``+98912***4567``.

    Values under 10 characters become one ``*`` per character, so only their
    length shows (an invalid-length finding stays readable).
    """
    n = len(value)
    if n < SHORT:
        return "*" * n
    head = min(n - TAIL - HIDDEN, MAX_HEAD)
    return value[:head] + "*" * (n - head - TAIL) + value[-TAIL:]


def mask_phone_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`mask_phone` over a string column; nulls stay null."""
    # Int64: len_chars is unsigned, and ``n - 7`` must not wrap for short values.
    n = expr.str.len_chars().cast(pl.Int64)
    short = n < SHORT
    head = pl.when(short).then(0).otherwise((n - TAIL - HIDDEN).clip(0, MAX_HEAD))
    tail = pl.when(short).then(0).otherwise(TAIL)
    # A run of stars as long as the hidden part: an empty string padded with
    # "*" (arithmetic and padding, no regex over every character).
    stars = expr.str.slice(0, 0).str.pad_start(n - head - tail, "*")
    return pl.concat_str(expr.str.slice(0, head), stars, expr.str.slice(n - tail, tail))


def message_excerpt(value: str) -> str:
    """A message as published: the first 20 characters, ``…`` when there is more, and
    every digit a ``*`` (a phone number or a one-time code near the start would
    otherwise leave the machine; a finding's ``character N`` still points right)."""
    cut = value if len(value) <= EXCERPT else value[:EXCERPT] + ELLIPSIS
    return _DIGIT.sub("*", cut)


def message_excerpt_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`message_excerpt` over a string column; nulls stay null."""
    return (
        pl.when(expr.str.len_chars() > EXCERPT)
        .then(pl.concat_str(expr.str.slice(0, EXCERPT), pl.lit(ELLIPSIS)))
        .otherwise(expr)
        .str.replace_all(DIGIT_CLASS, "*")
    )


def redact_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A findings frame whose ``value`` and ``fix_replacement`` are safe to publish.

    Message values are cut to an excerpt with their digits hidden
    (:func:`message_excerpt`); everything else is masked as a phone number,
    including values of whole-file findings (``field`` null): a raw record or
    header quoted by a structure rule may hold a recipient. A whole-file
    finding's message may quote the record it is about (F201's first record,
    F202's header, F205's cells not read): the numbers in those are masked
    (:func:`mask_numbers_in_text`). A row finding's message may quote its cell
    (M401's placeholder, M402's artifact, M104's text as it was meant): the
    digits of the quote are hidden (``QUOTE_AFTER``), and phone-like runs
    anywhere in the message.
    """
    is_message = pl.col("field") == "message"

    def redact(column: str) -> pl.Expr:
        col = pl.col(column)
        return pl.when(is_message).then(message_excerpt_expr(col)).otherwise(mask_phone_expr(col))

    whole_file = frame.get_column("field").is_null()
    # Few distinct messages (a handful per file, one per record for F205/F207 at most):
    # each is masked once in Python, then put back by lookup.
    whole = frame.get_column("message").filter(whole_file).unique().drop_nulls().to_list()
    masked = {text: mask_numbers_in_text(text) for text in whole}
    changed = {text: new for text, new in masked.items() if new != text}
    # One pass over the column for the row findings (many distinct messages).
    message = pl.col("message").str.replace_all(_NUMBER_IN_TEXT.pattern, "*" * SHORT)
    for code, marker in QUOTE_AFTER.items():
        # What the rule quotes from the cell is an excerpt too: its digits are hidden.
        parts = message.str.splitn(marker, 2)
        quoted = pl.concat_str(
            parts.struct.field("field_0"),
            pl.lit(marker),
            parts.struct.field("field_1").str.replace_all(DIGIT_CLASS, "*"),
        )
        message = (
            pl.when((pl.col("code") == code) & message.str.contains(marker, literal=True))
            .then(quoted)
            .otherwise(message)
        )
    if changed:
        message = (
            pl.when(pl.col("field").is_null())
            .then(pl.col("message").replace(changed))
            .otherwise(message)
        )
    return frame.with_columns(
        value=redact("value"),
        fix_replacement=redact("fix_replacement"),
        message=message,
    )


#: A phone-like run: ten digits or more (every Iranian mobile, written any way), with
#: at most two separators between two digits. Shorter runs (line numbers, byte
#: offsets, short codes) are left readable.
_NUMBER_IN_TEXT: Final = re.compile(f"{DIGIT_CLASS}(?:[\\s\\-.()/]{{0,2}}{DIGIT_CLASS}){{9,}}")


_DIGIT: Final = re.compile(DIGIT_CLASS)


def mask_numbers_in_text(text: str) -> str:
    """``text`` with every phone-like run of digits masked by :func:`mask_phone`.

    >>> mask_numbers_in_text("the first record ('09121234567,hi') is data")
    "the first record ('0912***4567,hi') is data"
    """
    return _NUMBER_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
