"""Benchmark of p2pfile on whole files: ``check`` and ``fix`` against their floors and a peer.

Every measurement is a fresh child process (``_timing.time_command``'s machinery):
the wall time and peak RSS a user of the command line sees. In one run:

1. ``p2pfile check FILE --isolated --output-format json -o /dev/null --no-progress``
   on a 1M and a 10M-row CSV and a 100k and a 1M-row XLSX (exit code 1, findings,
   is expected);
2. the floor for each file: reading it into polars and nothing else
   (``pl.read_csv(infer_schema=False)``; fastexcel's ``load_sheet(...).to_polars()``);
3. the naive peer (``benchmarks/naive_peer.py``: pandas, ``phonenumbers`` per row,
   ``drop_duplicates``) on the 1M CSV, and on the 10M CSV unless ``--skip-pandas-10m``;
4. ``p2pfile fix FILE -o OUT.csv --rejects REJ.csv`` on the CSVs against the floor of a
   polars read + write of the same file (skipped, with a note, when ``p2pfile fix``
   does not exist yet);
5. start-up: ``p2pfile check examples/clean.csv --isolated`` (5 rows), next to the bare
   interpreter and ``import polars``;
6. on the 1M CSV, a reference: ``benchmarks/bare_job.py``, the least any whole-column
   check does (E.164, encoding, parts, duplicates; no line numbers, rules or report).
   Its ratios bound what the check's targets can be.

Commands that share a floor are run round-robin (floor, check, ..., floor, check, ...)
so that a change in the machine's load hits both sides of a ratio alike. The report
is a Markdown table plus the issue's targets next to the measured ratios.

    python benchmarks/bench_files.py --skip-pandas-10m            # the full run, ~1 h
    python benchmarks/bench_files.py --quick                      # no 10M, 1 run each
    python benchmarks/bench_files.py --json benchmarks/out/files.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

if __package__ in (None, ""):
    # Run as a file (python benchmarks/bench_files.py): make "benchmarks" importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import (
    CommandTiming,
    RunResult,
    fmt_bytes,
    fmt_count,
    fmt_seconds,
    markdown_table,
    peak_rss_self,
    run_once,
)

ROOT: Final = Path(__file__).resolve().parent.parent
DATA: Final = ROOT / "benchmarks" / "data"
_PACKAGES: Final = ("p2pfile", "polars", "fastexcel", "pandas", "phonenumbers", "numpy", "pyarrow")
#: p2pfile check exits 1 when it has findings, which every generated file has.
_CHECK_OK: Final = (0, 1)
#: What --only can select.
PARTS: Final = ("startup", "check", "fix")
#: The start-up probe: the 5-row example, the issue's "10-row file" target.
_STARTUP_FILE: Final = ROOT / "examples" / "clean.csv"

# The floors and the peer, run with ``python -c SCRIPT PATH [OUT]``. The path comes
# in through argv so that no path ever needs quoting inside Python source.
_CSV_FLOOR: Final = "import sys, polars as pl; pl.read_csv(sys.argv[1], infer_schema=False)"
_CSV_RW_FLOOR: Final = (
    "import sys, polars as pl; pl.read_csv(sys.argv[1], infer_schema=False).write_csv(sys.argv[2])"
)
_XLSX_FLOOR: Final = (
    "import sys, fastexcel; fastexcel.read_excel(sys.argv[1])"
    ".load_sheet(0, header_row=None, dtypes='string').to_polars()"
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataFile:
    key: str  # "1m.csv"
    path: Path
    rows: int
    fmt: str  # "csv" | "xlsx"

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _csv_matches(path: Path, rows: int, seed: int, log: Callable[[str], None]) -> bool:
    """Whether ``path`` is what ``write_csv(path, rows, seed)`` would write.

    Without regenerating the whole file: the generator works in fixed, independently
    seeded batches, so the first batch (``min(rows, BATCH_ROWS)`` rows) written on its
    own is byte for byte the start of the file, which pins the seed; a record count
    (quote-aware, by polars) pins the number of rows and catches a truncated file.
    """
    import polars as pl

    from benchmarks.generate import BATCH_ROWS, write_csv

    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        head = Path(tmp) / "head.csv"
        write_csv(head, min(rows, BATCH_ROWS), seed)
        expected = head.read_bytes()
    with path.open("rb") as f:
        if f.read(len(expected)) != expected:
            log(f"  {path.name}: first {min(rows, BATCH_ROWS):_} rows differ from seed {seed}")
            return False
    found = int(pl.scan_csv(path, infer_schema=False).select(pl.len()).collect().item())
    if found != rows:
        log(f"  {path.name}: {found:_} records, want {rows:_}")
    return found == rows


def _xlsx_matches(path: Path, rows: int, seed: int, log: Callable[[str], None]) -> bool:
    """Whether ``path`` is what ``write_xlsx(path, rows, seed)`` would write.

    An XLSX is a zip, so compare content: the sheet must hold the header, ``rows`` data
    rows and the writer's two blank rows, and its first messages must be the first
    batch's. Messages, because the writer turns some recipients into numbers; nulls
    dropped on both sides, because blank rows and empty messages are both empty cells.
    """
    import fastexcel

    from benchmarks.generate import BATCH_ROWS, frame

    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string")
    want_height = rows + 1 + (2 if rows > 2 else 0)
    if sheet.height != want_height:
        log(f"  {path.name}: {sheet.height:_} sheet rows, want {want_height:_}")
        return False
    got = sheet.to_polars().to_series(1).slice(1).drop_nulls().head(2000)
    expected = frame(min(rows, BATCH_ROWS), seed).get_column("message")
    expected = expected.filter(expected != "").head(got.len())
    same = got.len() == expected.len() and bool((got == expected).all())
    if not same:
        log(f"  {path.name}: first messages differ from seed {seed}")
    return same


def ensure(file: DataFile, seed: int, log: Callable[[str], None]) -> str:
    """Reuse ``file`` if it matches (rows, seed), else (re)generate it; says which."""
    from benchmarks.generate import write_csv, write_xlsx

    matches = _csv_matches if file.fmt == "csv" else _xlsx_matches
    if file.path.exists():
        log(f"verifying {file.path.relative_to(ROOT)} ({file.rows:_} rows, seed {seed}) ...")
        if matches(file.path, file.rows, seed, log):
            return "reused"
    log(f"generating {file.path.relative_to(ROOT)} ({file.rows:_} rows, seed {seed}) ...")
    # Write beside the target and move into place: an interrupted run must not leave
    # a half file that a later run would have to tell from a whole one.
    tmp = file.path.with_name(f".{file.path.stem}.partial{file.path.suffix}")
    DATA.mkdir(parents=True, exist_ok=True)
    if file.fmt == "csv":
        write_csv(tmp, file.rows, seed)
    else:
        write_xlsx(tmp, file.rows, seed)
    os.replace(tmp, file.path)
    return "generated"


#: The files this benchmark reads, by key.
FILES: Final = {
    f.key: f
    for f in (
        DataFile("1m.csv", DATA / "1m.csv", 1_000_000, "csv"),
        DataFile("10m.csv", DATA / "10m.csv", 10_000_000, "csv"),
        DataFile("100k.xlsx", DATA / "100k.xlsx", 100_000, "xlsx"),
        DataFile("1m.xlsx", DATA / "1m.xlsx", 1_000_000, "xlsx"),
    )
}


def ensure_in_child(key: str, log: Callable[[str], None]) -> dict[str, Any]:
    """Run :func:`ensure` for ``FILES[key]`` in a child process.

    In a child because of how Linux counts peak RSS: at ``exec`` the kernel carries the
    spawning process's high-water RSS into the child's ``ru_maxrss``, so every command
    this harness times would report at least the harness's own peak. Verifying or
    generating 1M rows in here would lift that floor to ~900 MiB; the harness must stay
    small, so polars, numpy and the generator are only ever imported in children.
    """
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_files", "--ensure", key],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"could not verify or generate {key} (exit code {out.returncode})")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - t0
    log(f"  {key}: {result['action']} in {result['seconds']:.0f} s")
    return result


def _ensure_main(key: str) -> int:
    """The child side of :func:`ensure_in_child`: one JSON line on stdout."""
    from benchmarks.generate import DEFAULT_SEED

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    action = ensure(FILES[key], DEFAULT_SEED, log)
    print(json.dumps({"action": action, "seed": DEFAULT_SEED, "bytes": FILES[key].size}))
    return 0


def facts_in_child() -> dict[str, Any]:
    """:func:`machine_facts` from a child: it imports polars (for its thread count),
    which would raise the harness's RSS and so every child's reported peak."""
    script = (
        "import json, sys; from benchmarks._timing import machine_facts; "
        "print(json.dumps(machine_facts(sys.argv[1:])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, *_PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    facts: dict[str, Any] = json.loads(out.stdout)
    facts["command"] = [sys.executable, *sys.argv]
    return facts


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Spec:
    """One command to time."""

    key: str  # unique: "check 1m.csv"
    file: DataFile | None
    kind: str  # floor | check | peer | fix_floor | fix | startup | startup_floor | interpreter
    what: str  # what the table says
    argv: tuple[str, ...]
    ok_codes: tuple[int, ...] = (0,)
    warmup: int = 1
    #: Files deleted before each run: fix's outputs, so no run finds the last one's.
    outputs: tuple[Path, ...] = ()


@dataclass
class Measured:
    spec: Spec
    runs: list[RunResult] = field(default_factory=list)
    warmups: list[RunResult] = field(default_factory=list)
    note: str = ""  # set when the command could not be measured
    loadavg: list[float] = field(default_factory=list)  # 1-min load before each run

    @property
    def timing(self) -> CommandTiming | None:
        if self.note or not self.runs:
            return None
        return CommandTiming(self.spec.key, self.spec.argv, tuple(self.runs), tuple(self.warmups))


#: Where the children keep their bytecode (git-ignored, like all of benchmarks/data/).
PYCACHE: Final = DATA / "pycache"


def child_env() -> dict[str, str]:
    """The environment of every timed child: this one, with bytecode caching on.

    An installed p2pfile has its .pyc files; a process started with
    PYTHONDONTWRITEBYTECODE=1 (as some sandboxes and CI images set it) compiles
    every p2pfile module from source at each start, about 0.13 s here, which is not
    what a user pays. The cache goes to a private prefix, so nothing is written into
    the source tree; the warm-up runs fill it.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _run(spec: Spec, timeout_s: float) -> RunResult:
    for out in spec.outputs:
        out.unlink(missing_ok=True)
    return run_once(spec.argv, cwd=ROOT, env=child_env(), timeout_s=timeout_s)


