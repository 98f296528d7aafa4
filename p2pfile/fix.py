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
  Extra columns are written away only by F203's unsafe fix, when the header
  names the recipient and message columns (the reader chose them by name):
  with ``unsafe`` the canonical two columns are written from them.

The library never prints or exits: problems are :class:`~p2pfile.errors.UsageError`
(bad arguments, or rows to reject without a rejects file) and
:class:`~p2pfile.errors.InputFileError` (a file that cannot be fixed).
"""

from __future__ import annotations

import filecmp
import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, get_args

import polars as pl

from p2pfile._args import destination_arg, frame_arg, options_arg, path_arg, settings_arg
from p2pfile._chars import quoted
from p2pfile._sniff import REJECTS_HEADER
from p2pfile.check import CheckPlan, analyze, findings_for, plan_from_settings
from p2pfile.config import NumberFormat, Settings, discover
from p2pfile.errors import InputFileError, UsageError
from p2pfile.phone import FORM_CODES, e164_numbers, e164_text, number_expr
from p2pfile.reader import FileIssue, ReadResult, read_file
from p2pfile.report import Severity
from p2pfile.rules import Finding, Options, Rule, all_rules, default_selection, get_rule
from p2pfile.sms import MESSAGE_DTYPE

__all__ = [
    "MESSAGE_FIX_ORDER",
    "REJECTS_SCHEMA",
    "FixResult",
    "Outcome",
    "RowChange",
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
FILE_FIXES: Final = (
    "F103", "F104", "F105", "F201", "F202", "F203", "F206", "F207", "F208", "F209", "F210"
)  # fmt: skip
#: Those of FILE_FIXES whose fix is unsafe: applied (and counted) only with ``unsafe``.
#: A file with one of them is fixed only with ``unsafe``: without transcoding (F103)
#: or dropping columns (F203) there is no canonical file to write.
UNSAFE_FILE_FIXES: Final = ("F103", "F203")
#: File findings with which ``fix`` refuses a file whatever the mode (it would lose rows
#: or guess), and those with which it does when they have no fix (F202: unknown column
#: names; F203: columns not chosen by name). ``check``'s summary counts no fix of such
#: a file as one ``p2pfile fix`` makes (see :func:`_refuse_unfixable`).
REFUSING: Final = ("F101", "F102", "F106", "F107", "F108")
REFUSING_UNFIXABLE: Final = ("F202", "F203")

#: Columns of the rejects file and of ``split``'s second frame; the reader knows the
#: same names (REJECTS_HEADER) when such a file is fed back (F210).
REJECTS_SCHEMA: Final = pl.Schema(
    zip(REJECTS_HEADER, (pl.Int64, pl.Int64, *[pl.String] * 4), strict=True)
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
    #: Of ``remaining``, the errors (at the configured severities): a check of the
    #: output fails with its default ``fail-on`` exactly when this is not 0.
    remaining_errors: int = 0

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
            "remaining_errors": self.remaining_errors,
            "changed": self.changed,
        }


@dataclass(frozen=True)
class RowChange:
    """One row that ``fix`` would change, drop or reject, or a change to the whole file
    (``kind="file"``, ``row`` 0) (for ``fix --diff``)."""

    line: int
    row: int
    #: (recipient, message) as read.
    old: tuple[str | None, str | None]
    #: (recipient, message) as written; None when the row is not written.
    new: tuple[str, str] | None
    kind: Literal["fixed", "duplicate", "rejected", "file"]
    #: The fixes applied (``P104 M102``), or why the row is not written (``D101``, ``P205 M401``);
    #: for ``file``, the file-level fix (``F209``), or none for a rewrite to the canonical form.
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
    decision = _decide(
        frame, options, selected, issues=issues, unsafe=unsafe, in_place=in_place, wide=True
    )
    assert decision.wide is not None  # asked for above
    return Outcome(decision.wide, decision.fixes, decision.remaining, decision.fixed_rows())


#: A file of up to this many rows is decided whole: the fastest way, for about
#: 800 MB of analysis and intermediates per 1M rows at the worst moment.
WHOLE_ROWS = 1_000_000
#: A larger file is decided this many rows at a time. Each slice is analyzed,
#: fixed and judged on its own, and only narrow per-row columns are kept from it
#: (:class:`_Decision`, about 30 bytes a row), so a 10M-row file holds one
#: slice's analysis next to its text instead of 2.4 GB of it. Duplicates, which
#: need every row, are found afterwards from a hash per row. Smaller slices cost
#: time (a 1M-row file in four: 15% more), larger ones memory (10M rows in slices
#: of 1M peak 0.5 GB higher). Tests make both tiny.
ANALYSIS_ROWS = 250_000

#: One bit of ``_fixes`` per fix that changed a row: the P1xx form codes (the
#: recipient was rewritten and had that problem), then the message fixes in code
#: order (the order ``diff`` names them in).
_FIX_BITS: Final = (*FORM_CODES, *sorted(MESSAGE_FIX_ORDER))
_HASH_SEED: Final = 0x5A17
#: The E.164 text of ``_number``.
_E164_TEXT: Final = e164_text(c("_number")).alias("e164")
#: The columns only a whole file has: recomputed over the rows written.
_DUPLICATE_COLUMNS: Final = ("first_line_of_recipient", "dup_line")
#: What the remaining findings of a slice were judged on (see ``_remaining_hits``).
_ON_OUTPUT, _ON_OUTPUT_SETTLED, _AS_READ = 0, 1, 2


@dataclass(frozen=True)
class _Plan:
    """What every slice of one call is decided by."""

    options: Options
    selected: frozenset[str]
    in_place: bool
    #: The message fixes that apply, in :data:`MESSAGE_FIX_ORDER`.
    fix_rules: tuple[Rule, ...]
    #: The rules whose errors reject a row (P2xx, and the selected REJECTING_MESSAGE_RULES).
    number_rules: tuple[Rule, ...]
    message_rules: tuple[Rule, ...]
    #: ``line, code, message`` of the reader's broken records.
    structural: pl.DataFrame
    #: The rules that cannot fire on a written row (its rejecting rules and the fixes).
    settled: frozenset[str]
    #: Selected row rules judged row by row, and those that read the whole file's duplicates.
    row_rules: tuple[Rule, ...]
    file_rules: tuple[Rule, ...]
    #: The recipient as written (the P1xx replacement) and the columns it reads but ``e164``.
    canonical: pl.Expr
    canonical_roots: tuple[str, ...]
    #: The configured severities (``check``'s): which remaining findings are errors.
    severity: Mapping[str, Severity] = field(default_factory=dict)

    @property
    def check_plan(self) -> CheckPlan:
        return CheckPlan(options=self.options, severity=self.severity)


def _breaks_its_record(issue: FileIssue) -> bool:
    """A reader finding that leaves its record unusable as read (it is rejected): all of
    STRUCTURAL but a fixable F207, quotes inside unquoted text read as written; and the
    reader's P206, a rejects file's number a spreadsheet rounded (the row rule P206 is
    never a reader finding)."""
    if issue.code == "P206":
        return True
    return issue.code in STRUCTURAL and not (issue.code == "F207" and issue.fixable)


def _plan(
    options: Options,
    selected: frozenset[str],
    issues: Sequence[FileIssue],
    *,
    unsafe: bool,
    in_place: bool,
    severity: Mapping[str, Severity],
) -> _Plan:
    fix_rules = tuple(
        _rule(code)
        for code in MESSAGE_FIX_ORDER
        if code in selected and (_rule(code).fix == "safe" or unsafe)
    )
    # Only rows without a number, or with a foreign one, can have a P2xx finding; every
    # P2xx rule but P203 is always applied, because such a row has no number to write.
    number_rules = tuple(
        r
        for r in all_rules()
        if r.code.startswith("P2") and (r.code != "P203" or r.code in selected)
    )
    message_rules = tuple(_rule(code) for code in REJECTING_MESSAGE_RULES if code in selected)
    structural = pl.DataFrame(
        [(i.line, i.code, i.message) for i in issues if _breaks_its_record(i)],
        schema={"line": pl.Int64, "code": pl.String, "message": pl.String},
        orient="row",
    )
    settled = frozenset(
        [r.code for r in all_rules() if r.code.startswith("P2")]
        + [code for code in REJECTING_MESSAGE_RULES if code in selected]
        + [r.code for r in fix_rules]
        + (["D101"] if "D101" in selected else [])
    )
    checked = [r for r in all_rules() if r.code in selected and r.check is not None]
    whole = [r for r in checked if _roots(_finding(r.code, options)) & set(_DUPLICATE_COLUMNS)]
    # Every P1xx rule's replacement is the number written canonically; P103's covers any form.
    canonical = _finding("P103", options).replacement
    assert canonical is not None  # a rule definition invariant
    roots = tuple(sorted(set(canonical.meta.root_names()) - {"e164"}))
    return _Plan(
        severity=severity,
        options=options,
        selected=selected,
        in_place=in_place,
        fix_rules=fix_rules,
        number_rules=number_rules,
        message_rules=message_rules,
        structural=structural,
        settled=settled,
        row_rules=tuple(r for r in checked if r not in whole),
        file_rules=tuple(whole),
        canonical=canonical.cast(pl.String),
        canonical_roots=roots,
    )


@dataclass(frozen=True)
class _Slice:
    """What one slice leaves behind (``_i``: the row's position in the whole frame)."""

    #: Per row: ``_number`` (the E.164 as an integer, see :func:`_e164_number`; and
    #: what else ``canonical`` reads), ``_bad`` (rejected, or unfixable in place),
    #: ``_key`` (hash of E.164 and the message written, null without a number) and
    #: ``_fixes`` (bits of :data:`_FIX_BITS`).
    rows: pl.DataFrame
    #: ``_i, message``: rows kept (not ``_bad``) whose message a fix changed, as fixed.
    fixed: pl.DataFrame
    #: ``_i, codes, reasons``: every ``_bad`` row (codes F, then P, then M).
    rejected: pl.DataFrame
    #: ``_i, kind``: one entry per finding a check of the output could still report.
    hits: pl.DataFrame
    #: For :func:`decide`: every column of today's ``Outcome.rows`` but the file's.
    wide: pl.DataFrame | None


def _decide(
    frame: pl.DataFrame,
    options: Options,
    selected: frozenset[str],
    *,
    issues: Sequence[FileIssue],
    unsafe: bool,
    in_place: bool,
    wide: bool,
    severity: Mapping[str, Severity] | None = None,
) -> _Decision:
    """Every row's fate, a slice at a time; then duplicates and counts over the whole file.

    ``severity``: the configured severities (default: the rules' own)."""
    plan = _plan(
        options, selected, issues, unsafe=unsafe, in_place=in_place, severity=severity or {}
    )
    frame = frame.select("line", "row", "recipient", "message")
    step = frame.height if frame.height <= WHOLE_ROWS else ANALYSIS_ROWS
    slices: list[_Slice] = []
    # An empty frame still goes through once: its (empty) frames carry the schemas.
    for offset in range(0, max(frame.height, 1), max(step, 1)):
        slices.append(_decide_slice(frame.slice(offset, step), offset, plan, wide=wide))
    rows = pl.concat([s.rows for s in slices])
    # Held compressed when there are several slices: only memory is at stake then.
    fixed = _FixedMessages(max(step, 1), [s.fixed for s in slices], compress=len(slices) > 1)
    rejected = pl.concat([s.rejected for s in slices])
    hits = pl.concat([s.hits for s in slices])
    wide_rows = pl.concat([s.wide for s in slices if s.wide is not None]) if wide else None
    del slices

    kept = _duplicates(frame, rows, fixed) if "D101" in selected else _no_duplicates()
    bad = rows.get_column("_bad")
    dup = pl.zeros(frame.height, pl.Boolean, eager=True)
    if kept.height:
        dup = dup.scatter(kept.get_column("_i"), True)
    rows = rows.with_columns(_dup=dup)
    decision = _Decision(
        frame=frame,
        rows=rows,
        fixed=fixed,
        rejected=rejected,
        kept=kept,
        fixes={},
        remaining=0,
        remaining_errors=0,
        canonical=plan.canonical,
        in_place=in_place,
        slice_rows=max(step, 1),
        fix_codes=tuple(r.code for r in plan.fix_rules),
        wide=None,
    )
    written = ~bad & ~dup
    unfixable = in_place and bool(bad.any())
    remaining, errors = _remaining(decision, hits, written, plan, unfixable=unfixable)
    fixes = _count_fixes(rows.get_column("_fixes").filter(written))
    if wide_rows is not None:
        wide_rows = _wide_rows(wide_rows, decision)
    return replace(
        decision, fixes=fixes, remaining=remaining, remaining_errors=errors, wide=wide_rows
    )


def _decide_slice(frame: pl.DataFrame, offset: int, plan: _Plan, *, wide: bool) -> _Slice:
    """Analyze, fix and judge one slice (``_i`` is local here, global in what is returned)."""
    options = plan.options
    analyzed = _analyze(frame, options).with_columns(
        _i=pl.int_range(pl.len(), dtype=pl.Int64),
        orig_message=c("message"),
        parts_as_read=c("parts"),
    )
    # M104 on the text as read: a control character removed by M103 may have been the
    # C1 byte that made the mojibake recognizable.
    early = None
    if "M104" in plan.selected:
        m104 = [_rule("M104")]
        early = findings_for(_narrow(analyzed, m104, options), "", m104, plan.check_plan)
    work, fixed_rows = _fix_messages(analyzed, plan.fix_rules, options)
    work = work.with_columns(out_recipient=plan.canonical)
    rejected = _rejections(work, plan, early)
    work = work.with_columns(
        _bad=c("line").is_in(rejected.get_column("line").implode()) | c("e164").is_null()
    )
    # Dedupe compares the message as written: fixed, or as read for a row kept
    # unchanged in place (only counted then: such a row is never dropped). Each
    # message is hashed alone, then the two numbers: choosing between two string
    # columns, or putting one into a struct, would copy every message first.
    written_hash = _message_hash("message")
    if plan.in_place:
        written_hash = (
            pl.when(c("_bad")).then(_message_hash("orig_message")).otherwise(written_hash)
        )
    rows = work.with_columns(_number=e164_numbers(work.get_column("e164"))).select(
        *plan.canonical_roots,
        "_bad",
        "_number",
        _key=pl.when(c("_number").is_not_null()).then(
            pl.struct(c("_number"), written_hash).hash(seed=_HASH_SEED)
        ),
        _fixes=_fix_bits(fixed_rows),
    )
    touched = pl.concat(list(fixed_rows.values())).unique() if fixed_rows else None
    fixed = (
        work.lazy()
        .filter(c("_i").is_in(touched.implode()) & ~c("_bad"))
        .select(c("_i") + offset, "message")
        .collect()
        if touched is not None
        else pl.DataFrame(schema={"_i": pl.Int64, "message": pl.String})
    )
    bad_rows = (
        work.lazy()
        .filter(c("_bad"))
        .select("_i", "line")
        .join(rejected.lazy(), on="line", how="left", maintain_order="left")
        .select(c("_i") + offset, "codes", "reasons")
        .collect()
    )
    hits = _remaining_hits(work, analyzed, plan).with_columns(c("_i") + offset)
    wide_part = None
    if wide:
        wide_part = work.join(rejected, on="line", how="left", maintain_order="left").with_columns(
            c("_i") + offset
        )
    return _Slice(rows, fixed, bad_rows, hits, wide_part)


def _message_hash(column: str) -> pl.Expr:
    """A 64-bit hash of each message, a missing one hashing as an empty one."""
    empty = pl.Series([""], dtype=pl.String).hash(seed=_HASH_SEED).item()
    return (
        pl.when(c(column).is_null())
        .then(pl.lit(empty, pl.UInt64))
        .otherwise(c(column).hash(seed=_HASH_SEED))
        .alias("_message_hash")
    )


def _analyze(frame: pl.DataFrame, options: Options) -> pl.DataFrame:
    """``check.analyze`` without the duplicates of the frame: fix finds them over the
    whole file, after the fixes (and they cost a third of a slice's analysis)."""
    duplicates = pl.DataFrame(dict.fromkeys(_DUPLICATE_COLUMNS, _nulls(frame.height)))
    return analyze(frame, options, duplicates=duplicates)


def _nulls(n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=pl.Int64, eager=True)


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
        # ``_i`` is the row's position in the frame.
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
    fresh = _analyze(changed, options)
    return _scatter(part, hits.get_column("_pos"), fresh), hits.get_column("_i")


def _scatter(frame: pl.DataFrame, positions: pl.Series, fresh: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the message columns of the rows at ``positions`` taken from ``fresh``.

    (A scatter by position: five times faster than ``DataFrame.update``'s join at
    1M rows, and string values are not copied: the new column shares their buffers.)
    """
    return frame.with_columns(
        frame.get_column(name).clone().scatter(positions, fresh.get_column(name))
        for name in _MESSAGE_COLUMNS
    )


def _rejections(work: pl.DataFrame, plan: _Plan, early: pl.DataFrame | None) -> pl.DataFrame:
    """``line, codes, reasons`` of every row no fix can save (codes F, then P, then M)."""
    options = plan.options
    numbers = _narrow(work, plan.number_rules, options, rows=c("e164").is_null() | c("foreign"))
    frames = [
        findings_for(numbers, "", plan.number_rules, plan.check_plan),
        findings_for(
            _narrow(work, plan.message_rules, options), "", plan.message_rules, plan.check_plan
        ),
    ]
    if early is not None:
        frames.append(early.select("line", "code", "message"))
    if plan.structural.height:
        lines = work.get_column("line")
        frames.append(plan.structural.filter(c("line").is_in(lines.implode())))
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


def _fix_bits(fixed_rows: Mapping[str, pl.Series]) -> pl.Expr:
    """The ``_fixes`` bits of each row (see :data:`_FIX_BITS`)."""
    assert len(_FIX_BITS) <= 16  # a UInt16 holds them
    # A rewritten recipient has the bit of each of its form codes: one pass over
    # the lists (a ``list.contains`` per code costs three times as much).
    form_bits = {code: 1 << bit for bit, code in enumerate(_FIX_BITS) if code in FORM_CODES}
    forms = (
        c("forms")
        .list.eval(pl.element().replace_strict(form_bits, default=0, return_dtype=pl.UInt16))
        .list.sum()
    )
    rewritten = (c("out_recipient") != c("recipient")).fill_null(value=False)
    bits = [pl.when(rewritten).then(forms).otherwise(0).fill_null(0).cast(pl.UInt16)]
    for bit, code in enumerate(_FIX_BITS):
        if code in fixed_rows:
            hit = c("_i").is_in(fixed_rows[code].implode())
            bits.append(pl.when(hit).then(pl.lit(1 << bit, pl.UInt16)).otherwise(0))
    return pl.sum_horizontal(bits).cast(pl.UInt16)


def _count_fixes(fixes: pl.Series) -> dict[str, int]:
    """Rule code -> rows whose ``_fixes`` (of the rows written) have its bit."""
    counts = fixes.to_frame().select(
        ((c("_fixes") & pl.lit(1 << bit, pl.UInt16)) != 0).sum().alias(code)
        for bit, code in enumerate(_FIX_BITS)
    )
    return {code: int(n) for code, n in sorted(counts.row(0, named=True).items()) if n}


def first_lines(frame: pl.DataFrame, keys: Sequence[str]) -> pl.Series:
    """For each row, the ``line`` of the first row with the same ``keys`` (its own if it is first).

    Exact, in little memory: a 64-bit hash of the keys finds the few rows that
    may repeat another (equal keys have equal hashes), and only those are
    grouped by the keys themselves, so a hash collision can never merge two
    different rows. (Grouping every row by its strings costs about 2 GiB at
    10M rows, DESIGN.md.)
    """
    lines = frame.get_column("line")
    hashes = frame.select(pl.struct(*keys).hash(seed=_HASH_SEED)).to_series()
    repeats = _repeats(lines, hashes, lambda where: frame[where].select(keys))
    firsts = lines.clone()  # scatter writes in place: never into the frame
    if repeats.height:
        firsts = firsts.scatter(repeats.get_column("_at"), repeats.get_column("first_line"))
    return firsts.alias("first_line")


def _repeats(
    lines: pl.Series, hashes: pl.Series, exact: Callable[[pl.Series], pl.DataFrame]
) -> pl.DataFrame:
    """``_at, first_line``: the rows repeating an earlier row, and that row's line.

    ``hashes`` (never null) are a 64-bit hash of each row's key (or the key
    itself, when it is one number); only the rows sharing a hash are compared,
    by their exact key columns ``exact(positions)``, so a hash collision can
    never pair two different rows.
    """
    where = _shared(hashes)
    if not where.len():
        return pl.DataFrame(schema={"_at": pl.UInt32, "first_line": pl.Int64})
    keys = exact(where)
    return (
        keys.with_columns(_at=where, _line=lines.gather(where))
        .select("_at", "_line", first_line=c("_line").first().over(keys.columns))
        .filter(c("first_line") != c("_line"))
        .drop("_line")
    )


def _shared(values: pl.Series) -> pl.Series:
    """Positions (ascending) of the values that occur more than once.

    By sorting: neighbours in sorted order are compared. Twice as fast as
    ``is_duplicated``'s hash table on 64-bit hashes, and it needs no table.
    """
    order = values.arg_sort()
    ordered = values.gather(order)
    same = ordered == ordered.shift(1)
    return order.filter((same | same.shift(-1)).fill_null(value=False)).sort()


def _no_duplicates() -> pl.DataFrame:
    return pl.DataFrame(schema={"_i": pl.Int64, "kept_line": pl.Int64})


def _duplicates(frame: pl.DataFrame, rows: pl.DataFrame, fixed: _FixedMessages) -> pl.DataFrame:
    """``_i, kept_line`` of every kept row that repeats an earlier one (E.164 and fixed message).

    Over the whole file, after the fixes: two rows that become identical once
    their message is fixed are duplicates.
    """
    kept = (~rows.get_column("_bad")).arg_true()
    number = rows.get_column("_number")

    def exact(where: pl.Series) -> pl.DataFrame:
        at = kept.gather(where)
        message = _messages_as_written(frame, fixed, at).fill_null("")
        return pl.DataFrame({"_number": number.gather(at), "message": message})

    lines = frame.get_column("line").gather(kept)
    repeats = _repeats(lines, rows.get_column("_key").gather(kept), exact)
    return repeats.select(
        _i=kept.gather(repeats.get_column("_at")).cast(pl.Int64), kept_line="first_line"
    )


def _messages_as_written(frame: pl.DataFrame, fixed: _FixedMessages, at: pl.Series) -> pl.Series:
    """The messages of the rows at positions ``at`` (ascending) as they would be written:
    fixed for kept rows, as read for the others (nulls stay null)."""
    message = frame.get_column("message").gather(at)
    changed = fixed.among(at)
    if changed.height:
        message = message.scatter(changed.get_column("_at"), changed.get_column("message"))
    return message


class _FixedMessages:
    """``_i, message`` of the kept rows a fix changed, one frame per slice of ``rows`` rows.

    About a tenth of the rows, but their text is the largest thing kept across
    slices (220 MB at 10M rows): with ``compress`` each slice's frame is held as
    zstd-compressed IPC bytes (a tenth of that, for 0.13 s per 1M rows).
    """

    def __init__(self, rows: int, parts: Sequence[pl.DataFrame], *, compress: bool) -> None:
        self._rows = rows
        self._parts: list[pl.DataFrame | bytes] = []
        for part in parts:
            if compress:
                buffer = io.BytesIO()
                part.write_ipc(buffer, compression="zstd")
                self._parts.append(buffer.getvalue())
            else:
                self._parts.append(part)

    def part(self, index: int) -> pl.DataFrame:
        """The frame of slice ``index``."""
        part = self._parts[index]
        return pl.read_ipc(io.BytesIO(part)) if isinstance(part, bytes) else part

    def among(self, at: pl.Series) -> pl.DataFrame:
        """``_at, message``: the rows at positions ``at`` (ascending) that a fix changed,
        ``_at`` being their index in ``at``."""
        wanted = pl.DataFrame({"_i": at.cast(pl.Int64)}).with_row_index("_at")
        slices = wanted.get_column("_i") // self._rows
        found = [
            wanted.filter(slices == index).join(
                self.part(index), on="_i", how="inner", maintain_order="left"
            )
            for index in slices.unique(maintain_order=True).to_list()
        ]
        if not found:
            return pl.DataFrame(schema={"_at": pl.UInt32, "message": pl.String})
        return pl.concat(found).select("_at", "message")


def _remaining_hits(work: pl.DataFrame, analyzed: pl.DataFrame, plan: _Plan) -> pl.DataFrame:
    """``_i, kind``: the findings a check of this slice's output rows could report.

    Judged on the rows that are not rejected (``written`` or ``duplicate``: which
    is decided later, over the whole file), as they would be written: the fixed
    message and the canonical recipient (``kind`` 0). The rules that cannot fire
    on such a row are left out (``settled``), unless in place, where rows kept as
    read make a check of the output judge every rule: then those rules (``kind`` 1)
    and the rows kept as read, with their first analysis (``kind`` 2), count too.
    The rules over the whole file's duplicates are counted later (``_remaining``).
    """
    options = plan.options
    kept = work.lazy().filter(~c("_bad"))
    forms = _canonical_forms(kept.select("foreign", "out_recipient").collect())
    # Every recipient is spelled canonically: only its kind's form codes can fire.
    settled = plan.settled | (
        frozenset(FORM_CODES) - {code for cs in forms.values() for code in cs}
    )
    now = [r for r in plan.row_rules if r.code not in settled]
    later = [r for r in plan.row_rules if r.code in settled] if plan.in_place else []
    queries: list[pl.LazyFrame] = []
    if now or later:
        needed = {"_i", "foreign"}
        for rule in (*now, *later):
            needed |= _roots(_finding(rule.code, options))
        as_list = pl.List(pl.String)
        written = {
            "recipient": c("out_recipient"),
            "forms": pl.when(c("foreign"))
            .then(pl.lit(forms.get(True, []), dtype=as_list))
            .otherwise(pl.lit(forms.get(False, []), dtype=as_list)),
        }
        out = kept.select(
            *(name for name in work.columns if name in needed - written.keys()),
            # Only when a rule reads them: the list column costs more than the rules.
            **{name: expr for name, expr in written.items() if name in needed},
        ).collect()
        queries += _hit_queries(out, now, plan, _ON_OUTPUT)
        queries += _hit_queries(out, later, plan, _ON_OUTPUT_SETTLED)
    if plan.in_place and plan.row_rules:
        as_read = analyzed.filter(work.get_column("_bad"))
        queries += _hit_queries(as_read, plan.row_rules, plan, _AS_READ)
    if not queries:
        return pl.DataFrame(schema={"_i": pl.Int64, "kind": pl.UInt8, "error": pl.Boolean})
    return pl.concat(pl.collect_all(queries))


def _hit_queries(
    frame: pl.DataFrame, rules: Iterable[Rule], plan: _Plan, kind: int
) -> list[pl.LazyFrame]:
    """``_i, kind, error`` of each rule's hits (``error``: the rule's severity is error)."""
    queries = []
    for rule in rules:
        finding = _finding(rule.code, plan.options)
        error = plan.check_plan.severity_of(rule) == "error"
        queries.append(
            _candidates(frame, finding, keep=("_i",))
            .filter(finding.hit)
            .select("_i", kind=pl.lit(kind, pl.UInt8), error=pl.lit(error))
        )
    return queries


def _remaining(
    decision: _Decision, hits: pl.DataFrame, written: pl.Series, plan: _Plan, *, unfixable: bool
) -> tuple[int, int]:
    """Findings a check of the rows that stay in the output would report, and the errors
    among them.

    The row-by-row ones were found per slice (``_remaining_hits``); those of
    the rows written count, and in place with rows kept as read, the rules
    settled for written rows and the rows kept as read count too. Then the
    rules over the file's duplicates, judged over the output's rows.
    """
    kinds = [_ON_OUTPUT, _ON_OUTPUT_SETTLED, _AS_READ] if unfixable else [_ON_OUTPUT]
    on_written = written.gather(hits.get_column("_i")) | (hits.get_column("kind") == _AS_READ)
    counted = on_written & hits.get_column("kind").is_in(kinds)
    count = int(counted.sum())
    errors = int((counted & hits.get_column("error")).sum())
    settled = plan.settled if not unfixable else frozenset()
    rules = [r for r in plan.file_rules if r.code not in settled]
    if rules:
        # One pass over the output's duplicates; the errors are the error rules' counts.
        by_rule = _counts_by_rule(_output_duplicates(decision, settled), rules, plan.options)
        count += sum(by_rule.values())
        errors += sum(n for r, n in by_rule.items() if plan.check_plan.severity_of(r) == "error")
    return count, errors


def _output_duplicates(decision: _Decision, settled: frozenset[str]) -> pl.DataFrame:
    """``line, dup_line, first_line_of_recipient`` of every output row, as check finds them.

    (Null recipients are never repeats; with D101 settled, no written row repeats another.)
    """
    frame, rows = decision.frame, decision.rows
    out = decision.output_mask().arg_true()
    lines = frame.get_column("line").gather(out)
    valid = rows.get_column("_number").gather(out).is_not_null().arg_true()
    at = out.gather(valid)
    number = rows.get_column("_number").gather(at)
    none = _nulls(out.len())

    def repeats(hashes: pl.Series, exact: Callable[[pl.Series], pl.DataFrame]) -> pl.Series:
        found = _repeats(lines.gather(valid), hashes, exact)
        firsts = none.clone()
        if found.height:
            where = valid.gather(found.get_column("_at"))
            firsts = firsts.scatter(where, found.get_column("first_line"))
        return firsts

    # The numbers are their own exact key: no hash, nothing to confirm.
    first_of_recipient = repeats(number, lambda where: number.gather(where).to_frame())
    if "D101" in settled:
        dup_line = none
    else:

        def exact(where: pl.Series) -> pl.DataFrame:
            message = _messages_as_written(frame, decision.fixed, at.gather(where))
            return pl.DataFrame({"_number": number.gather(where), "message": message})

        dup_line = repeats(rows.get_column("_key").gather(at), exact)
    return pl.DataFrame(
        {"line": lines, "dup_line": dup_line, "first_line_of_recipient": first_of_recipient}
    )


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


def _counts_by_rule(
    frame: pl.DataFrame, rules: Iterable[Rule], options: Options
) -> dict[Rule, int]:
    """Each row rule's number of findings over an analyzed frame, in one query plan."""
    checked = [rule for rule in rules if rule.check is not None]
    queries = []
    for rule in checked:
        finding = _finding(rule.code, options)
        queries.append(_candidates(frame, finding).filter(finding.hit).select(n=pl.len()))
    counts = pl.collect_all(queries) if queries else []
    return {rule: int(df.item()) for rule, df in zip(checked, counts, strict=True)}


