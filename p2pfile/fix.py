"""``fix``: apply the fixes, drop duplicates, split clean rows from rejects, write them.

One columnar pass over a file (DESIGN.md, "The shape")::

    read ─► analyze ─► message fixes ─► reject ─► dedupe ─► writers
                       (rules' replacements)    (after fixes)

* **Fixes are the rules' own replacements.** Each message fix is a row rule's
  ``Finding.replacement`` applied to that rule's hit rows, in the fixed order
  :data:`MESSAGE_FIX_ORDER`; a recipient is written as the P1xx rules'
  replacement (E.164, or the national form with ``number_format="national"``).
  Only selected rules fix, and unsafe ones only with ``unsafe=True``. After a
  fix changes a row, that row is analyzed again, so the next rule judges the
  text as it now is; the chain is repeated over the changed rows until nothing
  changes (as ruff does), so a second ``fix`` never finds anything to do.
* **Nothing is lost** (decision 3): ``rows_in == rows_written + rows_rejected +
  duplicates_dropped``. A row is rejected when it has an error no fix can save
  (``spec/rules.md`` convention 11: P2xx, M101, M104, M201, M202, M401, M402,
  and the reader's broken records F204, F205, F207). Message errors are judged
  on the fixed text (what would be written, so a check of the output finds no
  error); M104 also on the text as read, because removing control characters
  can hide the evidence of mojibake. Each reject keeps its cells as read, with
  its codes and reasons. Duplicates (D101) are found after the fixes, among
  the rows that are written, and each names the line it repeats.
* **Canonical output** (decision 4): UTF-8 without BOM, LF, header
  ``recipient,message``, RFC 4180 quoting, or an XLSX whose cells are all
  strings; written to a temporary file beside the target and moved into place
  (``os.replace``), so a reader never sees half a file.
* **In place** (no ``output``): a CSV is rewritten with the safe fixes (and
  the unsafe ones only when asked, as ruff's ``--fix --unsafe-fixes``); rows
  that would be rejected stay in it unchanged (and stay findings), duplicates
  are dropped, and a file nothing changes is not touched. An XLSX is never
  rewritten in place, nor a CSV with broken records (their text cannot be
  written back as it was).
* **Refused files.** Unreadable (F101, F102, F106), not UTF-8 without
  ``unsafe`` (F103), data beyond what fix writes (F107 other sheets, F203 extra
  columns, F108 rows past the limit), or a header that may mean swapped
  columns (F202 without a fix): :class:`~p2pfile.errors.InputFileError`.

The library never prints or exits: problems are :class:`~p2pfile.errors.UsageError`
(bad arguments, or rows to reject without a rejects file) and
:class:`~p2pfile.errors.InputFileError` (a file that cannot be fixed).
"""

from __future__ import annotations

import filecmp
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl

from p2pfile.check import CheckPlan, analyze, findings_for, plan_from_settings
from p2pfile.config import NumberFormat, Settings, discover
from p2pfile.errors import InputFileError, UsageError
from p2pfile.phone import FORM_CODES, number_expr
from p2pfile.reader import FileIssue, ReadResult, read_file
from p2pfile.rules import Finding, Options, Rule, all_rules, default_selection, get_rule
from p2pfile.sms import MESSAGE_DTYPE

__all__ = [
    "MESSAGE_FIX_ORDER",
    "REJECTS_SCHEMA",
    "FixResult",
    "Outcome",
    "RowChange",
    "count_findings",
    "decide",
    "diff",
    "first_lines",
    "fix",
    "split",
]

c = pl.col

#: Message fixes, in the order they are applied. Controls go first (they can hide
#: other patterns and make a message look as if it had no edge whitespace), CR LF
#: before trimming (at either end it is M102's), letter swaps after, and the GSM-7
#: rewrite last, because whether it saves a part is judged on the otherwise-fixed text.
MESSAGE_FIX_ORDER: Final = ("M103", "M105", "M204", "M102", "M301", "M302", "M203")

#: Errors no fix can save, judged per row (spec/rules.md convention 11); every
#: P2xx rule but P203 is always applied, because such a row has no number to write.
REJECTING_MESSAGE_RULES: Final = ("M101", "M104", "M201", "M202", "M401", "M402")
#: The reader's findings about one record that make it unusable as it was read.
STRUCTURAL: Final = ("F204", "F205", "F207")
#: File-level findings the canonical writer fixes (counted in ``FixResult.fixes``).
FILE_FIXES: Final = ("F103", "F104", "F105", "F201", "F202", "F206", "F208")

#: Columns of the rejects file and of ``split``'s second frame.
REJECTS_SCHEMA: Final = pl.Schema(
    {
        "line": pl.Int64,
        "row": pl.Int64,
        "recipient": pl.String,
        "message": pl.String,
        "codes": pl.String,
        "reasons": pl.String,
    }
)

#: A fix that keeps changing a row after this many passes is left where it got to.
MAX_PASSES: Final = 10
#: An XLSX sheet holds 1,048,576 rows, one of them the header; a cell 32,767 characters.
XLSX_MAX_ROWS: Final = 1_048_575
XLSX_MAX_CELL: Final = 32_767

