"""Shared timing, peak-memory and reporting helpers for the benchmark scripts.

Two kinds of measurement:

* :func:`time_call` times a Python callable in this process with
  :func:`time.perf_counter` (wall time: polars work runs on several threads, so CPU
  time would mislead).
* :func:`time_command` runs a command in a fresh child process per run and reads
  that child's wall time and peak RSS. The child is reaped with :func:`os.wait4`,
  which returns the rusage of *that* child only. ``getrusage(RUSAGE_CHILDREN)``
  would not do: its ``ru_maxrss`` is the maximum over every child reaped so far,
  so a small run after a large one would report the large one's peak.

Peak RSS from rusage covers the child and any descendants it waited for. Run the
program itself (``[sys.executable, "-m", "p2pfile", ...]``), not a shell
pipeline, so the number belongs to the program you mean.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

__all__ = [
    "CommandTiming",
    "RunResult",
    "Timing",
    "fmt_bytes",
    "fmt_count",
    "fmt_rate",
    "fmt_seconds",
    "machine_facts",
    "markdown_table",
    "peak_rss_self",
    "run_once",
    "time_call",
    "time_command",
]

T = TypeVar("T")


# --------------------------------------------------------------------------- in-process


@dataclass(frozen=True)
class Timing:
    """Wall-clock samples of one measured thing, in seconds."""

    label: str
    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def rate(self, items: int) -> float:
        """Items per second at the median."""
        return items / self.median if self.median > 0 else float("inf")

    def as_dict(self, items: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "samples_s": list(self.samples),
            "median_s": self.median,
            "min_s": self.min,
            "max_s": self.max,
        }
        if items is not None:
            out["items"] = items
            out["items_per_s"] = self.rate(items)
        return out


def time_call(label: str, fn: Callable[[], T], *, repeat: int, warmup: int = 0) -> tuple[Timing, T]:
    """Call ``fn`` ``warmup`` times untimed, then ``repeat`` times timed.

    Returns the timing and the result of the last timed call, so a caller can check
    what was computed without paying for an extra run.
    """
    if repeat < 1:
        raise ValueError("repeat must be >= 1")
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    result: T | None = None
    for _ in range(repeat):
        # Drop the previous result first: holding two copies of a 1M-row result
        # would let memory pressure leak into the next sample.
        result = None
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return Timing(label, tuple(samples)), cast(T, result)


def peak_rss_self() -> int:
    """Peak resident set size of this process so far, in bytes (Linux: ru_maxrss is KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --------------------------------------------------------------------------- subprocesses


@dataclass(frozen=True)
class RunResult:
    """One run of a command in a fresh child process."""

    wall_s: float
    peak_rss_bytes: int
    user_s: float
    sys_s: float
    returncode: int
    stderr_tail: str = ""


@dataclass(frozen=True)
class CommandTiming:
    """Several runs of the same command."""

    label: str
    argv: tuple[str, ...]
    runs: tuple[RunResult, ...]
    warmup_runs: tuple[RunResult, ...] = field(default=())

    @property
    def walls(self) -> tuple[float, ...]:
        return tuple(r.wall_s for r in self.runs)

    @property
    def median_s(self) -> float:
        return statistics.median(self.walls)

    @property
    def min_s(self) -> float:
        return min(self.walls)

    @property
    def max_s(self) -> float:
        return max(self.walls)

    @property
    def peak_rss_bytes(self) -> int:
        """The largest peak RSS seen in any timed run (memory is a bound, not a mean)."""
        return max(r.peak_rss_bytes for r in self.runs)

    @property
    def median_peak_rss_bytes(self) -> int:
        return int(statistics.median(r.peak_rss_bytes for r in self.runs))

    def as_timing(self) -> Timing:
        return Timing(self.label, self.walls)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "argv": list(self.argv),
            "wall_s": list(self.walls),
            "median_s": self.median_s,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "median_peak_rss_bytes": self.median_peak_rss_bytes,
            "user_s": [r.user_s for r in self.runs],
            "sys_s": [r.sys_s for r in self.runs],
            "returncodes": [r.returncode for r in self.runs],
        }


def run_once(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    stdout: int | None = subprocess.DEVNULL,
    timeout_s: float | None = None,
) -> RunResult:
    """Run ``argv`` once in a new child and return its wall time, peak RSS and exit code.

    stdout goes to /dev/null by default: writing a large report into a pipe nobody
    reads would deadlock, and into a terminal would time the terminal. stderr is
    kept in a temporary file so a failing run can say why.
    """
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=None if env is None else dict(env), stdout=stdout, stderr=err
        )
        timer: threading.Timer | None = None
        if timeout_s is not None:
            timer = threading.Timer(timeout_s, proc.kill)
            timer.start()
        try:
            # wait4 reaps exactly this child and returns its own rusage.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        # Tell Popen the child is gone, so it never tries to reap the pid again.
        proc.returncode = code
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    return RunResult(
        wall_s=wall,
        peak_rss_bytes=usage.ru_maxrss * 1024,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        returncode=code,
        stderr_tail=tail,
    )


def time_command(
    label: str,
    argv: Sequence[str],
    *,
    repeat: int = 3,
    warmup: int = 1,
    ok_codes: Iterable[int] = (0,),
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> CommandTiming:
    """Run ``argv`` ``warmup`` + ``repeat`` times, each in a fresh child.

    The warm-up run fills the page cache with the input file (and Python's bytecode
    cache), so the timed runs measure the program, not the disk. Raises
    :class:`RuntimeError` when a run exits with a code outside ``ok_codes`` (a linter
    exits 1 on findings, so pass ``ok_codes=(0, 1)`` for ``check``).
    """
    allowed = set(ok_codes)
    warm: list[RunResult] = []
    runs: list[RunResult] = []
    for i in range(warmup + repeat):
        r = run_once(argv, cwd=cwd, env=env, timeout_s=timeout_s)
        if r.returncode not in allowed:
            raise RuntimeError(
                f"{label}: exit code {r.returncode} from {' '.join(argv)}\n{r.stderr_tail}"
            )
        (warm if i < warmup else runs).append(r)
    return CommandTiming(label, tuple(argv), tuple(runs), tuple(warm))


# --------------------------------------------------------------------------- machine facts


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_bytes() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_describe(repo: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # A tree without commits yet has no HEAD; say so rather than fail.
    return out.stdout.strip() if out.returncode == 0 else None


def machine_facts(packages: Iterable[str] = ()) -> dict[str, Any]:
    """What a reader needs to judge a number: cores, CPU, memory, versions, load, command."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    facts: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "cpu_model": _cpu_model(),
        "mem_total_bytes": _mem_total_bytes(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "versions": {name: _version(name) for name in packages},
        # The machine is shared: the load average says how noisy the run was.
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "git_head": _git_describe(Path(__file__).resolve().parent.parent),
        "command": [sys.executable, *sys.argv],
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    with contextlib.suppress(ImportError):
        import polars as pl

        facts["polars_threads"] = pl.thread_pool_size()
    return facts


# --------------------------------------------------------------------------- formatting


def fmt_seconds(s: float) -> str:
    if s >= 100:
        return f"{s:.0f} s"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def fmt_rate(per_s: float) -> str:
    """Rows per second with a unit prefix: 52.3 k/s, 1.84 M/s."""
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M/s"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.1f} k/s"
    return f"{per_s:.0f} /s"


def fmt_count(n: int) -> str:
    return f"{n:,}".replace(",", "_")


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; columns padded so the raw text reads too."""
    body = [list(map(str, r)) for r in rows]
    widths = [len(h) for h in headers]
    for r in body:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in body)])