# --------------------------------------------------------------------------- what was decided


@dataclass(frozen=True)
class _Decision:
    """Every row's fate in narrow columns: the file's text is not copied.

    ``frame`` is the input (``line, row, recipient, message``); ``rows`` has one
    row per input row (see :attr:`_Slice.rows`, and ``_dup``: a duplicate
    dropped); ``fixed`` (see :class:`_FixedMessages`), ``rejected`` and ``kept``
    (``_i, kept_line``) only the
    rows they concern. What is written is rebuilt from these a slice at a time.
    """

    frame: pl.DataFrame
    rows: pl.DataFrame
    fixed: _FixedMessages
    rejected: pl.DataFrame
    kept: pl.DataFrame
    fixes: Mapping[str, int]
    remaining: int
    #: Of ``remaining``, the errors.
    remaining_errors: int
    canonical: pl.Expr
    in_place: bool
    #: The rows of a slice (the last one may be shorter).
    slice_rows: int
    #: The message fixes that were applied (for ``fixed_rows``).
    fix_codes: tuple[str, ...]
    wide: pl.DataFrame | None

    def count(self, status: Status) -> int:
        """Rows with this status."""
        bad = int(self.rows.get_column("_bad").sum())
        if status in ("rejected", "unfixable"):
            return bad if (status == "unfixable") == self.in_place else 0
        dropped = self.kept.height
        return dropped if status == "duplicate" else self.frame.height - bad - dropped

    def output_mask(self) -> pl.Series:
        """The rows the output holds: written, and in place the rows kept as read."""
        kept = ~self.rows.get_column("_dup")
        return kept if self.in_place else kept & ~self.rows.get_column("_bad")

    def fixed_rows(self) -> dict[str, pl.Series]:
        """Message rule code -> positions (``_i``) of the rows its fix changed."""
        found = {}
        fixes = self.rows.get_column("_fixes")
        for bit, code in enumerate(_FIX_BITS):
            if code in self.fix_codes:
                where = (fixes & (1 << bit) != 0).arg_true()
                if where.len():
                    found[code] = where.cast(pl.Int64).alias("_i")
        return found

    def slices(self) -> Iterator[pl.DataFrame]:
        """Every row a slice at a time: ``_i, line, row, recipient, message`` as read,
        ``out_recipient, out_message`` as written, ``_bad, _dup, _fixes``."""
        for index, offset in enumerate(range(0, max(self.frame.height, 1), self.slice_rows)):
            part = self.frame.slice(offset, self.slice_rows)
            rows = self.rows.slice(offset, self.slice_rows)
            bad = rows.get_column("_bad")
            recipient = rows.with_columns(_E164_TEXT).select(self.canonical).to_series()
            message = part.get_column("message").clone()  # scatter writes in place
            fixed = self.fixed.part(index)
            if fixed.height:
                message = message.scatter(
                    fixed.get_column("_i") - offset, fixed.get_column("message")
                )
            # A kept row writes an empty message for a missing one; a row kept as read, its cell.
            empty = (message.is_null() & ~bad).arg_true()
            if empty.len():
                message = message.scatter(empty, "")
            if self.in_place and bad.any():
                as_read = bad.arg_true()
                recipient = recipient.scatter(as_read, part.get_column("recipient").gather(as_read))
            yield part.with_columns(
                _i=pl.int_range(offset, offset + part.height, dtype=pl.Int64),
                out_recipient=recipient,
                out_message=message,
                _bad=bad,
                _dup=rows.get_column("_dup"),
                _fixes=rows.get_column("_fixes"),
            )

    def clean(self) -> Iterator[pl.DataFrame]:
        """``recipient, message`` as written, a slice at a time."""
        for part in self.slices():
            keep = ~c("_dup") if self.in_place else ~c("_dup") & ~c("_bad")
            yield (
                part.lazy()
                .filter(keep)
                .select(recipient="out_recipient", message="out_message")
                .collect()
            )

    def rejects(self) -> pl.DataFrame:
        """The rejected rows (:data:`REJECTS_SCHEMA`); none in place."""
        rejected = self.rejected.head(0) if self.in_place else self.rejected
        at = rejected.get_column("_i")
        return (
            self.frame[at]
            .with_columns(rejected.get_column("codes"), rejected.get_column("reasons"))
            .select(*REJECTS_SCHEMA.names())
            .cast(REJECTS_SCHEMA)
        )

    def duplicates(self) -> list[tuple[int, int]]:
        """(line dropped, line kept) of every duplicate, in line order."""
        lines = self.frame.get_column("line").gather(self.kept.get_column("_i"))
        return list(zip(lines.to_list(), self.kept.get_column("kept_line").to_list(), strict=True))

    def codes_count(self) -> dict[str, int]:
        """Code -> rows rejected (or, in place, left unfixable) with it."""
        counts = (
            self.rejected.select(code=c("codes").fill_null("").str.split(" "))
            .explode("code")
            .filter(c("code") != "")
            .group_by("code")
            .len()
            .sort("code")
        )
        return {str(code): int(n) for code, n in counts.iter_rows()}


