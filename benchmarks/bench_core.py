"""Benchmark of p2pfile's core: number normalization and message analysis, both faces.

One run, one data set: ``--rows`` generated values (default 1,000,000) timed through

1. ``p2pfile.normalize_number(s)`` in a Python loop (scalar face);
2. ``p2pfile.normalize_numbers(series)`` on a ``polars.Series`` (vectorized face);
3. ``phonenumbers.parse(s, "IR")`` + ``is_valid_number`` in a loop (the naive peer);
4. ``p2pfile.analyze_message(s)`` in a Python loop (scalar face);
5. ``p2pfile.analyze_messages(series)`` (vectorized face).

Medians of ``--repeat-scalar`` (3) runs for the per-row loops and ``--repeat-vector``
(5) for the vectorized calls, which get one untimed warm-up call first. The cost of
the very first call in a process (imports, metadata and lookup tables built on
first use) is measured separately, in a fresh child process per face.

After timing, the results are cross-checked (``--no-check`` skips this): scalar vs
vectorized face field by field, p2pfile vs the generator's ground truth, and
p2pfile vs the naive peer's validity. Disagreements are printed with examples.

    python benchmarks/bench_core.py                       # 1M rows, a few minutes
    python benchmarks/bench_core.py --rows 50000          # a quick look
    python benchmarks/bench_core.py --json benchmarks/out/core.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a file (python benchmarks/bench_core.py): make "benchmarks" importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from benchmarks._timing import (
    Timing,
    fmt_count,
    fmt_rate,
    fmt_seconds,
    machine_facts,
    markdown_table,
    peak_rss_self,
    time_call,
)
from benchmarks.generate import DEFAULT_SEED, frame

_PACKAGES = ("p2pfile", "polars", "phonenumbers", "numpy")
_NUMBER_FIELDS = ("e164", "reason", "operator", "foreign", "forms")
_MESSAGE_FIELDS = ("encoding", "units", "parts", "per_part_limit", "chars")
_EXAMPLES = 8


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    kind: str  # "numbers" | "messages"
    face: str  # "scalar" | "vectorized" | "peer"
    timing: Timing


# --------------------------------------------------------------------------- first call

# Runs in a fresh interpreter per face: what a CLI invocation or a cold worker pays
# before its first row. Prints one JSON line.
_FIRST_CALL = r"""
import json, sys, time
face, seed = sys.argv[1], int(sys.argv[2])
t = time.perf_counter(); import polars as pl; t_polars = time.perf_counter() - t
from benchmarks.generate import frame
df = frame(1000, seed)
rec, msg = df["recipient"].to_list(), df["message"].to_list()
if face == "peer":
    t = time.perf_counter(); import phonenumbers; t_import = time.perf_counter() - t
    def run(values):
        out = []
        for s in values:
            try:
                out.append(phonenumbers.is_valid_number(phonenumbers.parse(s, "IR")))
            except phonenumbers.NumberParseException:
                out.append(False)
        return out
    values = rec
else:
    t = time.perf_counter(); import p2pfile; t_import = time.perf_counter() - t
    if face == "normalize_number":
        run, values = (lambda v: [p2pfile.normalize_number(s) for s in v]), rec
    elif face == "normalize_numbers":
        run, values = p2pfile.normalize_numbers, pl.Series(rec)
    elif face == "analyze_message":
        run, values = (lambda v: [p2pfile.analyze_message(s) for s in v]), msg
    else:
        run, values = p2pfile.analyze_messages, pl.Series(msg)
t = time.perf_counter(); run(values); first = time.perf_counter() - t
t = time.perf_counter(); run(values); second = time.perf_counter() - t
print(json.dumps({"polars_import_s": t_polars, "import_s": t_import,
                  "first_s": first, "second_s": second, "values": len(rec)}))
