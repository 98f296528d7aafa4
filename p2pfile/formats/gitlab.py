"""``gitlab``: a GitLab Code Quality report (a Code Climate JSON array).

Each finding is ``{description, check_name, fingerprint, severity, location{path,
lines{begin}}}``; errors are ``major`` and warnings ``minor``. GitLab uses the
fingerprint to tell findings apart and to match them between pipelines, so it
must be unique: it is the SHA-256 of path, code, line and value, with a
position added when one rule reports one line more than once. With redaction
on it hashes the masked value (a hash of a raw phone number is reversible).

The objects are built and serialized by polars in chunks; only the hashing is
per finding in Python.
"""

from __future__ import annotations

import hashlib
from typing import Final, TextIO

import polars as pl

from p2pfile.formats._common import ordered
from p2pfile.formats._options import RenderOptions
from p2pfile.report import Report

__all__ = ["render"]

_CHUNK: Final = 200_000
#: Code Climate severities GitLab shows; a warning is not a blocker.
_SEVERITY: Final = {"error": "major", "warning": "minor"}


def _keys(frame: pl.DataFrame) -> pl.Series:
    """What each fingerprint hashes: path, code, line, value, and a position on a tie.

    Two findings collide only when one rule reports one line twice. ``frame``
    is sorted by (file, path, line, code), so such findings are adjacent: each
    gets its position in that run, which is cheaper than grouping a million
    long keys.
    """
    index = pl.int_range(pl.len())
    same = [pl.col(c) == pl.col(c).shift() for c in ("path", "line", "code")]
    new_run = ~pl.all_horizontal(same).fill_null(False)
    # Distance to the start of the run; a window over a million one-row runs
    # would cost seconds.
    position = index - pl.when(new_run).then(index).forward_fill()
    parts = [pl.col(c).cast(pl.String).fill_null("") for c in ("path", "code", "line", "value")]
    key = pl.concat_str(parts, separator="\x00")
    return frame.select(
        pl.when(position == 0)
        .then(key)
        .otherwise(pl.concat_str(key, position.cast(pl.String), separator="\x00"))
    ).to_series()


def _objects(frame: pl.DataFrame, fingerprints: pl.Series) -> pl.DataFrame:
    return frame.select(
        description=pl.concat_str("code", pl.lit(" "), "name", pl.lit(": "), "message"),
        check_name="code",
        fingerprint=fingerprints,
        severity=pl.col("severity").replace_strict(_SEVERITY, default="minor"),
        location=pl.struct("path", lines=pl.struct(begin=pl.col("line").fill_null(1))),
    )


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write the JSON array, one object per line."""
    frame = ordered(report)
    keys = _keys(frame)
    out.write("[")
    first = True
    for offset in range(0, frame.height, _CHUNK):
        chunk_keys = keys.slice(offset, _CHUNK).to_list()
        fingerprints = pl.Series(
            "fingerprint",
            [hashlib.sha256(k.encode("utf-8")).hexdigest() for k in chunk_keys],
            dtype=pl.String,
        )
        objects = _objects(frame.slice(offset, _CHUNK), fingerprints).write_ndjson()
        # NDJSON to array items: JSON strings hold no raw newline, so every
        # newline is an object boundary.
        out.write(("\n" if first else ",\n") + objects.rstrip("\n").replace("\n", ",\n"))
        first = False
    out.write("]\n" if first else "\n]\n")
