"""D101/D102 keys: the whole-column search agrees with a plain Python reading of the rule."""

from __future__ import annotations

import importlib

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

# ``p2pfile.check`` the module, not the function the package exports under that name.
check_module = importlib.import_module("p2pfile.check")

RECIPIENTS = st.sampled_from([None, "+989121234567", "+989351234567", "+14155550123"])
MESSAGES = st.sampled_from(["", "salam", "Salam", "salam ", "سلام", "a\nb"])


def _reference(rows: list[tuple[str | None, str]]) -> list[tuple[int | None, int | None]]:
    """(dup_line, first_line_of_recipient) per row, by scanning the earlier rows."""
    first_pair: dict[tuple[str, str], int] = {}
    first_recipient: dict[str, int] = {}
    out: list[tuple[int | None, int | None]] = []
    for line, (e164, message) in enumerate(rows, start=2):
        if e164 is None:
            out.append((None, None))
            continue
        pair = first_pair.setdefault((e164, message), line)
        recipient = first_recipient.setdefault(e164, line)
        out.append((pair if pair != line else None, recipient if recipient != line else None))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(RECIPIENTS, MESSAGES), max_size=40))
def test_duplicate_keys_match_the_reference(rows: list[tuple[str | None, str]]) -> None:
    frame = pl.DataFrame(
        {
            "line": list(range(2, len(rows) + 2)),
            "e164": [e for e, _ in rows],
            "message": [m for _, m in rows],
        },
        schema={"line": pl.Int64, "e164": pl.String, "message": pl.String},
    )
    found = check_module._with_duplicates(frame)
    assert found.height == len(rows)
    assert list(zip(found["dup_line"], found["first_line_of_recipient"], strict=True)) == (
        _reference(rows)
    )


def test_a_hash_hit_naming_a_different_row_is_not_reported() -> None:
    """What a 64-bit collision would look like: the key names a row whose values differ."""
    subset = pl.DataFrame(
        {
            "line": [2, 5, 9],
            "e164": ["+989121234567", "+989121234567", "+989351234567"],
            "message": ["a", "a", "a"],
            "dup_line": [None, 2, 2],
        },
        schema={"line": pl.Int64, "e164": pl.String, "message": pl.String, "dup_line": pl.Int64},
    )
    confirmed = check_module._confirmed(subset, "dup_line", ["e164", "message"], [])
    assert confirmed.to_dict(as_series=False) == {"line": [2, 5, 9], "dup_line": [None, 2, None]}