"""


def first_call(face: str, seed: int) -> dict[str, float]:
    """Import time and first vs second call on 1,000 values, in a fresh interpreter."""
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, face, str(seed)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"first-call probe for {face} failed:\n{out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- the cases


def _peer_is_valid() -> Callable[[str], bool]:
    import phonenumbers

    parse, is_valid = phonenumbers.parse, phonenumbers.is_valid_number
    error = phonenumbers.NumberParseException

    def check(s: str) -> bool:
        # What a data team writes: hand the raw cell to phonenumbers with region IR.
        try:
            return bool(is_valid(parse(s, "IR")))
        except error:
            return False

    return check


def run_cases(
    recipients: list[str],
    messages: list[str],
    *,
    repeat_scalar: int,
    repeat_vector: int,
    only: set[str],
    log: Callable[[str], None],
) -> tuple[list[Case], dict[str, Any]]:
    import p2pfile

    rec_series = pl.Series("recipient", recipients, dtype=pl.String)
    msg_series = pl.Series("message", messages, dtype=pl.String)
    cases: list[Case] = []
    results: dict[str, Any] = {}
    small = 1000  # scalar warm-up: enough to build any lazy table, cheap next to 1M rows

    def add(
        key: str, label: str, kind: str, face: str, fn: Callable[[], Any], *, vector: bool
    ) -> None:
        repeat = repeat_vector if vector else repeat_scalar
        log(f"  {label}: {repeat} runs ...")
        # Let the collector clear the previous case's garbage before we start timing.
        gc.collect()
        if vector:
            fn()  # warm-up: first-use tables are reported separately (first call)
        timing, result = time_call(label, fn, repeat=repeat)
        cases.append(Case(key, label, kind, face, timing))
        results[key] = result
        log(f"    median {fmt_seconds(timing.median)} ({fmt_rate(timing.rate(len(recipients)))})")

    normalize_number, analyze_message = p2pfile.normalize_number, p2pfile.analyze_message
    if "numbers" in only:
        for s in recipients[:small]:
            normalize_number(s)
        add(
            "normalize_number",
            "normalize_number(s), loop",
            "numbers",
            "scalar",
            lambda: [normalize_number(s) for s in recipients],
            vector=False,
        )
        add(
            "normalize_numbers",
            "normalize_numbers(series)",
            "numbers",
            "vectorized",
            lambda: p2pfile.normalize_numbers(rec_series),
            vector=True,
        )
        peer = _peer_is_valid()
        for s in recipients[:small]:
            peer(s)
        add(
            "phonenumbers",
            'phonenumbers.parse(s, "IR") + is_valid_number, loop',
            "numbers",
            "peer",
            lambda: [peer(s) for s in recipients],
            vector=False,
        )
    if "messages" in only:

        def scalar_messages() -> list[tuple[Any, ...]]:
            # Keep only the fields the vectorized face also returns: holding 1M
            # MessageInfo objects with their non_gsm tuples (one object per Persian
            # letter) would cost gigabytes and time the allocator, not the analyzer.
            out = []
            for s in messages:
                m = analyze_message(s)
                out.append((m.encoding, m.units, m.parts, m.per_part_limit, m.chars))
            return out

        for s in messages[:small]:
            analyze_message(s)
        add(
            "analyze_message",
            "analyze_message(s), loop",
            "messages",
            "scalar",
            scalar_messages,
            vector=False,
        )
        add(
            "analyze_messages",
            "analyze_messages(series)",
            "messages",
            "vectorized",
            lambda: p2pfile.analyze_messages(msg_series),
            vector=True,
        )
    return cases, results


# --------------------------------------------------------------------------- agreement


def _examples(df: pl.DataFrame, by: str, n: int = _EXAMPLES) -> pl.DataFrame:
    """A few rows per distinct value of ``by`` so one noisy form does not hide the rest."""
    return df.group_by(by, maintain_order=True).head(2).head(n)


def check_numbers(truth: pl.DataFrame, results: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Scalar vs vectorized, each vs ground truth, and p2pfile vs the naive peer."""
    lines: list[str] = []
    summary: dict[str, Any] = {}
    group = pl.col("form").str.split(":").list.first()
    scalar_rows = results.get("normalize_number")
    vector: pl.DataFrame | None = results.get("normalize_numbers")
    scalar: pl.DataFrame | None = None
    if scalar_rows is not None:
        scalar = pl.DataFrame(
            {
                "e164": [r.e164 for r in scalar_rows],
                "reason": [r.reason for r in scalar_rows],
                "operator": [r.operator for r in scalar_rows],
                "foreign": [r.foreign for r in scalar_rows],
                "forms": ["|".join(r.forms) for r in scalar_rows],
            },
            schema={f: pl.Boolean if f == "foreign" else pl.String for f in _NUMBER_FIELDS},
        )
    if vector is not None:
        vector = vector.with_columns(pl.col("forms").list.join("|"))

    if scalar is not None and vector is not None:
        both = pl.concat(
            [
                truth.select("recipient", "form"),
                scalar.select(pl.all().name.prefix("s_")),
                vector.select(pl.col(_NUMBER_FIELDS).name.prefix("v_")),
            ],
            how="horizontal",
        )
        differ = pl.any_horizontal(
            pl.col(f"s_{f}").ne_missing(pl.col(f"v_{f}")) for f in _NUMBER_FIELDS
        )
        bad = both.filter(differ)
        per_field = {
            f: int(both.select(pl.col(f"s_{f}").ne_missing(pl.col(f"v_{f}")).sum()).item())
            for f in _NUMBER_FIELDS
        }
        summary["scalar_vs_vectorized"] = {"rows": bad.height, "per_field": per_field}
        lines.append(
            f"- normalize_number vs normalize_numbers: **{bad.height:_}** of {both.height:_} "
            "rows differ" + (f" (by field: {per_field})" if bad.height else "")
        )
        if bad.height:
            lines.append("")
            lines.append(_frame_md(_examples(bad, "form")))
            summary["scalar_vs_vectorized"]["examples"] = _examples(bad, "form").to_dicts()

    for name, got in (("normalize_number", scalar), ("normalize_numbers", vector)):
        if got is None:
            continue
        cmp = pl.concat(
            [truth.select("recipient", "form", "expect_e164"), got.select("e164", "reason")],
            how="horizontal",
        )
        bad = cmp.filter(pl.col("expect_e164").ne_missing(pl.col("e164")))
        by_form = bad.group_by(group.alias("form group")).len().sort("len", descending=True)
        summary[f"{name}_vs_truth"] = {"rows": bad.height, "by_form": dict(by_form.iter_rows())}
        lines.append(
            f"- {name} vs the generator's expected E.164 (spec §4): **{bad.height:_}** rows differ"
            + (f" (by form: {dict(by_form.iter_rows())})" if bad.height else "")
        )
        if bad.height:
            lines.append("")
            lines.append(_frame_md(_examples(bad, "form")))
            summary[f"{name}_vs_truth"]["examples"] = _examples(bad, "form").to_dicts()

    peer = results.get("phonenumbers")
    mine = scalar if scalar is not None else vector
    if peer is not None and mine is not None:
        more, summary["p2pfile_vs_phonenumbers"] = _peer_section(truth, mine, peer)
        lines += more
    return lines, summary