def measure_group(
    specs: Sequence[Spec], *, repeat: int, timeout_s: float, log: Callable[[str], None]
) -> list[Measured]:
    """Warm up, then time ``specs`` round-robin, ``repeat`` rounds.

    Round-robin rather than one command after the other: on a shared machine the load
    drifts over minutes, and interleaving lets the drift hit a command and its floor
    alike, which is what a ratio needs. A command that fails (exit code outside
    ``ok_codes``, killed by the timeout or the OOM killer) is reported with its stderr
    tail and not run again; the others go on.
    """
    results = [Measured(s) for s in specs]
    for m in results:
        for _ in range(m.spec.warmup):
            log(f"  warm-up: {m.spec.key}")
            r = _run(m.spec, timeout_s)
            m.warmups.append(r)
            if r.returncode not in m.spec.ok_codes:
                m.note = _failure(r)
                log(f"    FAILED: {m.note}")
                break
    for i in range(repeat):
        for m in results:
            if m.note:
                continue
            m.loadavg.append(os.getloadavg()[0])
            r = _run(m.spec, timeout_s)
            if r.returncode not in m.spec.ok_codes:
                m.note = _failure(r)
                log(f"    {m.spec.key}: FAILED: {m.note}")
                continue
            m.runs.append(r)
            log(
                f"  run {i + 1}/{repeat} {m.spec.key}: {fmt_seconds(r.wall_s)}, "
                f"peak RSS {fmt_bytes(r.peak_rss_bytes)} (load {m.loadavg[-1]:.2f})"
            )
    for m in results:
        for out in m.spec.outputs:
            out.unlink(missing_ok=True)
    return results