def _wide_rows(work: pl.DataFrame, decision: _Decision) -> pl.DataFrame:
    """``Outcome.rows``: the slices' analysis columns, and every row's fate."""
    bad, dup = decision.rows.get_column("_bad"), decision.rows.get_column("_dup")
    kept_line = _nulls(work.height)
    if decision.kept.height:
        kept_line = kept_line.scatter(
            decision.kept.get_column("_i"), decision.kept.get_column("kept_line")
        )
    status = (
        pl.when(c("_bad"))
        .then(pl.lit("unfixable" if decision.in_place else "rejected"))
        .when(c("_dup"))
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("written"))
    )
    keep_as_read = c("_bad") & pl.lit(decision.in_place)
    analysis = [name for name in work.columns if name not in _ADDED_COLUMNS]
    work = work.with_columns(_bad=bad, _dup=dup, kept_line=kept_line)
    return work.with_columns(
        _as_read_duplicates(work),
        status=status,
        out_recipient=pl.when(keep_as_read).then(c("recipient")).otherwise(c("out_recipient")),
        out_message=pl.when(keep_as_read)
        .then(c("orig_message"))
        .otherwise(c("message").fill_null("")),
        message=c("orig_message"),
    ).select(
        *analysis,
        "_i",
        "parts_as_read",
        "out_recipient",
        "codes",
        "reasons",
        "kept_line",
        "status",
        "out_message",
    )


