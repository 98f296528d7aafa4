"""``stats``: what recipient files hold, and what sending them would cost.

The rows counted as *sent* are exactly the rows ``p2pfile fix`` would write
(the same decisions, :func:`p2pfile.fix.decide`, with the safe fixes): a valid
recipient, a message without an error no fix can save, and not a duplicate.
Their parts are counted on the message as ``fix`` writes it, because that is
what ``send`` uploads (DESIGN.md decision 10); ``parts_all_rows`` counts every
row as it is in the file. Parts include the configured ``suffix``.

Operators are the allocating carriers of libphonenumber's metadata: with
number portability a few numbers have moved since, so a cost split by MCI vs
other operators is an estimate. The tariff is the provider's
(``GET /api/user/get_tariff``): rials per part, ``persian`` for UCS-2 parts and
``english`` for GSM-7 parts, MCI vs every other operator; it has no rate for
foreign numbers, whose parts are reported as unpriced.

Nothing here prints: :func:`render_stats_text` returns the text the CLI shows.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

import polars as pl

from p2pfile._args import paths_arg, resolver_arg, tariff_arg
from p2pfile.check import CheckPlan, Source, expand_paths, plan_from_settings
from p2pfile.config import Settings, Tariff
from p2pfile.errors import InputFileError, UsageError
from p2pfile.fix import decide
from p2pfile.formats._common import count
from p2pfile.reader import read_bytes, read_file
from p2pfile.rules import Options, get_rule

__all__ = [
    "OPERATOR_GROUPS",
    "PARTS_BUCKETS",
    "SCHEMA_VERSION",
    "Cost",
    "CostLine",
    "FileStats",
    "Stats",
    "render_stats_text",
    "stats",
    "stats_sources",
]

c = pl.col

#: Version of ``to_dict()``'s shape (schemas/stats.schema.json).
SCHEMA_VERSION: Final = "1"
#: The operator mix, in this order; ``other`` is every other Iranian carrier.
OPERATOR_GROUPS: Final = ("MCI", "Irancell", "RighTel", "other", "foreign")
ENCODINGS: Final = ("GSM-7", "UCS-2")
#: Parts-per-message buckets: (label, lowest, highest or None).
PARTS_BUCKETS: Final = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4-5", 4, 5),
    ("6-10", 6, 10),
    (">10", 11, None),
)
#: A message this many units (or fewer) over a part boundary is "near" it (M205).
NEAR_UNITS: Final = 3
#: File findings that change what the counts cover; each becomes a note (and F202
#: without a fix: a header that may mean the columns are not what they are read as).
_NOTED: Final = ("F102", "F103", "F106", "F107", "F203")
#: What each of those means for a send: the counts are of the rows as read, while
#: ``fix`` (without ``--unsafe-fixes``) and ``send`` refuse such a file.
_REFUSED_NOTE: Final = {
    "F103": "; fix and send refuse the file until it is UTF-8 (fix --unsafe-fixes transcodes)",
    "F107": "; fix and send refuse the workbook while other sheets hold data",
    "F203": "; fix and send refuse the file while it has those columns",
}


@dataclass(frozen=True)
class FileStats:
    """The row accounting of one file: ``rows == sent + rejected + duplicates``."""

    path: str
    rows: int
    sent: int
    rejected: int
    duplicates: int


@dataclass(frozen=True)
class CostLine:
    """Parts of one price class and what they cost: ``cost == parts * rate``."""

    operator: Literal["mci", "other"]
    #: The tariff's word: ``persian`` = UCS-2 parts, ``english`` = GSM-7 parts.
    script: Literal["persian", "english"]
    parts: int
    rate: float
    cost: float

    @property
    def tariff_key(self) -> str:
        """The tariff field this line is priced by (``persian_mci``, ...)."""
        return f"{self.script}_{self.operator}"


@dataclass(frozen=True)
class Cost:
    """Estimated cost in rials of the rows that would be sent."""

    lines: tuple[CostLine, ...]
    total: float
    #: Parts to foreign numbers: the tariff has no rate for them.
    unpriced_parts: int


@dataclass(frozen=True)
class Stats:
    """Counts over one or more files; see the module docstring for what *sent* means.

    ``rows == sent + rejected + duplicates``. Operator, encoding and parts
    figures are over the rows that would be sent; ``parts_all_rows`` is over
    every row as read.
    """

    files: tuple[FileStats, ...]
    rows: int
    #: Rows ``fix`` would write: what would be sent.
    sent: int
    #: Rows no fix can save (``rejected_by_code`` says why).
    rejected: int
    #: Rows that repeat an earlier row's recipient and message (D101, after the fixes).
    duplicates: int
    #: Rows whose recipient can be sent to (duplicates and rows with bad messages included).
    valid_recipients: int
    #: Rows whose recipient cannot: ``sum(invalid_by_code.values())``.
    invalid_recipients: int
    #: P2xx code -> rows (each invalid recipient has exactly one).
    invalid_by_code: Mapping[str, int]
    #: Every code that rejects rows -> rows; a row may have several.
    rejected_by_code: Mapping[str, int]
    #: Distinct E.164 numbers among the rows that would be sent.
    unique_recipients: int
    #: :data:`OPERATOR_GROUPS` -> rows that would be sent.
    operators: Mapping[str, int]
    #: ``GSM-7``/``UCS-2`` -> rows that would be sent.
    encodings: Mapping[str, int]
    #: ``GSM-7``/``UCS-2`` -> parts of those rows.
    parts_by_encoding: Mapping[str, int]
    #: Parts of the rows that would be sent, as ``fix`` writes their messages.
    parts: int
    #: Parts of every row, as read.
    parts_all_rows: int
    #: :data:`PARTS_BUCKETS` label -> rows that would be sent.
    parts_histogram: Mapping[str, int]
    #: Rows that would be sent whose message is 1-3 units over a part boundary
    #: (M205): shortening each by those units saves one part.
    near_boundary: int
    #: The text the provider appends to each message (counted in the parts).
    suffix: str
    cost: Cost | None
    #: One line per file finding that changes what the counts cover.
    notes: tuple[str, ...] = field(default=())

    def to_json(self, *, indent: int | None = None) -> str:
        """The JSON document ``stats --output-format json`` prints
        (``schemas/stats.schema.json``), as :meth:`Report.to_json` is check's."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict in the shape of ``schemas/stats.schema.json``."""
        sent = self.sent

        def shares(counts: Mapping[str, int], total: int) -> dict[str, dict[str, Any]]:
            return {k: {"rows": n, "percent": _percent(n, total)} for k, n in counts.items()}

        return {
            "schema_version": SCHEMA_VERSION,
            "files": [
                {
                    "path": f.path,
                    "rows": f.rows,
                    "sent": f.sent,
                    "rejected": f.rejected,
                    "duplicates": f.duplicates,
                }
                for f in self.files
            ],
            "rows": self.rows,
            "sent": sent,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "recipients": {
                "valid": self.valid_recipients,
                "invalid": self.invalid_recipients,
                "invalid_by_code": dict(self.invalid_by_code),
                "unique_sent": self.unique_recipients,
            },
            "rejected_by_code": dict(self.rejected_by_code),
            "operators": shares(self.operators, sent),
            "encodings": {
                enc: {
                    "rows": n,
                    "percent": _percent(n, sent),
                    "parts": self.parts_by_encoding[enc],
                }
                for enc, n in self.encodings.items()
            },
            "parts": {
                "sent": self.parts,
                "all_rows": self.parts_all_rows,
                "histogram": dict(self.parts_histogram),
                "near_boundary": self.near_boundary,
                "suffix": self.suffix,
            },
            "cost": None
            if self.cost is None
            else {
                "currency": "IRR",
                "lines": [
                    {
                        "operator": line.operator,
                        "script": line.script,
                        "parts": line.parts,
                        "rate": _number(line.rate),
                        "cost": _number(line.cost),
                    }
                    for line in self.cost.lines
                ],
                "total": _number(self.cost.total),
                "unpriced_parts": self.cost.unpriced_parts,
            },
            "notes": list(self.notes),
        }


