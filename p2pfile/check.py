"""``check``: files in, a :class:`~p2pfile.report.Report` out.

For each file: read it (``p2pfile.reader``) into ``line, row, recipient,
message`` plus file-level findings; analyze the frame once (numbers,
messages, duplicate keys: whole-column expressions); then every selected row
rule is a filter over the analyzed frame, and all of them run in one polars
query. Findings stay in a frame; nothing here prints.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Final

import phonenumbers
import polars as pl

from p2pfile._args import path_arg, paths_arg
from p2pfile.config import Resolver, Settings, selected_codes, severity_overrides
from p2pfile.phone import e164_numbers, e164_text, number_expr
from p2pfile.reader import ReadResult, read_bytes, read_file
from p2pfile.report import FINDING_SCHEMA, FileSummary, Report, Severity
from p2pfile.rules import REGISTRY, Finding, Options, Rule, all_rules, default_selection
from p2pfile.rules import names as rule_names
from p2pfile.sms import analyzed_message_expr, odd_chars

__all__ = [
    "CheckPlan",
    "Source",
    "analyze",
    "check",
    "check_files",
    "expand_paths",
    "findings_for",
    "plan_from_settings",
    "plans_from",
    "unique_paths",
]

c = pl.col

#: Longest excerpt of a message a finding carries as its ``value``.
MESSAGE_EXCERPT = 80


@dataclass(frozen=True)
class CheckPlan:
    """Everything ``check`` needs besides the paths (built from config and flags)."""

    options: Options = field(default_factory=Options)
    #: The selected rule codes for a path (per-file-ignores make it depend on the path).
    selected: Callable[[str], frozenset[str]] = field(
        default=lambda _path: frozenset(r.code for r in all_rules() if r.severity is not None)
    )
    severity: Mapping[str, Severity] = field(default_factory=dict)
    max_rows: int | None = None
    max_bytes: int | None = None

    def severity_of(self, rule: Rule) -> Severity:
        """The configured severity, else the rule's default (off rules that were selected warn)."""
        return self.severity.get(rule.code, rule.severity or "warning")


#: Rows analyzed at a time. The analyzed columns cost about 240 bytes a row, so a
#: 10M-row file analyzed whole holds 2.4 GB next to its own text; in slices, one
#: slice's worth (duplicates, which need every row, are found after, from each
#: slice's E.164: see :func:`_check_sliced`).
ANALYSIS_ROWS = 1_000_000

#: Rows per chunk of the frame the analysis runs over: polars' engine works on the
#: chunks of a frame in parallel, one chunk at a time otherwise (the reader returns one).
ANALYSIS_CHUNK_ROWS = 100_000


def analyze(
    frame: pl.DataFrame,
    options: Options,
    *,
    duplicates: pl.DataFrame | None = None,
    by: str | None = None,
) -> pl.DataFrame:
    """The analyzed frame row rules run over (columns: ``rules.ANALYZED_COLUMNS``).

    ``duplicates``: the ``dup_line`` and ``first_line_of_recipient`` of these rows,
    when they are found over a larger frame than this one instead (nulls when no
    rule run over this analysis reads them: see :func:`_check_sliced`).
    ``by``: a column telling the files of a batch apart (see :func:`_check_batch`);
    duplicates are then found within each file, never across two.
    """
    chunks = [
        frame.slice(at, ANALYSIS_CHUNK_ROWS) for at in range(0, frame.height, ANALYSIS_CHUNK_ROWS)
    ]
    analyzed = (
        (pl.concat(chunks, rechunk=False) if len(chunks) > 1 else frame)
        .lazy()
        .with_columns(number=number_expr("recipient"), odd_chars=odd_chars(c("message")))
        # The message rules test odd_chars, a few characters a row, instead of the text.
        .with_columns(sms=analyzed_message_expr("message", "odd_chars", suffix=options.suffix))
        .unnest("number", "sms")
        .with_columns(
            # Shared by M101/M102 as a cheap prefilter: empty, or whitespace at an edge.
            edge_space=(c("message").str.len_bytes() == 0).fill_null(value=True)
            | (c("message").str.strip_chars().str.len_bytes() != c("message").str.len_bytes())
        )
        .collect()
    )
    if duplicates is not None:
        return _with_regions(analyzed).hstack(duplicates)
    return _with_duplicates(_with_regions(analyzed), by=by)


