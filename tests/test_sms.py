"""The boundary examples of spec/sms-segments.md §3, through both faces."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2pfile import analyze_message, analyze_messages, message_expr
from p2pfile._chars import PERSIAN_DIGITS, PLAIN, PLAIN_ASCII
from p2pfile.sms import GSM_BASIC, GSM_EXTENSION, odd_chars

EMOJI = "\U0001f600"

# (text, encoding, units, parts)
BOUNDARIES = [
    *[
        ("a" * n, "GSM-7", n, p)
        for n, p in [(160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
    ],
    ("a" * 159 + "€", "GSM-7", 161, 2),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
    ("]" * 153, "GSM-7", 306, 3),
    ("a" * 80 + "\r\n" + "a" * 79, "GSM-7", 161, 2),
    ("a" * 80 + "\n" + "a" * 79, "GSM-7", 160, 1),
    *[
        ("س" * n, "UCS-2", n, p)
        for n, p in [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
    ],
    ("س" * 69 + EMOJI, "UCS-2", 71, 2),
    ("س" * 66 + EMOJI + "س" * 66, "UCS-2", 134, 3),
    (EMOJI * 67, "UCS-2", 134, 3),
    (EMOJI + "]" * 69, "UCS-2", 71, 2),
    ("e\u0301" * 70, "UCS-2", 140, 3),
    ("é" * 70, "GSM-7", 70, 1),
    ("", "GSM-7", 0, 1),
]


@pytest.mark.parametrize(("text", "encoding", "units", "parts"), BOUNDARIES)
def test_boundaries(text: str, encoding: str, units: int, parts: int) -> None:
    info = analyze_message(text)
    assert (info.encoding, info.units, info.parts) == (encoding, units, parts)
    row = analyze_messages([text]).row(0, named=True)
    assert (row["encoding"], row["units"], row["parts"]) == (encoding, units, parts)


@pytest.mark.parametrize(
    ("char", "encoding"),
    [
        ("Ç", "GSM-7"),
        ("ç", "UCS-2"),
        ("\x1b", "UCS-2"),
        ("\t", "UCS-2"),
        ("`", "UCS-2"),
        ("@", "GSM-7"),
        ("$", "GSM-7"),
        ("\x0c", "GSM-7"),
        ("\u2126", "UCS-2"),  # OHM SIGN is not GSM's Ω
        ("Ω", "GSM-7"),
        ("\u00a0", "UCS-2"),
        ("\u200c", "UCS-2"),
    ],
)
def test_the_alphabet_edges(char: str, encoding: str) -> None:
    assert analyze_message(char).encoding == encoding
    assert analyze_messages([char]).item(0, "encoding") == encoding


def test_extension_characters_cost_two_septets() -> None:
    assert analyze_message("{}").units == 4
    assert analyze_message("$@£").units == 3


def test_per_part_limit_is_single_then_multi() -> None:
    assert analyze_message("a" * 160).per_part_limit == 160
    assert analyze_message("a" * 161).per_part_limit == 153
    assert analyze_message("س").per_part_limit == 70
    assert analyze_message("س" * 71).per_part_limit == 67


def test_non_gsm_characters_are_named_at_their_positions() -> None:
    info = analyze_message("Hello \u201cworld\u201d")
    assert [(c.index, c.codepoint, c.name) for c in info.non_gsm] == [
        (6, "U+201C", "LEFT DOUBLE QUOTATION MARK"),
        (12, "U+201D", "RIGHT DOUBLE QUOTATION MARK"),
    ]
    assert analyze_message("plain GSM").non_gsm == ()


def test_suffix_is_counted_and_can_force_ucs2() -> None:
    info = analyze_message("a" * 160, suffix=" لغو11")
    assert (info.encoding, info.units, info.parts) == ("UCS-2", 166, 3)
    row = analyze_messages(["a" * 160], suffix=" لغو11").row(0, named=True)
    assert (row["encoding"], row["units"], row["parts"]) == ("UCS-2", 166, 3)


def test_surrogate_pair_held_as_two_code_points_is_one_atom() -> None:
    pair = EMOJI.encode("utf-16-le").decode("utf-16-le", "surrogatepass")
    split = "\ud83d\ude00"
    assert pair == EMOJI
    info = analyze_message("س" * 66 + split + "س" * 66)
    assert (info.units, info.parts) == (134, 3)
    assert analyze_message("\ud83d").units == 1  # a lone surrogate is one unit


def test_chars_counts_code_points_for_the_length_limit() -> None:
    assert analyze_message(EMOJI * 3).chars == 3
    assert analyze_messages([EMOJI * 3]).item(0, "chars") == 3


def test_expression_form_and_nulls() -> None:
    lf = pl.LazyFrame({"message": ["hi", None, "س" * 71]})
    out = lf.select(info=message_expr("message")).unnest("info").collect()
    assert out.get_column("parts").to_list() == [1, 1, 2]
    assert out.get_column("encoding").to_list() == ["GSM-7", "GSM-7", "UCS-2"]


# -- the vectorized face works from the characters outside PLAIN ------------------


def test_plain_characters_are_what_the_vectorized_face_assumes() -> None:
    gsm = set(GSM_BASIC) | set(GSM_EXTENSION)
    assert set(PLAIN_ASCII) <= set(GSM_BASIC)  # one septet each
    assert {ch for ch in PLAIN if ord(ch) < 0x80} == PLAIN_ASCII
    for ch in PLAIN - PLAIN_ASCII:  # UCS-2, one unit each
        assert ch not in gsm, ch
        assert ord(ch) <= 0xFFFF, ch
    assert not set(GSM_EXTENSION + "`\r\t\x1b") & PLAIN
    assert PERSIAN_DIGITS <= PLAIN


_PLAIN_SAMPLE = "ab 09.\nسلامیک\u064a\u0643\u200c،"
_ODD_SAMPLE = "\r\t`{€é«\u201c\u202b\U0001f600\u0414٠"
_DIGITS = "".join(sorted(PERSIAN_DIGITS))


def _odd_reference(text: str) -> str:
    """What ``odd_chars`` keeps, the slow way."""
    head = ""
    for i, ch in enumerate(text):
        if ch in PERSIAN_DIGITS:
            head, text = text[: i + 1], text[i + 1 :]
            break
        if ch not in PLAIN_ASCII:
            break
    return head + "".join(ch for ch in text if ch not in PLAIN)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_PLAIN_SAMPLE + _ODD_SAMPLE + _DIGITS, max_size=30), max_size=8))
def test_odd_chars_keeps_every_character_outside_plain(texts: list[str]) -> None:
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    assert frame.select(odd_chars(pl.col("text"))).to_series().to_list() == [
        _odd_reference(t) for t in texts
    ]


def test_odd_chars_keeps_the_latin_stretch_before_a_persian_digit() -> None:
    frame = pl.DataFrame({"text": ["Code: ۱۲۳ ok", "۱۲۳", "کد ۱۲۳", "«Code» ۱", None]})
    odd = frame.select(odd_chars(pl.col("text"))).to_series().to_list()
    assert odd == ["Code: ۱", "۱", "", "«»", ""]


# Greedy packing differs from ceil(units / multi) only when the pairs can waste more
# units than the last part has free; the vectorized face packs exactly only then.
PACKING_EDGES = [
    prefix * n + pair * k + prefix * m
    for prefix, pair in (("a", "€"), ("a", "]"), ("س", EMOJI), ("]", EMOJI))
    for n in (65, 66, 67, 151, 152, 153)
    for k in (1, 2, 3)
    for m in (0, 1, 63, 64, 65, 66, 150, 151, 152)
]


@pytest.mark.parametrize("suffix", ["", "€", "{}", EMOJI, "`", "\r\n", "ç", " لغو11"])
def test_vectorized_face_packs_like_the_reference(suffix: str) -> None:
    frame = analyze_messages(PACKING_EDGES, suffix=suffix)
    expected = [
        (info.encoding, info.units, info.parts, info.per_part_limit, info.chars)
        for info in (analyze_message(text, suffix=suffix) for text in PACKING_EDGES)
    ]
    assert list(frame.iter_rows()) == expected