def _failure(r: RunResult) -> str:
    why = f"killed by signal {-r.returncode}" if r.returncode < 0 else f"exit code {r.returncode}"
    tail = " ".join(r.stderr_tail.strip().splitlines()[-3:])
    return f"failed ({why}){': ' + tail if tail else ''}"


def _p2pfile() -> tuple[str, ...]:
    """The installed console script, as a user runs it; else ``python -m p2pfile``."""
    script = Path(sys.executable).parent / "p2pfile"
    return (str(script),) if script.exists() else (sys.executable, "-m", "p2pfile")


def fix_available(p2pfile: tuple[str, ...]) -> str | None:
    """None when ``p2pfile fix`` exists; else why not (the fix CLI is still being written)."""
    r = run_once([*p2pfile, "fix", "--help"], cwd=ROOT, env=child_env(), timeout_s=120)
    if r.returncode == 0:
        return None
    last = r.stderr_tail.strip().splitlines()[-1:] or [""]
    return f"not available: `p2pfile fix --help` exited {r.returncode} ({last[0]})"


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    files: dict[str, DataFile]
    groups: list[tuple[str, list[Spec], int]]  # (title, specs, repeat), in run order
    skipped: list[tuple[Spec, str]]  # measured nowhere, with why


def build_plan(args: argparse.Namespace, tmp: Path) -> Plan:
    py = sys.executable
    p2p = _p2pfile()
    files = {k: f for k, f in FILES.items() if not (args.skip_10m and k == "10m.csv")}
    fix_note = fix_available(p2p)

    def check(f: DataFile, warmup: int) -> Spec:
        argv = (*p2p, "check", str(f.path), "--isolated", "--output-format", "json")
        argv += ("-o", os.devnull, "--no-progress")
        return Spec(f"check {f.key}", f, "check", "p2pfile check", argv, _CHECK_OK, warmup)

    def floor(f: DataFile) -> Spec:
        script, what = (
            (_CSV_FLOOR, "floor: pl.read_csv")
            if f.fmt == "csv"
            else (_XLSX_FLOOR, "floor: fastexcel → polars")
        )
        # The floor's warm-up is the one that leaves the file in the page cache for
        # every command after it in the group.
        return Spec(f"floor {f.key}", f, "floor", what, (py, "-c", script, str(f.path)))

    def bare(f: DataFile) -> Spec:
        # What any whole-column check costs before its own work: a lower bound, not a peer.
        argv = (py, str(ROOT / "benchmarks" / "bare_job.py"), str(f.path))
        return Spec(f"bare {f.key}", f, "bare", "reference: the bare job (bare_job.py)", argv)

    def peer(f: DataFile, warmup: int) -> Spec:
        argv = (py, str(ROOT / "benchmarks" / "naive_peer.py"), str(f.path))
        return Spec(
            f"peer {f.key}", f, "peer", "naive peer: pandas + phonenumbers", argv, (0,), warmup
        )

    def fix_pair(f: DataFile, warmup: int) -> list[Spec]:
        out, rej, floor_out = (
            tmp / f"{f.key}.fixed.csv",
            tmp / f"{f.key}.rejects.csv",
            tmp / f"{f.key}.rw.csv",
        )
        rw = Spec(
            f"read+write {f.key}",
            f,
            "fix_floor",
            "floor: pl.read_csv + write_csv",
            (py, "-c", _CSV_RW_FLOOR, str(f.path), str(floor_out)),
            # Always warmed up: with --only fix it is the first to read the file.
            warmup=1,
            outputs=(floor_out,),
        )
        fx = Spec(
            f"fix {f.key}",
            f,
            "fix",
            "p2pfile fix -o OUT --rejects REJ",
            (*p2p, "fix", str(f.path), "-o", str(out), "--rejects", str(rej)),
            _CHECK_OK,
            warmup,
            (out, rej),
        )
        return [rw, fx]

    groups: list[tuple[str, list[Spec], int]] = []
    skipped: list[tuple[Spec, str]] = []
    startup = [
        Spec(
            "python -c pass", None, "interpreter", "reference: python -c pass", (py, "-c", "pass")
        ),
        Spec(
            "import polars",
            None,
            "startup_floor",
            "floor: python -c 'import polars'",
            (py, "-c", "import polars"),
        ),
        Spec(
            "check clean.csv",
            None,
            "startup",
            "p2pfile check (5 rows)",
            (*p2p, "check", str(_STARTUP_FILE), "--isolated"),
            _CHECK_OK,
        ),
    ]
    only = set(args.only or PARTS)

    def add(part: str, title: str, specs: list[Spec], repeat: int) -> None:
        if part in only:
            groups.append((title, specs, repeat))

    def add_fix(f: DataFile, warmup: int, repeat: int) -> None:
        # fix gets a group of its own with its floor: its ratio needs nothing else, so
        # `--only fix` can measure it alone once the command exists.
        rw, fx = fix_pair(f, warmup)
        if fix_note is None:
            add("fix", f"{f.key} fix", [rw, fx], repeat)
        elif "fix" in only:
            skipped.append((fx, fix_note))

    add("startup", "start-up", startup, args.startup_runs)
    # 1M CSV: every command gets a warm-up except the peer (minutes per run; the
    # floor's warm-up has already put the file in the page cache).
    f1 = files["1m.csv"]
    add("check", "1m.csv", [floor(f1), bare(f1), check(f1, 1), peer(f1, 0)], args.repeat)
    add_fix(f1, 1, args.repeat)
    for key in ("100k.xlsx", "1m.xlsx"):
        f = files[key]
        add("check", key, [floor(f), check(f, 1)], args.repeat)
    if "10m.csv" in files:
        # 10M: one check or fix takes minutes, so only the floors are warmed up (for
        # the page cache: 2 GB fit easily in this machine's RAM).
        f10 = files["10m.csv"]
        add("check", "10m.csv", [floor(f10), check(f10, 0)], args.repeat_10m)
        add_fix(f10, 0, args.repeat_10m)
        if args.skip_pandas_10m:
            if "check" in only:
                skipped.append((peer(f10, 0), "skipped (--skip-pandas-10m)"))
        else:
            add("check", "10m.csv pandas", [peer(f10, 0)], args.repeat_10m)
    # Make or verify only the files some selected command reads.
    used = {s.file.key for _, specs, _ in groups for s in specs if s.file}
    return Plan({k: f for k, f in files.items() if k in used}, groups, skipped)