def _percent(n: int, total: int) -> float:
    return round(100 * n / total, 2) if total else 0.0


def _number(value: float) -> int | float:
    """Whole rials as an int in JSON (``1330``, not ``1330.0``); a fraction to 2 places,
    as the text shows it (0.1 × 6 parts is ``0.6``, not ``0.6000000000000001``)."""
    return int(value) if float(value).is_integer() else round(value, 2)


# --------------------------------------------------------------------------- counting


def stats(
    path_or_paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    tariff: Tariff | Mapping[str, float] | None = None,
    settings: Settings | Mapping[str, object] | None = None,
) -> Stats:
    """Count rows, recipients, operators, encodings, parts and (with a tariff) cost.

    Directories are searched for ``*.csv``/``*.xlsx`` as ``check`` does.
    ``settings`` default to each file's closest config file (as ``check`` finds
    it; the tariff, to that of the files' common parent); a
    :class:`~p2pfile.config.Settings` is used as it is for every file, and a
    mapping of settings (``{"allow_foreign": True}``) is applied on top of each
    closest file, as ``check()``'s keyword overrides are. ``tariff`` is a
    :class:`~p2pfile.config.Tariff` or a mapping of its four rates
    (``persian_mci``, ``english_mci``, ``persian_other``, ``english_other``, all
    required); it defaults to the settings' ``[tariff]``. Raises
    :class:`~p2pfile.errors.UsageError` for arguments of the wrong type or an
    unknown key, :class:`~p2pfile.errors.ConfigError` for a bad value, and
    :class:`~p2pfile.errors.InputFileError` for a file that cannot be read, or is
    larger than the settings' ``max-rows`` or ``max-bytes`` (F108): counts of part of a
    file would pass for the file's.
    """
    names = expand_paths(paths_arg(path_or_paths, "stats()"))
    if not names:
        msg = "stats() needs at least one file"
        raise UsageError(msg)
    checked_tariff = tariff_arg(tariff, "stats()")
    resolver = resolver_arg(settings, "stats()")
    if resolver is None:  # a Settings, used as it is for every file
        run, settings_of = cast("Settings", settings), None
    else:  # the run's: the config of the files' common parent, as for check
        run, settings_of = resolver.for_run(names), resolver.for_path
    return stats_sources(names, tariff=checked_tariff, settings=run, settings_of=settings_of)


