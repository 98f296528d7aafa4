"""Character classes shared by the scalar (Python) and vectorized (polars/Rust) faces.

Python's ``re`` and Rust's ``regex`` disagree at the edges: ``\\s`` in Python
also matches U+001C..U+001F, and ``\\p{Cf}`` in Rust follows a newer Unicode
than this Python's ``unicodedata``. The two faces must give the same answer
for every input, so every class used by both is built here, once, from one
definition, and rendered for each engine.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Final

#: Unicode's White_Space property, exactly (what Rust's ``\s`` and ``trim`` use).
WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)

#: Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, mapped to ASCII.
NON_ASCII_DIGITS: Final = {chr(0x06F0 + i): str(i) for i in range(10)} | {
    chr(0x0660 + i): str(i) for i in range(10)
}
#: Every digit a recipient may be written in: ASCII, Persian, Arabic-Indic.
DIGITS: Final = frozenset("0123456789") | frozenset(NON_ASCII_DIGITS)
#: :data:`DIGITS` as a character class, for Python's ``re`` and for Rust's regex alike
#: (three ranges of literal characters).
DIGIT_CLASS: Final = "[0-9\u06f0-\u06f9\u0660-\u0669]"

#: Planes that hold format (Cf) characters in every Unicode version so far:
#: the BMP, the SMP (e.g. U+1BCA0, U+13430) and plane 14 (tags, U+E0001..).
#: Scanning just these keeps the first call to ~20 ms instead of ~170 ms.
_CF_PLANES: Final = ((0x0000, 0x20000), (0xE0000, 0xE1000))


@cache
def format_chars() -> frozenset[str]:
    """Every code point of General_Category Cf known to this Python's unicodedata."""
    return frozenset(
        chr(cp)
        for start, stop in _CF_PLANES
        for cp in range(start, stop)
        if unicodedata.category(chr(cp)) == "Cf"
    )


def _ranges(chars: Iterable[str]) -> list[tuple[int, int]]:
    points = sorted({ord(c) for c in chars})
    out: list[tuple[int, int]] = []
    for p in points:
        if out and out[-1][1] == p - 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def rust_class(chars: Iterable[str], *, negate: bool = False) -> str:
    """A Rust-regex character class matching exactly ``chars`` (``\\x{..}`` escapes only)."""
    body = "".join(
        f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in _ranges(chars)
    )
    return f"[{'^' if negate else ''}{body}]"


#: Persian digits (U+06F0..U+06F9).
PERSIAN_DIGITS: Final = frozenset(chr(0x06F0 + i) for i in range(10))

#: Printable ASCII that GSM-7 sends as one septet (not the extension table's
#: ``^{}\[~]|``, not the backtick), and LF.
PLAIN_ASCII: Final = (
    frozenset(chr(cp) for cp in range(0x20, 0x7F)) - frozenset("^{}\\[~]|`")
) | frozenset("\n")

#: What most messages are made of: :data:`PLAIN_ASCII`, and the Persian letters,
#: digits, punctuation, harakat and ZWNJ. Every plain non-ASCII character is
#: UCS-2 and in the BMP, so a message's encoding and units follow from its other
#: characters (``sms.odd_chars``), a few per message at most, and so do most
#: message rules' candidates: CR (M204), controls, Latin-1, look-alikes, emoji
#: and every other script are not plain. Two exceptions: Arabic ي and ك are
#: plain, as M301 finds them by a literal search, fast, while keeping them would
#: cost more (a message that has them has several, often every ی and ک written
#: so); Persian digits are plain, and ``odd_chars`` keeps them only where M203
#: needs them.
PLAIN: Final = (
    PLAIN_ASCII
    | PERSIAN_DIGITS
    | frozenset(chr(cp) for cp in range(0x0621, 0x0653))  # Arabic letters and harakat
    | frozenset("\u067e\u0686\u0698\u06a9\u06af\u06c0\u06cc")  # پ چ ژ ک گ ۀ ی
    | frozenset("\u060c\u061b\u061f\u066a\u066b\u066c")  # ، ؛ ؟ ٪ ٫ ٬
    | frozenset("\u200c")  # ZWNJ, in most Persian messages
)

#: Excel's error values, lowercased: what a cell shows, and what a CSV export
#: writes, when its formula failed (``#SPILL!`` to ``#GETTING_DATA`` are Excel
#: 365's). Compared with the cell lowercased.
SPREADSHEET_ERRORS: Final = (
    "#n/a",
    "#value!",
    "#ref!",
    "#name?",
    "#div/0!",
    "#num!",
    "#null!",
    "#spill!",
    "#calc!",
    "#getting_data",
    "#field!",
    "#blocked!",
    "#connect!",
    "#busy!",
    "#unknown!",
    "#python!",
)

#: LibreOffice's error values: ``Err:`` and a three-digit code (``Err:502``, an invalid
#: argument; ``Err:520``, ...), what a cell shows and its CSV export writes for a failed
#: formula (its other errors are Excel's, above). Any case, as those are; a pattern for
#: Python's ``re`` and Rust's regex alike.
LIBREOFFICE_ERROR: Final = r"^[Ee][Rr][Rr]:[0-9]{3}$"

#: What exports write for an empty cell: pandas ``nan``, Python ``None``, SQL ``NULL``,
#: ``\\N``, NULL in MySQL and PostgreSQL dumps (``INTO OUTFILE``, ``COPY``), and R's
#: ``NA`` (``write.csv`` writes a missing value so).
NULL_WORDS: Final = ("nan", "none", "null", "\\n", "na")

#: A cell holding one of these (any case) is empty: ``N/A`` typed by hand, an
#: export's word for nothing, or an Excel error (a failed lookup, ``#REF!``...); so is
#: a LibreOffice error (``Err:502``, :data:`LIBREOFFICE_ERROR`).
NULL_MARKERS: Final = (*NULL_WORDS, "n/a", *SPREADSHEET_ERRORS)

#: Joiners that Persian spelling needs (ZWNJ in ``شماره‌ها``, ZWJ): shown as they are by
#: :func:`quoted`, where Python's ``repr`` would write ``\u200c``.
_JOINERS: Final = {"\\u200c": "\u200c", "\\u200d": "\u200d"}


def quoted(text: str) -> str:
    """``text`` quoted for a finding's message, as ``repr`` quotes it (so a stray space,
    tab or control character shows), except for the joiners of Persian spelling."""
    shown = repr(text)
    for escaped, joiner in _JOINERS.items():
        shown = shown.replace(escaped, joiner)
    return shown