#: Columns ``_decide_slice`` adds to the analysis.
_ADDED_COLUMNS: Final = frozenset(
    {"_i", "orig_message", "parts_as_read", "out_recipient", "_bad", "codes", "reasons"}
)


def _as_read_duplicates(work: pl.DataFrame) -> pl.DataFrame:
    """``first_line_of_recipient`` and ``dup_line`` of the rows as read, as ``check.analyze``
    finds them (a row without a message repeats nothing: check confirms the messages equal)."""
    lines = work.get_column("line")
    none = _nulls(work.height)
    e164, message = work.get_column("e164"), work.get_column("orig_message")

    def repeats(valid: pl.Series, keys: pl.DataFrame) -> pl.Series:
        at = valid.arg_true()
        found = _repeats(
            lines.gather(at),
            keys[at].select(pl.struct(pl.all()).hash(seed=_HASH_SEED)).to_series(),
            lambda where: keys[at.gather(where)],
        )
        firsts = none.clone()
        if found.height:
            firsts = firsts.scatter(
                at.gather(found.get_column("_at")), found.get_column("first_line")
            )
        return firsts

    return pl.DataFrame(
        {
            "first_line_of_recipient": repeats(e164.is_not_null(), e164.to_frame()),
            "dup_line": repeats(
                e164.is_not_null() & message.is_not_null(),
                pl.DataFrame({"e164": e164, "message": message}),
            ),
        }
    )


