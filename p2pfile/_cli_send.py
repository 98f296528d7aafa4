"""``p2pfile send`` and ``p2pfile journal``: the sender's command line.

Sending is a one-way door (DESIGN.md, decision 10), so ``send`` refuses
everything it can before a byte leaves, in this order:

1. the arguments: ``--from``, ``--at``/``--tz`` (converted to UTC, in the
   future), the base URL, and the token (not for ``--dry-run``);
2. the file: the fix pipeline with safe fixes only, written into a private
   temporary directory. Rows no safe fix can save stop the send (exit 1)
   unless ``--skip-invalid``, which writes them to a rejects file first;
3. the upload: :func:`p2pfile.send.send_clean_csv` sends that canonical clean
   CSV, never the input, in chunks, journaled, skipping rows sent before.

Exit codes (decision 5): 0 sent, or a dry run that would send; 1 rows that
cannot be sent; 2 usage, config or input errors (a bad ``--from``, a past
``--at``, no token); 3 the provider, the network or the journal stopped the
send (including a journal refusal: already sent, or an earlier outcome unknown).

``journal`` lists the records, and ``journal --mark ID sent|failed`` settles an
unknown upload once the provider's report says what happened, so that a plain
rerun resumes: ``--resend`` would send every chunk again, those sent too.

The token is read here and handed only to the Client: it is never printed,
not even by ``--dry-run`` (``Authorization: <redacted>``) (decision 9).

cli.py imports this module lazily, when ``send`` or ``journal`` runs, so this
module imports cli.py at its top: the commands share its rule flags.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import tempfile
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

import click

from p2pfile import cli as _cli
from p2pfile.config import Settings, load_tariff
from p2pfile.errors import AuthError, ProviderError, RefusedError, SendError, UsageError
from p2pfile.fix import FixResult
from p2pfile.fix import fix as fix_file
from p2pfile.journal import Journal, JournalRecord, default_journal_path, format_send_time
from p2pfile.rules import get_rule
from p2pfile.send import (
    CSV_CONTENT_TYPE,
    DEFAULT_BASE_URL,
    FILE_FIELD,
    TOKEN_ENV,
    ChunkOutcome,
    ChunkPlan,
    Client,
    check_base_url,
    check_from_number,
    form_fields,
    load_token,
    plan_clean_csv,
    request_headers,
    send_clean_csv,
)
from p2pfile.stats import Stats
from p2pfile.stats import stats as compute_stats

#: ``YYYY-MM-DD HH:MM[:SS]``, ``T`` or a space between, then an optional offset.
_AT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}(:?\d{2})?)?")
_SHOWN_LINES = 5  # line numbers shown per rejection code
_SHOWN_DUPLICATES = 5
_SHOWN_IDS = 5
_SHOWN_RECORDS = 5
_SHOWN_FIELDS = 10  # field errors shown from a provider's 422
_DEFAULT_TIMEOUT = 60.0
#: A pending record younger than this may belong to a run still uploading:
#: ``journal --mark`` leaves it alone without --force.
_PENDING_GRACE = timedelta(minutes=15)


# ---------------------------------------------------------------- validated arguments


@dataclass(frozen=True)
class _Job:
    """Everything ``send`` was asked to do, validated."""

    source: Path
    from_number: str
    send_time: datetime | None
    skip_invalid: bool
    rejects: Path
    chunk_rows: int | None
    resend: bool
    base_url: str
    journal: Path
    timeout: float

    @property
    def url(self) -> str:
        return f"{self.base_url}/api/send"


def _from_number(value: str) -> str:
    """The sender line, or a usage error that shows the E.164 form when it can guess it."""
    try:
        return check_from_number(value)
    except UsageError:
        digits = value.strip().replace(" ", "")
        hint = ""
        if re.fullmatch(r"(0098|98)[0-9]{4,14}", digits):
            hint = f"; did you mean +{digits.removeprefix('00')}?"
        elif re.fullmatch(r"0?[0-9]{4,14}", digits):
            hint = f"; did you mean +98{digits.removeprefix('0')}?"
        raise click.BadParameter(
            f"{value!r} is not a sender line in E.164: '+98' then 4 to 14 digits, "
            f"e.g. +983000505{hint}",
            param_hint="--from",
        ) from None


def _send_time(at: str | None, tz: str | None, now: datetime | None = None) -> datetime | None:
    """``--at`` as an aware datetime in the future; None (send now) without it."""
    if at is None:
        if tz is not None:
            raise click.UsageError("--tz only says how to read --at; give --at too")
        return None
    text = at.strip()
    if not _AT.fullmatch(text):
        raise click.BadParameter(
            f"{at!r}: expected 'YYYY-MM-DD HH:MM[:SS]' (read in --tz, default UTC) "
            "or ISO 8601 with an offset, e.g. 2025-03-12T21:20:00+03:30",
            param_hint="--at",
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{at!r} is not a real time: {exc}", param_hint="--at") from None
    if parsed.tzinfo is not None:
        if tz is not None:
            raise click.UsageError(
                f"--at {at!r} has a UTC offset and --tz names a zone: give one or the other"
            )
        when = parsed
    else:
        when = _localize(parsed, tz or "UTC")
    now = now or datetime.now(UTC)
    if when <= now:
        raise click.BadParameter(
            f"{at!r} is {format_send_time(when)} UTC, which is in the past "
            f"(now {format_send_time(now)} UTC); leave out --at to send now, or pick a later time",
            param_hint="--at",
        )
    return when


def _localize(naive: datetime, zone_name: str) -> datetime:
    """``naive`` read in ``zone_name``; a time a clock change skips or repeats is refused."""
    zone = _zone(zone_name)
    when = naive.replace(tzinfo=zone)
    if when.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise click.BadParameter(
            f"{naive:%Y-%m-%d %H:%M:%S} does not exist in {zone_name} (the clocks skip it)",
            param_hint="--at",
        )
    if naive.replace(tzinfo=zone, fold=1).utcoffset() != when.utcoffset():
        raise click.BadParameter(
            f"{naive:%Y-%m-%d %H:%M:%S} happens twice in {zone_name} (the clocks go back); "
            "give --at with an offset instead",
            param_hint="--at",
        )
    return when


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC  # needs no time zone database
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    if not zoneinfo.available_timezones():
        raise click.BadParameter(
            f"cannot look up {name!r}: this machine has no time zone database; "
            "install it (pip install tzdata) or give --at with an offset",
            param_hint="--tz",
        )
    raise click.BadParameter(
        f"unknown time zone {name!r}; use an IANA name such as Asia/Tehran or UTC",
        param_hint="--tz",
    )


def _base_url(value: str) -> str:
    try:
        return check_base_url(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--base-url") from None


def _rejects_path(source: Path, rejects: str | None) -> Path:
    """Where left-out rows go: ``--rejects``, or ``<stem>.rejects.csv`` beside the input."""
    target = Path(rejects) if rejects else source.with_name(f"{source.stem}.rejects.csv")
    if os.path.realpath(target) == os.path.realpath(source):
        raise click.BadParameter(
            "the rejects file would overwrite the input", param_hint="--rejects"
        )
    return target


# ---------------------------------------------------------------- output


class _Out:
    """Text for a person on stdout, or one JSON document: the same facts either way.

    Errors always go to stderr as well, so a script reading the JSON still
    sees why the exit code is not 0.
    """

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.data: dict[str, Any] = {}

    def say(self, text: str) -> None:
        if not self.as_json:
            click.echo(text)

    def error(self, lines: Sequence[str], details: dict[str, Any] | None = None) -> None:
        for line in lines:
            click.echo(line, err=True)
        self.data["error"] = details or {"message": lines[0].removeprefix("p2pfile: ")}

    def finish(self, code: int) -> int:
        if self.as_json:
            self.data["exit_code"] = code
            click.echo(json.dumps(self.data, ensure_ascii=False, indent=2))
        return code


def _ids_text(ids: Sequence[int]) -> str:
    if len(ids) <= _SHOWN_IDS:
        return ", ".join(map(str, ids)) or "none"
    return f"{ids[0]}, {ids[1]}, ..., {ids[-1]} ({len(ids):,} ids)"


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value is not None else "-"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _error_json(exc: SendError) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": type(exc).__name__,
        "message": str(exc),
        "outcome_unknown": exc.outcome_unknown,
    }
    if isinstance(exc, ProviderError):
        data.update(
            status_code=exc.status_code,
            message_code=exc.message_code,
            provider_message=exc.provider_message,
            field_errors=exc.field_errors,
            body_excerpt=exc.body_excerpt,
        )
    if isinstance(exc, RefusedError):
        data["journal_ids"] = list(exc.journal_ids)
    return data


# ---------------------------------------------------------------- the file


@dataclass(frozen=True)
class _Prepared:
    """The input fixed into its canonical clean CSV (in the private temporary directory)."""

    clean: Path
    rejects: Path
    result: FixResult
    #: Rejection code -> the first few line numbers with it.
    lines: dict[str, list[int]] = field(default_factory=dict)


def _prepare(source: Path, work: Path, settings: Settings) -> _Prepared:
    """Run ``fix`` with safe fixes only; what it writes is exactly what may be uploaded."""
    # Separate directories: an input named rejects.csv must not collide with the rejects.
    clean = work / "clean" / f"{source.stem}.csv"  # the provider sees this name (or its chunks')
    rejects = work / "rejects" / "rejects.csv"
    clean.parent.mkdir(mode=0o700)
    rejects.parent.mkdir(mode=0o700)
    result = fix_file(source, clean, rejects, unsafe=False, settings=settings)
    lines = _reject_lines(rejects) if result.rows_rejected else {}
    return _Prepared(clean, rejects, result, lines)


def _reject_lines(rejects: Path) -> dict[str, list[int]]:
    lines: dict[str, list[int]] = {}
    with rejects.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            for code in (record.get("codes") or "").split():
                shown = lines.setdefault(code, [])
                if len(shown) < _SHOWN_LINES:
                    shown.append(int(record["line"]))
    return lines


def _report_file(out: _Out, job: _Job, prepared: _Prepared) -> None:
    r = prepared.result
    out.say(
        f"{job.source}: {r.rows_in:,} rows in, {r.rows_written:,} to send, "
        f"{r.rows_rejected:,} rejected, {_plural(r.duplicates_dropped, 'duplicate')} dropped"
    )
    for dropped, kept in r.duplicates[:_SHOWN_DUPLICATES]:
        out.say(f"  dropped line {dropped}: duplicate of line {kept} (D101)")
    if len(r.duplicates) > _SHOWN_DUPLICATES:
        out.say(f"  ... and {len(r.duplicates) - _SHOWN_DUPLICATES:,} more duplicates")
    if r.fixes:
        out.say(
            "  safe fixes applied: " + ", ".join(f"{k} x{n:,}" for k, n in sorted(r.fixes.items()))
        )
    if r.remaining:
        found = _plural(r.remaining, "finding")
        out.say(f"  p2pfile check {job.source} still reports {found} in the rows to send")
    out.data.update(
        path=str(job.source),
        from_number=job.from_number,
        send_time=format_send_time(job.send_time),
        rows={
            "in": r.rows_in,
            "to_send": r.rows_written,
            "rejected": r.rows_rejected,
            "duplicates": r.duplicates_dropped,
        },
        rejected_by_code=dict(r.rejected_by_code),
        rejected_lines=prepared.lines,
        rejects_file=None,
        duplicates=[list(pair) for pair in r.duplicates],
        fixes=dict(r.fixes),
        remaining=r.remaining,
    )


def _code_lines(prepared: _Prepared) -> list[str]:
    lines = []
    for code, count in sorted(prepared.result.rejected_by_code.items()):
        rule = get_rule(code)
        name = f" {rule.name}" if rule is not None else ""
        shown = prepared.lines.get(code, [])
        where = ", ".join(map(str, shown)) + (", ..." if count > len(shown) else "")
        lines.append(f"  {code}{name} x{count:,}: line{'s' * (len(shown) != 1)} {where}")
    return lines


def _row_refusal(job: _Job, prepared: _Prepared) -> list[str] | None:
    """Why the rows stop the send (exit 1), or None when what is left may go."""
    r = prepared.result
    if r.rows_rejected and not job.skip_invalid:
        return [
            f"p2pfile: {job.source}: {_plural(r.rows_rejected, 'row')} no safe fix can save; "
            "nothing was sent",
            *_code_lines(prepared),
            f"  p2pfile check {job.source} explains each; --skip-invalid sends the other rows "
            f"and writes these to {job.rejects}",
        ]
    if not r.rows_written:
        return [f"p2pfile: {job.source}: no rows left to send; nothing was sent"]
    return None


def _publish_rejects(out: _Out, job: _Job, prepared: _Prepared) -> None:
    """Copy the rejects into place (through a temporary file) before anything is sent."""
    count = prepared.result.rows_rejected
    target = job.rejects
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(prepared.rejects, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise click.FileError(str(target), hint=exc.strerror or str(exc)) from None
    codes = ", ".join(f"{k} x{n:,}" for k, n in sorted(prepared.result.rejected_by_code.items()))
    out.say(f"  {_plural(count, 'rejected row')} left out, written to {target} ({codes})")
    out.data["rejects_file"] = str(target)


# ---------------------------------------------------------------- dry run


def _dry_run(
    out: _Out, job: _Job, prepared: _Prepared, stats: Stats, *, token_file: str | None, work: Path
) -> int:
    """Everything a send does up to the request, reported; writes and sends nothing."""
    out.data["dry_run"] = True
    r = prepared.result
    if r.rows_rejected and job.skip_invalid:
        rows = _plural(r.rows_rejected, "rejected row")
        out.say(f"  {rows} would be left out and written to {job.rejects}")
    _report_stats(out, stats)
    refusal = _row_refusal(job, prepared)
    plans = _plans(job, prepared, work) if r.rows_written else []
    _report_request(out, job, plans)
    _report_token(out, token_file)
    out.say("dry run: no request was made; nothing was written or journaled")
    if refusal:
        out.error(refusal)
        return 1
    return _plan_verdict(out, job, plans)


def _report_stats(out: _Out, stats: Stats) -> None:
    encodings = ", ".join(
        f"{enc} {_plural(n, 'message')} in {_plural(stats.parts_by_encoding[enc], 'part')}"
        for enc, n in stats.encodings.items()
        if n
    )
    out.say(f"parts: {stats.parts:,} ({encodings or 'nothing to send'})")
    operators = ", ".join(f"{name} {n:,}" for name, n in stats.operators.items() if n)
    out.say(f"operators: {operators or 'none'}")
    if stats.suffix:
        out.say(f"  parts count the suffix the provider appends: {stats.suffix!r}")
    if stats.cost is None:
        out.say("cost: no tariff; set [tool.p2pfile.tariff] or pass --tariff FILE to estimate it")
    else:
        priced = ", ".join(
            f"{line.operator} {line.script} {line.parts:,} x {_rials(line.rate)}"
            for line in stats.cost.lines
            if line.parts
        )
        out.say(f"estimated cost: {_rials(stats.cost.total)} rials ({priced or 'no parts'})")
        if stats.cost.unpriced_parts:
            out.say(f"  {stats.cost.unpriced_parts:,} parts to foreign numbers are not priced")
    out.data["stats"] = stats.to_dict()


def _rials(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _plans(job: _Job, prepared: _Prepared, work: Path) -> list[ChunkPlan]:
    """The chunks as a send would make them; the journal is read only if it exists."""
    args = (prepared.clean, job.from_number, job.send_time)
    options: dict[str, Any] = {"chunk_rows": job.chunk_rows, "resend": job.resend, "tmp_dir": work}
    if not job.journal.exists():  # nothing journaled yet: do not create it in a dry run
        return plan_clean_csv(*args, **options)
    with Journal(job.journal) as journal:
        plans = plan_clean_csv(*args, journal=journal, **options)
        if not job.resend:
            _warn_legacy(
                _Out(as_json=False), job, journal, plans=plans, prepared=prepared, work=work
            )
        return plans


def _warn_legacy(
    out: _Out,
    job: _Job,
    journal: Journal,
    *,
    plans: Sequence[ChunkPlan] | None,
    prepared: _Prepared,
    work: Path,
) -> None:
    """Warn when chunks an older p2pfile journaled (no row keys) match none of these rows.

    Such records are recognized only byte for byte: the same clean rows cut
    the same way (the sender recuts at their chunk size). Rows edited, added
    or removed since are not recognized, so a row they carried can go again.
    Only a warning: on a sender line used for many campaigns these records
    would otherwise block every new send, and --resend would drop all
    protection.
    """
    legacy = journal.legacy_chunks(job.from_number, job.send_time)
    if not legacy:
        return
    if plans is None:
        plans = plan_clean_csv(
            prepared.clean,
            job.from_number,
            job.send_time,
            chunk_rows=job.chunk_rows,
            journal=journal,
            tmp_dir=work,
        )
    used = {r.id for p in plans for r in p.earlier}
    unmatched = [r for r in legacy if r.id not in used]
    if not unmatched or not any(p.action == "send" for p in plans):
        return
    ids = ", ".join(f"#{r.id}" for r in unmatched[:_SHOWN_RECORDS]) + (
        ", ..." if len(unmatched) > _SHOWN_RECORDS else ""
    )
    lines = [
        f"p2pfile: warning: journal {ids}: {_plural(len(unmatched), 'chunk')} an older "
        f"p2pfile sent from {job.from_number}"
        + (f" for {_when(job.send_time.astimezone(UTC))}" if job.send_time else "")
        + " match none of these rows. Such records are recognized only when the same "
        "clean rows come again in the same places; if this file repeats rows they carried "
        "(edited, reordered or with rows added since), those rows go out again"
    ]
    for line in lines:
        click.echo(line, err=True)
    out.data["legacy_journal_ids"] = [r.id for r in unmatched]


_ACTIONS = {"send": "would be sent", "skip": "would be skipped", "refuse": "refused"}


def _report_request(out: _Out, job: _Job, plans: Sequence[ChunkPlan]) -> None:
    fields = form_fields(job.from_number, job.send_time)
    headers = {
        **request_headers(None),
        "Content-Type": "multipart/form-data; boundary=<random>",
    }
    to_send = [p for p in plans if p.action == "send"]
    count = f"{_plural(len(to_send), 'request')}" + (
        f" of up to {job.chunk_rows:,} rows" if len(to_send) > 1 and job.chunk_rows else ""
    )
    out.say(f"request: POST {job.url} ({count})")
    for name, value in headers.items():
        out.say(f"  header {name}: {value}")
    for name, value in fields.items():
        out.say(f"  field {name}: {value}")
    for plan in plans:
        why = _ACTIONS[plan.action]
        if plan.action == "send":
            out.say(
                f"  field {FILE_FIELD}: {plan.filename} ({CSV_CONTENT_TYPE}), clean rows "
                f"{_rows_of(plan)}, sha256 {plan.sha256[:12]}: {why}"
            )
            continue
        earlier = "; ".join(
            f"journal #{r.id} {_status_text(r)} since {_when(r.started_at)}"
            for r in plan.earlier[-_SHOWN_RECORDS:]
        )
        out.say(f"  clean rows {plan.first_row:,}-{plan.last_row:,}: {why}: {earlier}")
    skipped = [p for p in plans if p.action == "skip"]
    if skipped and to_send:
        out.say(
            f"would send {_plural(sum(p.rows for p in to_send), 'row')} in "
            f"{_plural(len(to_send), 'request')}; {_skipped_text(skipped, 'would be skipped')}"
        )
    out.data["request"] = {
        "method": "POST",
        "url": job.url,
        "headers": headers,
        "fields": fields,
        "files": [
            {
                "field": FILE_FIELD,
                "filename": plan.filename,
                "content_type": CSV_CONTENT_TYPE,
                "first_row": plan.first_row,
                "last_row": plan.last_row,
                "row_ranges": [list(r) for r in plan.row_ranges] or None,
                "rows": plan.rows,
                "sha256": plan.sha256,
                "action": plan.action,
                "journal_ids": [r.id for r in plan.earlier],
            }
            for plan in plans
        ],
    }
    out.data["rows_to_send"] = sum(p.rows for p in to_send)
    out.data["rows_skipped"] = sum(p.rows for p in skipped)
    out.data["journal"] = str(job.journal)


def _report_token(out: _Out, token_file: str | None) -> None:
    source = f"token file {token_file}" if token_file else f"${TOKEN_ENV}"
    try:
        load_token(os.environ, token_file)
    except UsageError as exc:  # its message never holds what was read
        out.say(f"token: {exc} (a real send stops here)")
        out.data["token"] = {"source": source, "found": False, "problem": str(exc)}
        return
    out.say(f"token: found in {source} (sent as Authorization, never shown)")
    out.data["token"] = {"source": source, "found": True, "problem": None}


def _plan_verdict(out: _Out, job: _Job, plans: Sequence[ChunkPlan]) -> int:
    refused = [p for p in plans if p.action == "refuse"]
    if refused:
        records = list({r.id: r for p in refused for r in p.earlier}.values())
        in_flight = all(r.status == "pending" for r in records)
        out.error(
            [
                "p2pfile: a send would be refused: clean rows "
                + ", ".join(f"{p.first_row:,}-{p.last_row:,}" for p in refused[:_SHOWN_RECORDS])
                + (", ..." if len(refused) > _SHOWN_RECORDS else "")
                + (
                    " are being uploaded by another run (or one that died mid-request)"
                    if in_flight
                    else " may have been sent already (an upload whose outcome is unknown)"
                ),
                *_record_lines(records),
                *_unknown_advice([r.id for r in records], chunks=len(plans), records=records),
            ]
        )
        return 3
    if plans and all(p.action == "skip" for p in plans):
        out.error(_already_sent_lines(job, plans))
        return 3
    return 0


# ---------------------------------------------------------------- the real send


def _upload(out: _Out, job: _Job, prepared: _Prepared, token: str, work: Path) -> int:
    out.data["dry_run"] = False
    out.data["journal"] = str(job.journal)
    try:
        with (
            Journal(job.journal) as journal,
            Client(token, base_url=job.base_url, timeout=job.timeout) as client,
        ):
            if not job.resend:
                _warn_legacy(out, job, journal, plans=None, prepared=prepared, work=work)
            try:
                outcomes = send_clean_csv(
                    client,
                    journal,
                    prepared.clean,
                    job.from_number,
                    job.send_time,
                    chunk_rows=job.chunk_rows,
                    resend=job.resend,
                    tmp_dir=work,
                )
            except RefusedError as exc:
                if not exc.journal_ids:
                    raise
                records = _records(journal, exc.journal_ids)
                return _journal_refusal(out, exc, records, _chunk_count(job, prepared))
    except SendError as exc:
        out.error(_failure_lines(exc, None), _error_json(exc))
        return 3
    return _report_outcomes(out, job, outcomes)


def _chunk_count(job: _Job, prepared: _Prepared) -> int:
    rows = prepared.result.rows_written
    return -(-rows // job.chunk_rows) if job.chunk_rows else 1


def _records(journal: Journal, ids: Sequence[int]) -> list[JournalRecord]:
    records = []
    for id_ in ids[:_SHOWN_RECORDS]:
        with contextlib.suppress(SendError, UsageError):
            records.append(journal.get(id_))
    return records


def _rows_of(o: ChunkOutcome | ChunkPlan) -> str:
    """``a-b``, or the runs of rows a chunk gathered around rows sent before: ``3, 8-9``."""
    if not o.row_ranges:
        return f"{o.first_row:,}-{o.last_row:,}"
    runs = o.row_ranges
    shown = [f"{a:,}" if a == b else f"{a:,}-{b:,}" for a, b in runs[:_SHOWN_RECORDS]]
    more = f", ... ({o.rows:,} rows)" if len(runs) > _SHOWN_RECORDS else ""
    return ", ".join(shown) + more


def _chunk_name(o: ChunkOutcome | ChunkPlan) -> str:
    where = f"clean rows {_rows_of(o)}"
    return (
        f"chunk {o.index}/{o.count} ({where}, {o.filename})"
        if o.count > 1
        else f"{o.filename} ({where})"
    )


def _chunk_line(o: ChunkOutcome) -> str:
    journal = f" (journal #{o.journal_id})" if o.journal_id is not None else ""
    if o.status == "sent":
        what = f"sent, outbox ids {_ids_text(o.outbox_ids)}"
        if o.overrode_mark:
            what += (
                f"; journal #{o.journal_id} had been marked failed by hand during the "
                "upload: the provider's answer overrides that mark (recorded as sent)"
            )
    elif o.status == "skipped":
        last = o.earlier[-1]
        what = f"skipped: sent at {_when(last.started_at)}, outbox ids {_ids_text(o.outbox_ids)}"
        journal = f" (journal #{last.id})"
    elif o.status == "failed":
        what = "failed: nothing was sent"
    elif o.status == "unknown":
        what = "UNKNOWN: may or may not have been accepted"
    else:
        what = "not attempted"
    return f"{_chunk_name(o)}: {what}{journal}"


def _chunk_json(o: ChunkOutcome) -> dict[str, Any]:
    return {
        "index": o.index,
        "count": o.count,
        "first_row": o.first_row,
        "last_row": o.last_row,
        "row_ranges": [list(r) for r in o.row_ranges] or None,
        "rows": o.rows,
        "sha256": o.sha256,
        "filename": o.filename,
        "status": o.status,
        "journal_id": o.journal_id,
        "outbox_ids": list(o.outbox_ids),
        "earlier_journal_ids": [r.id for r in o.earlier],
        "overrode_mark": o.overrode_mark,
        "error": _error_json(o.error) if o.error is not None else None,
    }


def _report_outcomes(out: _Out, job: _Job, outcomes: Sequence[ChunkOutcome]) -> int:
    for outcome in outcomes:
        out.say(_chunk_line(outcome))
    out.data["chunks"] = [_chunk_json(o) for o in outcomes]
    sent = [o for o in outcomes if o.status == "sent"]
    out.data["sent_rows"] = sum(o.rows for o in sent)
    out.data["skipped_rows"] = sum(o.rows for o in outcomes if o.status == "skipped")
    out.data["outbox_ids"] = [i for o in sent for i in o.outbox_ids]
    failed = next((o for o in outcomes if o.error is not None), None)
    if failed is not None and failed.error is not None:
        out.error(_failure_lines(failed.error, failed, outcomes), _error_json(failed.error))
        return 3
    if not sent:
        out.error(_already_sent_lines(job, outcomes))
        return 3
    skipped = [o for o in outcomes if o.status == "skipped"]
    out.say(
        f"sent {_plural(out.data['sent_rows'], 'row')} in {_plural(len(sent), 'request')}"
        + (f", scheduled for {_when(job.send_time.astimezone(UTC))}" if job.send_time else "")
        + f"; {_plural(len(out.data['outbox_ids']), 'outbox id')}"
        + (f"; {_skipped_text(skipped, 'skipped')}" if skipped else "")
        + f"; journal: {job.journal}"
    )
    return 0


def _skipped_text(items: Sequence[ChunkOutcome | ChunkPlan], verb: str) -> str:
    """``N rows skipped as sent earlier (clean rows a-b in journal #i, ...)``."""
    rows = sum(i.rows for i in items)
    where = ", ".join(
        f"{i.first_row:,}-{i.last_row:,} in journal {', '.join(f'#{r.id}' for r in i.earlier)}"
        for i in items[:_SHOWN_RECORDS]
    )
    more = f", and {len(items) - _SHOWN_RECORDS:,} more" if len(items) > _SHOWN_RECORDS else ""
    return f"{_plural(rows, 'row')} {verb} as sent earlier (clean rows {where}{more})"


def _failure_lines(
    exc: SendError, chunk: ChunkOutcome | None, outcomes: Sequence[ChunkOutcome] = ()
) -> list[str]:
    """One line saying what stopped the send, then what the provider said and what to do."""
    where = f"{_chunk_name(chunk)}: " if chunk is not None and chunk.count > 1 else ""
    lines = [f"p2pfile: send failed: {where}{exc}"]
    if isinstance(exc, ProviderError):
        if exc.provider_message or exc.message_code:
            lines.append(
                f"  provider says: {exc.provider_message or '(no message)'} "
                f"(HTTP {exc.status_code}, message_code {exc.message_code or '-'})"
            )
        fields = list(exc.field_errors.items())
        lines.extend(
            f"  field {name}: {_messages(msgs)}" if name else f"  error: {_messages(msgs)}"
            for name, msgs in fields[:_SHOWN_FIELDS]
        )
        if len(fields) > _SHOWN_FIELDS:
            lines.append(f"  ... and {len(fields) - _SHOWN_FIELDS:,} more fields (--json has all)")
    if isinstance(exc, AuthError):
        lines.append(
            f"  check the token in ${TOKEN_ENV} or --token-file: a login token lasts 10 hours, "
            "an API key made in the panel does not expire"
        )
    lines.extend(_next_step(chunk, outcomes))
    return lines


def _messages(messages: Sequence[str]) -> str:
    more = len(messages) - _SHOWN_FIELDS
    return "; ".join(messages[:_SHOWN_FIELDS]) + (f"; and {more:,} more" if more > 0 else "")


def _next_step(chunk: ChunkOutcome | None, outcomes: Sequence[ChunkOutcome]) -> list[str]:
    if chunk is None:
        return []
    done = sum(1 for o in outcomes if o.status in ("sent", "skipped") and o is not chunk)
    earlier = f"the {_plural(done, 'chunk')} before it went out; " if done else ""
    if chunk.status == "unknown":
        ids = () if chunk.journal_id is None else (chunk.journal_id,)
        return [
            f"  {earlier}journal #{chunk.journal_id} records this upload as unknown",
            *_unknown_advice(ids, chunks=chunk.count),
        ]
    if chunk.status == "sent":  # sent, but the journal could not record it
        return [
            f"  it WAS sent (outbox ids {_ids_text(chunk.outbox_ids)}) but not recorded: "
            "its journal record stays pending, so a rerun refuses rather than sends it twice"
        ]
    if chunk.count == 1:
        return ["  nothing was sent; fix the cause and run the same command again"]
    return [
        f"  {earlier}nothing was sent for this one; fix the cause and run the same command "
        "again: rows already sent are skipped, whatever --chunk-rows"
    ]


def _unknown_advice(
    ids: Sequence[int], *, chunks: int, records: Sequence[JournalRecord] = ()
) -> list[str]:
    """What to do about uploads whose outcome is unknown, without sending anything twice."""
    if records and all(r.status == "pending" for r in records):
        # In flight (or its run died): marking it now would let a rerun send it twice.
        return [
            "  another p2pfile run is uploading these rows now, or died mid-request: wait "
            "for it to finish and run the same command again (p2pfile journal shows how it "
            "ended); do not mark it by hand while it may still be running"
        ]
    mark = ids[0] if ids else "ID"
    resend = (
        "--resend sends every chunk again, those already sent too"
        if chunks > 1
        else "--resend sends it again"
    )
    return [
        "  check the provider's report first, then record what happened and run the same "
        f"command again: p2pfile journal --mark {mark} failed (not sent: the rerun sends it) "
        f"or --mark {mark} sent (the rerun skips it); {resend}"
    ]


def _resend_advice() -> list[str]:
    return ["  to send the same content again anyway, add --resend (recipients get it twice)"]


def _rows_text(r: JournalRecord) -> str:
    if r.first_row is None or r.last_row is None:
        return _plural(r.rows, "row")
    return f"clean rows {r.first_row:,}-{r.last_row:,}"


def _status_text(r: JournalRecord) -> str:
    if r.status == "pending":
        return "pending (in flight, or its run died)"
    return r.status


def _record_lines(records: Sequence[JournalRecord]) -> list[str]:
    return [
        f"  journal #{r.id}: {_status_text(r)} since {_when(r.started_at)}, {r.filename}, "
        f"{_rows_text(r)}"
        + (f", HTTP {r.http_status}" if r.http_status else "")
        + (f", {r.message_code}" if r.message_code else "")
        for r in records
    ]


def _journal_refusal(
    out: _Out, exc: RefusedError, records: Sequence[JournalRecord], chunks: int
) -> int:
    out.error(
        [
            f"p2pfile: refused: {exc}",
            *_record_lines(records),
            *_unknown_advice(exc.journal_ids, chunks=chunks, records=records),
        ],
        _error_json(exc),
    )
    return 3


def _already_sent_lines(job: _Job, items: Sequence[ChunkOutcome | ChunkPlan]) -> list[str]:
    """Every clean row was sent before (whatever its chunks were): which, where, what to do."""
    rows = sum(i.rows for i in items)
    lines = [
        f"p2pfile: refused: {job.source} was already sent from {job.from_number}"
        + (f" for {_when(job.send_time.astimezone(UTC))}" if job.send_time else "")
        + f"; nothing was sent now (journaled as sent: clean rows 1-{rows:,})"
    ]
    for item in items[:_SHOWN_RECORDS]:
        lines.extend(
            f"  journal #{r.id}: sent at {_when(r.started_at)}, "
            + (
                _rows_text(r)
                if r.content_sha256 == item.content_sha256
                else f"{_plural(r.rows, 'row')} of {r.filename}"
            )
            + f", outbox ids {_ids_text(r.outbox_ids)}"
            + (
                f" (covers clean rows {item.first_row:,}-{item.last_row:,} of this file)"
                if (r.first_row, r.last_row) != (item.first_row, item.last_row)
                or r.content_sha256 != item.content_sha256
                else ""
            )
            for r in item.earlier[-1:]
        )
    if len(items) > _SHOWN_RECORDS:
        lines.append(f"  ... and {len(items) - _SHOWN_RECORDS:,} more row ranges (--json has all)")
    return lines + _resend_advice()


# ---------------------------------------------------------------- the commands


#: Shared by ``send`` and ``journal``: both must find the same journal.
_JOURNAL_OPTION = click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False),
    help="The send journal [default: $XDG_STATE_HOME/p2pfile/journal.sqlite3].",
)