def _with_regions(frame: pl.DataFrame) -> pl.DataFrame:
    """The ISO region of valid foreign numbers (rare: Python over their rows only).

    Written into a column of nulls at those rows: a ``replace_strict`` of the whole
    E.164 column cost up to 0.3 s at 1M rows for the 0.14% that are foreign.
    """
    at = frame.get_column("foreign").arg_true()
    if not at.len():
        return frame.with_columns(region=pl.lit(None, dtype=pl.String))
    numbers = frame.get_column("e164").gather(at).to_list()
    regions = {e164: _region(e164) for e164 in set(numbers)}
    found = pl.Series([regions[e164] for e164 in numbers], dtype=pl.String)
    return frame.with_columns(
        region=pl.repeat(None, frame.height, dtype=pl.String, eager=True).scatter(at, found)
    )


def _region(e164: str) -> str | None:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


def _with_duplicates(frame: pl.DataFrame, *, by: str | None = None) -> pl.DataFrame:
    """``dup_line`` and ``first_line_of_recipient``: the earlier line each row repeats.

    Rows are grouped by a 64-bit hash of their E.164 (see :func:`_first_of_group`),
    and only rows whose recipient occurs more than once (a few percent) are
    hashed with their message to find exact duplicates. Every hit is then
    confirmed against the row it names, so a hash collision can never report a
    false duplicate. ``by``: rows compare only with rows of the same ``by``
    value (a file of a batch), and a row is named by ``by`` and its line.
    """
    lines = frame.get_column("line")
    within = [by] if by is not None else []
    recipient = pl.struct(*within, "e164").hash(seed=0x5A17) if by else c("e164").hash(seed=0x5A17)
    keys = frame.select(pl.when(c("e164").is_not_null()).then(recipient))
    later, first = _first_of_group(keys.to_series())
    if later.len() == 0:
        return frame.with_columns(
            first_line_of_recipient=pl.lit(None, pl.Int64), dup_line=pl.lit(None, pl.Int64)
        )
    # The rows that can be exact duplicates or their originals: repeats of a recipient
    # and the first row of each repeated recipient.
    among = pl.concat([later, first]).unique().sort()
    earlier = {"line": lines.gather(later), "first_line_of_recipient": lines.gather(first)}
    if by is not None:
        earlier[by] = frame.get_column(by).gather(later)
    subset = (
        frame[among]
        .select(*within, "line", "e164", "message")
        .join(pl.DataFrame(earlier), on=[*within, "line"], how="left", maintain_order="left")
        .with_columns(
            dup_line=c("line").first().over(pl.struct(*within, "e164", "message").hash(seed=0x5A17))
        )
    )
    subset = subset.with_columns(dup_line=pl.when(c("dup_line") != c("line")).then(c("dup_line")))
    confirmed = _confirmed(subset, "first_line_of_recipient", ["e164"], within).join(
        _confirmed(subset, "dup_line", ["e164", "message"], within),
        on=[*within, "line"],
        how="left",
        maintain_order="left",
    )
    return frame.with_columns(
        first_line_of_recipient=_nulls(frame.height).scatter(
            among, confirmed.get_column("first_line_of_recipient")
        ),
        dup_line=_nulls(frame.height).scatter(among, confirmed.get_column("dup_line")),
    )


def _nulls(n: int) -> pl.Series:
    """A fresh Int64 column of ``n`` nulls (``scatter`` writes into the series it is given)."""
    return pl.Series([], dtype=pl.Int64).extend_constant(None, n)