# --------------------------------------------------------------------------- frames in, frames out


def split(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    options: Options | Mapping[str, object] = Options(),  # noqa: B008 - frozen, safe as a default
    unsafe: bool = False,
    selected: frozenset[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a frame into the clean rows and the rejected ones.

    ``frame`` is a polars DataFrame (a LazyFrame is collected) with text columns
    ``recipient, message`` and optionally integer ``line, row`` (without them
    rows count from 1 and lines from 2, as in a CSV with a header).
    ``options`` is an :class:`~p2pfile.rules.Options` or a mapping of its fields
    (``{"allow_foreign": True, "max_parts": 4}``), checked as the settings of the
    same names. Returns ``(clean, rejected)``: ``clean`` is ``recipient, message``
    fixed and canonical, without duplicates; ``rejected`` has the columns of
    :data:`REJECTS_SCHEMA`. Duplicates are in neither (use :func:`decide` for them).
    ``selected`` is the set of rule codes (default: the default selection).
    Raises :class:`~p2pfile.errors.UsageError` for anything else, in one line.
    """
    frame = frame_arg(frame, "split()")
    options = options_arg(options, "split()")
    decision = _decide(
        _with_locations(frame),
        options,
        default_selection() if selected is None else selected,
        issues=(),
        unsafe=unsafe,
        in_place=False,
        wide=False,
    )
    return pl.concat(decision.clean()), decision.rejects()


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


# --------------------------------------------------------------------------- files


def fix(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    rejects: str | os.PathLike[str] | None = None,
    *,
    unsafe: bool = False,
    number_format: NumberFormat | None = None,
    settings: Settings | Mapping[str, object] | None = None,
) -> FixResult:
    """Fix one recipient file; the library face of ``p2pfile fix``.

    Without ``output`` a CSV is rewritten in place (rows no fix can save stay,
    unchanged). With ``output`` (``.xlsx`` for a workbook, else CSV) the clean
    rows are written there and rejected rows to ``rejects`` (CSV), which is
    required when there are any. ``number_format`` (default: the settings',
    else E.164) is how recipients are written. ``settings`` default to the
    closest config file of ``path``'s directory, as ``check`` finds it; a
    :class:`~p2pfile.config.Settings` is used as it is, and a mapping of settings
    (``{"allow_foreign": True}``, keys as in a config file, snake_case or
    kebab-case) is applied on top of that closest file, as ``check()``'s
    keyword overrides are.

    Raises :class:`~p2pfile.errors.UsageError` for arguments that cannot work
    (a path that is not one, an XLSX in place, rows to reject and no
    ``rejects``, the same path twice, an output or rejects path that is a
    directory or whose directory does not exist, an unknown setting),
    :class:`~p2pfile.errors.ConfigError` for a bad setting value and
    :class:`~p2pfile.errors.InputFileError` for a file that cannot be fixed.
    Nothing is written unless everything can be.
    """
    name = path_arg(path, "fix() path")
    out = None if output is None else path_arg(output, "fix() output")
    rej = None if rejects is None else path_arg(rejects, "fix() rejects")
    _check_targets(name, out, rej)
    settings = settings_arg(settings, "fix()", Path(os.path.abspath(name)).parent)
    result, decision, plan = _prepare(name, out is None, unsafe, number_format, settings)
    selected = plan.selected(name)
    rejected = decision.count("rejected")
    if out is not None and rejected and rej is None:
        msg = (
            f"{name}: {rejected:,} row(s) cannot be fixed and would be dropped from {out}; "
            "pass --rejects FILE to write them there (nothing is dropped silently)"
        )
        raise UsageError(msg)
    # In place, rows no fix can save are written too (unchanged).
    written = decision.count("written") + decision.count("unfixable")
    if out is not None and _is_xlsx_name(out):
        _check_xlsx_fits(decision, written, out)

    if rej is not None:
        rejected_rows = decision.rejects()
        if _is_xlsx_name(rej):
            _check_rejects_fit(rejected_rows, rej)
        _atomic_write(
            rej,
            lambda tmp: (
                _write_rejects_xlsx(rejected_rows, tmp)
                if _is_xlsx_name(rej)
                else _write_csv([rejected_rows], tmp)
            ),
            no_wider_than=name,
        )
    target = out if out is not None else name
    # The clean rows are rebuilt and written a slice at a time: never a second copy of the file.
    changed = _atomic_write(
        target,
        lambda tmp: (
            _write_xlsx(decision.clean(), tmp)
            if _is_xlsx_name(target)
            else _write_csv(decision.clean(), tmp)
        ),
        compare_with=name,
        keep_mode_of=name if out is None else None,
        no_wider_than=name,
        skip_if_same=out is None,
    )
    duplicates = decision.duplicates()
    empty = int(written == 0 and "F106" in selected)
    empty_fails = plan.severity_of(_rule("F106")) == "error"
    return FixResult(
        path=result.path,  # as reports show it (a name that is not UTF-8, escaped)
        output=out,
        rejects=rej,
        rows_in=decision.frame.height,
        rows_written=written,
        rows_rejected=rejected,
        duplicates_dropped=len(duplicates),
        fixes={**_file_fixes(result, unsafe), **decision.fixes},
        duplicates=tuple(duplicates),
        # The output's only possible file-level finding: F106 when no row is written.
        remaining=decision.remaining + empty,
        remaining_errors=decision.remaining_errors + (empty if empty_fails else 0),
        changed=changed,
        unfixable=decision.count("unfixable"),
        rejected_by_code=decision.codes_count(),
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
    """What ``fix`` with the same arguments would change; writes nothing.

    First the changes to the file as a whole (``kind="file"``, ``row`` 0: the
    file-level fixes, such as a BOM removed, a delimiter or a header rewritten,
    an index column dropped; in place, also a rewrite to the canonical form
    alone, such as CRLF to LF), then the rows it would change, drop or reject,
    in line order. ``output`` only decides the mode (None: in place, where rows
    no fix can save stay and are not listed); ``rejects`` is accepted so that a
    caller can pass ``fix``'s arguments unchanged. At most ``limit`` row
    changes (None: all).
    """
    name = os.fspath(path)
    del rejects  # nothing is written: where rejects would go does not change the rows
    settings = _settings_for(name, settings)
    result, decision, _ = _prepare(name, output is None, unsafe, number_format, settings)
    applied = _file_fixes(result, unsafe)
    files = [
        RowChange(i.line, 0, (None, None), None, "file", (i.code,), i.message)
        for i in result.issues
        if i.code in applied
    ]
    rows = _row_changes(decision, limit)
    if output is None and not files and not rows and _rewritten(name, decision):
        why = "the file is rewritten in the canonical form (LF line ends, quotes where needed)"
        files.append(RowChange(1, 0, (None, None), None, "file", (), why))
    return files + rows


def _rewritten(name: str, decision: _Decision) -> bool:
    """Whether writing ``decision`` in place would change the file's bytes, when no fix
    does: the one way to know is to write the canonical file and compare."""
    with tempfile.TemporaryDirectory(prefix="p2pfile-diff-") as tmp:
        canonical = os.path.join(tmp, "canonical.csv")
        _write_csv(decision.clean(), canonical)
        return not filecmp.cmp(name, canonical, shallow=False)


def _row_changes(decision: _Decision, limit: int | None) -> list[RowChange]:
    codes_of = pl.concat_list(
        pl.when((c("_fixes") & pl.lit(1 << bit, pl.UInt16)) != 0).then(pl.lit(code))
        for bit, code in enumerate(_FIX_BITS)
    ).list.drop_nulls()
    changes: list[RowChange] = []
    for part in decision.slices():
        if limit is not None and len(changes) >= limit:
            break
        changed_cells = (c("out_recipient") != c("recipient")) | c("out_message").ne_missing(
            c("message")
        )
        # In place, rows no fix can save stay as they are: not a change.
        rejected = c("_bad") & pl.lit(not decision.in_place)
        written = ~c("_bad") & ~c("_dup")
        picked = part.filter(rejected | c("_dup") | (written & changed_cells))
        if limit is not None:
            picked = picked.head(limit - len(changes))
        picked = (
            picked.with_columns(_fixed_by=codes_of)
            .join(decision.rejected, on="_i", how="left", maintain_order="left")
            .join(decision.kept, on="_i", how="left", maintain_order="left")
        )
        changes.extend(_row_change(row) for row in picked.iter_rows(named=True))
    return changes


def _row_change(row: dict[str, Any]) -> RowChange:
    old = (row["recipient"], row["message"])
    if row["_dup"]:
        why = f"duplicate of line {row['kept_line']}"
        return RowChange(row["line"], row["row"], old, None, "duplicate", ("D101",), why)
    if row["_bad"]:
        codes = tuple((row["codes"] or "").split())
        why = row["reasons"] or ""
        return RowChange(row["line"], row["row"], old, None, "rejected", codes, why)
    codes = tuple(row["_fixed_by"])
    new = (row["out_recipient"], row["out_message"])
    why = "fixed: " + " ".join(codes) if codes else "written in canonical form"
    return RowChange(row["line"], row["row"], old, new, "fixed", codes, why)


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
) -> tuple[ReadResult, _Decision, CheckPlan]:
    """Read, refuse what cannot be fixed, and decide every row; also the plan the settings
    make (selected codes and severities)."""
    if number_format is not None and number_format not in get_args(NumberFormat):
        # A typo would otherwise write E.164 to a provider that was asked for 09...
        choices = " or ".join(repr(f) for f in get_args(NumberFormat))
        msg = f"number_format must be {choices}, not {number_format!r}"
        raise UsageError(msg)
    if not isinstance(unsafe, bool):
        # unsafe="no" is truthy: it would transcode and rewrite what was not asked for.
        msg = f"unsafe must be True or False, not {unsafe!r}"
        raise UsageError(msg)
    plan = plan_from_settings(settings)
    options = replace(plan.options, number_format=number_format or settings.number_format)
    if in_place and _is_xlsx_name(name):
        raise UsageError(_xlsx_in_place(name))
    result = read_file(name, max_bytes=settings.max_bytes, max_rows=settings.max_rows)
    _refuse_unfixable(result, unsafe=unsafe, in_place=in_place)
    selected = plan.selected(name)
    decision = _decide(
        result.frame,
        options,
        selected,
        issues=result.issues,
        unsafe=unsafe,
        in_place=in_place,
        wide=False,
        severity=plan.severity,
    )
    return result, decision, plan


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
    if rej is not None and (suffix := _other_workbook_suffix(rej)):
        msg = f"{rej}: fix writes rejects as CSV or XLSX, not {suffix}; name it .csv or .xlsx"
        raise UsageError(msg)
    if out is not None and (suffix := _other_workbook_suffix(out)):
        # Anything not .xlsx is written as CSV: CSV text named .xls is a file Excel
        # warns about and check calls F102.
        msg = f"{out}: fix writes CSV or XLSX, not {suffix}; name the output .csv or .xlsx"
        raise UsageError(msg)
    # Before anything is written: a rejects file must not be left behind by an output
    # that then fails.
    for role, p in (("output", out), ("rejects", rej)):
        if p is not None:
            destination_arg(p, role)


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
    # F107 before F106: a first sheet of notes and the data in another sheet is both,
    # and "nothing to fix" would send the user looking in the wrong place.
    for code in ("F107", "F106", "F108", "F203"):
        if code == "F203" and code in by_code:
            _refuse_extra_columns(result, by_code[code][0], unsafe=unsafe)
        elif code in by_code:
            issue = by_code[code][0]
            tail = {
                "F106": "there is nothing to fix",
                "F107": "fix reads only the first sheet, so the other rows would be lost: "
                "move the data to the first sheet, or delete the other sheets",
                "F108": "fix never writes part of a file: raise max-rows / max-bytes",
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
    broken = [i for i in result.issues if _breaks_its_record(i)]
    if in_place and broken:
        shown = ", ".join(f"{i.code} at line {i.line}" for i in broken[:3])
        more = f" and {len(broken) - 3} more" if len(broken) > 3 else ""
        msg = (
            f"{name}: {len(broken)} broken record(s) ({shown}{more}) cannot be written back "
            "as they were; fix it into a new file: -o clean.csv --rejects rejects.csv"
        )
        raise InputFileError(msg)


def _refuse_extra_columns(result: ReadResult, issue: FileIssue, *, unsafe: bool) -> None:
    """InputFileError for a header wider than two columns (F203), unless its recipient
    and message columns were chosen by name and ``unsafe`` allows dropping the others."""
    name, header, columns = result.path, result.header, result.columns
    lost = "fix writes two columns, so the others would be lost"
    if not issue.fixable or header is None or columns is None:
        msg = f"{name}: {issue.message} (F203); {lost}: remove or merge them first"
        raise InputFileError(msg)
    if unsafe:
        return  # F203's unsafe fix: the canonical file from the two columns chosen
    dropped = ", ".join(quoted(c) for i, c in enumerate(header) if i not in columns)
    msg = (
        f"{name}: the header has {len(header)} columns (F203); {lost}: "
        "`p2pfile fix --unsafe-fixes` would keep the recipient column "
        f"{quoted(header[columns[0]])} and the message column {quoted(header[columns[1]])} "
        f"and drop {dropped}"
    )
    raise InputFileError(msg)


def _file_fixes(result: ReadResult, unsafe: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in result.issues:
        if issue.code not in FILE_FIXES or not issue.fixable:
            continue
        if issue.code in UNSAFE_FILE_FIXES and not unsafe:
            continue
        counts[issue.code] = counts.get(issue.code, 0) + issue.lines  # F206: records removed
    return counts


# --------------------------------------------------------------------------- writers


def _is_xlsx_name(name: str) -> bool:
    return name.lower().endswith(".xlsx")


#: Spreadsheet formats fix does not write (it writes .xlsx, and CSV under any other name).
_OTHER_WORKBOOKS: Final = (
    *(".xls", ".xlsm", ".xlsb", ".xlt", ".xltx", ".xltm", ".xla", ".xlam", ".xlw"),
    *(".ods", ".fods", ".ots", ".numbers", ".et", ".ett", ".gsheet"),
)


def _other_workbook_suffix(name: str) -> str | None:
    """The suffix of a spreadsheet format other than .xlsx that ``name`` ends in, if any."""
    suffix = os.path.splitext(name)[1].lower()
    return suffix if suffix in _OTHER_WORKBOOKS else None


def _write_csv(frames: Iterable[pl.DataFrame], dest: str) -> None:
    """Canonical CSV: UTF-8 without BOM, LF, header row, RFC 4180 quoting where needed.

    The frames are written one after the other (each row is quoted on its own,
    so the bytes are those of one frame written whole).
    """
    with open(dest, "wb") as out:
        for i, frame in enumerate(frames):
            frame.write_csv(
                out, quote_style="necessary", line_terminator="\n", include_header=i == 0
            )


def _check_xlsx_fits(decision: _Decision, rows: int, dest: str) -> None:
    if rows > XLSX_MAX_ROWS:
        msg = f"{dest}: {rows:,} rows do not fit in an XLSX sheet; write CSV instead"
        raise UsageError(msg)
    lengths = [part.select(c("message").str.len_chars().max()).item() for part in decision.clean()]
    longest = max((n for n in lengths if n is not None), default=None)
    if longest is not None and longest > XLSX_MAX_CELL:
        msg = f"{dest}: a message of {longest:,} characters does not fit in an XLSX cell"
        raise UsageError(msg)


def _text_workbook(dest: str) -> Any:
    """An xlsxwriter workbook at ``dest`` that writes strings as strings."""
    try:
        import xlsxwriter  # type: ignore[import-untyped]  # noqa: PLC0415 - only for XLSX output
    except ImportError as exc:  # pragma: no cover - xlsxwriter is a dependency
        msg = "writing .xlsx needs the xlsxwriter package (pip install xlsxwriter); or write CSV"
        raise UsageError(msg) from exc
    # constant_memory streams rows to disk in order; every strings_to_* conversion
    # is off, so a recipient like +989121234567 can never turn into a number.
    return xlsxwriter.Workbook(
        dest,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )


def _write_xlsx(frames: Iterable[pl.DataFrame], dest: str) -> None:
    """Column A recipients, column B messages, every cell a string (never a number)."""
    workbook = _text_workbook(dest)
    sheet = workbook.add_worksheet()
    sheet.write_string(0, 0, "recipient")
    sheet.write_string(0, 1, "message")
    i = 0
    for frame in frames:
        for recipient, message in frame.iter_rows():
            i += 1
            sheet.write_string(i, 0, recipient)
            sheet.write_string(i, 1, message)
    workbook.close()


def _check_rejects_fit(rejects: pl.DataFrame, dest: str) -> None:
    if rejects.height > XLSX_MAX_ROWS:
        msg = f"{dest}: {rejects.height:,} rejected rows do not fit in an XLSX sheet; write CSV"
        raise UsageError(msg)
    longest = rejects.select(
        pl.max_horizontal(c(name).str.len_chars().max() for name in _REJECTS_TEXT)
    ).item()
    if longest is not None and longest > XLSX_MAX_CELL:
        msg = f"{dest}: a cell of {longest:,} characters does not fit in XLSX; write CSV"
        raise UsageError(msg)


#: The rejects' text columns, and how wide each is shown (characters).
_REJECTS_TEXT: Final = {"recipient": 18, "message": 60, "codes": 12, "reasons": 70}


def _write_rejects_xlsx(rejects: pl.DataFrame, dest: str) -> None:
    """The rejects as a workbook for a person to correct: ``line`` and ``row`` as numbers,
    every other cell a string. A CSV opened in Excel turns ``9.12346E+09`` into the
    number 9123460000 and drops the 0 of ``0912…``, and without a BOM shows Persian as
    mojibake; fed back, such a file sends to a stranger. Text cells keep what was read."""
    workbook = _text_workbook(dest)
    sheet = workbook.add_worksheet("rejects")
    # Text format (@) on the text columns: a number typed in to correct a row stays
    # text, with its leading 0, as the cells written are.
    text = workbook.add_format({"num_format": "@"})
    names = rejects.columns
    for j, name in enumerate(names):
        sheet.write_string(0, j, name)
        if name in _REJECTS_TEXT:
            sheet.set_column(j, j, _REJECTS_TEXT[name], text)
        else:
            sheet.set_column(j, j, 8)
    sheet.freeze_panes(1, 0)
    for i, values in enumerate(rejects.iter_rows(), start=1):
        for j, (name, value) in enumerate(zip(names, values, strict=True)):
            if value is None:
                continue  # an empty cell, as read
            if name in _REJECTS_TEXT:
                sheet.write_string(i, j, value)
            else:
                sheet.write_number(i, j, value)
    workbook.close()


def _atomic_write(
    dest: str,
    write: Callable[[str], None],
    *,
    compare_with: str | None = None,
    keep_mode_of: str | None = None,
    no_wider_than: str | None = None,
    skip_if_same: bool = False,
) -> bool:
    """Write through a temporary file in the same directory, then ``os.replace`` it.

    Returns whether the new bytes differ from ``compare_with``; with
    ``skip_if_same`` an identical result is not moved into place (the file and
    its modification time stay as they were). A symbolic link is written
    through: its target gets the new bytes, and the link stays a link.
    ``keep_mode_of``: the file takes that file's permissions (in place);
    ``no_wider_than``: it is readable by no one the input is not readable by
    (the rows of a private file stay private).
    """
    dest = os.path.realpath(dest)
    directory = os.path.dirname(dest)
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
        elif no_wider_than is not None and os.path.isfile(no_wider_than):
            os.chmod(tmp, os.stat(tmp).st_mode & os.stat(no_wider_than).st_mode & 0o777)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return changed
