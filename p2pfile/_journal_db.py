"""The send journal's SQLite file: its schema, how it is opened, and its migrations.

Kept apart from :mod:`p2pfile.journal`, whose records and look-ups are what
the sender uses; this module is what a new version of the table must touch.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Final

from p2pfile.errors import JournalError

__all__ = ["SCHEMA_VERSION", "journal_error", "open_journal"]

#: Bump with a migration in ``_migrate`` whenever the table changes.
SCHEMA_VERSION: Final = 3

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

#: v3: a keyed 64-bit digest per row an upload carried (signed, as SQLite integers
#: are), and the per-journal secret key. One B-tree (WITHOUT ROWID): about 20 bytes
#: a row. Older records have no row keys and keep protecting by content and range.
_SCHEMA_V3: Final = (
    """CREATE TABLE row_keys (
    key       INTEGER NOT NULL,
    upload_id INTEGER NOT NULL REFERENCES uploads (id),
    PRIMARY KEY (key, upload_id)
) WITHOUT ROWID""",
    "CREATE TABLE secret (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL)",
)
_SECRET_BYTES: Final = 32


def open_journal(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create the file private before SQLite does (it would follow the umask);
        # SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        db = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except (OSError, sqlite3.Error) as exc:
        raise journal_error(path, exc) from None
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
        # Row keys: 1M of them fill a 16 MiB B-tree; a larger cache keeps lookups in memory.
        db.execute("PRAGMA cache_size=-65536")
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
            if version < 3:
                for statement in _SCHEMA_V3:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO secret (id, key) VALUES (1, ?)", (os.urandom(_SECRET_BYTES),)
                )
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise journal_error(path, exc) from None
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"{path}: journal schema version {version} is newer than this p2pfile "
            f"understands ({SCHEMA_VERSION}); upgrade p2pfile"
        )


def journal_error(path: Path, exc: BaseException) -> JournalError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return JournalError(f"{path}: cannot use the send journal: {reason}")