def stats_sources(
    sources: Iterable[Source],
    *,
    tariff: Tariff | None,
    settings: Settings,
    settings_of: Callable[[str], Settings] | None = None,
) -> Stats:
    """:func:`stats` of files already found: each a path, or ``(name, bytes)`` for a
    file already in memory (standard input, as ``check_files`` takes it).

    ``settings`` are the run's (the default tariff, the totals); ``settings_of`` gives
    each file's (by its path or name: which rows count as sent), else ``settings``."""
    plan = plan_from_settings(settings)
    tariff = tariff if tariff is not None else settings.tariff
    items = list(sources)
    plans: dict[int, tuple[Settings, CheckPlan]] = {id(settings): (settings, plan)}
    for source in items:  # every config error before any file is read
        own = settings if settings_of is None else settings_of(_name(source))
        if id(own) not in plans:
            plans[id(own)] = (own, plan_from_settings(own))

    files: list[FileStats] = []
    sent_frames: list[pl.DataFrame] = []
    codes: dict[str, int] = {}
    notes: list[str] = []
    parts_all_rows = near_boundary = 0
    for source in items:
        own = settings if settings_of is None else settings_of(_name(source))
        file_plan = plans[id(own)][1]
        limits = {"max_bytes": own.max_bytes, "max_rows": own.max_rows}
        if isinstance(source, tuple):
            result = read_bytes(source[1], source[0], **limits)
        else:
            result = read_file(source, **limits)
        if result.format is None and not any(i.code == "F106" for i in result.issues):
            first = next((i for i in result.issues if i.code.startswith("F1")), None)
            what = f"{first.message} ({first.code})" if first else "it cannot be read"
            raise InputFileError(f"{result.path}: {what}")
        too_large = next((i for i in result.issues if i.code == "F108"), None)
        if too_large is not None:
            # Counts of part of a file would be taken for the file's: as fix, none.
            msg = (
                f"{result.path}: {too_large.message} (F108); stats counts whole files: "
                "raise max-rows / max-bytes"
            )
            raise InputFileError(msg)
        name = result.path  # as reports show it (a name that is not UTF-8, escaped)
        notes.extend(
            f"{name}: {i.message} ({i.code}){_REFUSED_NOTE.get(i.code, '')}"
            for i in result.issues
            if i.code in _NOTED or (i.code == "F202" and not i.fixable)
        )
        if not result.frame.height:
            files.append(FileStats(name, 0, 0, 0, 0))
            continue
        outcome = decide(
            result.frame, file_plan.options, file_plan.selected(name), issues=result.issues
        )
        rows = outcome.rows
        counted = rows.select(
            sent=(c("status") == "written").sum(),
            rejected=(c("status") == "rejected").sum(),
            duplicates=(c("status") == "duplicate").sum(),
            parts_as_read=c("parts_as_read").sum(),
        ).row(0, named=True)
        files.append(
            FileStats(
                name,
                rows.height,
                int(counted["sent"]),
                int(counted["rejected"]),
                int(counted["duplicates"]),
            )
        )
        parts_all_rows += int(counted["parts_as_read"])
        for code, n in _code_counts(rows).items():
            codes[code] = codes.get(code, 0) + n
        written = rows.filter(c("status") == "written")
        near_boundary += _near_boundary(
            written.select("encoding", "units", "parts", "chars", message="out_message"),
            file_plan.options,
        )
        sent_frames.append(
            written.select(
                "e164",
                "operator",
                "foreign",
                "encoding",
                "units",
                "parts",
                # Which file, and a 64-bit hash of what is sent, for the rows that repeat
                # another file's (a count for a note: a collision, about n²/2⁶⁵, would
                # only miscount it).
                _file=pl.lit(len(files) - 1, pl.Int32),
                _sent=pl.struct("e164", "out_message").hash(seed=0x5A17),
            )
        )
    sent = pl.concat(sent_frames) if sent_frames else _empty_sent()
    if len(files) > 1 and (repeats := _repeated_across_files(sent)):
        verb = "repeats" if repeats == 1 else "repeat"
        notes.append(
            f"{repeats:,} of the rows counted as sent {verb} a row of an earlier file "
            "(same recipient and message, D103): each file is counted and priced as if "
            "sent alone, and uploading them all sends those rows twice"
        )
    return _summarize(
        files,
        sent,
        codes=codes,
        parts_all_rows=parts_all_rows,
        near_boundary=near_boundary,
        options=plan.options,
        tariff=tariff,
        notes=notes,
    )


