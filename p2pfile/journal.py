"""The local send journal: one SQLite row per upload, written before and after the request.

The provider has no idempotency key, so the journal is what stops p2pfile from
sending the same content twice (DESIGN.md, decision 10). A record is keyed by
``(sha256 of the uploaded bytes, from_number, send_time)``, and (schema v2) also
says which clean rows it carried: ``content_sha256``, the digest of the whole
canonical clean CSV the upload was cut from, and ``first_row``..``last_row``,
the 1-based data rows of that content. Rows of the same content, sender and
send time covered by a blocking record are covered whatever the chunk size of
a later run. A record moves through::

    pending ──► sent       the provider answered 2xx, meta.status true, with message ids
            ├─► failed     nothing was sent: no connection, a 4xx (not 429), a redirect
            │              (not 303), or a 2xx whose meta.status is false
            └─► unknown    the body may have reached the provider: no answer, a dropped
                           connection, 429, 5xx, 303, a 2xx without readable ids, ...

``begin`` commits the ``pending`` row *before* the HTTP call, so a process that
dies mid-request leaves a ``pending`` row, which every check treats as
``unknown``. An ``unknown`` (or stale ``pending``) record may later be settled by
hand with :meth:`Journal.complete` once the provider's report says what happened.

The journal lives at ``$XDG_STATE_HOME/p2pfile/journal.sqlite3`` (default
``~/.local/state/p2pfile/journal.sqlite3``), created private to the user. It
never stores the API token or the file's content, only hashes, row numbers and
the file's name.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self, cast, get_args

from p2pfile.errors import JournalError, RefusedError, UsageError

__all__ = [
    "BLOCKING_STATUSES",
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

#: Bump with a migration in ``_migrate`` whenever the table changes.
SCHEMA_VERSION: Final = 2
#: The provider's ``send_time`` format; stored as is so the key matches the request exactly.
SEND_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"

_SCHEMA_V1: Final = (
    """CREATE TABLE uploads (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
    rows         INTEGER NOT NULL CHECK (rows >= 0),
    from_number  TEXT    NOT NULL,
    send_time    TEXT,                -- UTC 'YYYY-MM-DD HH:MM:SS'; NULL = send now
    filename     TEXT    NOT NULL,    -- the name the provider saw in files[]
    started_at   TEXT    NOT NULL,    -- ISO 8601, UTC
    finished_at  TEXT,
    status       TEXT    NOT NULL
                 CHECK (status IN ('pending', 'sent', 'failed', 'unknown')),
    outbox_ids   TEXT    NOT NULL DEFAULT '[]',  -- JSON array of integers
    http_status  INTEGER,
    message_code TEXT,
    message      TEXT
)""",
    "CREATE INDEX uploads_key ON uploads (sha256, from_number, send_time)",
)
#: v2: which rows of which whole clean content an upload carried (NULL: not known).
#: A v1 record's chunk is itself a whole canonical clean CSV (header and rows,
#: the same bytes as a one-request send of them), so it is rows 1..rows of the
#: content whose digest is its sha256: a file sent whole by an older p2pfile
#: still blocks a rerun that cuts it into other chunks.
_SCHEMA_V2: Final = (
    "ALTER TABLE uploads ADD COLUMN content_sha256 TEXT"
    " CHECK (content_sha256 IS NULL OR length(content_sha256) = 64)",
    "ALTER TABLE uploads ADD COLUMN first_row INTEGER",
    "ALTER TABLE uploads ADD COLUMN last_row INTEGER",
    "UPDATE uploads SET content_sha256 = sha256, first_row = 1, last_row = rows WHERE rows > 0",
    "CREATE INDEX uploads_content ON uploads (content_sha256, from_number, send_time)",
)


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
        self._db = _open(self.path)

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
    ) -> int:
        """Record a ``pending`` upload and commit it; return its id.

        ``content_sha256`` and ``first_row`` say which clean rows the upload
        carries: ``first_row``..``first_row + rows - 1`` of the whole clean
        content with that digest. Give both or neither.

        With ``exclusive=True`` the check and the insert are one transaction:
        if the key already has a ``pending``, ``sent`` or ``unknown`` record,
        or such a record of the same content, sender and send time covers any
        of these rows (another process got there first), raise
        :class:`RefusedError` instead.
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
        return cast(int, cursor.lastrowid)

    def complete(
        self,
        id: int,
        status: JournalStatus,
        *,
        outbox_ids: Iterable[int] = (),
        http_status: int | None = None,
        message_code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Finish record ``id`` as ``sent``, ``failed`` or ``unknown``.

        Allowed from ``pending`` and from ``unknown`` (settling an unknown
        upload after checking the provider's report); ``sent`` and ``failed``
        are final.
        """
        if status not in _STATUSES - {"pending"}:
            raise UsageError(f"status must be sent, failed or unknown, not {status!r}")
        ids = [int(i) for i in outbox_ids]
        with self._write() as db:
            row = db.execute("SELECT status FROM uploads WHERE id = ?", (id,)).fetchone()
            if row is None:
                raise UsageError(f"no journal record #{id}")
            if row[0] not in ("pending", "unknown"):
                raise UsageError(f"journal record #{id} is already {row[0]}; it cannot change")
            db.execute(
                "UPDATE uploads SET status = ?, finished_at = ?, outbox_ids = ?,"
                " http_status = ?, message_code = ?, message = ? WHERE id = ?",
                (status, _now(), json.dumps(ids), http_status, message_code, message, id),
            )

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
            raise _journal_error(self.path, exc) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so a check-then-insert
        # cannot interleave with another process doing the same.
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _journal_error(self.path, exc) from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _journal_error(self.path, exc) from None


def _open(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create the file private before SQLite does (it would follow the umask);
        # SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except (OSError, sqlite3.Error) as exc:
        raise _journal_error(path, exc) from None
    try:
        db.row_factory = sqlite3.Row
        _configure(db)
        _migrate(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _configure(db: sqlite3.Connection) -> None:
    try:
        # WAL keeps readers from blocking the writer; some filesystems (network
        # mounts) refuse it, and the rollback journal is still safe there.
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed 'pending' row survives a power cut during the upload.
        db.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error:
        pass


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    # Statement by statement inside one IMMEDIATE transaction (executescript
    # would commit first), so two processes opening a new journal cannot both
    # create the table.
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            version: int = db.execute("PRAGMA user_version").fetchone()[0]
            if version < 1:
                for statement in _SCHEMA_V1:
                    db.execute(statement)
            if version < 2:
                for statement in _SCHEMA_V2:
                    db.execute(statement)
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise _journal_error(path, exc) from None
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"{path}: journal schema version {version} is newer than this p2pfile "
            f"understands ({SCHEMA_VERSION}); upgrade p2pfile"
        )


def _journal_error(path: Path, exc: BaseException) -> JournalError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return JournalError(f"{path}: cannot use the send journal: {reason}")


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