# --------------------------------------------------------------------------- report


_FLOOR_OF: Final = {
    "check": "floor",
    "peer": "floor",
    "bare": "floor",
    "fix": "fix_floor",
    "startup": "startup_floor",
    "interpreter": "startup_floor",
}


def _index(measured: Sequence[Measured]) -> dict[tuple[str, str], Measured]:
    """(file key or "startup", kind) -> measurement."""
    return {(m.spec.file.key if m.spec.file else "startup", m.spec.kind): m for m in measured}


def _median(m: Measured | None) -> float | None:
    t = m.timing if m else None
    return t.median_s if t else None


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if (num is not None and den) else None


def table(
    measured: Sequence[Measured], skipped: Sequence[tuple[Spec, str]]
) -> tuple[str, list[str]]:
    """The results table, and one note per command that has no numbers (and why)."""
    idx = _index(measured)
    rows: list[list[str]] = []
    notes: list[str] = []
    # The start-up file has no quoted line breaks: its lines are its records.
    startup_rows = str(len(_STARTUP_FILE.read_text(encoding="utf-8").splitlines()) - 1)
    for m in [*measured, *(Measured(s, note=n) for s, n in skipped)]:
        s, t = m.spec, m.timing
        fkey = s.file.key if s.file else "startup"
        f = s.file
        file_cells = (
            [f.key, fmt_count(f.rows), fmt_bytes(f.size)]
            if f
            else [
                _STARTUP_FILE.name if s.kind == "startup" else "—",
                startup_rows if s.kind == "startup" else "—",
                "—",
            ]
        )
        if t is None:
            notes.append(f"- {s.key}: {m.note or 'not measured'}")
            rows.append([*file_cells, s.what, "0", "n/a (see below)", "", "", "", "", ""])
            continue
        floor = idx.get((fkey, _FLOOR_OF.get(s.kind, "")))
        ratio = _ratio(t.median_s, _median(floor)) if floor is not m else None
        if s.kind in ("floor", "fix_floor", "startup_floor"):
            ratio_cell = "1.00× (floor)"
        else:
            ratio_cell = f"{ratio:.2f}×" if ratio is not None else ""
        peer_cell = ""
        if s.kind in ("check", "peer", "bare"):
            base = "bare" if s.kind == "bare" else "check"
            pr = _ratio(_median(idx.get((fkey, "peer"))), _median(idx.get((fkey, base))))
            peer_cell = f"{pr:.1f}×" if pr is not None else ""
        rss_ratio = f"{t.peak_rss_bytes / f.size:.2f}×" if f else "—"
        rows.append(
            [
                *file_cells,
                s.what,
                str(len(t.runs)),
                fmt_seconds(t.median_s),
                f"{fmt_seconds(t.min_s)} – {fmt_seconds(t.max_s)}",
                fmt_bytes(t.peak_rss_bytes),
                ratio_cell,
                rss_ratio,
                peer_cell,
            ]
        )
    headers = [
        "file",
        "rows",
        "size",
        "what",
        "runs",
        "median wall",
        "min – max",
        "peak RSS",
        "ratio to floor",
        "peak RSS / file size",
        "pandas / check (or / bare job)",
    ]
    return markdown_table(headers, rows), notes