def _repeated_across_files(sent: pl.DataFrame) -> int:
    """Rows of ``sent`` whose recipient and message were sent by an earlier file."""
    if "_sent" not in sent.columns:
        return 0
    first = sent.group_by("_sent").agg(first=c("_file").min())
    later = sent.join(first, on="_sent").filter(c("_file") > c("first"))
    return later.height


def _name(source: Source) -> str:
    return source[0] if isinstance(source, tuple) else source


def _empty_sent() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "e164": pl.String,
            "operator": pl.String,
            "foreign": pl.Boolean,
            "encoding": pl.String,
            "units": pl.Int64,
            "parts": pl.Int64,
        }
    )


def _code_counts(rows: pl.DataFrame) -> dict[str, int]:
    counted = (
        rows.filter(c("status") == "rejected")
        .select(code=c("codes").fill_null("").str.split(" "))
        .explode("code")
        .filter(c("code") != "")
        .group_by("code")
        .len()
    )
    return {str(code): int(n) for code, n in counted.iter_rows()}


def _summarize(
    files: list[FileStats],
    sent: pl.DataFrame,
    *,
    codes: Mapping[str, int],
    parts_all_rows: int,
    near_boundary: int,
    options: Options,
    tariff: Tariff | None,
    notes: list[str],
) -> Stats:
    rows = sum(f.rows for f in files)
    invalid = {code: n for code, n in sorted(codes.items()) if code.startswith("P2")}
    group = (
        pl.when(c("foreign"))
        .then(pl.lit("foreign"))
        .when(c("operator").is_in(OPERATOR_GROUPS[:3]))
        .then(c("operator"))
        .otherwise(pl.lit("other"))
    )
    frame = sent.with_columns(group=group)
    operators = _counts(frame, "group", OPERATOR_GROUPS)
    encodings = _counts(frame, "encoding", ENCODINGS)
    parts_by_encoding = {
        enc: int(frame.filter(c("encoding") == enc).get_column("parts").sum()) for enc in ENCODINGS
    }
    histogram = {
        label: int(
            frame.filter(
                (c("parts") >= low) if high is None else c("parts").is_between(low, high)
            ).height
        )
        for label, low, high in PARTS_BUCKETS
    }
    return Stats(
        files=tuple(files),
        rows=rows,
        sent=frame.height,
        rejected=sum(f.rejected for f in files),
        duplicates=sum(f.duplicates for f in files),
        valid_recipients=rows - sum(invalid.values()),
        invalid_recipients=sum(invalid.values()),
        invalid_by_code=invalid,
        rejected_by_code=dict(sorted(codes.items())),
        unique_recipients=frame.get_column("e164").n_unique(),
        operators=operators,
        encodings=encodings,
        parts_by_encoding=parts_by_encoding,
        parts=int(frame.get_column("parts").sum()),
        parts_all_rows=parts_all_rows,
        parts_histogram=histogram,
        near_boundary=near_boundary,
        suffix=options.suffix,
        cost=None if tariff is None else _cost(frame, tariff),
        notes=tuple(notes),
    )


