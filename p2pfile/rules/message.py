"""M1xx (content), M2xx (length, encoding, cost), M3xx (Persian text), M4xx (leftovers).

Lengths and parts are counted on the text as it will be sent: the
configured ``suffix`` (the provider's opt-out word) included.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import polars as pl

from p2pfile import _chars
from p2pfile.rules import Finding, Options, row_rule
from p2pfile.sms import (
    GSM_BASIC,
    GSM_EXTENSION,
    GSM_MULTI,
    UCS2_MULTI,
    analyze_messages,
    message_expr,
)

c = pl.col

#: What the messages of the rules that quote their cell say before the quote: the
#: formats that leave the machine hide the digits after it (a code, a number).
QUOTE_AFTER: Final = {
    "M104": "it should read: ",
    "M401": "unresolved placeholder ",
    "M402": ": ",
}

_WS: Final = _chars.WHITESPACE


def _stripped() -> pl.Expr:
    # strip_chars() with no argument trims Unicode White_Space, exactly _chars.WHITESPACE,
    # and takes a fast path that an explicit character set does not (0.2 s vs 0.6 s per 1M).
    return c("message").fill_null("").str.strip_chars()


def _edge_whitespace() -> pl.Expr:
    """The message is empty, or starts or ends with whitespace (``edge_space``, see check)."""
    return c("edge_space")


def _has_odd(pattern: str) -> pl.Expr:
    """The message holds a character of ``pattern``, a class of characters outside ``_chars.PLAIN``.

    Tested on ``odd_chars``, the few characters of the message outside ``PLAIN``
    (most rows have none): a tenth of the cost of a test over the text.
    """
    return c("odd_chars").str.contains(pattern)


def _first_column(pattern: str, text: pl.Expr | None = None) -> pl.Expr:
    """1-based character column of the first match of ``pattern`` in the message (or in
    ``text``, a rewrite of it of the same length)."""
    text = c("message") if text is None else text
    # str.find (a plain search) gives the byte offset; the characters before it are counted
    # in the bytes up to it (a capture group of what precedes the match costs more).
    before = text.cast(pl.Binary).bin.head(text.str.find(pattern))
    return before.cast(pl.String).str.len_chars().cast(pl.Int64) + 1


def _describe(chars: set[str] | frozenset[str], first: pl.Expr) -> pl.Expr:
    """``U+201C LEFT DOUBLE QUOTATION MARK`` for the character ``first`` extracted."""
    names = {ch: f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}" for ch in chars}
    return first.replace_strict(names, default="a character", return_dtype=pl.String)


@row_rule("M101", "empty-message", "error", field="message")
def empty_message(options: Options) -> Finding:
    """The message is empty, or shows nothing: whitespace and invisible characters only.

    Why: the provider rejects it, or sends and bills a blank SMS. Invisible
    characters are ZWNJ, RLM/LRM, the BOM and other format characters,
    controls, and the letters that draw nothing (U+2800 BRAILLE PATTERN BLANK,
    the Hangul fillers): a cell holding only a ZWNJ looks empty in Excel too.
    Example: ``"\u200c"``. Fix: write the message, or drop the row
    (``p2pfile fix --rejects``).
    """
    invisible = _chars.rust_class(_INVISIBLE)
    visible = _chars.rust_class(_INVISIBLE, negate=True)
    shown = _chars.rust_class(set(_WS), negate=True)  # the first that is not whitespace
    return Finding(
        # Showing nothing, with no whitespace at an edge, the message starts with an
        # invisible character that is not whitespace: the ZWNJ (the one that is plain),
        # or one outside PLAIN, which then starts odd_chars too.
        prefilter=_edge_whitespace()
        | c("message").str.starts_with("\u200c")
        | c("odd_chars").str.contains(f"^{invisible}"),
        hit=~c("message").fill_null("").str.contains(visible),
        message=pl.when(_stripped() == "")
        .then(pl.lit("the message is empty"))
        .otherwise(
            pl.lit("the message shows nothing: only invisible characters (first: ")
            + _describe(_INVISIBLE, c("message").str.extract(f"({shown})", 1))
            + pl.lit(")")
        ),
    )


@row_rule(
    "M102",
    "surrounding-whitespace",
    "warning",
    field="message",
    fix="safe",
    fix_message="trim the whitespace",
)
def surrounding_whitespace(options: Options) -> Finding:
    """Leading or trailing whitespace or line breaks in a message.

    Why: each costs a unit and can push a message into another part.
    Example: ``"Hello \\n"``. Fix (safe): trimmed.
    """
    stripped = _stripped()
    return Finding(
        prefilter=_edge_whitespace(),
        # Not when the message shows nothing anyway (M101: trimming cannot save it).
        hit=(c("message") != stripped)
        & c("message").str.contains(_chars.rust_class(_INVISIBLE, negate=True)),
        message=pl.lit("leading or trailing whitespace or line breaks (each costs a unit)"),
        replacement=stripped,
    )


_CONTROLS: Final = frozenset(
    chr(cp) for cp in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(cp) not in "\n\r"
)
_CONTROL_NAMES: Final = {
    "\t": "TAB",
    "\x0b": "VERTICAL TAB",
    "\x0c": "FORM FEED",
    "\x00": "NUL",
    "\x1b": "ESC",
    "\x7f": "DEL",
}


#: What shows nothing on a phone: whitespace, format characters (ZWNJ, RLM/LRM, the
#: BOM, bidi isolates...) and controls, CR and LF included.
#: Letters that draw nothing, which people paste to send a "blank" message: the Braille
#: blank and the Hangul fillers (as used for empty names in messengers).
_BLANK_LETTERS: Final = frozenset("\u2800\u3164\u115f\u1160\uffa0")
_INVISIBLE: Final = (
    frozenset(_WS) | _chars.format_chars() | _CONTROLS | frozenset("\r\n") | _BLANK_LETTERS
)

#: The controls that are whitespace (TAB, VT, FF, NEL): they separate words.
_SPACING_CONTROLS: Final = _CONTROLS & frozenset(_WS)


def without_controls(text: pl.Expr) -> pl.Expr:
    """M103's fix: controls deleted, but a spacing control that alone separates two words
    becomes a space (``Hello\\tworld`` is ``Hello world``, not ``Helloworld``).

    Where a spacing control touches other whitespace or an edge, deleting it
    joins nothing, so it is deleted, as every other control is (a NUL or ESC
    is no separator). The result holds no control, so fixing again changes nothing.
    """
    ws = _chars.rust_class(set(_WS) - _SPACING_CONTROLS)
    # Other controls go first, so a NUL is free to mark where a run of spacing controls was.
    text = text.str.replace_all(_chars.rust_class(_CONTROLS - _SPACING_CONTROLS), "")
    marked = text.str.replace_all(f"{_chars.rust_class(_SPACING_CONTROLS)}+", "\x00")
    # A mark next to whitespace or an edge goes; a mark between two words is a space.
    return (
        marked.str.replace_all(f"(^|{ws})\x00", "${1}")
        .str.replace_all(f"\x00({ws}|$)", "${1}")
        .str.replace_all("\x00", " ", literal=True)
    )


@row_rule(
    "M103",
    "control-characters",
    "error",
    field="message",
    fix="safe",
    fix_message="remove the control characters",
)
def control_characters(options: Options) -> Finding:
    """C0/C1 control characters (TAB, VT, FF, NUL, ESC, ...) or DEL in a message.

    Only LF and CR may appear. Why: handsets show them as boxes or drop the
    message, and most force UCS-2. Fix (safe): removed, except that a TAB,
    VT, FF or NEL that is all that separates two words becomes a space:
    deleting it would join them (``Hello\\tworld`` is fixed as ``Hello
    world``, not ``Helloworld``). Next to a space or at an edge it is just
    deleted, so the fix adds no unit.
    """
    pattern = _chars.rust_class(_CONTROLS)
    names = {ch: f"U+{ord(ch):04X} ({_CONTROL_NAMES.get(ch, 'control')})" for ch in _CONTROLS}
    first = c("message").str.extract(f"({pattern})", 1)
    return Finding(
        prefilter=_has_odd(pattern),
        hit=c("message").str.contains(pattern),
        message=pl.lit("control character ")
        + first.replace_strict(names, default="?", return_dtype=pl.String),
        column=_first_column(pattern),
        replacement=without_controls(c("message")),
    )


# UTF-8 read as cp1252/latin-1: a lead byte (Ã, Ø, Ù, â, ...) followed by what a
# continuation byte 0x80-0xBF becomes in those code pages.
_CONTINUATION: Final = (
    r"[\x{80}-\x{BF}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17D}\x{17E}\x{192}\x{2C6}"
    r"\x{2DC}\x{2013}\x{2014}\x{2018}-\x{201A}\x{201C}-\x{201E}\x{2020}-\x{2022}"
    r"\x{2026}\x{2030}\x{2039}\x{203A}\x{20AC}\x{2122}]"
)
_UTF8_AS_LATIN: Final = (
    rf"[\x{{C2}}-\x{{DF}}]{_CONTINUATION}|[\x{{E0}}-\x{{EF}}]{_CONTINUATION}{{2}}"
)
# cp1256 Persian read as latin-1: words made only of À-ÿ letters ("ÓáÇã" for سلام).
# The class leaves out × and ÷ (D7, F7): signs, not letters (``6037-××××-××××-1234``,
# a masked card number, is common in bank SMS).
_CP1256_AS_LATIN: Final = r"[\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{FF}]{3,}"

# UTF-8 read as Windows-1256 ("ط³ظ„ط§ظ…" for سلام): an Arabic letter's UTF-8 lead byte
# D8-DB is ط ظ ع غ in cp1256, and its continuation byte 0x80-0xBF one of the characters
# cp1256 has there. Those that real Persian or Arabic text puts after a letter (پ چ ژ
# گ ک and Urdu letters, ، ؛ ؟, « », ZWNJ, ZWJ, NBSP) are no evidence; the rest are.
_CP1256_CONTINUATIONS: Final = bytes(range(0x80, 0xC0)).decode("cp1256")
_NOT_EVIDENCE: Final = frozenset(
    "\u067e\u0686\u0698\u06af\u06a9\u06be\u0679\u0688\u0691\u06ba"  # پ چ ژ گ ک ھ ٹ ڈ ڑ ں
    "\u060c\u061b\u061f\u00ab\u00bb\u200c\u200d\u00a0"  # ، ؛ ؟ « » ZWNJ ZWJ NBSP
)
_EVIDENCE: Final = frozenset(_CP1256_CONTINUATIONS) - _NOT_EVIDENCE
#: A lead byte read as cp1256 (ط ظ ع غ) and a continuation byte no Persian text has there.
_UTF8_AS_CP1256: Final = r"[\x{637}-\x{63A}]" + _chars.rust_class(_EVIDENCE)
_ASCII_WHITESPACE: Final = re.compile(r"([ \t\n\r]+)")
#: Arabic-script letters (hamza to yeh, the extended letters, Persian ی ک گ پ چ ژ among them).
_ARABIC_LETTER_CHARS: Final = "\u0620-\u064a\u066e-\u06d5\u06fa-\u06fc"
_re_arabic_letter: Final = re.compile(f"[{_ARABIC_LETTER_CHARS}]")
#: Fewer letters recovered than this is a coincidence, not mojibake.
_MIN_RECOVERED_LETTERS: Final = 2


def _from_cp1256_mojibake(text: str) -> str | None:
    """``text`` with its words that are UTF-8 read as cp1256 decoded, or None if it has none.

    A word is such mojibake when it re-encodes to cp1256 and then decodes as strict
    UTF-8 into different text holding Arabic-script letters; two letters at least must
    come back in the message. Real Persian almost never does: its cp1256 bytes are
    lead bytes back to back, not valid UTF-8, and ی (U+06CC) is not in cp1256 at all.
    Word by word, so that text added after the damage (an opt-out word) does not hide it.
    """
    parts = _ASCII_WHITESPACE.split(text)
    letters = 0
    for i, word in enumerate(parts):
        if i % 2 or not word:
            continue
        try:
            decoded = word.encode("cp1256").decode("utf-8")
        except UnicodeError:
            continue
        if decoded != word:
            letters += len(_re_arabic_letter.findall(decoded))
            parts[i] = decoded
    return "".join(parts) if letters >= _MIN_RECOVERED_LETTERS else None


def _recovered_from_cp1256(messages: pl.Series) -> pl.Series:
    """:func:`_from_cp1256_mojibake` of each message (null when none), in Python only for
    those with a telltale pair (:data:`_UTF8_AS_CP1256`): a few rows at most."""
    candidates = messages.fill_null("").str.contains(_UTF8_AS_CP1256)
    out = pl.Series(messages.name, [None] * len(messages), dtype=pl.String)
    if not candidates.any():
        return out
    rows = candidates.arg_true()
    found = [_from_cp1256_mojibake(text) for text in messages.gather(rows).to_list()]
    return out.scatter(rows, pl.Series(found, dtype=pl.String))


# Letters lost to "?" by an export to an encoding without them (cp1252 has no Persian
# letter, cp1256 no ی or Persian digit): "?" inside an Arabic-script word ("عل?", no:
# "تخف?ف"), or a word of two or more "?" alone ("????"), bounded by the message's start,
# whitespace or an opening bracket or quote, and its end, whitespace or punctuation.
_ARABIC_LETTER: Final = f"[{_ARABIC_LETTER_CHARS}]"
#: Not after ی: such an export turns ی itself into "?", so a "?" after one it kept is a
#: question mark typed without its space ("خوبی?فردا", "کجایی?بیا"). A whole message's
#: ی is no such sign: a UTF-8 template merged with a name from a cp1256 source keeps
#: its own ی and still shows "فر?با".
_LOST_IN_WORD: Final = rf"[{_ARABIC_LETTER_CHARS}--\x{{06CC}}]\?+{_ARABIC_LETTER}"
_LOST_WORD: Final = (
    "(?:^|[\\s(\\[\"'\u00ab\u201c])\\?{2,}(?:[\\s.,:;!)\\]\"'\u00bb\u201d\u060c\u061b]|$)"
)
#: A last word of "?"s after other text is emphasis ("Really ??", "چرا ??"), not loss.
_EMPHASIS_AT_END: Final = r"(?s)^(.*\S)\s+\?+[\s!.]*$"


@row_rule("M104", "mojibake", "error", field="message")
def mojibake(options: Options) -> Finding:
    """Garbled text: U+FFFD, a wrong codec (``ط³ظ„ط§ظ…`` for سلام), letters lost to ``?``.

    Why: the recipient sees garbage. Found:

    * U+FFFD, the replacement character of a failed decoding;
    * UTF-8 read as Latin-1/cp1252: two or more UTF-8 sequences so read
      (``Café`` is fine);
    * cp1256 read as Latin-1: a word of three or more Latin-1 letters (``ÓáÇã``);
    * UTF-8 read as Windows-1256, what Excel or LibreOffice on a Persian
      Windows makes of a UTF-8 file (``ط³ظ„ط§ظ… ط¹ظ„غŒ``): words that, encoded back
      to cp1256, decode as UTF-8 into two or more Arabic-script letters. Real
      Persian never does (its cp1256 bytes are not UTF-8, and ی is not in
      cp1256). The message shows the text as it was meant;
    * letters lost to ``?`` when the file was saved in an encoding without
      them (cp1252 has no Persian letter, cp1256 no ی or Persian digit): a
      ``?`` between two Arabic-script letters (``عل?ی``, ``تخف?ف``), or a word of
      two or more ``?`` alone (``???? ??? ????``), that is bounded by the start,
      whitespace or an opening bracket or quote, and by the end, whitespace or
      punctuation. A ``?`` ending a word (``خوبی?``, ``Really??``) is a question
      mark, and so is a last word of ``?`` after other text (``Really ??``), and
      a ``?`` after a ی, which such an export would have lost too
      (``خوبی?فردا``: a space left out).

    Fix: re-export the source as UTF-8; the damage cannot be undone safely.
    """
    text = c("message").fill_null("")
    recovered = text.map_batches(
        _recovered_from_cp1256, return_dtype=pl.String, is_elementwise=True
    )
    lost = text.str.contains(_LOST_IN_WORD) | text.str.replace(
        _EMPHASIS_AT_END, "${1}"
    ).str.contains(_LOST_WORD)
    garbled = (
        text.str.contains("\ufffd", literal=True)
        | (text.str.count_matches(_UTF8_AS_LATIN) >= 2)
        | text.str.contains(_CP1256_AS_LATIN)
    )
    return Finding(
        # Each pattern below needs one of these; the frequent « » and NBSP are not. The "?"
        # is plain ASCII, not in odd_chars: a literal search of the text.
        prefilter=_has_odd(_ODD_EVIDENCE) | text.str.contains("?", literal=True),
        hit=garbled | lost | recovered.is_not_null(),
        message=pl.when(garbled)
        .then(pl.lit(_GARBLED))
        .when(recovered.is_not_null())
        .then(
            pl.lit(
                "garbled text (mojibake): UTF-8 text was read as Windows-1256 (cp1256); "
                + QUOTE_AFTER["M104"]
            )
            + recovered.str.slice(0, 40)
        )
        .when(lost)
        .then(
            pl.lit(
                "letters were replaced by '?' when the file was saved in an encoding "
                "without them: re-export as UTF-8"
            )
        )
        .otherwise(pl.lit(_GARBLED)),
    )


_GARBLED: Final = "garbled text (mojibake): the text was decoded with the wrong encoding"
#: What M104's patterns need in ``odd_chars``: U+FFFD, Latin-1 letters, and the evidence
#: of UTF-8 read as cp1256.
_ODD_EVIDENCE: Final = _chars.rust_class(
    {chr(cp) for cp in range(0xC0, 0x100)} | {"\ufffd"} | _EVIDENCE
)


_BIDI: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@row_rule(
    "M105",
    "bidi-controls",
    "warning",
    field="message",
    fix="unsafe",
    fix_message="remove the bidi controls",
)
def bidi_controls(options: Options) -> Finding:
    """Explicit bidi embedding, override or isolate characters (U+202A-E, U+2066-9).

    Why: invisible, they cost units, and an unbalanced override reorders the
    rest of the text on some handsets. Fix (unsafe: it may change how mixed
    Persian/English text is displayed): removed.
    """
    pattern = _chars.rust_class(_BIDI)
    return Finding(
        prefilter=_has_odd(pattern),
        hit=c("message").str.contains(pattern),
        message=pl.lit("explicit bidi control ")
        + _describe(_BIDI, c("message").str.extract(f"({pattern})", 1)),
        column=_first_column(pattern),
        replacement=c("message").str.replace_all(pattern, ""),
    )


@row_rule("M201", "too-many-parts", "error", field="message")
def too_many_parts(options: Options) -> Finding:
    """More parts than ``max-parts`` (default 20, the provider's limit).

    Counted as the provider bills: GSM-7 153 / UCS-2 67 units per part,
    suffix included. Fix: shorten the message.
    """
    return Finding(
        hit=c("parts") > options.max_parts,
        message=pl.format(
            "{} parts ({} {} units), more than the limit of {}",
            c("parts"),
            c("units"),
            c("encoding"),
            pl.lit(options.max_parts),
        ),
    )


@row_rule("M202", "too-long", "error", field="message")
def too_long(options: Options) -> Finding:
    """More characters than ``max-length`` (default 1400, the provider's limit).

    Characters are code points, suffix included. Fix: shorten the message.
    """
    return Finding(
        hit=c("chars") > options.max_length,
        message=pl.format(
            "{} characters, more than the limit of {}", c("chars"), pl.lit(options.max_length)
        ),
    )


#: GSM look-alikes and what a GSM-7 rewrite puts instead (spec sms-segments §10).
LOOKALIKES: Final = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
    **dict.fromkeys("\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\ufeff\u200e\u200f\u00ad\u2060", ""),
    "ç": "Ç",
    **_chars.NON_ASCII_DIGITS,
}
_GSM: Final = frozenset(GSM_BASIC) | frozenset(GSM_EXTENSION)
# Characters neither GSM nor look-alikes that no fix before M203 removes: a message
# holding one is never M203, even after the fixes (controls, bidi controls and
# whitespace at an edge may be removed by M103, M105 and M102).
_KEPT_NEITHER: Final = _chars.rust_class(
    _GSM | set(LOOKALIKES) | _CONTROLS | _BIDI | set(_WS), negate=True
)


def gsm_rewrite(text: pl.Expr) -> pl.Expr:
    """The GSM-7 rewrite of look-alikes (M203's unsafe fix)."""
    return text.str.replace_many(LOOKALIKES)


@row_rule(
    "M203",
    "avoidable-ucs2",
    "warning",
    field="message",
    fix="unsafe",
    fix_message="rewrite look-alikes as GSM-7 characters",
)
def avoidable_ucs2(options: Options) -> Finding:
    """A message that is UCS-2 only because of look-alikes, and GSM-7 would cost less.

    Curly quotes, NBSP and thin spaces, dashes, ``…``, Persian digits in
    Latin text, ``ç``, ZWSP, BOM, LRM/RLM, soft hyphens: one of them turns a
    160-character part into a 70-unit one. The message names the first such
    character and its column, and the parts before and after the rewrite.

    Fewer parts are not always cheaper: Iranian tariffs price a GSM-7 part
    about 2.5 times a UCS-2 part (IPPanel: english_mci 3325 against
    persian_mci 1330 rials). So it is reported only when the rewrite costs
    less: by the configured ``tariff`` (by operator: MCI or other), with both
    costs in rials in the message; without one, at that 2.5 ratio (3 UCS-2
    parts to 1 GSM-7 part is cheaper, 2 to 1 is not).
    Fix (unsafe, it changes the text): the rewrite.
    """
    lookalike = _chars.rust_class(set(LOOKALIKES))
    neither = _chars.rust_class(_GSM | set(LOOKALIKES), negate=True)
    # Nothing that is neither GSM nor a look-alike: with UCS-2, a look-alike is there too.
    # (Persian text has Persian digits, but its letters keep it UCS-2 anyway.)
    only_lookalikes = ~c("message").str.contains(neither)
    # Only those are rewritten and measured: most candidates are Persian text.
    rewritten = gsm_rewrite(pl.when(only_lookalikes).then(c("message")).otherwise(pl.lit("")))
    new_parts = message_expr(rewritten + pl.lit(options.suffix)).struct.field("parts")
    ucs2_for_the_message = (c("encoding") == "UCS-2") & pl.lit(set(options.suffix) <= _GSM)
    ucs2_cost, gsm_cost = _part_costs(options)
    ucs2_total = c("parts") * ucs2_cost
    gsm_total = new_parts * gsm_cost
    first = _describe(set(LOOKALIKES), c("message").str.extract(f"({lookalike})", 1))
    saving = (
        pl.format(
            "as GSM-7 it is {} part(s), not {}: {} rials instead of {}",
            new_parts,
            c("parts"),
            gsm_total.round(0).cast(pl.Int64),
            ucs2_total.round(0).cast(pl.Int64),
        )
        if options.tariff is not None
        else pl.format(
            "as GSM-7 it is {} part(s), not {}, cheaper though a GSM-7 part costs about "
            "2.5 UCS-2 parts",
            new_parts,
            c("parts"),
        )
    )
    return Finding(
        # A UCS-2 message of GSM characters and look-alikes has an odd character (a
        # look-alike other than a Persian digit, or the stretch sms.odd_chars keeps when
        # Persian digits come first), and none neither GSM nor a look-alike, save those
        # a fix may remove before M203 runs (fix keeps the odd_chars of the text as read);
        # and a message of one part cannot take fewer.
        prefilter=ucs2_for_the_message
        & (c("parts") > 1)
        & (c("odd_chars") != "")
        & ~_has_odd(_KEPT_NEITHER),
        hit=ucs2_for_the_message
        & only_lookalikes
        & (new_parts < c("parts"))
        & (gsm_total < ucs2_total),
        message=pl.format("UCS-2 only because of look-alikes (first: {}); {}", first, saving),
        column=_first_column(lookalike),
        replacement=gsm_rewrite(c("message")),
    )


#: What a GSM-7 part costs against a UCS-2 part when no tariff is configured: IPPanel's
#: english_mci 3325 and persian_mci 1330 rials (spec sms-segments.md, section 5.1).
DEFAULT_GSM_TO_UCS2_PRICE: Final = 3325 / 1330


def _part_costs(options: Options) -> tuple[pl.Expr, pl.Expr]:
    """The price of a UCS-2 part and of a GSM-7 part for each row: by the tariff and the
    row's operator (MCI, or any other), else 1 and the default ratio."""
    if options.tariff is None:
        return pl.lit(1.0), pl.lit(DEFAULT_GSM_TO_UCS2_PRICE)
    persian_mci, english_mci, persian_other, english_other = options.tariff
    mci = c("operator") == "MCI"
    return (
        pl.when(mci).then(pl.lit(persian_mci)).otherwise(pl.lit(persian_other)),
        pl.when(mci).then(pl.lit(english_mci)).otherwise(pl.lit(english_other)),
    )


@row_rule(
    "M204",
    "crlf-in-message",
    "warning",
    field="message",
    fix="safe",
    fix_message="write line breaks as LF",
)
def crlf_in_message(options: Options) -> Finding:
    """CR LF line breaks inside a message.

    Why: each CR LF costs one more unit than LF (CR is a character too).
    At either end of the message it is M102 instead. Fix (safe): LF.
    """
    return Finding(
        prefilter=c("odd_chars").str.contains("\r", literal=True),
        hit=_stripped().str.contains("\r\n", literal=True),
        message=pl.lit("CR LF line breaks (each costs one more unit than LF)"),
        replacement=c("message").str.replace_all("\r\n", "\n", literal=True),
    )


@row_rule("M205", "near-part-boundary", None, field="message")
def near_part_boundary(options: Options) -> Finding:
    """A message 1 to 3 units over a part boundary (off by default).

    Why: shortening it by a few characters saves a whole part on every
    recipient. Example: 161 GSM-7 septets bill 2 parts; 160 bill 1. An
    escape pair (``€``, ``]``) or an emoji is never split between parts, so a
    part may end a unit short and ``]`` × 153 (306 septets) bills 3 parts:
    the finding says how many units cut from the end save the part.
    """
    multi = pl.when(c("encoding") == "GSM-7").then(GSM_MULTI).otherwise(UCS2_MULTI)
    single = pl.when(c("encoding") == "GSM-7").then(160).otherwise(70)
    capacity_before = pl.when(c("parts") == 2).then(single).otherwise((c("parts") - 1) * multi)
    # By the parts' capacity, within 3 units. Without a pair (an escape or an emoji:
    # units > chars) every unit is a character and that is exact; a pair that would
    # straddle two parts wastes the unit before it, so those messages, a few, are
    # analyzed again without their last characters (_cuts; the scalar face in a Python
    # loop took 9 s over the 1M benchmark file's 60k near-boundary rows).
    over = c("units") - capacity_before
    maybe = (c("parts") > 1) & (over <= _NEAR_UNITS)
    paired = maybe & (c("units") > c("chars"))
    suffix = options.suffix
    cut = (
        pl.struct(message=c("message"), maybe=paired)
        .map_batches(lambda s: _cuts(s, suffix), return_dtype=_CUT, is_elementwise=True)
        .struct
    )
    units = pl.when(paired).then(cut.field("units")).otherwise(over)
    after = pl.when(paired).then(cut.field("parts")).otherwise(c("parts") - 1)
    return Finding(
        prefilter=maybe,
        hit=maybe & units.is_between(1, _NEAR_UNITS),
        message=pl.format(
            "{} unit(s) over a part boundary: {} part(s); {} fewer units at the end make it {}",
            units,
            c("parts"),
            units,
            after,
        ),
    )


_NEAR_UNITS: Final = 3
_CUT: Final = pl.Struct({"units": pl.Int64, "parts": pl.Int64})


def _cuts(rows: pl.Series, suffix: str) -> pl.Series:
    """For each row marked ``maybe``: the fewest units cut from the end of its message
    (at most 3 characters) that bill one part less, and the parts then; null otherwise.
    The marked rows' messages are analyzed again without their last 1, 2 and 3
    characters, by the same packing (pairs never split), a column at a time."""
    at = rows.struct.field("maybe").fill_null(value=False).arg_true()
    none = pl.repeat(None, rows.len(), dtype=pl.Int64, eager=True)
    columns = {"units": none, "parts": none.clone()}
    if at.len():
        text = rows.struct.field("message").gather(at).fill_null("")
        whole = analyze_messages(text, suffix=suffix)
        units = pl.repeat(None, at.len(), dtype=pl.Int64, eager=True)
        parts = units.clone()
        for k in range(_NEAR_UNITS, 0, -1):  # the fewest last: it wins
            shorter = analyze_messages(
                text.str.slice(0, (text.str.len_chars() - k).clip(lower_bound=0)), suffix=suffix
            )
            saves = (shorter["parts"] < whole["parts"]) & (text.str.len_chars() >= k)
            units = pl.select(
                pl.when(saves).then(whole["units"] - shorter["units"]).otherwise(units)
            ).to_series()
            parts = pl.select(pl.when(saves).then(shorter["parts"]).otherwise(parts)).to_series()
        columns = {
            "units": columns["units"].scatter(at, units),
            "parts": columns["parts"].scatter(at, parts),
        }
    return pl.DataFrame(columns).to_struct()


_ARABIC_VARIANTS: Final = {"\u064a": "\u06cc", "\u0643": "\u06a9"}


@row_rule(
    "M301",
    "arabic-letter-variants",
    "warning",
    field="message",
    fix="safe",
    fix_message="write ی and ک",
)
def arabic_letter_variants(options: Options) -> Finding:
    """Arabic ي (U+064A) or ك (U+0643) in Persian text.

    Why: Persian readers and search treat them as different letters. Only
    reported when the message has a letter only Persian uses (گ پ چ ژ ک ی).
    Fix (safe): ی (U+06CC) and ک (U+06A9).
    """
    return Finding(
        # A literal search, fast: ي and ك are plain (see _chars.PLAIN), not in odd_chars.
        prefilter=c("message").str.contains("[\u064a\u0643]"),
        hit=c("message").str.contains("[\u064a\u0643]")
        & c("message").str.contains("[\u06af\u067e\u0686\u0698\u06a9\u06cc]"),
        message=pl.lit("Arabic ي or ك in Persian text"),
        column=_first_column("[\u064a\u0643]"),
        replacement=c("message").str.replace_many(_ARABIC_VARIANTS),
    )


@row_rule(
    "M302",
    "mixed-digit-scripts",
    None,
    field="message",
    fix="safe",
    fix_message="write Arabic-Indic digits as Persian digits",
)
def mixed_digit_scripts(options: Options) -> Finding:
    """Persian, Arabic-Indic and ASCII digits mixed in one message (off by default).

    Why: numbers read inconsistently (۴ and ٤ differ). Fix (safe):
    Arabic-Indic digits become Persian digits.
    """
    scripts = (
        c("message").str.contains("[0-9]").cast(pl.Int8)
        + c("message").str.contains("[\u06f0-\u06f9]").cast(pl.Int8)
        + c("message").str.contains("[\u0660-\u0669]").cast(pl.Int8)
    )
    return Finding(
        hit=scripts >= 2,
        message=pl.lit("digits of several scripts (ASCII, Persian, Arabic-Indic)"),
        replacement=c("message").str.replace_many(
            {chr(0x0660 + i): chr(0x06F0 + i) for i in range(10)}
        ),
    )


#: One word of a name: letters with their marks (the kasra of ``نامِ``), digits, ``_``,
#: ``.`` and ZWNJ (``نام‌خانوادگی`` is spelled with one).
_WORD: Final = r"[\p{L}_][\p{L}\p{M}\p{N}_.\x{200C}]*"
#: Up to four words, a space or a no-break space apart (``{{ first name }}``).
_WORDS: Final = rf"{_WORD}(?:[ \x{{A0}}]{_WORD}){{0,3}}"
#: A name in percent signs ends in a letter and, as one word, has three characters or
#: more: ``%name%``, ``%نام مشتری%``; not ``20%off for 30%``, ``۲۰%تا۳۰%``, nor a URL's
#: escapes (``%D8%AA``).
_LAST_WORD: Final = r"[\p{L}_](?:[\p{L}\p{M}\p{N}_.\x{200C}]*[\p{L}\p{M}_])?"
#: One word of three characters or more that ends in a letter.
_LONG_WORD: Final = r"[\p{L}_][\p{L}\p{M}\p{N}_.\x{200C}]+[\p{L}\p{M}_]"
_PERCENT_NAME: Final = rf"(?:{_WORD}[ \x{{A0}}]){{1,3}}{_LAST_WORD}|{_LONG_WORD}"


def _persian(word: str) -> str:
    """A pattern of ``word`` that also takes Arabic ي and ك for ی and ک (CRM data often
    has them: M301)."""
    return word.replace("ی", "[یي]").replace("ک", "[کك]")


#: What a template variable is called, where the brackets alone do not make one
#: (``<x>``, ``[x]``, ``$x``): Iranian bulk SMS brackets tags and brands (``[فوری]``,
#: ``[VIP]``), writes « » as ``<<یلدا>>`` and the opt-out word as ``[لغو11]``, and
#: prices in ``$USD``. Missing a variable sends it to every recipient, so anything
#: that reads as one counts (see the rule's documentation); tags are the exception.
_FIELD_EN: Final = (
    r"(?i:(?:first|last|full|user|customer|company|product)?[ _]?name|customer|code|otp"
    r"|amount|price|date|time|link|url|phone|mobile|number|city|company|product|order)"
)
#: Persian fields, as the start of what the brackets hold: ``[نام]``, ``[نام مشتری]``,
#: ``[نام‌خانوادگی]``, ``[کدپیگیری]``, ``[شماره_سفارش]``.
_FIELDS_FA: Final = "نام اسم فامیلی کد مبلغ تاریخ ساعت زمان شماره موبایل لینک مشتری سفارش"
_FIELD_FA: Final = (
    "(?:"
    + "|".join(_persian(w) for w in _FIELDS_FA.split())
    + r")[\p{L}\p{M}\p{N}_\x{200C} \x{A0}]*"
)
#: An ASCII identifier with a lower-case letter (``name``, ``FName``, ``OrderID``), or
#: five or more capitals (``EMAIL``, ``ORDERID``; ``[VIP]``, ``[SALE]`` are tags).
_IDENTIFIER: Final = r"(?:[a-z][A-Za-z0-9]*|[A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*|[A-Z][A-Z0-9]{4,})"
#: A name with an underscore, starting with a letter (``FIRST_NAME``, ``نام_مشتری``).
_UNDERSCORED: Final = r"\p{L}[\p{L}\p{N}]*_[\p{L}\p{N}_]*"
_VARIABLE: Final = rf"(?:{_UNDERSCORED}|{_FIELD_EN}|{_FIELD_FA}|{_IDENTIFIER})"
#: Positional slots (``{0}``, with .NET's format ``{0:N0}``, ``{0,10}``: String.Format,
#: Python's str.format, the shared-line patterns of Iranian SMS panels; ``{۰}``) and
#: the ``%token``, ``%token2`` of verification templates, which have no closing ``%``.
_POSITIONAL: Final = r"\{[0-9\x{6F0}-\x{6F9}]{1,2}(?:[,:][^{}\n]{1,20})?\}|%token[0-9]{0,2}\b"
#: Braces make a placeholder of one word (``{name}``, ``{جدید}`` too: braces are no
#: decoration in an SMS); with spaces inside, only of what reads as a variable
#: (``{ name }``, ``{first name}``, ``{نام مشتری}``; not ``{ جدید }``, ``{شگفت انگیز}``).
PLACEHOLDER: Final = (
    rf"\{{\{{\s*{_WORDS}\s*\}}\}}|\{{{_WORD}\}}|\{{\s*{_VARIABLE}\s*\}}|%(?:{_PERCENT_NAME})%"
    rf"|{_POSITIONAL}|%[sd](?:[^\p{{L}}\p{{N}}]|$)"
    rf"|<{_VARIABLE}>|\[{_VARIABLE}\]|\$(?:{_UNDERSCORED}|{_FIELD_EN}|[a-z][A-Za-z0-9]*)\b"
)
#: A brand in brackets before the text (``[Snapp] Your code ...``): one capitalized
#: word, not a field (``[Name] عزیز`` is a placeholder).
_LEADING_TAG: Final = r"^(\s*)\[([A-Z][a-z]+)\]"


def _without_leading_tag() -> pl.Expr:
    """The message with a leading brand tag's brackets as parentheses (same length, so
    columns stay right), which no placeholder pattern takes."""
    message = c("message")
    field = message.str.contains(rf"^\s*\[(?:{_FIELD_EN})\]")
    return pl.when(field).then(message).otherwise(message.str.replace(_LEADING_TAG, "${1}(${2})"))


@row_rule("M401", "unresolved-placeholder", "error", field="message")
def unresolved_placeholder(options: Options) -> Finding:
    """A template placeholder left in the text.

    ``{name}``, ``{{ name }}``, ``%name%``, ``%s``, ``<name>``, ``[name]``, ``$name``,
    and the positional ``{0}`` (``{0:N0}``) and ``%token`` (``%token2``) of panel
    templates.
    Placeholders may hold Persian names (``{نام}``, ``{نام‌خانوادگی}``,
    ``%نام مشتری%``). Braces around one word always make one, and around
    several words when they read as a variable (``{first name}``, not
    ``{شگفت انگیز}``). Percent signs make one around a name that ends in a
    letter, of three characters or more as one word: ``20%``, ``50% off``,
    ``20%off for 30%`` and a URL's ``%D8%AA`` are not placeholders. ``<x>`` and ``[x]``
    make one when ``x`` reads as a variable: an identifier with a lower-case
    letter (``[name]``, ``[FName]``, ``[OrderID]``), five or more capitals
    (``[EMAIL]``), a name with an underscore (``<FIRST_NAME>``,
    ``[نام_مشتری]``), or a field a template fills (``[Name]``, ``[CODE]``,
    ``[نام مشتری]``, ``[کدپیگیری]``, with Arabic ي and ك too). ``$x`` when ``x``
    is an identifier starting in lower case, a field or a name with an
    underscore. Tags and quotes are text: ``[فوری]``, ``[VIP]``, ``[SALE]``,
    ``<<یلدا>>``, ``[لغو11]``, ``$USD``, and one capitalized word in brackets
    before the text, a brand: ``[Snapp] Your code is 1234``.
    Why: the recipient would read ``Dear {name}``. A tag taken for a
    placeholder costs a look at the rejects file; a placeholder missed is sent
    to every recipient, so the doubtful cases count.
    Fix: fill the template before exporting.
    """
    text = _without_leading_tag()
    return Finding(
        # The text without its tag matches only where the message does: the costly
        # rewrite runs on those few rows (0.2 s over 1M messages otherwise).
        prefilter=c("message").str.contains(PLACEHOLDER),
        hit=text.str.contains(PLACEHOLDER),
        message=pl.lit(QUOTE_AFTER["M401"]) + text.str.extract(f"({PLACEHOLDER})", 1),
        column=_first_column(f"(?:{PLACEHOLDER})", text),
    )


_ARTIFACTS: Final = (*_chars.NULL_WORDS, *_chars.SPREADSHEET_ERRORS)
#: A formula's text: ``=`` then a function call, a cell reference or a string literal
#: (``=== SALE ===`` or ``=)`` are messages, not formulas).
#: A cell reference, and what may follow it in a formula (not a letter or digit).
_CELL: Final = r"\$?[A-Za-z]{1,3}\$?[0-9]+(?:[^0-9A-Za-z]|$)"
_NUMBER: Final = r"[0-9]+(?:\.[0-9]+)?"
_FORMULA: Final = (
    r"^=\s*(?:[A-Za-z_][A-Za-z0-9_.]*\("  # =CONCATENATE(
    rf"|{_CELL}"  # =A2, =$B$7+1
    rf"|[\p{{L}}_][\p{{L}}\p{{N}}_.]*!{_CELL}"  # =Sheet2!B3, =Data!$B$2
    rf"|'[^']+'!{_CELL}"  # ='Sheet 2'!B3
    rf"|{_NUMBER}(?:\s*[-+*/^]\s*{_NUMBER})+\s*$"  # =1+1, =10*2: arithmetic, nothing else
    r'|"'  # ="Hi"
    r"|\u2026$)"  # =…: the XLSX reader's text for a shared formula saved without a value
)


@row_rule("M402", "spreadsheet-artifact", "error", field="message")
def spreadsheet_artifact(options: Options) -> Finding:
    """The whole message is a spreadsheet artifact such as ``nan`` or ``#N/A``, or a formula.

    Also ``None``, ``NULL``, SQL dumps' ``\\N``, R's ``NA``, every Excel error value:
    ``#NAME?``, ``#REF!``, ``#VALUE!``, ``#DIV/0!``, ``#NUM!``, ``#NULL!``,
    Excel 365's ``#SPILL!``, ``#CALC!``, ``#FIELD!``, ``#BLOCKED!``,
    ``#CONNECT!``, ``#BUSY!``, ``#UNKNOWN!``, ``#PYTHON!``,
    ``#GETTING_DATA``, and LibreOffice's ``Err:`` and
    three digits (``Err:502``, ``Err:520``). In an XLSX, an error cell
    (``t="e"``) counts too, though the reader library returns it empty. A
    formula is its text, not its value: a workbook saved by a program that
    does not calculate (openpyxl, many CRM exporters) holds no value for it,
    and a CSV exported with formulas shown holds the text. A formula is ``=``
    then a function call (``=CONCATENATE("Hi ", A2)``), a cell reference
    (``=B7``, ``=$B$7+1``), one on another sheet (``=Sheet2!B3``,
    ``='Sheet 2'!B3``), a string literal (``="Hi"``) or arithmetic on numbers
    alone (``=1+1``, ``=10*2``). Text that only starts with ``=`` is a message:
    ``=== SALE ===``, ``= 50% off =``, ``=)``, ``=Hello there``.

    Why: an empty cell or a broken formula went through an export.
    Fix: fill the message at the source (for formulas: open the file in Excel
    or LibreOffice and save it, or paste the values).
    """
    stripped = _stripped()
    formula = stripped.str.contains(_FORMULA)
    return Finding(
        prefilter=(c("message").str.len_bytes() <= 32)
        | c("message").str.starts_with("=")
        | _edge_whitespace(),
        hit=stripped.str.to_lowercase().is_in(_ARTIFACTS)
        | stripped.str.contains(_chars.LIBREOFFICE_ERROR)
        | formula,
        message=pl.when(formula)
        .then(
            pl.lit("the message is a spreadsheet formula, not its value" + QUOTE_AFTER["M402"])
            + stripped.str.slice(0, 40)
        )
        .otherwise(
            pl.lit("the message is a spreadsheet artifact" + QUOTE_AFTER["M402"]) + stripped
        ),
    )