@dataclass(frozen=True)
class Target:
    what: str
    measured: float | None
    limit: float
    unit: str  # "×" or " s"
    at_most: bool  # True: measured <= limit (strictly < for the "<" targets)
    strict: bool = False

    @property
    def verdict(self) -> str:
        if self.measured is None:
            return "not measured"
        v, lim = self.measured, self.limit
        ok = (v < lim if self.strict else v <= lim) if self.at_most else v >= lim
        return "met" if ok else "**MISSED**"

    def row(self) -> list[str]:
        op = ("<" if self.strict else "≤") if self.at_most else "≥"
        got = "—" if self.measured is None else f"{self.measured:.2f}{self.unit}"
        return [self.what, f"{op} {self.limit:g}{self.unit}", got, self.verdict]

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "limit": self.limit,
            "measured": self.measured,
            "at_most": self.at_most,
            "verdict": self.verdict.strip("*"),
        }


def targets(measured: Sequence[Measured]) -> list[Target]:
    """The issue's targets, each next to the ratio measured in this run."""
    idx = _index(measured)

    def over(fkey: str, kind: str, base: str) -> float | None:
        """Median of ``kind`` over the median of ``base``, on the same file."""
        return _ratio(_median(idx.get((fkey, kind))), _median(idx.get((fkey, base))))

    def rss(fkey: str, kind: str) -> float | None:
        """Peak RSS of ``kind`` over the size of the file it read."""
        m = idx.get((fkey, kind))
        t = m.timing if m else None
        if t is None or m is None or m.spec.file is None:
            return None
        return t.peak_rss_bytes / m.spec.file.size

    at_most, at_least = True, False
    return [
        Target("check 1M CSV / floor", over("1m.csv", "check", "floor"), 3, "×", at_most),
        Target("pandas peer / check, 1M CSV", over("1m.csv", "peer", "check"), 20, "×", at_least),
        Target("check 10M CSV / floor", over("10m.csv", "check", "floor"), 4, "×", at_most),
        Target(
            "check 10M CSV peak RSS / file size", rss("10m.csv", "check"), 2, "×", at_most, True
        ),
        Target(
            "check 1M XLSX / fastexcel floor", over("1m.xlsx", "check", "floor"), 2, "×", at_most
        ),
        Target(
            "check of a 5-row file, wall",
            _median(idx.get(("startup", "startup"))),
            0.6,
            " s",
            at_most,
            True,
        ),
        Target(
            "fix 1M CSV / read+write floor", over("1m.csv", "fix", "fix_floor"), 4, "×", at_most
        ),
        Target("fix 10M CSV peak RSS / file size", rss("10m.csv", "fix"), 2, "×", at_most, True),
    ]