@click.command("send")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--from",
    "from_number",
    required=True,
    metavar="NUMBER",
    help="The account's sender line in E.164, e.g. +983000505.",
)
@click.option(
    "--at",
    metavar="TIME",
    help="Schedule the send: 'YYYY-MM-DD HH:MM[:SS]' read in --tz, or ISO 8601 with an "
    "offset (2025-03-12T21:20:00+03:30). Sent to the provider in UTC. Default: now.",
)
@click.option(
    "--tz", metavar="ZONE", help="IANA time zone of --at, e.g. Asia/Tehran [default: UTC]."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show rows, parts, cost, chunks and the exact request; make no request, write "
    "nothing, need no token.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out rows no safe fix can save, write them to --rejects, send the rest.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="With --skip-invalid: where left-out rows go [default: STEM.rejects.csv beside PATH].",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="Upload at most N rows per request [default: the whole file in one].",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send every row, even those the journal says were sent or may have been "
    "(recipients may get them twice).",
)
@click.option(
    "--base-url",
    envvar="P2PFILE_BASE_URL",
    show_envvar=True,
    default=DEFAULT_BASE_URL,
    show_default=True,
    metavar="URL",
    help="The provider's API base URL.",
)
@_JOURNAL_OPTION
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help=f"Read the API token from this file (chmod 600) instead of ${TOKEN_ENV}.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=_DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long to connect, and for each read and write; no answer in time after "
    "the upload means an unknown outcome.",
)
@click.option(
    "--tariff",
    "tariff_path",
    type=click.Path(dir_okay=False, exists=True),
    help="With --dry-run: price the parts with this TOML tariff instead of the config's.",
)
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file."
)
@click.option("--isolated", is_flag=True, help="Ignore all config files.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON document.")
@_cli.rule_flags
def send_command(  # noqa: PLR0917
    path: str,
    from_number: str,
    at: str | None,
    tz: str | None,
    dry_run: bool,
    skip_invalid: bool,
    rejects: str | None,
    chunk_rows: int | None,
    resend: bool,
    base_url: str,
    journal_path: str | None,
    token_file: str | None,
    timeout: float,
    tariff_path: str | None,
    config_path: str | None,
    isolated: bool,
    as_json: bool,
    overrides: dict[str, object],
) -> int:
    """Upload a recipient file (CSV or XLSX) as its canonical clean form.

    The file goes through the safe fixes of 'p2pfile fix'; what is uploaded
    is the clean CSV that results (E.164 recipients, duplicates dropped),
    never the file as it is. Rows no safe fix can save stop the send unless
    --skip-invalid leaves them out and writes them to a rejects file.

    Every upload is recorded in a local journal before and after the
    request. Rows already sent from the same line for the same time (the
    same recipient and message, in any file) are skipped, and rows whose
    upload has an unknown outcome or is still in flight refuse the send,
    unless --resend; so after a partial failure, or after --skip-invalid
    and a repair of the source, the same command sends only the rows not
    yet sent, whatever --chunk-rows.

    The API token comes from $P2PFILE_TOKEN or --token-file, never from the
    command line, and is never shown.

    \b
    Examples:
      p2pfile send customers.xlsx --from +983000505 --dry-run
      p2pfile send customers.csv --from +983000505 --skip-invalid
      p2pfile send customers.csv --from +983000505 --at '2025-03-13 09:00' --tz Asia/Tehran

    \b
    Exit codes: 0 sent, 1 rows that cannot be sent, 2 usage, config or
    input error, 3 the provider, the network or the journal stopped the
    send. A dry run exits as the send would, short of the provider.
    """
    if config_path and isolated:
        raise click.UsageError("--config and --isolated exclude each other")
    if rejects and not skip_invalid:
        raise click.UsageError("--rejects only says where --skip-invalid writes rows; add it")
    source = Path(path)
    job = _Job(
        source=source,
        from_number=_from_number(from_number),
        send_time=_send_time(at, tz),
        skip_invalid=skip_invalid,
        rejects=_rejects_path(source, rejects),
        chunk_rows=chunk_rows,
        resend=resend,
        base_url=_base_url(base_url),
        journal=Path(journal_path) if journal_path else default_journal_path(),
        timeout=timeout,
    )
    # Read before any work, so a missing token stops the send at once; a dry run needs none.
    token = None if dry_run else load_token(os.environ, token_file)
    settings = _cli._settings_for([path], config_path, isolated, overrides)
    out = _Out(as_json)
    with tempfile.TemporaryDirectory(prefix="p2pfile-send-") as tmp:
        work = Path(tmp)
        prepared = _prepare(source, work, settings)
        _report_file(out, job, prepared)
        _report_schedule(out, job, at, tz)
        if token is None:  # --dry-run
            tariff = load_tariff(tariff_path) if tariff_path else settings.tariff
            stats = compute_stats([path], tariff=tariff, settings=settings)
            return out.finish(_dry_run(out, job, prepared, stats, token_file=token_file, work=work))
        refusal = _row_refusal(job, prepared)
        if refusal:
            out.error(refusal)
            return out.finish(1)
        if prepared.result.rows_rejected:
            _publish_rejects(out, job, prepared)
        return out.finish(_upload(out, job, prepared, token, work))