def _counts(frame: pl.DataFrame, column: str, keys: tuple[str, ...]) -> dict[str, int]:
    found = dict(frame.group_by(column).len().iter_rows())
    return {key: int(found.get(key, 0)) for key in keys}


def _near_boundary(frame: pl.DataFrame, options: Options) -> int:
    """Rows M205 would report (1-3 units over a part boundary), by M205's own expression
    (``frame``: a file's rows to send, their message as written; ``options``: its own)."""
    rule = get_rule("M205")
    if rule is None or rule.check is None:  # pragma: no cover - M205 is a row rule
        return 0
    return frame.filter(rule.check(options).hit).height


#: The tariff's price classes: operator, script, and the encoding the script means.
_PRICE_CLASSES: Final[
    tuple[tuple[Literal["mci", "other"], Literal["persian", "english"], str], ...]
] = (
    ("mci", "persian", "UCS-2"),
    ("mci", "english", "GSM-7"),
    ("other", "persian", "UCS-2"),
    ("other", "english", "GSM-7"),
)


def _cost(frame: pl.DataFrame, tariff: Tariff) -> Cost:
    lines = []
    priced = frame.filter(~c("foreign"))
    is_mci = c("operator") == "MCI"
    for operator, script, encoding in _PRICE_CLASSES:
        group = is_mci if operator == "mci" else ~is_mci
        parts = int(priced.filter(group & (c("encoding") == encoding)).get_column("parts").sum())
        rate = float(getattr(tariff, f"{script}_{operator}"))
        lines.append(CostLine(operator, script, parts, rate, parts * rate))
    unpriced = int(frame.filter(c("foreign")).get_column("parts").sum())
    return Cost(tuple(lines), sum(line.cost for line in lines), unpriced)


# --------------------------------------------------------------------------- text

_EIGHTHS: Final = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
_BOLD, _DIM, _BAR, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"
_PERCENT_WIDTH: Final = len(" 100.0%")