def _first_of_group(keys: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The positions of rows whose key occurred earlier, and of that earlier first row.

    Null keys belong to no group. A stable sort by key puts each group's rows
    together in input order, so a group's first row starts its run. At 10M rows
    this holds about half the memory of ``first().over(key)`` (0.45 GB against
    0.83 GB, whose per-group index lists dominate) and is no slower.
    """
    # Null keys sort last and are dropped at the end, not filtered out first: that
    # copy of the two columns was part of the 10M check's peak.
    runs = (
        pl.DataFrame({"key": keys, "i": pl.int_range(keys.len(), dtype=pl.UInt32, eager=True)})
        .sort("key", maintain_order=True, nulls_last=True)
        .with_columns(
            first=pl.when(c("key").ne_missing(c("key").shift(1))).then(c("i")).forward_fill()
        )
        .filter((c("first") != c("i")) & c("key").is_not_null())
    )
    return runs.get_column("i"), runs.get_column("first")


def _confirmed(
    subset: pl.DataFrame, related: str, same: list[str], within: list[str]
) -> pl.DataFrame:
    """``line`` and ``related`` of ``subset``, with ``related`` kept only where the row it
    names (by ``within`` and its line) really has the same ``same`` columns (a hash hit
    proved, never trusted)."""
    earlier = subset.select(
        *within, c("line").alias(related), *(c(name).alias(f"_earlier_{name}") for name in same)
    )
    proved = pl.all_horizontal(c(name) == c(f"_earlier_{name}") for name in same)
    return (
        subset.select(*within, "line", related, *same)
        .join(earlier, on=[*within, related], how="left", maintain_order="left")
        .select(*within, "line", pl.when(proved).then(c(related)).alias(related))
    )


def findings_for(
    analyzed: pl.DataFrame, path: str | pl.Expr, rules: Iterable[Rule], plan: CheckPlan
) -> pl.DataFrame:
    """Every row rule's findings over one analyzed frame, in one query (after the prefilters).

    ``path``: the file's path, or an expression of the frame's columns giving each
    row's (a batch of files, see :func:`_check_batch`).
    """
    checks = [(rule, rule.check(plan.options)) for rule in rules if rule.check is not None]
    if not checks:
        return Report.empty_frame()
    # Prefilters first, all in one query: kept apart from ``hit`` (in one query polars
    # would merge the two filters into one predicate, evaluated over every row), and
    # over only the columns the rule reads, so the filter copies nothing else.
    path_expr = _path_expr(path)
    path_columns = set(path_expr.meta.root_names())
    narrowed = [
        analyzed.lazy().select(_columns(analyzed, rule, f, path_columns)) for rule, f in checks
    ]
    prefiltered = [
        lf.filter(f.prefilter)
        for lf, (_, f) in zip(narrowed, checks, strict=True)
        if f.prefilter is not None
    ]
    filtered = iter(pl.collect_all(prefiltered))
    parts: list[pl.LazyFrame] = []
    for lf, (rule, finding) in zip(narrowed, checks, strict=True):
        # One chunk: over a frame of several, polars 2.1's streaming engine panics on
        # M203's query ("assertion failed: i < self.len()"); the eager filter this
        # replaced happened to return one.
        candidates = lf if finding.prefilter is None else next(filtered).rechunk().lazy()
        value = (
            c("message").str.slice(0, MESSAGE_EXCERPT)
            if rule.field == "message"
            else c("recipient")
        )
        fix = rule.fix
        parts.append(
            candidates.filter(finding.hit).select(
                path=path_expr,
                line=c("line"),
                row=c("row"),
                code=pl.lit(rule.code, pl.String),
                name=pl.lit(rule.name, pl.String),
                severity=pl.lit(plan.severity_of(rule), pl.String),
                message=finding.message.cast(pl.String),
                field=pl.lit(rule.field, pl.String),
                column=_or_null(finding.column, pl.Int64),
                value=value,
                related_line=_or_null(finding.related_line, pl.Int64),
                fix_applicability=pl.lit(fix, pl.String),
                fix_message=pl.lit(rule.fix_message or _default_fix_message(rule), pl.String),
                fix_replacement=_or_null(finding.replacement if fix else None, pl.String),
            )
        )
    return pl.concat(pl.collect_all(parts)).sort("line", "code", maintain_order=True)


def _columns(analyzed: pl.DataFrame, rule: Rule, finding: Finding, also: set[str]) -> list[str]:
    """The columns of the analyzed frame a rule's findings read (and ``also``), in the
    frame's order."""
    exprs = (
        finding.hit,
        finding.prefilter,
        finding.message,
        finding.column,
        finding.replacement if rule.fix else None,
        finding.related_line,
    )
    wanted = {"line", "row", "message" if rule.field == "message" else "recipient", *also}
    wanted.update(name for expr in exprs if expr is not None for name in expr.meta.root_names())
    return [name for name in analyzed.columns if name in wanted]


def _or_null(expr: pl.Expr | None, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    return pl.lit(None, dtype) if expr is None else expr.cast(dtype)


def _default_fix_message(rule: Rule) -> str | None:
    if rule.fix is None:
        return None
    if rule.code.startswith("P1"):
        return "write the number in E.164"
    return None


def _file_findings(result: ReadResult, selected: frozenset[str], plan: CheckPlan) -> pl.DataFrame:
    # A file with nothing to send (F106) is one fix refuses: none of its findings is
    # fixable by it, whatever fix a finding has elsewhere (a BOM-only file's F104).
    nothing_to_send = any(issue.code == "F106" for issue in result.issues)
    rows = []
    for issue in result.issues:
        if issue.code not in selected:
            continue
        rule = REGISTRY[issue.code]
        fixable = issue.fixable and not nothing_to_send
        rows.append(
            {
                "path": result.path,
                "line": issue.line,
                "row": issue.row,
                "code": rule.code,
                "name": rule.name,
                "severity": plan.severity_of(rule),
                "message": issue.message,
                "field": None,
                "column": None,
                "value": None,
                "related_line": None,
                "fix_applicability": rule.fix if fixable else None,
                "fix_message": rule.fix_message if fixable else None,
                "fix_replacement": None,
            }
        )
    return pl.DataFrame(rows, schema=FINDING_SCHEMA)


@dataclass
class _Checked:
    summary: FileSummary
    findings: pl.DataFrame
    keys: pl.DataFrame | None  # path, line, e164, message: for cross-file duplicates
    d103: Severity | None = None  # the level of a cross-file duplicate here (None: ignored)


#: A file to check: a path, or (a label such as ``-``, the bytes) for standard input.
Source = str | tuple[str, bytes]


def _read(source: Source, plan: CheckPlan) -> ReadResult:
    if isinstance(source, tuple):
        label, data = source
        return read_bytes(data, label, max_rows=plan.max_rows, max_bytes=plan.max_bytes)
    return read_file(source, max_rows=plan.max_rows, max_bytes=plan.max_bytes)


def _check_one(box: list[ReadResult], plan: CheckPlan, want_keys: bool) -> _Checked:
    """Check one file read, taken out of ``box``: the caller must hold no reference to
    it, so that its text can go before its packed findings are opened (see _Packed)."""
    result = box.pop()
    selected = plan.selected(result.path)
    path, frame = result.path, result.frame
    summary = FileSummary(path, result.format, frame.height, 0, 0, result.encoding)
    file_findings = _file_findings(result, selected, plan)
    del result  # from here the frame is held by ``frame`` alone, so it can be let go
    rules = [r for r in all_rules() if r.code in selected and r.check is not None]
    keys = None
    sliced = None
    if frame.height > ANALYSIS_ROWS:
        sliced = _check_sliced(frame, path, rules, plan, want_keys=want_keys)
        keys = sliced.keys
        row_findings = Report.empty_frame()
    elif frame.height:
        analyzed = analyze(frame, plan.options)
        row_findings = findings_for(analyzed, path, rules, plan)
        if want_keys:
            keys = _keys(analyzed, path)
        del analyzed
    else:
        row_findings = Report.empty_frame()
    # Findings quote their rows (values, excerpts) as views into the file's text, so
    # the text must go before packed findings are opened (see _Packed).
    del frame
    if sliced is not None:
        row_findings = sliced.merged()
    return _summed(summary, pl.concat([file_findings, row_findings]), keys, plan, selected)


def _keys(analyzed: pl.DataFrame, path: str | pl.Expr) -> pl.DataFrame:
    """The rows D103 compares with other files: valid, and not a duplicate within this one."""
    return analyzed.filter(c("e164").is_not_null() & c("dup_line").is_null()).select(
        "line", "e164", "message", path=_path_expr(path)
    )


def _path_expr(path: str | pl.Expr) -> pl.Expr:
    """A file's path as a column: one path, or an expression giving each row's."""
    return pl.lit(path, pl.String) if isinstance(path, str) else path.cast(pl.String)


#: Files of at most this many rows are checked together, this many rows at most at
#: a time: planning a query costs about as much for 5 rows as for 50,000 (a 20-row
#: file took 60 ms, most of it planning), so a commit or a repository of many small
#: files is checked in a few queries instead of a few per file.
BATCH_ROWS = 50_000


#: Rows of small files waiting in the batches of all plans at most (see check_files).
_PENDING_ROWS: Final = 4 * BATCH_ROWS


@dataclass
class _Batch:
    """Small files read, waiting to be checked together."""

    plan: CheckPlan | None = None
    selected: frozenset[str] | None = None
    results: list[tuple[int, ReadResult]] = field(default_factory=list)
    rows: int = 0

    def admits(self, result: ReadResult, plan: CheckPlan, selected: frozenset[str]) -> bool:
        """Whether ``result`` may join: the same plan and rules, room left, and a path of
        its own (findings are told apart by their path)."""
        return not self.results or (
            plan is self.plan
            and selected == self.selected
            and self.rows + result.frame.height <= BATCH_ROWS
            and all(r.path != result.path for _, r in self.results)
        )

    def add(
        self, index: int, result: ReadResult, plan: CheckPlan, selected: frozenset[str]
    ) -> None:
        self.plan = plan
        self.selected = selected
        self.results.append((index, result))
        self.rows += result.frame.height


def _check_batch(results: list[ReadResult], plan: CheckPlan, want_keys: bool) -> list[_Checked]:
    """:func:`_check_one` of each small file, from one analysis of them all.

    The frames are stacked with the index of their file in ``_file``: duplicates
    are found within each file (``analyze(by=...)``) and every finding carries its
    own file's path, so each file's findings and summary are what checking it
    alone gives.
    """
    with_rows = [r for r in results if r.frame.height]
    if len(with_rows) < 2:
        return [_check_one([r], plan, want_keys) for r in results]
    selected = plan.selected(results[0].path)
    rules = [r for r in all_rules() if r.code in selected and r.check is not None]
    paths = pl.Series([r.path for r in results], dtype=pl.String)
    stacked = pl.concat(
        r.frame.with_columns(_file=pl.lit(i, pl.UInt32)) for i, r in enumerate(results)
    )
    analyzed = analyze(stacked, plan.options, by="_file")
    del stacked
    path = c("_file").replace_strict(
        pl.Series(range(len(results)), dtype=pl.UInt32), paths, return_dtype=pl.String
    )
    found = findings_for(analyzed, path, rules, plan).partition_by("path", as_dict=True)
    keys: dict[tuple[object, ...], pl.DataFrame] = {}
    if want_keys:
        keys = _keys(analyzed, path).partition_by("path", as_dict=True)
    del analyzed
    checked = []
    for result in results:
        findings = pl.concat(
            [
                _file_findings(result, selected, plan),
                found.get((result.path,), Report.empty_frame()),
            ]
        )
        summary = FileSummary(
            result.path, result.format, result.frame.height, 0, 0, result.encoding
        )
        checked.append(_summed(summary, findings, keys.get((result.path,)), plan, selected))
    return checked


def _summed(
    summary: FileSummary,
    findings: pl.DataFrame,
    keys: pl.DataFrame | None,
    plan: CheckPlan,
    selected: frozenset[str],
) -> _Checked:
    severity = findings.get_column("severity")
    return _Checked(
        replace(
            summary,
            errors=int((severity == "error").sum()),
            warnings=int((severity == "warning").sum()),
        ),
        findings,
        keys,
        plan.severity_of(REGISTRY["D103"]) if "D103" in selected else None,
    )


def _check_sliced(
    frame: pl.DataFrame, path: str, rules: list[Rule], plan: CheckPlan, *, want_keys: bool
) -> _Sliced:
    """The row findings (packed) and D103 keys of a frame too large to analyze whole.

    Each slice is analyzed and judged by every rule that does not need the whole
    file, and only its E.164 column is kept. Duplicates are then found over those,
    and the rules that read them run over the rows that repeat a recipient: the
    numbers are normalized once, not once for duplicates and again per slice.
    """
    whole_file = [r for r in rules if _reads_duplicates(r, plan)]
    per_slice = [r for r in rules if r not in whole_file]
    no_duplicates = pl.DataFrame(dict.fromkeys(_DUPLICATE_COLUMNS, pl.Series([], dtype=pl.Int64)))
    packed: list[_Packed] = []
    e164: list[pl.Series] = []
    starts: list[int] = []  # the first line of each slice
    for offset in range(0, frame.height, ANALYSIS_ROWS):
        part = frame.slice(offset, ANALYSIS_ROWS)
        analyzed = analyze(part, plan.options, duplicates=no_duplicates.clear(part.height))
        packed.append(_Packed(findings_for(analyzed, path, per_slice, plan)))
        # As integers: 8 bytes a row where the text costs 29 (230 MB less at 10M rows).
        e164.append(e164_numbers(analyzed.get_column("e164")))
        starts.append(int(part.item(0, "line")))
        del analyzed, part  # before the next slice: one slice's columns at a time
    numbered = _with_duplicates(
        frame.select("line", "row", "recipient", "message").with_columns(e164=pl.concat(e164))
    )
    del e164
    keys = None
    if want_keys:
        keys = _keys(numbered, path).with_columns(e164=e164_text(c("e164")))
    repeats = numbered.filter(c("first_line_of_recipient").is_not_null())
    del numbered
    late = findings_for(repeats, path, whole_file, plan) if whole_file else Report.empty_frame()
    return _Sliced(packed, starts, _Packed(late), keys)


@dataclass
class _Sliced:
    """What :func:`_check_sliced` found, packed until the file's text is let go."""

    per_slice: list[_Packed]
    starts: list[int]
    whole_file: _Packed
    keys: pl.DataFrame | None

    def merged(self) -> pl.DataFrame:
        """Every row finding, in the order a check of the whole frame at once gives."""
        late = self.whole_file.open()
        merged = []
        for i, part in enumerate(self.per_slice):
            found = part.open()
            if late.height:
                lines = c("line") >= self.starts[i]
                if i + 1 < len(self.starts):
                    lines &= c("line") < self.starts[i + 1]
                found = pl.concat([found, late.filter(lines)]).sort(
                    "line", "code", maintain_order=True
                )
            merged.append(found)
        return pl.concat(merged)


#: The columns of the analysis that need every row of the file.
_DUPLICATE_COLUMNS: Final = ("dup_line", "first_line_of_recipient")


def _reads_duplicates(rule: Rule, plan: CheckPlan) -> bool:
    """Whether a rule's findings read a column that needs every row of the file."""
    finding = rule.check(plan.options) if rule.check is not None else None
    if finding is None:
        return False
    exprs = (
        finding.hit,
        finding.prefilter,
        finding.message,
        finding.column,
        finding.replacement,
        finding.related_line,
    )
    names = {name for expr in exprs if expr is not None for name in expr.meta.root_names()}
    return not names.isdisjoint(_DUPLICATE_COLUMNS)


class _Packed:
    """One slice's findings, LZ4-compressed in memory until the file is done.

    A large file's findings (about 400 bytes each, over 4M of them for the 10M-row
    benchmark) would otherwise pile up next to the file's own text, and their
    excerpts are views that keep that text alive. Packed, they cost about a fifth,
    hold no view into the text, and are unpacked once the text is gone: the peak is
    the text or the findings, not both. Packing costs about 0.7 s per 1M rows.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_ipc(buffer, compression="lz4")
        self._data: bytes | None = buffer.getvalue()

    def open(self) -> pl.DataFrame:
        """The findings back (once: the packed bytes are dropped)."""
        if self._data is None:
            msg = "a packed slice of findings is opened once"
            raise RuntimeError(msg)
        frame, self._data = pl.read_ipc(self._data), None
        return frame


def _cross_file_duplicates(checked: list[_Checked]) -> pl.DataFrame:
    """D103: rows whose recipient and message already appeared in an earlier file of the run.

    Each file's rows are compared with every other file's, whatever config each uses
    (a file whose config ignores D103 still holds the earlier copy); a finding is
    reported only in a file whose settings select D103, at the level they give it."""
    keyed = [
        ch.keys.with_columns(file_index=pl.lit(i), _level=pl.lit(ch.d103, pl.String))
        for i, ch in enumerate(checked)
        if ch.keys is not None
    ]
    if len(keyed) < 2:
        return Report.empty_frame()
    rule = REGISTRY["D103"]
    every = pl.concat(keyed).with_columns(_key=pl.struct("e164", "message").hash(seed=0x5A17))
    first = every.group_by("_key", maintain_order=True).agg(
        first_file=c("file_index").first(),
        first_path=c("path").first(),
        first_line=c("line").first(),
    )
    later = every.join(first, on="_key").filter(c("file_index") != c("first_file"))
    # Confirm the hash hit exactly, as for D101.
    original = every.select(
        first_path="path", first_line="line", first_e164="e164", first_message="message"
    )
    later = later.join(original, on=["first_path", "first_line"]).filter(
        (c("e164") == c("first_e164"))
        & (c("message") == c("first_message"))
        & c("_level").is_not_null()
    )
    return later.select(
        path=c("path"),
        line=c("line"),
        row=pl.lit(None, pl.Int64),
        code=pl.lit(rule.code),
        name=pl.lit(rule.name),
        severity=c("_level"),
        message=pl.format("same recipient and message as {}:{}", c("first_path"), c("first_line")),
        field=pl.lit(None, pl.String),
        column=pl.lit(None, pl.Int64),
        value=c("e164"),
        related_line=c("first_line").cast(pl.Int64),
        fix_applicability=pl.lit(None, pl.String),
        fix_message=pl.lit(None, pl.String),
        fix_replacement=pl.lit(None, pl.String),
    ).cast(FINDING_SCHEMA)


def check_files(
    sources: Iterable[Source],
    plan: CheckPlan | Callable[[str], CheckPlan],
    *,
    on_file: Callable[[str], None] | None = None,
) -> Report:
    """Check files in order; ``on_file`` is called before each one (progress).

    ``plan``: one plan for every file, or each file's plan by its path (the name of
    a source read from memory): see :func:`plans_from`. Small files are checked in
    batches of files with the same plan (:func:`_check_batch`), each other file
    alone; D103 compares the files of the run whatever their plans.
    """
    items = list(sources)
    plan_of = plan if callable(plan) else (lambda _path: plan)
    names = [source[0] if isinstance(source, tuple) else source for source in items]
    # D103's keys are kept for every file when any file of the run reports it.
    want_keys = len(items) > 1 and any("D103" in plan_of(n).selected(n) for n in names)
    done: dict[int, _Checked] = {}
    batches: dict[int, _Batch] = {}  # by plan: files of a plan batch even when interleaved

    def flush(batch: _Batch) -> None:
        if batch.results and batch.plan is not None:
            indexes = [i for i, _ in batch.results]
            results = [r for _, r in batch.results]
            checked = _check_batch(results, batch.plan, want_keys)
            done.update(zip(indexes, checked, strict=True))

    def flush_all() -> None:
        for batch in batches.values():
            flush(batch)
        batches.clear()

    for index, (source, name) in enumerate(zip(items, names, strict=True)):
        if on_file is not None:
            on_file(name)
        file_plan = plan_of(name)
        result = _read(source, file_plan)
        if result.frame.height > BATCH_ROWS:
            flush_all()
            box = [result]
            del result  # held by the box alone, which _check_one empties
            done[index] = _check_one(box, file_plan, want_keys)
            continue
        selected = file_plan.selected(result.path)
        batch = batches.setdefault(id(file_plan), _Batch())
        if not batch.admits(result, file_plan, selected):
            flush(batch)
            batch = batches[id(file_plan)] = _Batch()
        batch.add(index, result, file_plan, selected)
        if sum(b.rows for b in batches.values()) > _PENDING_ROWS:
            flush_all()  # files waiting in the batches of several plans: memory stays bounded
    flush_all()
    checked = [done[i] for i in range(len(items))]
    frames = [ch.findings for ch in checked]
    cross = _cross_file_duplicates(checked)
    if cross.height:
        frames.append(cross)
        counts = cross.group_by("path").agg(n=pl.len(), errors=(c("severity") == "error").sum())
        by_path = {r["path"]: r for r in counts.iter_rows(named=True)}
        for ch in checked:
            extra = by_path.get(ch.summary.path)
            if extra:
                ch.summary = FileSummary(
                    ch.summary.path,
                    ch.summary.format,
                    ch.summary.rows,
                    ch.summary.errors + extra["errors"],
                    ch.summary.warnings + extra["n"] - extra["errors"],
                    ch.summary.encoding,
                )
    frame = pl.concat(frames) if frames else Report.empty_frame()
    return Report(tuple(ch.summary for ch in checked), frame)


#: File names ``check`` picks up inside a directory.
CHECKED_SUFFIXES = (".csv", ".xlsx")


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files as given, and directories searched (recursively, sorted) for CSV and XLSX files.

    Hidden directories (``.git``, ``.venv``) are skipped. A path that does
    not exist is kept: reading it gives an F101 finding, never a traceback.
    A file reached twice (``x.csv ./x.csv``, ``dir dir/x.csv``, a symlink) is
    listed once, as first spelled: checked twice, each of its rows would be a
    cross-file duplicate (D103) of itself.
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        key = _real_path(name)
        if key not in seen:
            seen.add(key)
            out.append(name)

    for raw in paths:
        path = Path(raw)
        # os.path.isdir: False for a name too long for the file system (its F101 says
        # so), where Path.is_dir raises.
        if not os.path.isdir(path):
            add(os.fspath(raw))
            continue
        found = [
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in CHECKED_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts[:-1])
        ]
        for p in sorted(found):
            add(str(p))
    return out


def _real_path(name: str) -> str:
    """What tells two spellings of one file apart from two files."""
    try:
        return os.path.realpath(name)
    except (OSError, ValueError):  # a name the file system refuses: its F101 says so
        return os.path.abspath(name)


def unique_paths(paths: Iterable[str]) -> list[str]:
    """``paths`` without a second spelling of one file (the first is kept); ``-`` is kept."""
    seen: set[str] = set()
    out = []
    for name in paths:
        key = name if name == "-" else _real_path(name)
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def plan_from_settings(settings: Settings) -> CheckPlan:
    """The check plan the settings describe; raises ConfigError for a selector naming no rule."""
    known = rule_names()
    defaults = default_selection()
    levels = severity_overrides(settings, known)
    selected_codes(settings, known, defaults, None)  # validate every selector up front

    @cache
    def selected(path: str) -> frozenset[str]:
        return selected_codes(settings, known, defaults, path)

    return CheckPlan(
        options=Options(
            max_parts=settings.max_parts,
            max_length=settings.max_length,
            suffix=settings.suffix,
            allow_foreign=settings.allow_foreign,
            allowed_regions=settings.allowed_regions,
            number_format=settings.number_format,
            tariff=(
                None
                if settings.tariff is None
                else (
                    settings.tariff.persian_mci,
                    settings.tariff.english_mci,
                    settings.tariff.persian_other,
                    settings.tariff.english_other,
                )
            ),
        ),
        selected=selected,
        severity={code: level for code, level in levels.items() if level != "off"},
        max_rows=settings.max_rows,
        max_bytes=settings.max_bytes,
    )


def plans_from(resolver: Resolver) -> Callable[[str], CheckPlan]:
    """Each file's plan, from the settings ``resolver`` gives it: one plan per settings
    (files sharing a config file share a plan, so :func:`check_files` batches them,
    and so do files of config files that say the same: a project's copies of one
    ``[tool.p2pfile]`` table)."""
    by_id: dict[int, tuple[Settings, CheckPlan]] = {}
    by_value: dict[Settings, CheckPlan] = {}

    def plan_for(path: str) -> CheckPlan:
        settings = resolver.for_path(path)
        found = by_id.get(id(settings))
        if found is None:
            # Where the settings came from matters only to anchor per-file-ignores.
            key = settings if settings.per_file_ignores else replace(settings, source=None)
            plan = by_value.get(key)
            if plan is None:
                plan = by_value[key] = plan_from_settings(settings)
            found = by_id[id(settings)] = (settings, plan)
        return found[1]

    return plan_for


def check(
    paths: str | bytes | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    config: str | os.PathLike[str] | None = None,
    isolated: bool = False,
    **settings: object,
) -> Report:
    """Check recipient files; the library face of ``p2pfile check``.

    ``paths`` are files or directories (searched for ``*.csv``/``*.xlsx``).
    Each file's settings come from the ``p2pfile.toml``/``pyproject.toml``
    closest to it (or ``config`` for all; none with ``isolated``), then keyword
    overrides, layered as the command-line flags are, named as the
    config keys in snake_case: ``select``, ``extend_select``, ``ignore``,
    ``per_file_ignores``, ``severity``, ``allow_foreign``, ``allowed_regions``,
    ``max_parts``, ``max_length``, ``suffix``, ``max_rows``, ``max_bytes``.
    Raises :class:`~p2pfile.errors.UsageError` for a path that is not one (``None``,
    a number), :class:`~p2pfile.errors.ConfigError` for bad settings; a bad input
    file is a finding in the report, never an exception.
    """
    names = expand_paths(paths_arg(paths, "check()"))
    resolver = Resolver(
        explicit=Path(path_arg(config, "check() config")) if config is not None else None,
        isolated=isolated,
        overrides=settings,
    )
    plan_for = plans_from(resolver)
    for name in names or [os.getcwd()]:  # every config error before any file is read
        plan_for(name)
    return check_files(names, plan_for)