def _report_schedule(out: _Out, job: _Job, at: str | None, tz: str | None) -> None:
    if job.send_time is None:
        out.say("when: now")
        return
    utc = job.send_time.astimezone(UTC)
    given = f"{at}" + (f" {tz}" if tz else "")
    out.say(f"when: {_when(utc)} (from --at {given})")


@click.command("journal")
@_JOURNAL_OPTION
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    metavar="N",
    help="Show the last N records.",
)
@click.option(
    "--mark",
    type=(int, click.Choice(["sent", "failed"])),
    metavar="ID STATUS",
    help="Record what the provider's report says about an upload whose outcome is unknown: "
    "sent (a rerun skips it) or failed (a rerun sends it).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --mark: also mark a pending upload started less than "
    f"{int(_PENDING_GRACE.total_seconds() // 60)} minutes ago (its run may still be uploading).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
def journal_command(
    journal_path: str | None,
    limit: int,
    mark: tuple[int, str] | None,
    force: bool,
    as_json: bool,
) -> int:
    """List recent uploads from the send journal, newest first.

    Each record is one upload of one chunk: its content's sha256, rows,
    sender line, send time, when it started and ended, and its status:
    sent (with the provider's outbox ids), failed (nothing was sent),
    unknown (check the provider's report before sending it again), or
    pending (in flight, or a run that died before recording an end: counts
    as unknown; --mark leaves a recent one alone without --force).

    \b
    After checking the provider's report for an unknown upload:
      p2pfile journal --mark 12 failed   # it was not sent: a rerun sends it
      p2pfile journal --mark 12 sent     # it was sent: a rerun skips it
    """
    path = Path(journal_path) if journal_path else default_journal_path()
    if force and mark is None:
        raise click.UsageError("--force only goes with --mark")
    try:
        if mark is not None:
            return _mark(path, *mark, force=force, as_json=as_json)
        records = _recent(path, limit)
    except SendError as exc:  # an unusable journal: no send failed, so not exit 3
        click.echo(f"p2pfile: error: {exc}", err=True)
        return _cli.EXIT_ERROR
    if as_json:
        payload = {"journal": str(path), "records": [r.to_dict() for r in records]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif not records:
        click.echo(f"no uploads journaled yet in {path}")
    else:
        click.echo(f"{path}: the last {_plural(len(records), 'upload')}, newest first")
        for record in records:
            for line in _journal_lines(record):
                click.echo(line)
    return _cli.EXIT_CLEAN


def _recent(path: Path, limit: int) -> list[JournalRecord]:
    if not path.exists():  # listing must not create a journal
        return []
    with Journal(path) as journal:
        return journal.recent(limit)


def _mark(path: Path, id_: int, status: str, *, force: bool, as_json: bool) -> int:
    """Settle an unknown (or stale pending) record by hand; sent and failed are final."""
    if not path.exists():
        raise click.UsageError(f"no journal at {path}; nothing to mark")
    final: Literal["sent", "failed"] = "sent" if status == "sent" else "failed"
    with Journal(path) as journal:
        before = record = journal.get(id_)
        age = datetime.now(UTC) - record.started_at
        if record.status == "pending" and age < _PENDING_GRACE and not force:
            minutes = int(_PENDING_GRACE.total_seconds() // 60)
            raise click.UsageError(
                f"journal #{id_} is pending since {_when(record.started_at)}: its run may still "
                "be uploading it, and the provider's answer is what counts. Wait for that run "
                f"to end (p2pfile journal shows the outcome); a record pending for over {minutes} "
                "minutes can be marked, or add --force if you know its run died"
            )
        journal.complete(id_, final, message=f"marked {final} by hand")
        record = journal.get(id_)
    if as_json:
        click.echo(json.dumps(record.to_dict(), ensure_ascii=False, indent=2))
    else:
        rerun = "skips" if final == "sent" else "sends"
        click.echo(f"journal #{id_}: marked {final}; a rerun of the same send {rerun} it")
        if before.status == "pending":
            click.echo(
                "  it was pending: if its run is still uploading and the provider accepts "
                "the upload, that answer and its outbox ids are recorded over this mark"
            )
    return _cli.EXIT_CLEAN


def _journal_lines(r: JournalRecord) -> list[str]:
    status = (
        "pending (in flight, or its run died before recording an end: counts as unknown)"
        if r.status == "pending"
        else r.status
    )
    send_time = _when(r.send_time) if r.send_time else "now"
    content = (
        f", {_rows_text(r)} of content {r.content_sha256[:12]}"
        if r.content_sha256 is not None
        else ""
    )
    lines = [
        f"#{r.id} {status}: started {_when(r.started_at)}, ended {_when(r.finished_at)}",
        f"    {r.filename}, {_plural(r.rows, 'row')}, sha256 {r.sha256[:12]}{content}, "
        f"from {r.from_number}, send {send_time}",
    ]
    http = f"HTTP {r.http_status}" if r.http_status else ""
    answer = ", ".join(part for part in (http, r.message_code or "") if part)
    if r.outbox_ids:
        lines.append(
            f"    outbox ids {_ids_text(r.outbox_ids)}" + (f"; {answer}" if answer else "")
        )
    elif answer or r.message:
        message = f": {r.message[:200]}" if r.message else ""
        lines.append(f"    {answer or 'no answer'}{message}")
    return lines
