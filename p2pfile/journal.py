"""The local send journal: one SQLite row per upload, written before and after the request.

The provider has no idempotency key, so the journal is what stops p2pfile from
sending the same content twice (DESIGN.md, decision 10). A record is keyed by
``(sha256 of the uploaded bytes, from_number, send_time)``, and (schema v2) also
says which clean rows it carried: ``content_sha256``, the digest of the whole
canonical clean CSV the upload was cut from, and ``first_row``..``last_row``,
the 1-based data rows of that content. Rows of the same content, sender and
send time covered by a blocking record are covered whatever the chunk size of
a later run. Schema v3 also keys every *row* an upload carried: a keyed 64-bit
digest (BLAKE2b, with a random secret made once per journal) of the row's
canonical CSV line, that is of its E.164 recipient and message. A row already
sent from the same sender for the same send time is recognized in any file,
however the file was edited or cut since. The keys cannot be read back into
numbers or messages without the journal's own secret. A record moves through::

    pending ──► sent       the provider answered 2xx, meta.status true, with message ids
            ├─► failed     nothing was sent: no connection, a 4xx (not 429), a redirect
            │              (not 303), or a 2xx whose meta.status is false
            └─► unknown    the body may have reached the provider: no answer, a dropped
                           connection, 429, 5xx, 303, a 2xx without readable ids, ...

``begin`` commits the ``pending`` row (and its row keys) *before* the HTTP call,
so a process that dies mid-request leaves a ``pending`` row, which every check
treats as ``unknown``. An ``unknown`` (or stale ``pending``) record may later be
settled by hand with :meth:`Journal.complete` once the provider's report says
what happened. The provider's own answer is the better witness: the sender
records a ``sent`` answer with ``answer=True``, which overrides a ``failed`` mark
made by hand while the request was in flight.

The journal lives at ``$XDG_STATE_HOME/p2pfile/journal.sqlite3`` (default
``~/.local/state/p2pfile/journal.sqlite3``), created private to the user. It
never stores the API token or the file's content, only hashes, keyed row
digests, row numbers and the file's name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self, cast, get_args, overload

from p2pfile._journal_db import SCHEMA_VERSION, journal_error, open_journal
from p2pfile.errors import RefusedError, UsageError

__all__ = [
    "BLOCKING_STATUSES",
    "SCHEMA_VERSION",
    "Journal",
    "JournalRecord",
    "JournalStatus",
    "default_journal_path",
    "format_send_time",
]

JournalStatus = Literal["pending", "sent", "failed", "unknown"]
_STATUSES: Final = frozenset(get_args(JournalStatus))
#: Statuses a plain (non-resend) upload of the same key must respect.
BLOCKING_STATUSES: Final = frozenset({"pending", "sent", "unknown"})

#: The provider's ``send_time`` format; stored as is so the key matches the request exactly.
SEND_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_PART: Final = re.compile(r"\.part-([0-9]+)-of-([0-9]+)\.csv$")

#: Statuses whose row keys count, as SQL.
_BLOCKING_SQL: Final = "('pending', 'sent', 'unknown')"


def default_journal_path(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME/p2pfile/journal.sqlite3``, or under ``~/.local/state``.

    A relative ``XDG_STATE_HOME`` is ignored, as the XDG spec requires.
    """
    state = env.get("XDG_STATE_HOME", "")
    base = Path(state) if state and os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "p2pfile" / "journal.sqlite3"


