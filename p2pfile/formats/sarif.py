"""``sarif``: SARIF 2.1.0 for GitHub code scanning (``upload-sarif``).

GitHub rejects or drops results past 25,000 per run, so the results are
capped: every (file, rule) keeps its first ``k`` findings in line order, with
the largest ``k`` that fits (a rule with a million findings cannot crowd out
the others), and each (file, rule) that lost findings gets one ``note``
result saying how many and where the first missing one is. A summary is per
(file, rule), not per rule, because every result needs a file location.

``partialFingerprints`` are content-keyed (path, rule, field, value and
which occurrence of that value), not line-keyed, so an alert keeps its
identity when rows are inserted above it. With redaction on they hash the
masked value: a hash of a raw phone number is reversible by brute force.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Final, TextIO

import polars as pl

from p2pfile._version import __version__
from p2pfile.formats._common import FILE_INDEX, RANK, ordered
from p2pfile.formats._options import RenderOptions, RuleDoc
from p2pfile.report import Report

__all__ = ["INFORMATION_URI", "MAX_RESULTS", "SCHEMA_URI", "cap_per_group", "render"]

SCHEMA_URI: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://pypi.org/project/p2pfile/"
#: Results GitHub accepts in one run (summary results included).
MAX_RESULTS: Final = 25_000
FINGERPRINT_KEY: Final = "p2pfileContentHash/v1"
_RESULTS: Final = "\x00results\x00"  # stands for the results while the envelope is serialized
_FAMILY_TAGS: Final = {
    "F": "file",
    "P": "recipient",
    "M": "message",
    "D": "duplicates",
    "X": "meta",
}


def cap_per_group(counts: list[int], limit: int = MAX_RESULTS) -> int | None:
    """The per-group cap ``k`` that fits ``limit`` results, summaries included; None if all fit.

    Room for one summary per group is reserved first (a handful of groups in
    practice); then ``k`` is the largest with ``sum(min(c, k)) <= rest``.
    """
    if sum(counts) <= limit:
        return None
    budget = max(limit - len(counts), 0)
    low, high = 0, max(counts)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(c, mid) for c in counts) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


@functools.lru_cache(maxsize=1024)
def _uri(path: str) -> tuple[str, str | None]:
    """A URI for the path and its ``uriBaseId``: repo-relative POSIX under ``%SRCROOT%``."""
    windows = PureWindowsPath(path)
    if windows.drive or path.startswith("/"):
        # An absolute path cannot be relative to the checkout; give a file URI.
        posix = windows.as_posix() if windows.drive else path
        prefix = "file:///" if windows.drive else "file://"
        return prefix + urllib.parse.quote(posix, safe="/:"), None
    posix = str(PurePosixPath(windows.as_posix()))
    return urllib.parse.quote(posix), "%SRCROOT%"


def _location(path: str, line: int) -> list[dict[str, Any]]:
    uri, base = _uri(path)
    artifact: dict[str, Any] = {"uri": uri}
    if base is not None:
        artifact["uriBaseId"] = base
    region = {"startLine": max(line, 1)}
    return [{"physicalLocation": {"artifactLocation": artifact, "region": region}}]


def _rule(code: str, name: str, severity: str, doc: RuleDoc | None) -> dict[str, Any]:
    tags = ["p2pfile", _FAMILY_TAGS.get(code[0], code[0])]
    if doc is None:
        # No registry entry: describe the rule by what the findings say about it.
        text = f"{code} {name}"
        return {
            "id": code,
            "name": name,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "help": {"text": text},
            "defaultConfiguration": {"level": "error" if severity == "error" else "warning"},
            "properties": {"tags": tags},
        }
    paragraph = doc.doc.strip().split("\n\n", 1)[0]
    # A rule that is off by default has no default level: use the one it ran at.
    level = doc.severity or severity
    if doc.fix is not None:
        tags.append(f"fix:{doc.fix}")
    return {
        "id": code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": " ".join(paragraph.split())},
        "help": {"text": doc.doc.strip(), "markdown": doc.doc.strip()},
        "defaultConfiguration": {"level": "error" if level == "error" else "warning"},
        "properties": {"tags": tags},
    }


def _fingerprint(*parts: object) -> str:
    key = "\x00".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _fingerprints(part: pl.DataFrame) -> pl.Series:
    """:func:`_fingerprint` of (path, code, field, value, occurrence) for each row."""
    parts = [
        pl.col(c).cast(pl.String).fill_null("")
        for c in ("path", "code", "field", "value", "_occurrence")
    ]
    keys = part.select(pl.concat_str(parts, separator="\x00")).to_series().to_list()
    digests = [hashlib.sha256(key.encode("utf-8")).hexdigest() for key in keys]
    return pl.Series(FINGERPRINT_KEY, digests, dtype=pl.String)


def _results(kept: pl.DataFrame, index: dict[str, int]) -> Iterator[str]:
    """The results as JSON lines, built and serialized by polars one file at a time."""
    by_path = kept.partition_by("path", as_dict=True, maintain_order=True)
    for (path,), part in by_path.items():
        uri, base = _uri(str(path))
        artifact = pl.struct(uri=pl.lit(uri))
        if base is not None:
            artifact = pl.struct(uri=pl.lit(uri), uriBaseId=pl.lit(base))
        region = pl.struct(startLine=pl.col("line").fill_null(1).clip(lower_bound=1))
        location = pl.struct(physicalLocation=pl.struct(artifactLocation=artifact, region=region))
        results = part.select(
            ruleId="code",
            ruleIndex=pl.col("code").replace_strict(index, return_dtype=pl.Int64),
            level=pl.when(pl.col("severity") == "error")
            .then(pl.lit("error"))
            .otherwise(pl.lit("warning")),
            message=pl.struct(text="message"),
            locations=pl.concat_list(location),
            partialFingerprints=pl.struct(_fingerprints(part)),
            properties=pl.struct("row", "field", "column", "value"),
        )
        yield from results.write_ndjson().splitlines()


def _summaries(
    ranked: pl.DataFrame, group_counts: pl.DataFrame, k: int, index: dict[str, int], room: int
) -> Iterator[str]:
    """One ``note`` per truncated (file, rule), pointing at its first missing finding."""
    first_missing = ranked.filter(pl.col(RANK) == k).join(
        group_counts, on=[FILE_INDEX, "path", "code"], maintain_order="left"
    )
    for row in first_missing.head(room).iter_rows(named=True):
        more = row["len"] - k
        text = (
            f"{more:,} more {row['code']} ({row['name']}) findings in {row['path']} are not "
            f"listed, from line {row['line']} on: a SARIF run is limited to {MAX_RESULTS:,} "
            "results. Run p2pfile check for the full list."
        )
        result = {
            "ruleId": row["code"],
            "ruleIndex": index[row["code"]],
            "level": "note",
            "message": {"text": text},
            "locations": _location(row["path"], row["line"]),
            "partialFingerprints": {
                FINGERPRINT_KEY: _fingerprint("truncated", row["path"], row["code"])
            },
        }
        yield json.dumps(result, ensure_ascii=False)


def render(report: Report, out: TextIO, options: RenderOptions) -> None:
    """Write one SARIF log with one run."""
    frame = ordered(report)
    rule_rows = (
        frame.group_by("code")
        .agg(pl.col("name").first(), pl.col("severity").first())
        .sort("code")
        .rows()
    )
    docs = options.rule_docs or {}
    rules = [_rule(code, name, severity, docs.get(code)) for code, name, severity in rule_rows]
    index = {code: i for i, (code, _, _) in enumerate(rule_rows)}

    group_counts = frame.group_by(FILE_INDEX, "path", "code").agg(pl.len())
    k = cap_per_group(group_counts.get_column("len").to_list(), MAX_RESULTS)
    ranked = frame.with_columns(pl.int_range(pl.len()).over("path", "code").alias(RANK))
    kept = ranked if k is None else ranked.filter(pl.col(RANK) < k)
    # Which occurrence of its value a finding is, counted on the kept rows
    # only: they are the first k of their (file, rule), so every earlier one
    # with the same value is kept too and the count matches the whole frame.
    kept = kept.with_columns(
        pl.int_range(pl.len()).over("path", "code", "field", "value").alias("_occurrence")
    )
    lines = _results(kept, index)
    if k is not None:
        room = MAX_RESULTS - kept.height
        lines = itertools.chain(lines, _summaries(ranked, group_counts, k, index, room))

    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "p2pfile",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": _RESULTS,
            }
        ],
    }
    # The envelope is indented for people; the results, up to 25,000 of them,
    # go one per line.
    before, _, after = json.dumps(log, ensure_ascii=False, indent=2).rpartition(
        json.dumps(_RESULTS)
    )
    out.write(before + "[")
    first = True
    for line in lines:
        out.write(("\n" if first else ",\n") + line)
        first = False
    out.write(("]" if first else "\n]") + after + "\n")
