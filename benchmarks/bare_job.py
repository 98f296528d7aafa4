"""The bare job: the least any whole-column polars check of a recipient file must do.

A reference for ``bench_files.py``, not a tool: read every cell as text, turn each
recipient into E.164 with one pattern (Persian and Arabic-Indic digits mapped, every
non-digit dropped, ``0098``/``98``/``0`` before ``9`` and nine digits), classify each
message as GSM-7 or UCS-2 with one character class, count its parts, and mark the
duplicate (number, message) pairs. No line numbers, no rules, no findings, no report::

    python benchmarks/bare_job.py benchmarks/data/1m.csv   # prints counts

Its time over the read floor is a lower bound on what ``p2pfile check`` can reach in
whole-column polars on this machine: everything ``check`` adds (the physical line of
every record and the proof of the parse, 25 rules, the findings and their report)
comes on top of it.
"""

from __future__ import annotations

import sys

import polars as pl

# The GSM 7-bit alphabet and its extension table (TS 23.038 6.2.1), as p2pfile.sms has
# them; copied so that the reference does not pay for importing p2pfile.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\x0c^{}\\[~]|€"

# Persian (U+06F0) and Arabic-Indic (U+0660) digits to ASCII.
_DIGITS = {chr(base + i): str(i) for base in (0x06F0, 0x0660) for i in range(10)}
_NOT_GSM = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in GSM_BASIC + GSM_EXTENSION) + "]"
_EXT = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in GSM_EXTENSION) + "]"


def main(path: str) -> int:
    df = pl.read_csv(path, infer_schema=False)
    recipient, message = (pl.col(c) for c in df.columns[:2])
    digits = recipient.str.replace_many(_DIGITS).str.replace_all(r"\D", "")
    e164 = "+98" + digits.str.extract(r"^(?:0098|98|0)?(9\d{9})$", 1)
    ucs2 = message.str.contains(_NOT_GSM)
    # UCS-2 counts UTF-16 units: a character past the BMP (4 UTF-8 bytes) is two.
    units = (
        pl.when(ucs2)
        .then(message.str.len_chars() + message.str.count_matches(r"[\x{10000}-\x{10FFFF}]"))
        .otherwise(message.str.len_chars() + message.str.count_matches(_EXT))
    )
    single, multi = pl.when(ucs2).then(70).otherwise(160), pl.when(ucs2).then(67).otherwise(153)
    parts = pl.when(units <= single).then(1).otherwise((units + multi - 1) // multi)
    out = (
        df.lazy()
        .select(e164=e164, ucs2=ucs2, parts=parts, message=message)
        .select(
            valid=pl.col("e164").is_not_null().sum(),
            ucs2=pl.col("ucs2").sum(),
            parts=pl.col("parts").sum(),
            duplicates=pl.struct("e164", "message").is_duplicated().sum(),
        )
        .collect()
    )
    print(" ".join(f"{k}={v}" for k, v in out.row(0, named=True).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