@dataclass(frozen=True)
class JournalRecord:
    """One upload as the journal saw it. Times are aware UTC datetimes."""

    id: int
    sha256: str
    rows: int
    from_number: str
    send_time: datetime | None
    filename: str
    started_at: datetime
    finished_at: datetime | None
    status: JournalStatus
    outbox_ids: tuple[int, ...]
    http_status: int | None
    message_code: str | None
    message: str | None
    #: The digest of the whole clean content this upload was cut from, and the
    #: 1-based data rows of it that the upload carried (None: not recorded).
    content_sha256: str | None = None
    first_row: int | None = None
    last_row: int | None = None

    def covers(self, first_row: int, last_row: int) -> bool:
        """Whether this record's clean rows overlap ``first_row``..``last_row``."""
        if self.first_row is None or self.last_row is None:
            return False
        return self.first_row <= last_row and first_row <= self.last_row

    @property
    def part(self) -> tuple[int, int] | None:
        """``(k, n)`` when the file name says ``stem.part-k-of-n.csv``, else None."""
        found = _PART.search(self.filename)
        if found is None:
            return None
        k, n = int(found[1]), int(found[2])
        return (k, n) if 1 <= k <= n and n > 1 else None

    @property
    def effective_status(self) -> JournalStatus:
        """``status``, except that a ``pending`` record counts as ``unknown``.

        A pending record means a process began the request and never recorded
        its end (it died, or is still running): the upload may have happened.
        """
        return "unknown" if self.status == "pending" else self.status

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: times as ISO 8601 strings, ids as a list."""
        return {
            "id": self.id,
            "sha256": self.sha256,
            "rows": self.rows,
            "from_number": self.from_number,
            "send_time": _iso(self.send_time),
            "filename": self.filename,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "status": self.status,
            "outbox_ids": list(self.outbox_ids),
            "http_status": self.http_status,
            "message_code": self.message_code,
            "message": self.message,
            "content_sha256": self.content_sha256,
            "first_row": self.first_row,
            "last_row": self.last_row,
        }


class Journal:
    """The SQLite journal. Use as a context manager, or call :meth:`close`.

    ``path=None`` uses :func:`default_journal_path`. Every write is its own
    committed transaction (``synchronous=FULL``), so a row is on disk before
    the caller goes on to make the HTTP request.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self._db = open_journal(self.path)
        try:
            self._secret: bytes = self._db.execute(
                "SELECT key FROM secret WHERE id = 1"
            ).fetchone()[0]
        except (sqlite3.Error, TypeError) as exc:
            self._db.close()
            raise journal_error(self.path, exc) from None

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database. Idempotent."""
        self._db.close()

    def begin(
        self,
        sha256: str,
        rows: int,
        from_number: str,
        send_time: datetime | None,
        filename: str,
        *,
        exclusive: bool = False,
        content_sha256: str | None = None,
        first_row: int | None = None,
        row_keys: Sequence[int] = (),
    ) -> int:
        """Record a ``pending`` upload and commit it; return its id.

        ``row_keys`` are the :meth:`row_hasher` keys of the rows the upload
        carries; they are stored with the record, in the same transaction.

        ``content_sha256`` and ``first_row`` say which clean rows the upload
        carries: ``first_row``..``first_row + rows - 1`` of the whole clean
        content with that digest. Give both or neither.

        With ``exclusive=True`` the check and the insert are one transaction:
        if the key already has a ``pending``, ``sent`` or ``unknown`` record,
        or such a record of the same content, sender and send time covers any
        of these rows, or holds one of ``row_keys`` (another process got
        there first), raise :class:`RefusedError` instead.
        """
        _check_sha256(sha256)
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise UsageError(f"rows must be a non-negative int, not {rows!r}")
        last_row = _check_range(content_sha256, first_row, rows)
        when = format_send_time(send_time)
        with self._write() as db:
            if exclusive:
                earlier = self._select_key(sha256, from_number, when)
                if content_sha256 is not None and first_row is not None:
                    earlier += [
                        r
                        for r in self._select_content(content_sha256, from_number, when)
                        if r.covers(first_row, cast(int, last_row))
                    ]
                if row_keys:
                    hits = self._probe(db, row_keys, from_number, when)
                    earlier += self._records_by_id({upload for _, upload in hits})
                blocking = sorted(
                    {r.id: r for r in earlier if r.status in BLOCKING_STATUSES}.values(),
                    key=lambda r: r.id,
                )
                if blocking:
                    ids = tuple(r.id for r in blocking)
                    raise RefusedError(
                        f"an upload of the same content from {from_number} is already "
                        f"journaled (record {', '.join(f'#{i}' for i in ids)}); not sending again",
                        journal_ids=ids,
                    )
            cursor = db.execute(
                "INSERT INTO uploads (sha256, rows, from_number, send_time, filename,"
                " started_at, status, content_sha256, first_row, last_row)"
                " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                (
                    sha256,
                    rows,
                    from_number,
                    when,
                    filename,
                    _now(),
                    content_sha256,
                    first_row,
                    last_row,
                ),
            )
            record = cast(int, cursor.lastrowid)
            if row_keys:
                db.executemany(
                    "INSERT OR IGNORE INTO row_keys (key, upload_id) VALUES (?, ?)",
                    ((key, record) for key in sorted(row_keys)),
                )
        return record

    def row_hasher(self) -> Callable[[bytes], int]:
        """The function that makes a row's key from its canonical CSV line (bytes).

        A keyed BLAKE2b digest of 64 bits, as a signed integer; the key is this
        journal's own secret, so the digests mean nothing without the journal.
        """
        secret = self._secret
        blake2b, from_bytes = hashlib.blake2b, int.from_bytes

        def key(line: bytes) -> int:
            return from_bytes(blake2b(line, key=secret, digest_size=8).digest(), signed=True)

        return key

    def find_rows(
        self, row_keys: Sequence[int], from_number: str, send_time: datetime | None
    ) -> list[tuple[int, JournalRecord]]:
        """``(index into row_keys, record)`` for each key a blocking record holds.

        Blocking: ``pending``, ``sent`` or ``unknown``, of the same sender and
        send time. Ordered by index, then record id.
        """
        when = format_send_time(send_time)
        if not row_keys:
            return []
        with self._write() as db:
            hits = self._probe(db, row_keys, from_number, when)
            records = {r.id: r for r in self._records_by_id({u for _, u in hits})}
        return [(index, records[upload]) for index, upload in hits]

    def find_row_runs(
        self, row_keys: Sequence[int], from_number: str, send_time: datetime | None
    ) -> list[tuple[int, int, JournalRecord]]:
        """What :meth:`find_rows` finds, as runs: ``(first, last, record)``, indexes inclusive.

        Consecutive indexes one record holds make one run (counted in SQL:
        a million rows give as many runs as they have gaps, not a million tuples).
        """
        when = format_send_time(send_time)
        if not row_keys:
            return []
        with self._write() as db:
            runs = self._probe(db, row_keys, from_number, when, runs=True)
            records = {r.id: r for r in self._records_by_id({u for _, _, u in runs})}
        return [(first, last, records[upload]) for first, last, upload in runs]

    @overload
    def _probe(
        self,
        db: sqlite3.Connection,
        row_keys: Sequence[int],
        from_number: str,
        when: str | None,
        *,
        runs: Literal[False] = False,
    ) -> list[tuple[int, int]]: ...

    @overload
    def _probe(
        self,
        db: sqlite3.Connection,
        row_keys: Sequence[int],
        from_number: str,
        when: str | None,
        *,
        runs: Literal[True],
    ) -> list[tuple[int, int, int]]: ...

    def _probe(
        self,
        db: sqlite3.Connection,
        row_keys: Sequence[int],
        from_number: str,
        when: str | None,
        *,
        runs: bool = False,
    ) -> list[tuple[int, int]] | list[tuple[int, int, int]]:
        """``(index, upload id)`` pairs; inside a write transaction (temp table)."""
        # Plain tuples (no Row objects), the probe scanned in row order and each key
        # looked up in row_keys (CROSS JOIN fixes that order; '+' keeps SQLite from
        # searching row_keys once per blocking record): about 2 s per 1M rows.
        cursor = db.cursor()
        cursor.row_factory = None
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS probe (i INTEGER PRIMARY KEY, key INTEGER)")
        cursor.execute("DELETE FROM probe")
        cursor.executemany("INSERT INTO probe (i, key) VALUES (?, ?)", enumerate(row_keys))
        hits = (
            "SELECT p.i AS i, k.upload_id AS u FROM probe AS p"
            " CROSS JOIN row_keys AS k ON k.key = p.key"
            " WHERE +k.upload_id IN (SELECT id FROM uploads"
            f" WHERE status IN {_BLOCKING_SQL} AND from_number = ? AND send_time IS ?)"
        )
        if runs:  # gaps and islands: i - rank is constant along a run of one record
            found: list[Any] = cursor.execute(
                "SELECT min(i), max(i), u FROM (SELECT i, u,"
                f" i - row_number() OVER (PARTITION BY u ORDER BY i) AS g FROM ({hits}))"
                " GROUP BY u, g ORDER BY 1, 3",
                (from_number, when),
            ).fetchall()
        else:
            found = sorted(cursor.execute(hits, (from_number, when)).fetchall())
        cursor.execute("DELETE FROM probe")
        return found

    def _records_by_id(self, ids: Iterable[int]) -> list[JournalRecord]:
        wanted = sorted(set(ids))
        out: list[JournalRecord] = []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ", ".join("?" * len(part))
            out += self._read(
                f"SELECT * FROM uploads WHERE id IN ({marks}) ORDER BY id", tuple(part)
            )
        return out

    def legacy_chunks(self, from_number: str, send_time: datetime | None) -> list[JournalRecord]:
        """Blocking records an older p2pfile (schema v1) made of one chunk of a larger file.

        They hold only the chunk's own sha256 (and, since v2, the chunk taken
        as its own content): no row keys, no place in the whole file. Their
        file name says which part of how many they were (``stem.part-k-of-n.csv``).
        """
        records = self._read(
            "SELECT * FROM uploads WHERE from_number = ? AND send_time IS ?"
            f" AND status IN {_BLOCKING_SQL} AND content_sha256 = sha256"
            " AND filename GLOB '*.part-[0-9]*-of-[0-9]*.csv'"
            # No check for row keys (row_keys is keyed by key, not by upload): a
            # newer one-chunk send of a file named like a part only costs a recut.
            " ORDER BY id",
            (from_number, format_send_time(send_time)),
        )
        return [r for r in records if r.part is not None]

    def complete(
        self,
        id: int,
        status: JournalStatus,
        *,
        outbox_ids: Iterable[int] = (),
        http_status: int | None = None,
        message_code: str | None = None,
        message: str | None = None,
        answer: bool = False,
    ) -> JournalStatus:
        """Finish record ``id`` as ``sent``, ``failed`` or ``unknown``; return its status before.

        Allowed from ``pending`` and from ``unknown`` (settling an unknown
        upload after checking the provider's report); ``sent`` and ``failed``
        are final, with one exception: ``answer=True`` says the status is the
        provider's own answer to this request, and a ``sent`` answer then
        overrides a ``failed`` (or ``sent``, without ids) set meanwhile by hand:
        the ids are recorded; the caller should say that a ``failed`` mark was
        overridden.
        """
        if status not in _STATUSES - {"pending"}:
            raise UsageError(f"status must be sent, failed or unknown, not {status!r}")
        ids = [int(i) for i in outbox_ids]
        with self._write() as db:
            row = db.execute("SELECT status FROM uploads WHERE id = ?", (id,)).fetchone()
            if row is None:
                raise UsageError(f"no journal record #{id}")
            before: JournalStatus = row[0]
            # A hand mark made while the request was in flight: the answer's ids win.
            overridable = answer and status == "sent" and before in ("failed", "sent")
            if before not in ("pending", "unknown") and not overridable:
                raise UsageError(f"journal record #{id} is already {before}; it cannot change")
            if overridable and before == "failed":
                message = f"{message or 'sent'} (the provider's answer; it overrides a failed mark)"
            db.execute(
                "UPDATE uploads SET status = ?, finished_at = ?, outbox_ids = ?,"
                " http_status = ?, message_code = ?, message = ? WHERE id = ?",
                (status, _now(), json.dumps(ids), http_status, message_code, message, id),
            )
        return before

    def get(self, id: int) -> JournalRecord:
        """The record with this id (UsageError if there is none)."""
        row = self._read("SELECT * FROM uploads WHERE id = ?", (id,))
        if not row:
            raise UsageError(f"no journal record #{id}")
        return row[0]

    def find(
        self, sha256: str, from_number: str, send_time: datetime | None
    ) -> list[JournalRecord]:
        """Every record for this key, oldest first."""
        return self._select_key(sha256, from_number, format_send_time(send_time))

    def find_content(
        self, content_sha256: str, from_number: str, send_time: datetime | None
    ) -> list[JournalRecord]:
        """Every record cut from the clean content with this digest, oldest first."""
        _check_sha256(content_sha256)
        return self._select_content(content_sha256, from_number, format_send_time(send_time))

    def recent(self, limit: int = 20) -> list[JournalRecord]:
        """The last ``limit`` records, newest first."""
        return self._read("SELECT * FROM uploads ORDER BY id DESC LIMIT ?", (limit,))

    def _select_key(self, sha256: str, from_number: str, when: str | None) -> list[JournalRecord]:
        # IS, not =, so that a NULL send_time (send now) matches NULL.
        return self._read(
            "SELECT * FROM uploads WHERE sha256 = ? AND from_number = ? AND send_time IS ?"
            " ORDER BY id",
            (sha256, from_number, when),
        )

    def _select_content(
        self, content_sha256: str, from_number: str, when: str | None
    ) -> list[JournalRecord]:
        return self._read(
            "SELECT * FROM uploads WHERE content_sha256 = ? AND from_number = ?"
            " AND send_time IS ? AND first_row IS NOT NULL AND last_row IS NOT NULL ORDER BY id",
            (content_sha256, from_number, when),
        )

    def _read(self, sql: str, params: tuple[object, ...]) -> list[JournalRecord]:
        try:
            return [_record(row) for row in self._db.execute(sql, params)]
        except sqlite3.Error as exc:
            raise journal_error(self.path, exc) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so a check-then-insert
        # cannot interleave with another process doing the same.
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise journal_error(self.path, exc) from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise journal_error(self.path, exc) from None


def _record(row: sqlite3.Row) -> JournalRecord:
    return JournalRecord(
        id=row["id"],
        sha256=row["sha256"],
        rows=row["rows"],
        from_number=row["from_number"],
        send_time=_parse_send_time(row["send_time"]),
        filename=row["filename"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
        status=row["status"],
        outbox_ids=tuple(json.loads(row["outbox_ids"])),
        http_status=row["http_status"],
        message_code=row["message_code"],
        message=row["message"],
        content_sha256=row["content_sha256"],
        first_row=row["first_row"],
        last_row=row["last_row"],
    )


def format_send_time(send_time: datetime | None) -> str | None:
    """The provider's ``send_time`` text (UTC ``YYYY-MM-DD HH:MM:SS``), also the journal key.

    ``None`` (send now) stays ``None``; a naive datetime is a :class:`UsageError`.
    """
    if send_time is None:
        return None
    if not isinstance(send_time, datetime):
        raise UsageError(f"send_time must be a datetime or None, not {type(send_time).__name__}")
    if send_time.tzinfo is None or send_time.utcoffset() is None:
        raise UsageError(
            "send_time must be timezone-aware (e.g. datetime(..., tzinfo=ZoneInfo('Asia/Tehran')));"
            " a naive time is ambiguous"
        )
    return send_time.astimezone(UTC).strftime(SEND_TIME_FORMAT)


def _parse_send_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, SEND_TIME_FORMAT).replace(tzinfo=UTC)


def _check_sha256(sha256: str) -> None:
    if not (
        isinstance(sha256, str)
        and len(sha256) == 64
        and all(c in "0123456789abcdef" for c in sha256)
    ):
        raise UsageError("sha256 must be 64 lowercase hex digits")


def _check_range(content_sha256: str | None, first_row: int | None, rows: int) -> int | None:
    """The last row of ``first_row`` + ``rows``, after checking both come together."""
    if content_sha256 is None and first_row is None:
        return None
    if content_sha256 is None or first_row is None:
        raise UsageError("content_sha256 and first_row go together: give both or neither")
    _check_sha256(content_sha256)
    if isinstance(first_row, bool) or not isinstance(first_row, int) or first_row < 1:
        raise UsageError(f"first_row must be an int >= 1, not {first_row!r}")
    if rows < 1:
        raise UsageError("an upload with a row range carries at least one row")
    return first_row + rows - 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
