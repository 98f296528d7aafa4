"""The naive peer: how a data team cleans a recipient file with pandas and phonenumbers.

This is the baseline ``bench_files.py`` times against ``p2pfile check``. It is
deliberately the obvious code, not a tuned one: read every cell as a string,
hand each raw recipient to ``phonenumbers`` with region ``IR``, keep the E.164
form of the valid ones, and drop duplicate (number, message) pairs::

    python benchmarks/naive_peer.py benchmarks/data/1m.csv             # prints counts
    python benchmarks/naive_peer.py benchmarks/data/1m.csv -o out.csv  # also writes

It does less than p2pfile (no cleaning of Persian digits, invisible marks or
Excel damage before parsing, no message checks), so it is a lower bound on what
a correct pure-pandas tool would cost.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import phonenumbers

__all__ = ["clean", "to_e164"]

_E164 = phonenumbers.PhoneNumberFormat.E164


def to_e164(cell: str) -> str | None:
    """The E.164 form of ``cell`` if phonenumbers calls it a valid number, else None."""
    try:
        number = phonenumbers.parse(cell, "IR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, _E164)


def clean(path: str | Path) -> tuple[pd.DataFrame, int, int]:
    """Read, normalize row by row, drop duplicates. Returns (frame, rows read, valid rows)."""
    # dtype=str and keep_default_na=False: keep "0912…" and "NULL" as the text they are,
    # which is what anyone who has lost a leading zero to pandas learns to write.
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = len(df)
    df["e164"] = df["recipient"].map(to_e164)
    valid = int(df["e164"].notna().sum())
    df = df.drop_duplicates(subset=["e164", "message"])
    return df, rows, valid


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path", type=Path, help="a recipient,message CSV")
    p.add_argument("-o", "--output", type=Path, help="also write the kept rows here (CSV)")
    args = p.parse_args(argv)
    df, rows, valid = clean(args.path)
    if args.output is not None:
        df.to_csv(args.output, index=False)
    # One line, so a caller can check the work was done without parsing a frame.
    print(f"rows={rows} valid={valid} kept={len(df)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