def _bare_bounds(measured: Sequence[Measured]) -> list[str]:
    """What the bare job's ratios say about the check targets, when it was measured."""
    idx = _index(measured)
    bare = _median(idx.get(("1m.csv", "bare")))
    floor, peer = _median(idx.get(("1m.csv", "floor"))), _median(idx.get(("1m.csv", "peer")))
    if bare is None or floor is None:
        return []
    line = (
        f"Reference: the bare job (bare_job.py, no line numbers, rules or report) takes "
        f"{bare / floor:.2f}× the 1M CSV floor"
    )
    if peer is not None:
        line += f"; the pandas peer takes {peer / bare:.1f}× the bare job"
    return ["", line + "."]


def _git_dirty() -> list[str]:
    """Uncommitted changes under p2pfile/: the run measures the tree, not the commit."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "p2pfile"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def _sources() -> dict[str, str]:
    """sha256 of every file under p2pfile/, by path.

    Others edit the tree while a run takes half an hour; comparing this at the start
    and the end tells whether every row measured the same code.
    """
    pkg = ROOT / "p2pfile"
    return {
        str(f.relative_to(ROOT)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(pkg.rglob("*"))
        if f.is_file() and "__pycache__" not in f.parts
    }


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="p2pfile file benchmark: check and fix vs floors")
    p.add_argument("--quick", action="store_true", help="no 10M file, 1 run each, 3 start-up runs")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per command (default 3)")
    p.add_argument("--repeat-10m", type=int, default=2, help="timed runs on the 10M file")
    p.add_argument("--startup-runs", type=int, default=10, help="timed runs of the start-up probe")
    p.add_argument("--skip-10m", action="store_true", help="no 10M CSV (neither made nor timed)")
    p.add_argument("--skip-pandas-10m", action="store_true", help="no pandas peer on 10M")
    p.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="measure only this part (repeatable): start-up; check with its floors and "
        "the pandas peer; fix with its read+write floor",
    )
    # Internal: verify or generate one data file, in a child (see ensure_in_child).
    p.add_argument("--ensure", choices=sorted(FILES), help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    p.add_argument("--json", type=Path, help="also write all numbers to this JSON file")
    args = p.parse_args(argv)
    if args.ensure:
        return _ensure_main(args.ensure)
    if args.quick:
        args.skip_10m, args.repeat, args.startup_runs = True, 1, 3

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    facts = facts_in_child()
    facts["p2pfile_dirty"] = _git_dirty()
    sources = _sources()
    started = time.perf_counter()
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA, prefix="bench-files-") as tmp_dir:
        plan = build_plan(args, Path(tmp_dir))
        data = {k: ensure_in_child(k, log) for k in plan.files}
        seed = next((d["seed"] for d in data.values()), None)
        measured: list[Measured] = []
        for title, specs, repeat in plan.groups:
            log(f"{title}: {len(specs)} commands × {repeat} runs ...")
            measured += measure_group(specs, repeat=repeat, timeout_s=args.timeout, log=log)
    facts["loadavg_end"] = list(os.getloadavg())
    facts["p2pfile_changed_during_run"] = changed = _changed(sources, _sources())
    total_s = time.perf_counter() - started

    goals = targets(measured)
    results_table, notes = table(measured, plan.skipped)
    harness_rss = peak_rss_self()
    v = facts["versions"]
    all_loads = [x for m in measured for x in m.loadavg]
    dirty = facts["p2pfile_dirty"]
    out = [
        "## p2pfile file benchmark",
        "",
        f"- command: `{' '.join(facts['command'])}`",
        f"- git {facts['git_head'] or '(no commit yet)'}"
        + (
            f"; uncommitted changes under p2pfile/ were measured too: {', '.join(dirty)}"
            if dirty
            else "; p2pfile/ clean"
        )
        + (
            f". **p2pfile/ changed during the run** ({', '.join(changed)}): rows measured "
            "different code"
            if changed
            else "; p2pfile/ unchanged from start to end of the run"
        ),
        f"- machine: {facts['usable_cores']} usable cores ({facts['cpu_model']}), "
        f"{(facts['mem_total_bytes'] or 0) / 2**30:.0f} GiB RAM, polars threads "
        f"{facts.get('polars_threads')}; load average {facts['loadavg'][0]:.2f} at start, "
        f"{facts['loadavg_end'][0]:.2f} at end"
        + (
            f" (1-min load before the timed runs: median {statistics.median(all_loads):.2f}, "
            f"{min(all_loads):.2f} – {max(all_loads):.2f})"
            if all_loads
            else ""
        ),
        f"- python {facts['python']}, p2pfile {v['p2pfile']}, polars {v['polars']}, "
        f"fastexcel {v['fastexcel']}, pandas {v['pandas']}, phonenumbers {v['phonenumbers']}, "
        f"pyarrow {v['pyarrow'] or 'not installed'}",
        f"- data: benchmarks/data/, seed {seed}; "
        + ", ".join(f"{k} {d['action']} ({d['seconds']:.0f} s)" for k, d in data.items())
        + f"; whole run {total_s / 60:.0f} min",
        f"- peak RSS of the harness itself: {fmt_bytes(harness_rss)}. Linux carries the "
        "spawning process's high-water RSS into a child's ru_maxrss at exec, so no peak "
        "below can be smaller than this.",
        f"- children run with bytecode caching on (PYTHONPYCACHEPREFIX={PYCACHE.relative_to(ROOT)}"
        + (
            ", PYTHONDONTWRITEBYTECODE=1 of this shell removed"
            if os.environ.get("PYTHONDONTWRITEBYTECODE")
            else ""
        )
        + "), as for an installed package.",
        "",
        results_table,
        *(["", *notes] if notes else []),
        "",
        "Targets (ratios are median over median, both measured in this run):",
        "",
        markdown_table(["target", "limit", "measured", "verdict"], [g.row() for g in goals]),
        *_bare_bounds(measured),
    ]
    print("\n".join(out))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "seed": seed,
            "machine": facts,
            "data": data,
            "total_s": total_s,
            "harness_peak_rss_bytes": harness_rss,
            "files": {
                k: {"path": str(f.path), "rows": f.rows, "bytes": f.size}
                for k, f in plan.files.items()
            },
            "results": [
                {
                    "key": m.spec.key,
                    "kind": m.spec.kind,
                    "file": m.spec.file.key if m.spec.file else None,
                    "note": m.note,
                    "loadavg_before_runs": m.loadavg,
                    **(m.timing.as_dict() if m.timing else {"argv": list(m.spec.argv)}),
                }
                for m in measured
            ],
            "skipped": [{"key": s.key, "argv": list(s.argv), "note": n} for s, n in plan.skipped],
            "targets": [g.as_dict() for g in goals],
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