def _peer_section(
    truth: pl.DataFrame, mine: pl.DataFrame, peer: list[bool]
) -> tuple[list[str], dict[str, Any]]:
    """Validity of p2pfile vs the naive peer, per form group, with examples."""
    lines: list[str] = []
    group = pl.col("form").str.split(":").list.first()
    cmp = pl.concat(
        [
            truth.select("recipient", "form"),
            mine.select(pl.col("e164").is_not_null().alias("p2pfile"), "e164", "reason"),
            pl.DataFrame({"phonenumbers": pl.Series(peer, dtype=pl.Boolean)}),
        ],
        how="horizontal",
    )
    table = (
        cmp.group_by(group.alias("form group"))
        .agg(
            pl.len().alias("rows"),
            (pl.col("p2pfile") & pl.col("phonenumbers")).sum().alias("both valid"),
            (pl.col("p2pfile") & ~pl.col("phonenumbers")).sum().alias("only p2pfile"),
            (~pl.col("p2pfile") & pl.col("phonenumbers")).sum().alias("only phonenumbers"),
            (~pl.col("p2pfile") & ~pl.col("phonenumbers")).sum().alias("both reject"),
        )
        .sort("rows", descending=True)
    )
    only_peer = cmp.filter(~pl.col("p2pfile") & pl.col("phonenumbers"))
    only_mine = cmp.filter(pl.col("p2pfile") & ~pl.col("phonenumbers"))
    summary = {
        "only_p2pfile": only_mine.height,
        "only_phonenumbers": only_peer.height,
        "table": table.to_dicts(),
    }
    lines.append(
        f"- validity, p2pfile vs the naive peer: p2pfile accepts {only_mine.height:_} cells "
        f"the peer rejects, the peer accepts {only_peer.height:_} cells p2pfile rejects:"
    )
    lines.append("")
    lines.append(_frame_md(table))
    if only_mine.height:
        lines.append("")
        lines.append("  Accepted by p2pfile, rejected by the peer (examples):")
        lines.append("")
        lines.append(
            _frame_md(_examples(only_mine.drop("p2pfile", "phonenumbers", "reason"), "form"))
        )
    if only_peer.height:
        lines.append("")
        lines.append("  Accepted by the peer, rejected by p2pfile (examples):")
        lines.append("")
        lines.append(
            _frame_md(_examples(only_peer.drop("p2pfile", "phonenumbers", "e164"), "form"))
        )
    return lines, summary