#: What analyze derives from the message (refreshed when a fix changes it).
_MESSAGE_COLUMNS: Final = ("message", "edge_space", *(f.name for f in MESSAGE_DTYPE.fields))
_FAMILY_ORDER: Final = {"F": 0, "P": 1, "M": 2, "D": 3}

Status = Literal["written", "rejected", "duplicate", "unfixable"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FixResult:
    """What ``fix`` did to one file.

    ``rows_in == rows_written + rows_rejected + duplicates_dropped``, always.
    In place, rows no fix can save stay in the file unchanged: they are
    counted in ``rows_written`` and ``unfixable``, and ``rows_rejected`` is 0.
    """

    path: str
    #: The file written; None when ``path`` was fixed in place.
    output: str | None
    rejects: str | None
    rows_in: int
    rows_written: int
    rows_rejected: int
    duplicates_dropped: int
    #: Rule code -> rows of the output a fix changed (for F-codes: findings fixed,
    #: e.g. F206 = blank records removed). P1xx counts the recipients rewritten
    #: that had that form problem (one row may count for several codes).
    fixes: Mapping[str, int]
    #: (line dropped, line kept) for every duplicate dropped.
    duplicates: tuple[tuple[int, int], ...]
    #: Findings (errors and warnings) a check of the output would still report.
    remaining: int
    #: The output's bytes differ from the input's (in place: the file was rewritten).
    changed: bool
    #: In place only: rows left unchanged because no fix can save them.
    unfixable: int = 0
    #: Code -> rows rejected (or, in place, left unfixable) with it; a row may have several.
    rejected_by_code: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (duplicates as ``[dropped, kept]`` pairs)."""
        return {
            "path": self.path,
            "output": self.output,
            "rejects": self.rejects,
            "rows_in": self.rows_in,
            "rows_written": self.rows_written,
            "rows_rejected": self.rows_rejected,
            "duplicates_dropped": self.duplicates_dropped,
            "unfixable": self.unfixable,
            "fixes": dict(self.fixes),
            "rejected_by_code": dict(self.rejected_by_code),
            "duplicates": [list(pair) for pair in self.duplicates],
            "remaining": self.remaining,
            "changed": self.changed,
        }


@dataclass(frozen=True)
class RowChange:
    """One row that ``fix`` would change, drop or reject (for ``fix --diff``)."""

    line: int
    row: int
    #: (recipient, message) as read.
    old: tuple[str | None, str | None]
    #: (recipient, message) as written; None when the row is not written.
    new: tuple[str, str] | None
    kind: Literal["fixed", "duplicate", "rejected"]
    #: The fixes applied (``P104 M102``), or why the row is not written (``D101``, ``P205 M401``).
    codes: tuple[str, ...]
    #: One line a person reads: ``duplicate of line 2``, or the rejects' reasons.
    why: str


@dataclass(frozen=True)
class Outcome:
    """What fixing decides for every row of a frame, before anything is written.

    ``rows`` has one row per input row, in input order: ``line``, ``row``,
    ``recipient`` and ``message`` as read; ``out_recipient`` and
    ``out_message`` as they would be written; ``status`` (``written``,
    ``rejected``, ``duplicate``, or in place ``unfixable``); ``kept_line`` for
    duplicates; ``codes`` and ``reasons`` for rejected and unfixable rows; and
    the analysis columns of ``check.analyze`` (numbers of the recipient as
    read, ``encoding``/``parts``/... of the fixed message); ``parts_as_read``
    are the parts of the message as read.
    """

    rows: pl.DataFrame
    #: Rule code -> rows with status ``written`` that the fix changed.
    fixes: Mapping[str, int]
    #: Findings a check of the rows written would report (file-level ones excluded).
    remaining: int
    #: Message rule code -> row positions (``_i``) its fix changed, for ``diff``.
    fixed_rows: Mapping[str, pl.Series] = field(default_factory=dict)

    def count(self, status: Status) -> int:
        """Rows with this status."""
        return int((self.rows.get_column("status") == status).sum())


# --------------------------------------------------------------------------- the decisions


def decide(
    frame: pl.DataFrame,
    options: Options,
    selected: frozenset[str],
    *,
    issues: Sequence[FileIssue] = (),
    unsafe: bool = False,
    in_place: bool = False,
) -> Outcome:
    """Fix, reject and dedupe the rows of ``frame`` (``line, row, recipient, message``).

    ``issues`` are the reader's findings (F204/F205/F207 reject their rows).
    ``in_place``: rows no fix can save are kept unchanged (``unfixable``)
    instead of rejected. Nothing is written; see :func:`fix`.
    """
    plan = CheckPlan(options=options)
    analyzed = analyze(frame.select("line", "row", "recipient", "message"), options).with_columns(
        _i=pl.int_range(pl.len(), dtype=pl.Int64),
        orig_message=c("message"),
        parts_as_read=c("parts"),
    )
    # M104 on the text as read: a control character removed by M103 may have been the
    # C1 byte that made the mojibake recognizable.
    early = None
    if "M104" in selected:
        m104 = [_rule("M104")]
        early = findings_for(_narrow(analyzed, m104, options), "", m104, plan)
    fix_rules = [
        _rule(code)
        for code in MESSAGE_FIX_ORDER
        if code in selected and (_rule(code).fix == "safe" or unsafe)
    ]
    work, fixed_rows = _fix_messages(analyzed, fix_rules, options)

    # Every P1xx rule's replacement is the number written canonically; P103's covers any form.
    canonical = _finding("P103", options).replacement
    assert canonical is not None  # a rule definition invariant
    work = work.with_columns(out_recipient=canonical.cast(pl.String))

    rejected = _rejections(
        work, frame_issues=issues, early=early, options=options, selected=selected
    )
    work = work.join(rejected, on="line", how="left", maintain_order="left").with_columns(
        _bad=c("codes").is_not_null() | c("e164").is_null()
    )
    work = _dedupe(work, enabled="D101" in selected)
    status = (
        pl.when(c("_bad"))
        .then(pl.lit("unfixable" if in_place else "rejected"))
        .when(c("kept_line").is_not_null())
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("written"))
    )
    keep_as_read = c("_bad") & pl.lit(in_place)
    work = work.with_columns(
        status=status,
        out_recipient=pl.when(keep_as_read).then(c("recipient")).otherwise(c("out_recipient")),
        out_message=pl.when(keep_as_read)
        .then(c("orig_message"))
        .otherwise(c("message").fill_null("")),
    )

    fixes = _count_fixes(work, fixed_rows)
    settled = frozenset(
        [r.code for r in all_rules() if r.code.startswith("P2")]
        + [code for code in REJECTING_MESSAGE_RULES if code in selected]
        + [r.code for r in fix_rules]
        + (["D101"] if "D101" in selected else [])
    )
    remaining = _remaining(work, analyzed, options, selected, settled)
    rows = work.drop("_bad").with_columns(message=c("orig_message")).drop("orig_message")
    return Outcome(rows, fixes, remaining, fixed_rows)


def _rule(code: str) -> Rule:
    rule = get_rule(code)  # get_rule loads the registry; REGISTRY alone may still be empty
    if rule is None:  # pragma: no cover - the codes here are spec/rules.md's
        msg = f"no rule {code}"
        raise LookupError(msg)
    return rule


def _finding(code: str, options: Options) -> Finding:
    check = _rule(code).check
    if check is None:  # pragma: no cover - the codes here are row rules
        msg = f"{code} is not a row rule"
        raise LookupError(msg)
    return check(options)


def _fix_messages(
    analyzed: pl.DataFrame, rules: Sequence[Rule], options: Options
) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """Apply the message fixes until nothing changes; returns the frame and who changed what.

    Pass 1 runs over every row; later passes only over the rows the previous
    pass changed (a row nothing touched, analyzed afresh, would be judged the same).
    """
    work = analyzed
    changed: dict[str, list[pl.Series]] = {}
    scope: pl.Series | None = None
    for _ in range(MAX_PASSES):
        part = work if scope is None else work.filter(c("_i").is_in(scope.implode()))
        touched: list[pl.Series] = []
        for rule in rules:
            part, hit = _apply(part, rule, options)
            if hit.len():
                changed.setdefault(rule.code, []).append(hit)
                touched.append(hit)
        if not touched:
            break
        # ``_i`` is the row's position in the whole frame.
        work = part if scope is None else _scatter(work, part.get_column("_i"), part)
        scope = pl.concat(touched).unique()
    return work, {code: pl.concat(hits).unique() for code, hits in changed.items()}


def _apply(part: pl.DataFrame, rule: Rule, options: Options) -> tuple[pl.DataFrame, pl.Series]:
    """One rule's replacement on its hit rows; changed rows are analyzed again."""
    finding = rule.check(options) if rule.check is not None else None
    if finding is None or finding.replacement is None:
        return part, pl.Series("_i", [], dtype=pl.Int64)
    hits = (
        _candidates(part.with_row_index("_pos"), finding, keep=("_pos", "_i", "line", "row"))
        .filter(finding.hit)
        .select("_pos", "_i", "line", "row", "message", new=finding.replacement)
        .filter(c("new").ne_missing(c("message")))
        .collect()
    )
    if not hits.height:
        return part, hits.get_column("_i")
    # Re-analyze only the rows this fix changed, so the next rule sees their real
    # encoding, parts and edge whitespace (e.g. M103 removing a NUL after a space).
    # Only the message columns are taken: the recipient is left out (null) so that
    # the numbers, which no message fix changes, are not normalized again.
    changed = hits.select(
        "_i", "line", "row", recipient=pl.lit(None, dtype=pl.String), message="new"
    )
    fresh = analyze(changed, options)
    return _scatter(part, hits.get_column("_pos"), fresh), hits.get_column("_i")


def _scatter(frame: pl.DataFrame, positions: pl.Series, fresh: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the message columns of the rows at ``positions`` taken from ``fresh``.

    (A scatter by position: five times faster than ``DataFrame.update``'s join at 1M rows.)
    """
    return frame.with_columns(
        frame.get_column(name).clone().scatter(positions, fresh.get_column(name))
        for name in _MESSAGE_COLUMNS
    )


def _rejections(
    work: pl.DataFrame,
    *,
    frame_issues: Sequence[FileIssue],
    early: pl.DataFrame | None,
    options: Options,
    selected: frozenset[str],
) -> pl.DataFrame:
    """``line, codes, reasons`` of every row no fix can save (codes F, then P, then M)."""
    plan = CheckPlan(options=options)
    number_rules = [
        r
        for r in all_rules()
        if r.code.startswith("P2") and (r.code != "P203" or r.code in selected)
    ]
    message_rules = [_rule(code) for code in REJECTING_MESSAGE_RULES if code in selected]
    # Only rows without a number, or with a foreign one, can have a P2xx finding.
    numbers = _narrow(work, number_rules, options, rows=c("e164").is_null() | c("foreign"))
    frames = [
        findings_for(numbers, "", number_rules, plan),
        findings_for(_narrow(work, message_rules, options), "", message_rules, plan),
    ]
    if early is not None:
        frames.append(early.select("line", "code", "message"))
    structural = [
        (issue.line, issue.code, issue.message)
        for issue in frame_issues
        if issue.code in STRUCTURAL
    ]
    if structural:
        lines = work.get_column("line")
        frames.append(
            pl.DataFrame(structural, schema=["line", "code", "message"], orient="row").filter(
                c("line").is_in(lines.implode())
            )
        )
    every = pl.concat(
        [f.select("line", "code", "message").cast({"line": pl.Int64}) for f in frames]
    )
    return (
        every.unique(["line", "code"], keep="first", maintain_order=True)
        .with_columns(_rank=c("code").str.head(1).replace_strict(_FAMILY_ORDER, default=9))
        .sort("line", "_rank", "code", maintain_order=True)
        .group_by("line", maintain_order=True)
        .agg(codes=c("code").str.join(" "), reasons=c("message").str.join("; "))
    )


def _narrow(
    frame: pl.DataFrame, rules: Iterable[Rule], options: Options, rows: pl.Expr | None = None
) -> pl.DataFrame:
    """``frame`` with only the columns ``findings_for`` needs for these rules (and ``rows``)."""
    wanted = {"line", "row", "recipient", "message"}
    for rule in rules:
        if rule.check is not None:
            wanted |= _roots(rule.check(options))
    lf = frame.lazy() if rows is None else frame.lazy().filter(rows)
    return lf.select(name for name in frame.columns if name in wanted).collect()


def first_lines(frame: pl.DataFrame, keys: Sequence[str]) -> pl.Series:
    """For each row, the ``line`` of the first row with the same ``keys`` (its own if it is first).

    Exact, in little memory: a 64-bit hash of the keys finds the few rows that
    may repeat another (equal keys have equal hashes), and only those are
    grouped by the keys themselves, so a hash collision can never merge two
    different rows. (Grouping every row by its strings costs about 2 GiB at
    10M rows, DESIGN.md.)
    """
    lines = frame.get_column("line").clone()  # scatter writes in place: never into the frame
    maybe = frame.select(pl.struct(*keys).hash(seed=0x5A17).is_duplicated()).to_series()
    where = maybe.arg_true()
    if where.len():
        firsts = frame[where].select(c("line").first().over(*keys)).to_series()
        lines = lines.scatter(where, firsts)
    return lines.alias("first_line")


def _dedupe(work: pl.DataFrame, *, enabled: bool) -> pl.DataFrame:
    """``kept_line``: for a written row that repeats an earlier one (E.164 and fixed message)."""
    if not enabled:
        return work.with_columns(kept_line=pl.lit(None, dtype=pl.Int64))
    # Lazy, so that only these columns are copied by the filter.
    candidates = (
        work.lazy()
        .filter(~c("_bad"))
        .select("line", "e164", message=c("message").fill_null(""))
        .collect()
    )
    firsts = candidates.select("line", kept_line=first_lines(candidates, ["e164", "message"]))
    firsts = firsts.filter(c("kept_line") != c("line"))
    return work.join(firsts, on="line", how="left", maintain_order="left")


def _count_fixes(work: pl.DataFrame, fixed_rows: Mapping[str, pl.Series]) -> dict[str, int]:
    """Rows with status ``written`` changed by each fix."""
    exprs: dict[str, pl.Expr] = {
        code: c("_i").is_in(rows.implode()).sum() for code, rows in fixed_rows.items()
    }
    rewritten = c("out_recipient") != c("recipient")
    for code in FORM_CODES:
        exprs[code] = (rewritten & c("forms").list.contains(code)).sum()
    counts = (
        work.lazy().filter(c("status") == "written").select(**exprs).collect().row(0, named=True)
    )
    return {code: int(n) for code, n in sorted(counts.items()) if n}


def _remaining(
    work: pl.DataFrame,
    analyzed: pl.DataFrame,
    options: Options,
    selected: frozenset[str],
    settled: frozenset[str],
) -> int:
    """Findings a check of the rows that stay in the output would report.

    ``settled`` are the rules that cannot fire on a written row (its rejecting
    rules and the fixes applied to a fixpoint); they are not evaluated again
    unless rows kept as read (in place) are in the output too.
    """
    unfixable = work.lazy().filter(c("status") == "unfixable").select("_i").collect()
    written_rows = work.lazy().filter(c("status") == "written")
    forms = _canonical_forms(written_rows.select("foreign", "out_recipient").collect())
    if unfixable.height:
        settled = frozenset()
    else:  # every recipient is spelled canonically: only its kind's form codes can fire
        settled |= frozenset(FORM_CODES) - {code for codes in forms.values() for code in codes}
    rules = [r for r in all_rules() if r.code in selected and r.code not in settled and r.check]
    needed = {"line", "_i", "e164", "message", "foreign"}
    for rule in rules:
        needed |= _roots(rule.check(options)) if rule.check is not None else set()
    # Recomputed below over the output rows; the canonical spelling has its own forms.
    needed -= {"dup_line", "first_line_of_recipient", "forms", "recipient"}
    columns = sorted(needed)
    as_list = pl.List(pl.String)
    out = written_rows.select(
        *columns,
        recipient="out_recipient",
        forms=pl.when(c("foreign"))
        .then(pl.lit(forms.get(True, []), dtype=as_list))
        .otherwise(pl.lit(forms.get(False, []), dtype=as_list)),
    ).collect()
    if unfixable.height:  # in place: those rows stay as read, with their first analysis
        kept = (
            analyzed.lazy().join(unfixable.lazy(), on="_i").select(*columns, "recipient", "forms")
        )
        out = pl.concat([out.lazy(), kept]).sort("_i").collect()
    valid = c("e164").is_not_null()
    if "D101" in settled:
        duplicate = pl.lit(None, dtype=pl.Int64)
    else:
        keyed = out.filter(valid).select("line", "e164", "message")
        out = out.join(
            keyed.select("line", _dup=first_lines(keyed, ["e164", "message"])),
            on="line",
            how="left",
            maintain_order="left",
        )
        duplicate = pl.when(c("_dup") != c("line")).then(c("_dup"))
    # As check does: the first line of each E.164 (null recipients are never repeats).
    first_of_recipient = c("line").first().over("e164")
    out = out.with_columns(
        dup_line=duplicate,
        first_line_of_recipient=pl.when(valid & (first_of_recipient != c("line"))).then(
            first_of_recipient
        ),
    )
    return count_findings(out, rules, options)


def _canonical_forms(written: pl.DataFrame) -> dict[bool, list[str]]:
    """Foreign or not -> the P1xx form codes of the canonical spelling of such a number.

    The written spelling (E.164, or national for Iranian numbers) gets the same
    form verdict for every number of a kind, so one number of each kind is
    normalized instead of the whole column.
    """
    sample = written.unique("foreign", keep="first")
    judged = sample.select("foreign", forms=number_expr("out_recipient").struct.field("forms"))
    return {bool(kind): list(codes) for kind, codes in judged.iter_rows()}


def _candidates(frame: pl.DataFrame, finding: Finding, keep: Iterable[str] = ()) -> pl.LazyFrame:
    """The rows ``finding.hit`` must be evaluated on, with only the columns it reads.

    The prefilter runs eagerly, as in ``check.findings_for``: in one lazy query
    polars merges consecutive filters into one predicate and would evaluate the
    costly ``hit`` over every row. Narrowing the columns first keeps that filter
    from copying every string column of the frame.
    """
    wanted = _roots(finding) | set(keep)
    narrow = frame.select(name for name in frame.columns if name in wanted)
    if finding.prefilter is None:
        return narrow.lazy()
    return narrow.filter(finding.prefilter).lazy()


def _roots(finding: Finding) -> set[str]:
    """The columns a finding's expressions read."""
    exprs = (
        finding.hit,
        finding.prefilter,
        finding.message,
        finding.column,
        finding.replacement,
        finding.related_line,
    )
    return {name for expr in exprs if expr is not None for name in expr.meta.root_names()}


def count_findings(frame: pl.DataFrame, rules: Iterable[Rule], options: Options) -> int:
    """How many findings the row rules report over an analyzed frame (counts only)."""
    queries = []
    for rule in rules:
        if rule.check is None:
            continue
        finding = rule.check(options)
        queries.append(_candidates(frame, finding).filter(finding.hit).select(n=pl.len()))
    return sum(int(df.item()) for df in pl.collect_all(queries)) if queries else 0


# --------------------------------------------------------------------------- frames in, frames out


def split(
    frame: pl.DataFrame,
    *,
    options: Options = Options(),  # noqa: B008 - frozen dataclass, safe as a default
    unsafe: bool = False,
    selected: frozenset[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a frame into the clean rows and the rejected ones.

    ``frame`` has ``recipient, message`` and optionally ``line, row`` (without
    them rows count from 1 and lines from 2, as in a CSV with a header).
    Returns ``(clean, rejected)``: ``clean`` is ``recipient, message`` fixed and
    canonical, without duplicates; ``rejected`` has the columns of
    :data:`REJECTS_SCHEMA`. Duplicates are in neither (use :func:`decide` for them).
    ``selected`` is the set of rule codes (default: the default selection).
    """
    outcome = decide(
        _with_locations(frame),
        options,
        default_selection() if selected is None else selected,
        unsafe=unsafe,
    )
    return _clean_frame(outcome), _rejects_frame(outcome)


def _with_locations(frame: pl.DataFrame) -> pl.DataFrame:
    missing = {"recipient", "message"} - set(frame.columns)
    if missing:
        names = ", ".join(sorted(missing))
        msg = f"split() needs the columns recipient and message; missing: {names}"
        raise UsageError(msg)
    frame = frame.with_columns(c("recipient", "message").cast(pl.String))
    if "row" not in frame.columns:
        frame = frame.with_columns(row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    if "line" not in frame.columns:
        frame = frame.with_columns(line=c("row").cast(pl.Int64) + 1)
    if frame.get_column("line").is_duplicated().any():
        msg = "split() needs a distinct line for every row"
        raise UsageError(msg)
    return frame.select(c("line", "row").cast(pl.Int64), "recipient", "message")


def _clean_frame(outcome: Outcome) -> pl.DataFrame:
    return (
        outcome.rows.lazy()
        .filter(c("status").is_in(["written", "unfixable"]))
        .select(recipient="out_recipient", message="out_message")
        .collect()
    )


def _rejects_frame(outcome: Outcome) -> pl.DataFrame:
    return (
        outcome.rows.lazy()
        .filter(c("status") == "rejected")
        .select(*REJECTS_SCHEMA.names())
        .cast(REJECTS_SCHEMA)
        .collect()
    )


# --------------------------------------------------------------------------- files


def fix(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    rejects: str | os.PathLike[str] | None = None,
    *,
    unsafe: bool = False,
    number_format: NumberFormat | None = None,
    settings: Settings | None = None,
) -> FixResult:
    """Fix one recipient file; the library face of ``p2pfile fix``.

    Without ``output`` a CSV is rewritten in place (rows no fix can save stay,
    unchanged). With ``output`` (``.xlsx`` for a workbook, else CSV) the clean
    rows are written there and rejected rows to ``rejects`` (CSV), which is
    required when there are any. ``number_format`` (default: the settings',
    else E.164) is how recipients are written. ``settings`` default to the
    closest config file of ``path``'s directory, as ``check`` finds it.

    Raises :class:`~p2pfile.errors.UsageError` for arguments that cannot work
    (an XLSX in place, rows to reject and no ``rejects``, the same path twice)
    and :class:`~p2pfile.errors.InputFileError` for a file that cannot be fixed.
    Nothing is written unless everything can be.
    """
    name = os.fspath(path)
    out = None if output is None else os.fspath(output)
    rej = None if rejects is None else os.fspath(rejects)
    _check_targets(name, out, rej)
    settings = _settings_for(name, settings)
    result, outcome, selected = _prepare(name, out is None, unsafe, number_format, settings)
    rejected = outcome.count("rejected")
    if out is not None and rejected and rej is None:
        msg = (
            f"{name}: {rejected:,} row(s) cannot be fixed and would be dropped from {out}; "
            "pass --rejects FILE to write them there (nothing is dropped silently)"
        )
        raise UsageError(msg)
    clean = _clean_frame(outcome)
    if out is not None and _is_xlsx_name(out):
        _check_xlsx_fits(clean, out)

    if rej is not None:
        _atomic_write(rej, lambda tmp: _write_csv(_rejects_frame(outcome), tmp))
    target = out if out is not None else name
    changed = _atomic_write(
        target,
        lambda tmp: _write_xlsx(clean, tmp) if _is_xlsx_name(target) else _write_csv(clean, tmp),
        compare_with=name,
        keep_mode_of=name if out is None else None,
        skip_if_same=out is None,
    )
    duplicates = (
        outcome.rows.lazy().filter(c("status") == "duplicate").select("line", "kept_line").collect()
    )
    return FixResult(
        path=name,
        output=out,
        rejects=rej,
        rows_in=outcome.rows.height,
        rows_written=clean.height,
        rows_rejected=rejected,
        duplicates_dropped=duplicates.height,
        fixes={**_file_fixes(result, unsafe), **outcome.fixes},
        duplicates=tuple((int(a), int(b)) for a, b in duplicates.iter_rows()),
        # The output's only possible file-level finding: F106 when no row is written.
        remaining=outcome.remaining + int(clean.height == 0 and "F106" in selected),
        changed=changed,
        unfixable=outcome.count("unfixable"),
        rejected_by_code=_codes_count(outcome),
    )


def diff(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    rejects: str | os.PathLike[str] | None = None,
    *,
    unsafe: bool = False,
    number_format: NumberFormat | None = None,
    settings: Settings | None = None,
    limit: int | None = 50,
) -> list[RowChange]:
    """The rows ``fix`` with the same arguments would change, drop or reject; writes nothing.

    ``output`` only decides the mode (None: in place, where rows no fix can save
    stay and are not listed); ``rejects`` is accepted so that a caller can pass
    ``fix``'s arguments unchanged. At most ``limit`` changes (None: all), in line order.
    """
    name = os.fspath(path)
    del rejects  # nothing is written: where rejects would go does not change the rows
    settings = _settings_for(name, settings)
    _, outcome, _ = _prepare(name, output is None, unsafe, number_format, settings)
    rows = outcome.rows
    marks = {code: c("_i").is_in(hit.implode()) for code, hit in sorted(outcome.fixed_rows.items())}
    changed_cells = (c("out_recipient") != c("recipient")) | c("out_message").ne_missing(
        c("message")
    )
    picked = rows.filter(
        c("status").is_in(["rejected", "duplicate"]) | ((c("status") == "written") & changed_cells)
    )
    if limit is not None:
        picked = picked.head(limit)
    form_codes = pl.concat_list(
        [
            pl.when((c("out_recipient") != c("recipient")) & c("forms").list.contains(code)).then(
                pl.lit(code)
            )
            for code in FORM_CODES
        ]
        + [pl.when(mark).then(pl.lit(code)) for code, mark in marks.items()]
    ).list.drop_nulls()
    picked = picked.with_columns(_fixed_by=form_codes)
    changes = []
    for row in picked.iter_rows(named=True):
        old = (row["recipient"], row["message"])
        if row["status"] == "duplicate":
            changes.append(
                RowChange(
                    row["line"],
                    row["row"],
                    old,
                    None,
                    "duplicate",
                    ("D101",),
                    f"duplicate of line {row['kept_line']}",
                )
            )
        elif row["status"] == "rejected":
            codes = tuple((row["codes"] or "").split())
            changes.append(
                RowChange(
                    row["line"], row["row"], old, None, "rejected", codes, row["reasons"] or ""
                )
            )
        else:
            codes = tuple(row["_fixed_by"])
            new = (row["out_recipient"], row["out_message"])
            why = "fixed: " + " ".join(codes) if codes else "written in canonical form"
            changes.append(RowChange(row["line"], row["row"], old, new, "fixed", codes, why))
    return changes


def _settings_for(name: str, settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    return discover(Path(os.path.abspath(name)).parent)


def _prepare(
    name: str,
    in_place: bool,
    unsafe: bool,
    number_format: NumberFormat | None,
    settings: Settings,
) -> tuple[ReadResult, Outcome, frozenset[str]]:
    """Read, refuse what cannot be fixed, and decide every row; also the selected codes."""
    plan = plan_from_settings(settings)
    options = replace(plan.options, number_format=number_format or settings.number_format)
    if in_place and _is_xlsx_name(name):
        raise UsageError(_xlsx_in_place(name))
    result = read_file(name, max_bytes=settings.max_bytes, max_rows=settings.max_rows)
    _refuse_unfixable(result, unsafe=unsafe, in_place=in_place)
    selected = plan.selected(name)
    outcome = decide(
        result.frame, options, selected, issues=result.issues, unsafe=unsafe, in_place=in_place
    )
    return result, outcome, selected


def _xlsx_in_place(name: str) -> str:
    return (
        f"{name}: an XLSX file is never rewritten in place; "
        "write the fixed rows to a new file with -o clean.csv (or -o clean.xlsx)"
    )


def _check_targets(name: str, out: str | None, rej: str | None) -> None:
    if out is None and rej is not None:
        msg = (
            "--rejects needs an output file (-o): in place, rows that cannot be fixed "
            "stay in the file"
        )
        raise UsageError(msg)
    paths = {"input": name, "output": out, "rejects": rej}
    seen: dict[str, str] = {}
    for role, p in paths.items():
        if p is None:
            continue
        key = os.path.normcase(os.path.realpath(p))
        if key in seen:
            msg = f"the {role} file and the {seen[key]} file are the same path ({p})"
            if seen[key] == "input" and role == "output":
                msg += "; leave out the output to fix the file in place"
            raise UsageError(msg)
        seen[key] = role
    if rej is not None and _is_xlsx_name(rej):
        msg = f"{rej}: the rejects file is CSV; give it a .csv name"
        raise UsageError(msg)


def _refuse_unfixable(result: ReadResult, *, unsafe: bool, in_place: bool) -> None:
    """InputFileError, one line naming the file, for a file ``fix`` must not write from."""
    name = result.path
    by_code: dict[str, list[FileIssue]] = {}
    for issue in result.issues:
        by_code.setdefault(issue.code, []).append(issue)
    if result.format is None:
        first = next((i for i in result.issues if i.code.startswith("F1")), None)
        what = f"{first.message} ({first.code})" if first else "it cannot be read"
        raise InputFileError(f"{name}: {what}")
    if result.format == "xlsx" and in_place:
        raise UsageError(_xlsx_in_place(name))
    for code in ("F106", "F107", "F108", "F203"):
        if code in by_code:
            issue = by_code[code][0]
            tail = {
                "F106": "there is nothing to fix",
                "F107": "fix reads only the first sheet, so the other rows would be lost",
                "F108": "fix never writes part of a file: raise max-rows / max-bytes",
                "F203": "fix writes two columns, so the others would be lost: remove or "
                "merge them first",
            }[code]
            raise InputFileError(f"{name}: {issue.message} ({code}); {tail}")
    for issue in by_code.get("F202", []):
        if not issue.fixable:
            msg = (
                f"{name}: {issue.message} (F202); fix will not guess what the columns hold: "
                "make the first line the header recipient,message"
            )
            raise InputFileError(msg)
    for issue in by_code.get("F103", []):
        if issue.fixable and not unsafe:
            msg = (
                f"{name}: not UTF-8 (looks like {result.encoding}); "
                "p2pfile fix --unsafe-fixes transcodes it"
            )
            raise InputFileError(msg)
        if not issue.fixable and (in_place or not unsafe):
            # The damaged bytes were read as U+FFFD: writing that back would destroy them.
            how = (
                "fix will not rewrite it in place; "
                if in_place
                else "p2pfile fix --unsafe-fixes -o FILE --rejects FILE reads it with U+FFFD "
                "and rejects the damaged rows; "
            )
            msg = f"{name}: not valid UTF-8 ({issue.message}) (F103); {how}or repair the source"
            raise InputFileError(msg)
    broken = [i for i in result.issues if i.code in STRUCTURAL]
    if in_place and broken:
        shown = ", ".join(f"{i.code} at line {i.line}" for i in broken[:3])
        more = f" and {len(broken) - 3} more" if len(broken) > 3 else ""
        msg = (
            f"{name}: {len(broken)} broken record(s) ({shown}{more}) cannot be written back "
            "as they were; fix it into a new file: -o clean.csv --rejects rejects.csv"
        )
        raise InputFileError(msg)


def _file_fixes(result: ReadResult, unsafe: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in result.issues:
        if issue.code not in FILE_FIXES or not issue.fixable:
            continue
        if issue.code == "F103" and not unsafe:
            continue
        counts[issue.code] = counts.get(issue.code, 0) + 1
    return counts


def _codes_count(outcome: Outcome) -> dict[str, int]:
    bad = outcome.rows.lazy().filter(c("status").is_in(["rejected", "unfixable"])).collect()
    if not bad.height:
        return {}
    counts = (
        bad.select(code=c("codes").fill_null("").str.split(" "))
        .explode("code")
        .filter(c("code") != "")
        .group_by("code")
        .len()
        .sort("code")
    )
    return {str(code): int(n) for code, n in counts.iter_rows()}


# --------------------------------------------------------------------------- writers


def _is_xlsx_name(name: str) -> bool:
    return name.lower().endswith(".xlsx")


def _write_csv(frame: pl.DataFrame, dest: str) -> None:
    """Canonical CSV: UTF-8 without BOM, LF, header row, RFC 4180 quoting where needed."""
    frame.write_csv(dest, quote_style="necessary", line_terminator="\n", include_header=True)


def _check_xlsx_fits(frame: pl.DataFrame, dest: str) -> None:
    if frame.height > XLSX_MAX_ROWS:
        msg = f"{dest}: {frame.height:,} rows do not fit in an XLSX sheet; write CSV instead"
        raise UsageError(msg)
    longest = frame.select(c("message").str.len_chars().max()).item()
    if longest is not None and longest > XLSX_MAX_CELL:
        msg = f"{dest}: a message of {longest:,} characters does not fit in an XLSX cell"
        raise UsageError(msg)


def _write_xlsx(frame: pl.DataFrame, dest: str) -> None:
    """Column A recipients, column B messages, every cell a string (never a number)."""
    try:
        import xlsxwriter  # type: ignore[import-untyped]  # noqa: PLC0415 - only for XLSX output
    except ImportError as exc:  # pragma: no cover - xlsxwriter is installed with the dev extra
        msg = "writing .xlsx needs the xlsxwriter package (pip install xlsxwriter); or write CSV"
        raise UsageError(msg) from exc
    # constant_memory streams rows to disk in order; every strings_to_* conversion
    # is off, so a recipient like +989121234567 can never turn into a number.
    workbook = xlsxwriter.Workbook(
        dest,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet()
    sheet.write_string(0, 0, "recipient")
    sheet.write_string(0, 1, "message")
    for i, (recipient, message) in enumerate(frame.iter_rows(), start=1):
        sheet.write_string(i, 0, recipient)
        sheet.write_string(i, 1, message)
    workbook.close()


def _atomic_write(
    dest: str,
    write: Callable[[str], None],
    *,
    compare_with: str | None = None,
    keep_mode_of: str | None = None,
    skip_if_same: bool = False,
) -> bool:
    """Write through a temporary file in the same directory, then ``os.replace`` it.

    Returns whether the new bytes differ from ``compare_with``; with
    ``skip_if_same`` an identical result is not moved into place (the file and
    its modification time stay as they were).
    """
    directory = os.path.dirname(os.path.abspath(dest))
    tmp = os.path.join(directory, f".{os.path.basename(dest)}.{secrets.token_hex(4)}.tmp")
    try:
        # Created by os.open so the umask applies, as for any new file (mkstemp makes 0600).
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        msg = f"{dest}: cannot be written: {exc.strerror or exc}"
        raise UsageError(msg) from exc
    try:
        write(tmp)
        changed = True
        if compare_with is not None and os.path.exists(compare_with):
            changed = not filecmp.cmp(compare_with, tmp, shallow=False)
        if skip_if_same and not changed:
            os.unlink(tmp)
            return False
        if keep_mode_of is not None:
            shutil.copymode(keep_mode_of, tmp)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return changed
