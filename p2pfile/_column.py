"""The column argument of the vectorized faces (``normalize_numbers``, ``analyze_messages``).

Kept apart from ``_args`` (the checks of the file-level functions), which imports
the config and the rules, and so the modules here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

import polars as pl

from p2pfile.errors import UsageError


def column_arg(values: object, func: str, one: str) -> pl.Series:
    """``values`` (a Series, or an iterable of cells) as a String Series.

    A bare ``str`` is refused: iterated, it would be one row per character.
    ``one`` names the scalar function to use for one value instead.
    """
    if isinstance(values, pl.Series):
        return values if values.dtype == pl.String else values.cast(pl.String)
    if isinstance(values, str | bytes):
        msg = f"{func} takes a column of cells (a list or a polars Series); for one value use {one}"
        raise UsageError(msg)
    expected = f"{func} takes a column of cells (a list or a polars Series)"
    if isinstance(values, pl.DataFrame | pl.LazyFrame) or is_pandas_frame(values):
        msg = f"{expected}, not a whole frame; pass one column: frame['recipient']"
        raise UsageError(msg)
    if isinstance(values, Set | Mapping) or not isinstance(values, Iterable):
        # A set or a dict's keys have no order of their own: rows would not line up.
        msg = f"{expected} in order, not {type(values).__name__}"
        raise UsageError(msg)
    try:
        return pl.Series(list(values), dtype=pl.String)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        # A lone surrogate (a file name's undecodable byte, surrogateescape) is no UTF-8.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"{func} takes cells of UTF-8 text (str or None): {first}"
        raise UsageError(msg) from None


def expr_arg(column: object, func: str) -> pl.Expr:
    """A column name or an expression, as the expression builders take it."""
    if isinstance(column, str):
        return pl.col(column)
    if isinstance(column, pl.Expr):
        return column
    msg = f"{func} takes a column name (str) or a polars Expr, not {type(column).__name__}"
    raise UsageError(msg)


def is_pandas_frame(value: object) -> bool:
    """A pandas DataFrame (told without importing pandas): iterated, it gives its column
    names, which would be taken for cells or paths."""
    kind = type(value)
    return kind.__module__.split(".")[0] == "pandas" and kind.__name__ == "DataFrame"


def text_arg(value: object, func: str, name: str = "text") -> str:
    """``value`` when it is a ``str``; UsageError naming the argument otherwise."""
    if isinstance(value, str):
        return value
    msg = f"{func} {name} must be a str, not {type(value).__name__}"
    raise UsageError(msg)