def check_messages(results: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    scalar_rows = results.get("analyze_message")
    vector: pl.DataFrame | None = results.get("analyze_messages")
    if scalar_rows is None or vector is None:
        return [], {}
    scalar = pl.DataFrame(scalar_rows, schema=list(_MESSAGE_FIELDS), orient="row")
    fields = [f for f in _MESSAGE_FIELDS if f in vector.columns]
    per_field = {
        f: int(scalar.get_column(f).ne_missing(vector.get_column(f).cast(scalar.schema[f])).sum())
        for f in fields
    }
    differ = [f for f, n in per_field.items() if n]
    lines = [
        f"- analyze_message vs analyze_messages: fields compared {fields}; "
        + ("**no differences**" if not differ else f"**differences** {per_field}")
    ]
    summary: dict[str, Any] = {"per_field": per_field}
    if differ:
        mask = pl.any_horizontal(
            scalar.get_column(f).ne_missing(vector.get_column(f).cast(scalar.schema[f]))
            for f in differ
        )
        idx = pl.select(mask.arg_true()).to_series()
        sample = pl.DataFrame(
            {
                "index": idx,
                **{f"s_{f}": scalar.get_column(f).gather(idx) for f in differ},
                **{f"v_{f}": vector.get_column(f).gather(idx) for f in differ},
            }
        ).head(_EXAMPLES)
        lines += ["", _frame_md(sample)]
        summary["examples"] = sample.to_dicts()
    return lines, summary


def message_shape(messages: pl.Series, analyzed: pl.DataFrame | None) -> list[str]:
    """What the timed messages looked like: encodings and parts (context for the rates)."""
    if analyzed is None:
        return []
    enc = analyzed.get_column("encoding").value_counts(normalize=True).sort("encoding")
    parts = analyzed.get_column("parts")

    def share(mask: pl.Series) -> float:
        return float(mask.sum()) / max(1, mask.len())

    mean_chars = float(messages.str.len_chars().sum()) / max(1, messages.len())
    return [
        "- message mix: "
        + ", ".join(f"{e} {p:.1%}" for e, p in enc.iter_rows())
        + f"; parts: 1 = {share(parts == 1):.1%}, 2 = {share(parts == 2):.1%}, "
        f"3-5 = {share((parts >= 3) & (parts <= 5)):.1%}, 6+ = {share(parts >= 6):.1%}; "
        f"mean {mean_chars:.0f} code points"
    ]


def _frame_md(df: pl.DataFrame) -> str:
    def cell(v: object) -> str:
        text = repr(v) if isinstance(v, str) else str(v)
        return text.replace("|", "\\|")[:60]

    return markdown_table(df.columns, ([cell(v) for v in row] for row in df.iter_rows()))


# --------------------------------------------------------------------------- report


def report(
    cases: list[Case], firsts: dict[str, dict[str, float]], rows: int
) -> tuple[str, list[dict[str, Any]]]:
    by_key = {c.key: c for c in cases}
    scalar_of = {"numbers": "normalize_number", "messages": "analyze_message"}
    peer = by_key.get("phonenumbers")
    table_rows: list[list[str]] = []
    records: list[dict[str, Any]] = []
    for i, c in enumerate(cases, start=1):
        t = c.timing
        base = by_key.get(scalar_of[c.kind])
        vs_scalar = base.timing.median / t.median if base else None
        vs_peer = peer.timing.median / t.median if (peer and c.kind == "numbers") else None
        fc = firsts.get(c.key)
        table_rows.append(
            [
                str(i),
                c.kind,
                c.label,
                fmt_rate(t.rate(rows)),
                f"{t.median * 1e6 / rows:.2f}",
                fmt_seconds(t.median),
                f"{fmt_seconds(t.min)} – {fmt_seconds(t.max)}",
                str(len(t.samples)),
                f"{vs_scalar:.2f}×" if vs_scalar is not None else "",
                f"{vs_peer:.2f}×" if vs_peer is not None else "",
                (
                    f"{fmt_seconds(fc['import_s'])}; {fmt_seconds(fc['first_s'])} / "
                    f"{fmt_seconds(fc['second_s'])}"
                    if fc
                    else ""
                ),
            ]
        )
        records.append(
            {
                "key": c.key,
                "kind": c.kind,
                "face": c.face,
                **t.as_dict(rows),
                "us_per_row": t.median * 1e6 / rows,
                "speed_vs_scalar": vs_scalar,
                "speed_vs_phonenumbers": vs_peer,
                "first_call": fc,
            }
        )
    headers = [
        "#",
        "what",
        "path",
        "rows/s",
        "µs/row",
        "median",
        "min – max",
        "runs",
        "vs scalar",
        "vs phonenumbers",
        "fresh process: import; 1st / 2nd call on 1k rows",
    ]
    return markdown_table(headers, table_rows), records


def _ratios(cases: list[Case]) -> list[str]:
    t = {c.key: c.timing.median for c in cases}
    pairs = [
        ("normalize_numbers", "normalize_number", "vectorized vs scalar numbers"),
        ("normalize_numbers", "phonenumbers", "vectorized numbers vs phonenumbers loop"),
        ("normalize_number", "phonenumbers", "scalar numbers vs phonenumbers loop"),
        ("analyze_messages", "analyze_message", "vectorized vs scalar messages"),
    ]
    out = []
    for fast, slow, what in pairs:
        if fast in t and slow in t:
            r = t[slow] / t[fast]
            word = "faster" if r >= 1 else "slower"
            out.append(
                f"- {what}: {r if r >= 1 else 1 / r:.1f}× {word} ({fast} vs {slow}, medians)"
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="p2pfile core benchmark (numbers and messages, both faces)"
    )
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--repeat", type=int, help="runs for every path (overrides the two below)")
    p.add_argument("--repeat-scalar", type=int, default=3, help="runs of the per-row loops")
    p.add_argument("--repeat-vector", type=int, default=5, help="runs of the vectorized calls")
    p.add_argument("--only", choices=("numbers", "messages"), action="append", help="repeatable")
    p.add_argument("--no-check", action="store_true", help="skip the agreement checks")
    p.add_argument("--no-first-call", action="store_true", help="skip the fresh-process probes")
    p.add_argument("--json", type=Path, help="also write all numbers to this JSON file")
    args = p.parse_args(argv)
    rep_s = args.repeat or args.repeat_scalar
    rep_v = args.repeat or args.repeat_vector
    only = set(args.only or ("numbers", "messages"))

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    facts = machine_facts(_PACKAGES)
    log(f"generating {args.rows:_} rows (seed {args.seed}) ...")
    t0 = time.perf_counter()
    truth = frame(args.rows, args.seed)
    recipients = truth.get_column("recipient").to_list()
    messages = truth.get_column("message").to_list()
    gen_s = time.perf_counter() - t0

    firsts: dict[str, dict[str, float]] = {}
    if not args.no_first_call:
        log("first-call probes (fresh interpreters) ...")
        faces = [
            f
            for f, kind in (
                ("normalize_number", "numbers"),
                ("normalize_numbers", "numbers"),
                ("peer", "numbers"),
                ("analyze_message", "messages"),
                ("analyze_messages", "messages"),
            )
            if kind in only
        ]
        for face in faces:
            firsts["phonenumbers" if face == "peer" else face] = first_call(face, args.seed)

    log("timing ...")
    cases, results = run_cases(
        recipients, messages, repeat_scalar=rep_s, repeat_vector=rep_v, only=only, log=log
    )
    # The machine is shared: say how busy it was at both ends of the timing.
    facts["loadavg_end"] = list(os.getloadavg())

    table, records = report(cases, firsts, args.rows)
    v = facts["versions"]
    out = [
        f"## p2pfile core benchmark: {fmt_count(args.rows)} rows, seed {args.seed}",
        "",
        f"- command: `{' '.join(facts['command'])}`",
        f"- machine: {facts['usable_cores']} usable cores ({facts['cpu_model']}), "
        f"{(facts['mem_total_bytes'] or 0) / 2**30:.0f} GiB RAM, "
        f"polars threads {facts.get('polars_threads')}; "
        f"load average {facts['loadavg'][0]:.2f} at start, {facts['loadavg_end'][0]:.2f} at end",
        f"- python {facts['python']}, p2pfile {v['p2pfile']}, polars {v['polars']}, "
        f"phonenumbers {v['phonenumbers']}, numpy {v['numpy']}; "
        f"git {facts['git_head'] or '(no commit yet)'}",
        f"- data: benchmarks/generate.py, generated in {gen_s:.1f} s; peak RSS of this process "
        f"{peak_rss_self() / 2**30:.2f} GiB",
        "",
        table,
        "",
        "Ratios (median over median):",
        "",
        *_ratios(cases),
        "",
        '"fresh process": in a new interpreter per path, the time to `import p2pfile` (or '
        "`phonenumbers`; polars is imported before and timed in the JSON only), then the "
        "first and the second call on the same 1,000 rows: their difference is the first-use "
        "cost (lazy tables, metadata, regex compilation). The timed runs above come after a "
        "warm-up.",
    ]
    summary: dict[str, Any] = {}
    if not args.no_check:
        log("checking agreement ...")
        lines_n, summary["numbers"] = (
            check_numbers(truth, results) if "numbers" in only else ([], {})
        )
        lines_m, summary["messages"] = check_messages(results)
        shape = message_shape(truth.get_column("message"), results.get("analyze_messages"))
        out += ["", "### Agreement", "", *lines_n, *lines_m, *shape]
    print("\n".join(out))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "rows": args.rows,
            "seed": args.seed,
            "generate_s": gen_s,
            "machine": facts,
            "results": records,
            "agreement": summary,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