def _bar(fraction: float, width: int) -> str:
    """``fraction`` of ``width`` cells in eighth blocks; a nonzero share is never invisible."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    if fraction > 0 and eighths == 0:
        eighths = 1
    return "█" * (eighths // 8) + _EIGHTHS[eighths % 8]


@dataclass
class _Text:
    """Lines under construction, with the width and colors of the terminal."""

    width: int
    color: bool
    lines: list[str] = field(default_factory=list)

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and text else text

    def heading(self, text: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(self.paint(_BOLD, text))

    def line(self, text: str) -> None:
        self.lines.append(f"  {text}")

    def chart(
        self, items: list[tuple[str, int]], total: int, notes: Mapping[str, str] | None = None
    ) -> None:
        """One row per item: label, count, bar, percent of ``total`` (and a note)."""
        notes = notes or {}
        label_w = max((len(label) for label, _ in items), default=0)
        count_w = max((len(f"{n:,}") for _, n in items), default=1)
        note_w = max((len(v) + 1 for v in notes.values()), default=0)
        bar_w = max(8, self.width - 2 - label_w - 1 - count_w - 1 - _PERCENT_WIDTH - note_w)
        for label, n in items:
            share = n / total if total else 0.0
            bar = self.paint(_BAR, _bar(share, bar_w).ljust(bar_w))
            text = f"{label:<{label_w}} {n:>{count_w},} {bar} {100 * share:5.1f}%"
            if label in notes:
                text += " " + self.paint(_DIM, notes[label])
            self.line(text.rstrip())


def render_stats_text(stats: Stats, *, color: bool = False, width: int = 60) -> str:
    """The stats as terminal text with small bar charts, read at a glance.

    ``width`` is the line width to fit (bars shrink to at least 8 cells);
    ``color`` adds ANSI colors. Percentages of operators, encodings and parts
    are of the rows that would be sent.
    """
    out = _Text(width, color)
    if len(stats.files) == 1:
        out.heading(f"{stats.files[0].path}: {count(stats.rows, 'row')}")
    else:
        out.heading(f"{len(stats.files)} files: {count(stats.rows, 'row')}")
        for f in stats.files:
            out.line(
                f"{f.path}: {count(f.rows, 'row')}, {f.sent:,} sent, {f.rejected:,} rejected, "
                f"{f.duplicates:,} duplicate{'s' * (f.duplicates != 1)}"
            )
    out.chart(
        [("sent", stats.sent), ("rejected", stats.rejected), ("duplicates", stats.duplicates)],
        stats.rows,
    )
    out.line(f"unique recipients to send to: {stats.unique_recipients:,}")
    out.line(f"invalid recipients: {stats.invalid_recipients:,}")
    if stats.rejected_by_code:
        out.heading("rejected, by reason (a row may have several)")
        out.chart(
            [(f"{code} {_rule_name(code)}", n) for code, n in stats.rejected_by_code.items()],
            stats.rejected,
        )
    out.heading("operators (rows that would be sent)")
    out.chart(list(stats.operators.items()), stats.sent)
    out.heading("encoding (rows that would be sent)")
    out.chart(
        list(stats.encodings.items()),
        stats.sent,
        {enc: f"{parts:,} parts" for enc, parts in stats.parts_by_encoding.items()},
    )
    out.heading(
        f"parts per message: {stats.parts:,} to send "
        f"({stats.parts_all_rows:,} over all rows as read)"
    )
    out.chart(list(stats.parts_histogram.items()), stats.sent)
    if stats.near_boundary:
        out.line(f"near a part boundary (1-{NEAR_UNITS} units over): {stats.near_boundary:,}")
    if stats.suffix:
        out.line(f"parts include the suffix {stats.suffix!r}")
    if stats.cost is not None:
        _render_cost(out, stats.cost)
    if stats.notes:
        out.heading("notes")
        for note in stats.notes:
            # Wrapped to the terminal, continued two spaces further in; a long
            # path is not broken, so a copy of it still names the file.
            wrapped = textwrap.wrap(
                note, width=max(out.width - 2, 40), subsequent_indent="  ", break_long_words=False
            )
            for part in wrapped or [note]:
                out.line(part)
    return "\n".join(out.lines) + "\n"


def _render_cost(out: _Text, cost: Cost) -> None:
    out.heading("estimated cost in rials (rows that would be sent)")
    labels = [
        f"{'MCI' if line.operator == 'mci' else 'other':<5} {line.script} "
        f"({'UCS-2' if line.script == 'persian' else 'GSM-7'})"
        for line in cost.lines
    ]
    label_w = max(len(label) for label in labels)
    parts_w = max(len(f"{line.parts:,}") for line in cost.lines)
    rate_w = max(len(_rials(line.rate)) for line in cost.lines)
    cost_w = max(len(_rials(cost.total)), *(len(_rials(line.cost)) for line in cost.lines))
    for label, line in zip(labels, cost.lines, strict=True):
        out.line(
            f"{label:<{label_w}} {line.parts:>{parts_w},} parts × "
            f"{_rials(line.rate):>{rate_w}} = {_rials(line.cost):>{cost_w}}"
        )
    before_total = label_w + 1 + parts_w + len(" parts × ") + rate_w + len(" = ")
    out.line(out.paint(_BOLD, f"{'total':<{before_total}}{_rials(cost.total):>{cost_w}}"))
    if cost.unpriced_parts:
        out.line(f"not priced: {cost.unpriced_parts:,} part(s) to foreign numbers (no tariff)")


def _rule_name(code: str) -> str:
    rule = get_rule(code)
    return rule.name if rule is not None else ""


def _rials(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
