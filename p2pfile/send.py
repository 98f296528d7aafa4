"""The sender: upload a clean file to the provider's "peer to peer by file" endpoint.

Three layers, lowest first:

- :class:`Client` makes exactly the documented request (``POST {base}/api/send``,
  multipart, ``sending_type=peer_to_peer_file``), streams the file from disk,
  and turns every answer into a :class:`SendResult` or a :class:`SendError`.
  It does not journal; it retries only connection failures, where nothing
  was sent.
- :mod:`p2pfile.journal` records uploads before and after the request.
- :func:`send_clean_csv` looks up which rows of a clean canonical CSV the
  journal has seen (by each row's keyed digest, in any file; and, for
  records older than journal v3, by the digest of the whole clean content
  and row ranges, whatever the chunk size of earlier runs), refuses or skips
  them, cuts the rest into chunks and sends them in order, stopping at the
  first failure.

The provider has no idempotency key: a request whose body may have reached it
is never retried, and is reported with ``outcome_unknown`` (DESIGN.md,
decision 10). The API token never appears in a message, a repr or the journal
(decision 9). Nothing here prints or exits (decision 5).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import ipaddress
import itertools
import json
import math
import os
import re
import stat
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final, Literal, Self, cast

import httpx

from p2pfile._version import __version__
from p2pfile.errors import (
    AuthError,
    InputFileError,
    JournalError,
    OutcomeUnknownError,
    ProviderError,
    RefusedError,
    SendError,
    TransportError,
    UsageError,
)
from p2pfile.journal import BLOCKING_STATUSES, Journal, JournalRecord, format_send_time

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

__all__ = [
    "CSV_CONTENT_TYPE",
    "DEFAULT_BASE_URL",
    "FILE_FIELD",
    "TOKEN_ENV",
    "XLSX_CONTENT_TYPE",
    "ChunkAction",
    "ChunkOutcome",
    "ChunkPlan",
    "ChunkStatus",
    "Client",
    "SendResult",
    "check_base_url",
    "check_from_number",
    "form_fields",
    "load_token",
    "plan_clean_csv",
    "request_headers",
    "send_clean_csv",
]

DEFAULT_BASE_URL: Final = "https://edge.ippanel.com/v1"
TOKEN_ENV: Final = "P2PFILE_TOKEN"
CSV_CONTENT_TYPE: Final = "text/csv"
XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CONTENT_TYPES: Final = {".csv": CSV_CONTENT_TYPE, ".xlsx": XLSX_CONTENT_TYPE}
USER_AGENT: Final = f"p2pfile/{__version__} (+httpx)"
#: The multipart field that carries the file, as documented.
FILE_FIELD: Final = "files[]"

#: A sender line of the account, E.164: +98 then 4 to 14 digits (ASCII only).
_FROM_NUMBER: Final = re.compile(r"\+98[0-9]{4,14}")
#: Tokens and API keys are visible ASCII; anything else cannot be a header value.
_TOKEN: Final = re.compile(r"[\x21-\x7e]+")
_MAX_TOKEN_FILE: Final = 64 * 1024
_EXCERPT: Final = 200
#: A provider message or field error longer than this is cut in one-line messages.
_MESSAGE_LIMIT: Final = 300
_FIELDS_SHOWN: Final = 5
#: C0 and C1 control characters: never echoed from an answer to a terminal.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: An outbox id sent as a string (as JSON Schema's ``pattern`` reads it: re.search).
_ID_TEXT: Final = re.compile(r"^[0-9]{1,19}$")
#: An answer may be this much larger than the upload (see _body_limit).
_BODY_ALLOWANCE: Final = 16 * 1024 * 1024
#: Bytes a second below which a body still arriving after ``timeout`` is given up.
_MIN_BODY_RATE: Final = 16 * 1024
_HEADER: Final = ["recipient", "message"]
#: The canonical header line: every chunk starts with it, and so does the content digest.
_HEADER_LINE: Final = b"recipient,message\n"
_COPY_BLOCK: Final = 1024 * 1024
#: RFC 4180: quote a field holding a comma, a quote or a line break. (csv.writer
#: does not quote a lone CR when the line terminator is LF, so it is not used.)
_NEEDS_QUOTES: Final = re.compile(r'[,"\r\n]')


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class SendResult:
    """A successful upload: the provider's ids, one per message in the file."""

    message_outbox_ids: tuple[int, ...]
    status_code: int
    message_code: str | None
    message: str | None


ChunkStatus = Literal["sent", "skipped", "failed", "unknown", "not_attempted"]


@dataclass(frozen=True)
class ChunkOutcome:
    """What :func:`send_clean_csv` did with one chunk.

    ``status``:

    - ``sent``: uploaded by this run; ``outbox_ids`` are the provider's ids.
    - ``skipped``: earlier runs sent these rows of the same clean content
      (``earlier``, whatever chunks they were cut into); not uploaded.
    - ``failed``: this run tried and the upload did not happen (``error``).
    - ``unknown``: this run tried and the upload may have happened (``error``).
    - ``not_attempted``: the run stopped before this chunk; with an ``error``
      when the journal stopped it just before the request.

    The run stops at the first outcome that has an ``error`` (even ``sent``: the
    upload went through but the journal could not record it).
    """

    index: int
    count: int
    first_row: int
    rows: int
    sha256: str
    filename: str
    status: ChunkStatus
    journal_id: int | None = None
    outbox_ids: tuple[int, ...] = ()
    earlier: tuple[JournalRecord, ...] = ()
    error: SendError | None = None
    #: The sha256 of the whole canonical clean CSV this chunk was cut from.
    content_sha256: str = ""
    #: ``sent``, but its journal record had been marked ``failed`` by hand while
    #: the request was in flight: the provider's answer overrode that mark.
    overrode_mark: bool = False
    #: The runs of clean rows the chunk carries, when they are not one run
    #: (rows still to send between rows sent before go in one request).
    row_ranges: tuple[tuple[int, int], ...] = ()

    @property
    def last_row(self) -> int:
        """The 1-based data row of the source file this chunk ends with."""
        return self.row_ranges[-1][1] if self.row_ranges else self.first_row + self.rows - 1


ChunkAction = Literal["send", "skip", "refuse"]


@dataclass(frozen=True)
class ChunkPlan:
    """What :func:`send_clean_csv` would do with one chunk; see :func:`plan_clean_csv`.

    ``action``:

    - ``send``: no earlier upload blocks these rows; they would be uploaded.
    - ``skip``: earlier runs sent these rows of the same content (``earlier``).
    - ``refuse``: earlier uploads of these rows have an unknown outcome
      (``earlier``); the whole run would be refused with :class:`RefusedError`.
    """

    index: int
    count: int
    first_row: int
    rows: int
    sha256: str
    filename: str
    action: ChunkAction
    earlier: tuple[JournalRecord, ...] = ()
    #: The sha256 of the whole canonical clean CSV this chunk was cut from.
    content_sha256: str = ""
    #: The runs of clean rows the chunk carries, when they are not one run.
    row_ranges: tuple[tuple[int, int], ...] = ()

    @property
    def last_row(self) -> int:
        """The 1-based data row of the source file this chunk ends with."""
        return self.row_ranges[-1][1] if self.row_ranges else self.first_row + self.rows - 1


# ---------------------------------------------------------------- token


def load_token(
    env: Mapping[str, str] = os.environ,
    token_file: str | os.PathLike[str] | None = None,
) -> str:
    """The API token from ``token_file`` if given, else from ``$P2PFILE_TOKEN``.

    Surrounding whitespace is stripped. Missing, empty or malformed → :class:`UsageError`
    saying how to provide it, never showing what was read. On POSIX a token
    file that group or others may read or write is refused, as ssh refuses
    such a private key: ``chmod 600`` it.
    """
    if token_file is not None:
        return _token_from_file(Path(token_file))
    value = env.get(TOKEN_ENV)
    if value is None:
        raise UsageError(
            f"no API token: set {TOKEN_ENV} in the environment or use a token file "
            "(chmod 600); the token is never taken from the command line"
        )
    return _check_token(value.strip(), f"${TOKEN_ENV}")


def _token_from_file(path: Path) -> str:
    """A regular file private to the user, or a pipe: a password manager's output
    handed over as ``--token-file <(secret-tool lookup ...)`` or ``/dev/stdin``, so
    that the token is neither in the environment nor on disk."""
    try:
        info = path.stat()
        pipe = stat.S_ISFIFO(info.st_mode)
        if not (stat.S_ISREG(info.st_mode) or pipe):
            raise UsageError(f"token file {path} is not a regular file or a pipe")
        if os.name == "posix" and info.st_mode & 0o077:
            raise UsageError(
                f"token file {path} is accessible by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}"
            )
        if info.st_size > _MAX_TOKEN_FILE:
            raise UsageError(f"token file {path} is too large to hold a token")
        with path.open("rb") as f:  # a pipe has no size: read no more than a token's worth
            raw = f.read(_MAX_TOKEN_FILE + 1)
        if len(raw) > _MAX_TOKEN_FILE:
            raise UsageError(f"token file {path} is too large to hold a token")
    except OSError as exc:
        raise UsageError(f"cannot read token file {path}: {exc.strerror or 'error'}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"token file {path} is not UTF-8 text") from None
    return _check_token(text.strip(), f"token file {path}")


def _check_token(token: object, source: str = "token") -> str:
    # Messages name where the token came from, never what it holds.
    if not isinstance(token, str):
        raise UsageError(f"the API token must be a str, not {type(token).__name__}")
    if not token:
        raise UsageError(f"the API token from {source} is empty")
    if token.lower().startswith("bearer "):
        raise UsageError(
            f"the API token from {source} starts with 'Bearer ': the provider wants the "
            "key alone in the Authorization header; remove 'Bearer '"
        )
    if not _TOKEN.fullmatch(token):
        raise UsageError(
            f"the API token from {source} holds spaces, line breaks or non-ASCII "
            "characters; it must be one line of the key as the provider's panel shows it"
        )
    return token


# ---------------------------------------------------------------- client


class Client:
    """A connection to the provider. Use as a context manager, or call :meth:`close`.

    ``base_url`` must be ``https://``; plain ``http://`` is allowed only for a
    loopback host (tests, local emulators). Connection failures, where nothing
    was sent, are retried ``retries`` times after ``retry_backoff``,
    ``2 * retry_backoff``, ... seconds. ``timeout`` bounds connect, each
    read, each write and the pool wait separately; a read timeout after the
    upload means the outcome is unknown, so give large files a generous one.

    Redirects are never followed (the file would go, with the token, to an
    address it was not given). An answer's body is read up to
    16 MiB + twice the upload, and given up if it still trickles in after
    ``timeout``. What an answer means:

    - 2xx, ``meta.status`` true, readable ids → :class:`SendResult`;
    - 2xx with ``meta.status`` false, 4xx but 429, 3xx but 303 → the
      provider refused: :class:`ProviderError` (:class:`AuthError` for 401);
    - anything else (429, 5xx, 303, a 2xx that is not a readable success,
      a body that broke off after a 2xx) → :class:`ProviderError` with
      ``outcome_unknown``; no answer at all → :class:`OutcomeUnknownError`.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 2,
        retry_backoff: float = 0.5,
    ) -> None:
        self._token = _check_token(token)
        self.base_url, loopback = _check_base_url(base_url)
        self.timeout = _positive("timeout", timeout)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise UsageError(f"retries must be an int >= 0, not {retries!r}")
        self.retries = retries
        self.retry_backoff = _positive("retry_backoff", retry_backoff, allow_zero=True)
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            transport=transport,
            follow_redirects=False,  # a redirected POST could be sent twice
            # Loopback never goes through an environment proxy.
            trust_env=not loopback,
        )

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, token=<hidden>)"

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
        """Close the connection pool. Idempotent."""
        self._http.close()

    @property
    def send_url(self) -> str:
        """The endpoint every upload goes to."""
        return f"{self.base_url}/api/send"

    def send_file(
        self,
        path: str | os.PathLike[str],
        from_number: str,
        send_time: datetime | None = None,
    ) -> SendResult:
        """Upload one CSV or XLSX file as it is on disk. Not journaled.

        ``send_time`` (aware; converted to UTC) schedules the send; ``None``
        sends now. Raises :class:`UsageError` for bad arguments,
        :class:`InputFileError` for an unusable file, :class:`RefusedError` for
        a time in the past, and :class:`SendError` subclasses for everything
        the network or the provider did.
        """
        fields = form_fields(from_number, send_time)
        file_path = Path(path)
        content_type = _content_type(file_path)
        size = _check_upload(file_path)
        answer = self._post(file_path, fields, content_type, size)
        return _result(answer, self._token, self.send_url)

    def _post(self, path: Path, fields: dict[str, str], content_type: str, size: int) -> _Answer:
        attempt = 0
        while True:
            outcome = self._attempt(path, fields, content_type, size)
            if isinstance(outcome, _Answer):
                return outcome
            if outcome.retryable and attempt < self.retries:
                time.sleep(self.retry_backoff * 2**attempt)
                attempt += 1
                continue
            # Raised here, outside any ``except``, so the httpx exception (its
            # request carries the token) is not even the implicit __context__.
            raise outcome.error(attempt + 1)

    def _attempt(
        self, path: Path, fields: dict[str, str], content_type: str, size: int
    ) -> _Answer | _Failure:
        headers = request_headers(self._token)
        try:
            # An open file object makes httpx stream it in 64 KiB blocks with a
            # Content-Length from fstat, instead of reading it into memory.
            with path.open("rb") as upload:
                request = self._http.build_request(
                    "POST",
                    self.send_url,
                    data=fields,
                    files={FILE_FIELD: (path.name, upload, content_type)},
                    headers=headers,
                )
                # stream=True: returns once the status and headers are in; the
                # body is read below, bounded in size and time.
                response = self._http.send(request, stream=True)
        except OSError as exc:
            raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except httpx.RequestError as exc:
            return _classify(exc, self._token, self.timeout, self.send_url)
        try:
            return _read_answer(response, _body_limit(size), self.timeout, self._token)
        finally:
            response.close()


def request_headers(token: str | None = None) -> dict[str, str]:
    """The headers of every upload, as :class:`Client` sends them.

    ``token=None`` shows ``Authorization`` as ``<redacted>``: what a dry run
    prints, so the request can be shown without the secret. httpx adds
    ``Content-Type: multipart/form-data; boundary=...`` and ``Content-Length``.
    """
    return {
        "Authorization": token if token is not None else "<redacted>",  # raw, no "Bearer"
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }


def check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, or :class:`UsageError`.

    The same check :class:`Client` makes, for callers that must refuse a bad
    URL before doing any work (``https://`` only; ``http://`` for loopback).
    """
    return _check_base_url(base_url)[0]


def _check_base_url(base_url: str) -> tuple[str, bool]:
    """``base_url`` without a trailing slash, and whether its host is loopback."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError):
        raise UsageError(f"base_url is not a URL: {base_url!r}") from None
    if not url.host:
        raise UsageError(f"base_url has no host: {base_url!r}; expected e.g. {DEFAULT_BASE_URL}")
    if url.userinfo or url.query or url.fragment:
        # Credentials in a URL would end up in messages; the token has its own header.
        raise UsageError("base_url must not hold credentials, a query or a fragment")
    loopback = _is_loopback(url.host)
    if url.scheme != "https" and not (url.scheme == "http" and loopback):
        raise UsageError(
            f"base_url must use https:// ({base_url!r}); plain http:// is allowed only "
            "for loopback hosts (127.0.0.0/8, ::1, localhost)"
        )
    return str(url).rstrip("/"), loopback


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{name} must be a number of seconds, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or math.isnan(value):
        raise UsageError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, not {value!r}")
    return float(value)


def check_from_number(from_number: object) -> str:
    """``from_number`` if it is a sender line in E.164, else :class:`UsageError`.

    The provider wants the account's line as ``+98`` then 4 to 14 ASCII digits
    (``+983000505``); anything else would only fail there, after the upload.
    """
    if not isinstance(from_number, str) or not _FROM_NUMBER.fullmatch(from_number):
        raise UsageError(
            f"from_number must be a sender line in E.164, '+98' then 4 to 14 digits "
            f"(e.g. +983000505), not {str(from_number)[:40]!r}"
        )
    return from_number


def form_fields(from_number: str, send_time: datetime | None = None) -> dict[str, str]:
    """The multipart text fields of an upload, in the documented order.

    Validates both values as :meth:`Client.send_file` does (it sends exactly
    these): :class:`UsageError` for a bad sender line or a naive time,
    :class:`RefusedError` for a time in the past.
    """
    fields = {"sending_type": "peer_to_peer_file", "from_number": check_from_number(from_number)}
    when = format_send_time(send_time)
    if send_time is not None and when is not None:
        if send_time < datetime.now(UTC):
            raise RefusedError(
                f"send_time {when} UTC is in the past; omit it to send now, or pick a later time"
            )
        fields["send_time"] = when
    return fields


def _content_type(path: Path) -> str:
    try:
        return _CONTENT_TYPES[path.suffix.lower()]
    except KeyError:
        raise InputFileError(
            f"{path}: only .csv and .xlsx files can be sent (the provider takes nothing else)"
        ) from None


def _check_upload(path: Path) -> int:
    try:
        info = path.stat()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: not a regular file")
    if info.st_size == 0:
        raise InputFileError(f"{path}: the file is empty")
    return info.st_size


# ---------------------------------------------------------------- transport failures


#: Raised before any byte of the request left: safe to retry.
_RETRYABLE: Final = (httpx.ConnectError, httpx.ConnectTimeout)
#: Also nothing sent, but retrying would not help.
_NOT_SENT: Final = (httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class _Failure:
    """A transport failure, reduced to what may be shown: no httpx objects kept."""

    retryable: bool
    sent: bool  # False: nothing reached the provider; True: it may have
    text: str

    def error(self, attempts: int) -> TransportError:
        if self.sent:
            return OutcomeUnknownError(
                f"{self.text}; the upload may or may not have been accepted: "
                "check the provider's report before sending it again"
            )
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return TransportError(f"{self.text}{tries}; nothing was sent")


def _classify(exc: httpx.RequestError, token: str, timeout: float, url: str) -> _Failure:
    host = httpx.URL(url).netloc.decode("ascii", "replace")
    reason = _mask(str(exc), token).rstrip(".") or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return _Failure(True, False, f"timed out connecting to {host} after {timeout:g}s")
    if isinstance(exc, _RETRYABLE):
        return _Failure(True, False, f"cannot connect to {host}: {reason}")
    if isinstance(exc, _NOT_SENT):
        return _Failure(False, False, f"cannot reach {host}: {type(exc).__name__}: {reason}")
    if isinstance(exc, httpx.ReadTimeout):
        return _Failure(False, True, f"no answer from {host} within {timeout:g}s of the upload")
    if isinstance(exc, httpx.WriteTimeout):
        return _Failure(False, True, f"the upload to {host} stalled for {timeout:g}s mid-body")
    if isinstance(exc, httpx.RemoteProtocolError):
        return _Failure(False, True, f"{host} dropped the connection during the request: {reason}")
    # ReadError, WriteError, a local protocol error, a body that would not
    # decode, anything newer: the request may have gone out, so assume it did.
    return _Failure(False, True, f"the request to {host} broke: {type(exc).__name__}: {reason}")


def _mask(text: str, token: str) -> str:
    """One line of ``text`` with the token (should it ever be echoed) masked.

    Control characters (a terminal escape in a server's answer) become spaces.
    """
    return " ".join(_CONTROL.sub(" ", text.replace(token, "<token>")).split())


def _clip(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- responses


@dataclass(frozen=True)
class _Answer:
    """An HTTP answer, reduced to what is used: no httpx objects kept (they hold the token)."""

    status: int
    body: bytes
    charset: str | None
    location: str | None
    retry_after: str | None
    #: Why the body is incomplete (it broke off, stalled, or was too large); None if whole.
    broken: str | None = None


def _body_limit(upload_size: int) -> int:
    """The most of an answer read: far more than one outbox id per uploaded row needs."""
    return _BODY_ALLOWANCE + 2 * upload_size


def _read_answer(response: httpx.Response, limit: int, timeout: float, token: str) -> _Answer:
    """Read the body of ``response``: at most ``limit`` bytes, and not at a trickle.

    Each read waits at most ``timeout`` (httpx); past ``timeout`` in all, a body
    still arriving slower than ``_MIN_BODY_RATE`` is given up, so a server that
    sends a byte now and then cannot hold the send forever. A body that breaks
    off keeps the status: a 4xx is still a refusal, a 200 is still unknown.
    """
    chunks: list[bytes] = []
    size = 0
    broken = None
    start = time.monotonic()
    try:
        for piece in response.iter_bytes():
            chunks.append(piece)
            size += len(piece)
            elapsed = time.monotonic() - start
            if size > limit:
                broken = f"the body is larger than {limit:,} bytes; stopped reading it"
                break
            if elapsed > timeout and size < elapsed * _MIN_BODY_RATE:
                broken = f"the body was still trickling in after {elapsed:.1f}s; stopped reading it"
                break
    except httpx.TimeoutException:
        broken = f"the body stopped arriving for {timeout:g}s"
    except httpx.RequestError as exc:
        reason = _mask(str(exc), token) or type(exc).__name__
        broken = f"the body broke off ({type(exc).__name__}: {reason})"
    headers = response.headers
    location = headers.get("location")
    retry_after = headers.get("retry-after")
    return _Answer(
        status=response.status_code,
        body=b"".join(chunks),
        charset=response.charset_encoding,
        location=_clip(_mask(location, token), _EXCERPT) if location is not None else None,
        retry_after=_clip(_mask(retry_after, token), 40) if retry_after is not None else None,
        broken=broken,
    )


#: What :func:`_load_json` returns for a body that is not JSON (JSON's own null is None).
_NOT_JSON: Final = object()


def _load_json(body: bytes, charset: str | None = None) -> object:
    """The JSON document in ``body``, or ``_NOT_JSON``.

    UTF-8 (with or without a BOM), UTF-16 and UTF-32 are recognized as JSON
    allows; a charset the Content-Type declares (``windows-1256``) is honoured.
    """
    texts: list[str | bytes] = []
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            texts.append(body.decode(charset))
    texts.append(body)
    for text in texts:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            continue
    return _NOT_JSON


@dataclass(frozen=True)
class _Envelope:
    """The part of the envelope that decides an outcome: ``meta.status``, and ``data``."""

    data: object
    status: bool


def _parse_envelope(body: bytes, charset: str | None = None) -> _Envelope | str:
    """The envelope, or why the body is not one."""
    return _envelope_of(_load_json(body, charset))


def _envelope_of(doc: object) -> _Envelope | str:
    """Mirrors ``schemas/provider-envelope.schema.json`` (``$defs/envelope``).

    A JSON object whose ``meta`` is an object with a boolean ``status``;
    ``data`` may be anything or absent. Everything else in ``meta`` is only
    shown (:func:`_said`), so an odd ``message`` or ``errors`` never hides
    what ``status`` says. Extra keys are allowed.
    """
    if doc is _NOT_JSON:
        return "not JSON"
    if not isinstance(doc, dict):
        return "not a JSON object"
    meta = doc.get("meta")
    if not isinstance(meta, dict):
        return "no 'meta' object"
    if not isinstance(meta.get("status"), bool):
        return "'meta.status' is not a boolean"
    return _Envelope(doc.get("data"), meta["status"])


@dataclass(frozen=True)
class _Said:
    """What the provider said, as far as it can be read: masked, one line each."""

    message: str | None
    message_code: str | None
    errors: dict[str, list[str]]


def _said(doc: object, token: str) -> _Said:
    """``message``, ``message_code`` and ``errors`` from ``meta``, or from the top level.

    The top level is where a framework's own error body puts them (Laravel:
    ``{"message": ..., "errors": {field: [...]}}``). Values of another type
    than documented are read when the meaning is plain (a numeric code, a
    string instead of a list of strings) and ignored otherwise.
    """
    if not isinstance(doc, dict):
        return _Said(None, None, {})
    meta = doc.get("meta")
    source = meta if isinstance(meta, dict) else doc
    message = source.get("message")
    code = source.get("message_code")
    if isinstance(code, bool) or not isinstance(code, str | int):
        code = None
    return _Said(
        _clip(_mask(message, token)) or None if isinstance(message, str) else None,
        _clip(_mask(str(code), token), 40) or None if code is not None else None,
        _field_errors(source.get("errors"), token),
    )


def _field_errors(value: object, token: str) -> dict[str, list[str]]:
    """Per-field messages: ``{field: [str, ...]}`` as documented, or close to it.

    A field's lone string counts as a list of one; a bare list of strings is
    filed under ``""`` (no field named); anything else is left out.
    """
    if isinstance(value, dict):
        fields = {_clip(_mask(str(k), token), 100): _strings(v, token) for k, v in value.items()}
        return {k: v for k, v in fields.items() if v}
    messages = _strings(value, token)
    return {"": messages} if messages else {}


def _strings(value: object, token: str) -> list[str]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [text for item in items if isinstance(item, str) if (text := _clip(_mask(item, token)))]


def _outbox_ids(data: object) -> tuple[int, ...] | None:
    """The outbox ids in ``data``, or None if there are none to be read.

    Mirrors ``$defs/sendSuccessData``: ``{"message_outbox_ids": [...]}`` as
    documented, or the list as ``data`` itself, or one id alone; an id is a
    non-negative integer (like JSON Schema's ``integer``, a float with no
    fraction counts and a boolean does not) or a string of digits. An empty
    list is no ids: the provider sends one id per message.
    """
    ids = data.get("message_outbox_ids") if isinstance(data, dict) else data
    if isinstance(data, dict) and not isinstance(ids, list):
        ids = [ids]
    if not isinstance(ids, list) or not ids:
        return None
    out: list[int] = []
    for item in ids:
        value = _outbox_id(item)
        if value is None:
            return None
        out.append(value)
    return tuple(out)


def _outbox_id(item: object) -> int | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item if item >= 0 else None
    if isinstance(item, float):
        return int(item) if item.is_integer() and item >= 0 else None
    if isinstance(item, str) and _ID_TEXT.search(item):
        return int(item)
    return None


def _result(answer: _Answer, token: str, url: str) -> SendResult:
    """A success, or the :class:`ProviderError` that says what the answer means."""
    doc = _NOT_JSON if answer.broken else _load_json(answer.body, answer.charset)
    envelope = _envelope_of(doc)
    said = _said(doc, token)
    if isinstance(envelope, _Envelope) and envelope.status and 200 <= answer.status < 300:
        ids = _outbox_ids(envelope.data)
        if ids is not None:
            return SendResult(ids, answer.status, said.message_code, said.message)
    raise _answer_error(answer, envelope, said, token, url)


def _may_have_acted(status: int) -> bool:
    """Whether a server that answered ``status`` may have acted on the upload.

    A 4xx is a refusal (except 429, documented as nothing: treated as the
    server's fault), a 3xx says the resource is elsewhere (except 303 See
    Other, the answer *after* a POST was handled). A 2xx, a 5xx, anything
    else: it may have.
    """
    if 300 <= status < 400:
        return status == 303
    if 400 <= status < 500:
        return status == 429
    return True


def _answer_error(
    answer: _Answer, envelope: _Envelope | str, said: _Said, token: str, url: str
) -> ProviderError:
    status = answer.status
    code = said.message_code
    tag = f"HTTP {status}" + (f", {code}" if code else "")
    is_envelope = isinstance(envelope, _Envelope)
    said_status = envelope.status if isinstance(envelope, _Envelope) else None
    success = said_status is True and 200 <= status < 300
    said_no = said_status is False
    if answer.broken:
        unknown = _may_have_acted(status)
    else:
        # A 2xx whose envelope says status false is the provider's own "no".
        unknown = _may_have_acted(status) and not (said_no and 200 <= status < 300)
    fields = said.errors
    detail = _fields_text(fields) or said.message
    cls: type[ProviderError] = ProviderError
    if success:
        text = f"the provider said the upload was accepted ({tag}) but listed no message_outbox_ids"
        detail = said.message
    elif status == 401:
        cls = AuthError
        text = f"the provider rejected the API token ({tag}): wrong, revoked or expired"
        detail = said.message
    elif 300 <= status < 400:
        where = repr(answer.location) if answer.location else "no Location"
        text = (
            f"the provider answered {tag}, a redirect to {where}, which was not followed "
            "(an upload never goes to an address it was not given)"
        )
    elif 200 <= status < 300 and not is_envelope:
        what = "its body is incomplete" if answer.broken else "not its JSON envelope"
        text = f"HTTP {status} from the provider, but {what}"
    elif status == 429:
        text = f"the provider is limiting the rate of requests ({tag})"
    elif unknown:
        text = f"the provider failed ({tag})"
    else:
        text = f"the provider refused the upload ({tag})"
    if detail:
        text += f": {detail}"
    excerpt = None
    if answer.broken:
        text += f"; {answer.broken}"
    if not is_envelope:
        excerpt = _excerpt(answer, token)
        if not detail:
            problem = "" if answer.broken else f" ({envelope})"
            text += f"; body{problem}: {excerpt!r}" if excerpt else "; the body is empty"
    text += _hint(answer, url)
    if unknown:
        text += (
            "; the upload may or may not have been accepted: check the provider's report "
            "before sending it again"
        )
    return cls(
        text,
        status_code=status,
        message_code=code,
        provider_message=said.message,
        field_errors=fields,
        body_excerpt=excerpt,
        outcome_unknown=unknown,
    )


def _fields_text(fields: Mapping[str, Sequence[str]]) -> str:
    shown = [
        f"{name}: {' '.join(messages)}" if name else " ".join(messages)
        for name, messages in list(fields.items())[:_FIELDS_SHOWN]
    ]
    more = len(fields) - _FIELDS_SHOWN
    return _clip("; ".join(shown), 2 * _MESSAGE_LIMIT) + (
        f"; and {more:,} more fields" if more > 0 else ""
    )


def _excerpt(answer: _Answer, token: str) -> str:
    """The start of a body that is not the envelope, masked, on one line."""
    # Mask before cutting, over enough bytes to hold a token that starts in the excerpt.
    head = answer.body[: _EXCERPT * 4 + len(token)]
    try:
        text = head.decode(answer.charset or "utf-8", "replace")
    except LookupError:
        text = head.decode("utf-8", "replace")
    return _mask(text, token)[:_EXCERPT]


def _hint(answer: _Answer, url: str) -> str:
    """What the status suggests doing, beyond what the provider said."""
    status = answer.status
    if status in (404, 405):
        return f"; check the base URL: the upload went to POST {url}"
    if status in (301, 302, 307, 308):
        return "; if the API moved, give its new base URL"
    if status == 413:
        return "; the provider takes smaller files: send this one in chunks (--chunk-rows)"
    if status == 415:
        return "; the provider did not take the upload's format"
    if answer.retry_after and status in (429, 503):
        return f"; it asks to wait (Retry-After: {answer.retry_after})"
    return ""


# ---------------------------------------------------------------- chunked, journaled sends


@dataclass(frozen=True)
class _Span:
    """Clean rows ``first``..``last`` (or the runs ``segments``) and what a run does with them."""

    first: int
    last: int
    action: ChunkAction
    earlier: tuple[JournalRecord, ...] = ()
    #: Runs of rows when a chunk to send gathers rows around rows sent before.
    segments: tuple[tuple[int, int], ...] = ()

    @property
    def runs(self) -> tuple[tuple[int, int], ...]:
        return self.segments or ((self.first, self.last),)

    @property
    def rows(self) -> int:
        return sum(last - first + 1 for first, last in self.runs)


@dataclass(frozen=True)
class _Chunk:
    index: int
    count: int
    first_row: int
    rows: int
    sha256: str
    path: Path  # written only for a chunk to send
    action: ChunkAction
    content_sha256: str
    earlier: tuple[JournalRecord, ...] = ()
    #: The journal's row keys of the rows this chunk carries (empty: none made).
    keys: Sequence[int] = ()
    row_ranges: tuple[tuple[int, int], ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def last_row(self) -> int:
        return self.row_ranges[-1][1] if self.row_ranges else self.first_row + self.rows - 1

    def plan(self) -> ChunkPlan:
        return ChunkPlan(
            index=self.index,
            count=self.count,
            first_row=self.first_row,
            rows=self.rows,
            sha256=self.sha256,
            filename=self.filename,
            action=self.action,
            earlier=self.earlier,
            content_sha256=self.content_sha256,
            row_ranges=self.row_ranges,
        )

    def outcome(
        self,
        status: ChunkStatus,
        *,
        journal_id: int | None = None,
        outbox_ids: tuple[int, ...] = (),
        earlier: tuple[JournalRecord, ...] = (),
        error: SendError | None = None,
        overrode_mark: bool = False,
    ) -> ChunkOutcome:
        return ChunkOutcome(
            index=self.index,
            count=self.count,
            first_row=self.first_row,
            rows=self.rows,
            sha256=self.sha256,
            filename=self.filename,
            status=status,
            journal_id=journal_id,
            outbox_ids=outbox_ids,
            earlier=earlier,
            error=error,
            content_sha256=self.content_sha256,
            overrode_mark=overrode_mark,
            row_ranges=self.row_ranges,
        )


def send_clean_csv(
    client: Client,
    journal: Journal,
    path: str | os.PathLike[str],
    from_number: str,
    send_time: datetime | None = None,
    *,
    chunk_rows: int | None = None,
    resend: bool = False,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> list[ChunkOutcome]:
    """Send a clean canonical CSV, in chunks of at most ``chunk_rows`` data rows, journaled.

    The file must be UTF-8 with the header ``recipient,message`` and two
    fields per record (what ``p2pfile fix`` writes); anything else is an
    :class:`InputFileError`. It is read as its canonical form (UTF-8, no BOM,
    LF, RFC 4180 quoting, with the header), whose sha256 is the *content*
    digest; each chunk is rewritten canonically into a private temporary
    directory. A journal record keeps the chunk's own sha256, the content
    digest and the clean rows it carried, with ``from_number`` and ``send_time``.

    Before any request, the clean rows are looked up, whatever the chunk
    size of the runs that journaled them: a row whose recipient and message
    a record of the same sender and send time carried, in any file (its
    :meth:`Journal.row_hasher` key); rows of the same content in an older
    record's row range; or a chunk whose exact bytes were journaled before
    (an older p2pfile's chunks are recut at their chunk size):

    - rows an ``unknown`` or ``pending`` record covers → :class:`RefusedError`
      naming the records; nothing is sent. Settle them with
      :meth:`Journal.complete` after checking the provider's report, or pass
      ``resend=True``.
    - rows a ``sent`` record covers → a ``skipped`` chunk of exactly those rows.
    - the other rows (never journaled, or only ``failed``) are cut into chunks
      of ``chunk_rows`` and sent.

    So a run that stopped halfway resumes with the rows not yet sent, even
    with another ``chunk_rows``, and a complete one is all ``skipped``.
    ``resend=True`` sends every row again, whatever the journal says.
    Chunks are sent in order, each with a ``pending`` record (and its row
    keys) committed before its request; a ``sent`` answer is recorded even if
    the record was marked ``failed`` by hand meanwhile (``overrode_mark``).
    The run stops at the first chunk that does not succeed, and the
    remaining chunks are ``not_attempted``. Returns one outcome per chunk.
    """
    form_fields(from_number, send_time)  # fail on bad arguments before any work
    _check_chunk_rows(chunk_rows)
    with tempfile.TemporaryDirectory(prefix="p2pfile-send-", dir=tmp_dir) as work:
        chunks = _cut(
            Path(path),
            Path(work),
            chunk_rows,
            journal,
            lookup=not resend,
            from_number=from_number,
            send_time=send_time,
            write=True,
        )
        refused = [c for c in chunks if c.action == "refuse"]
        if refused:
            raise _refusal(refused)
        run = _Run(client, journal, from_number, send_time, resend)
        return _send_chunks(run, chunks)


def plan_clean_csv(
    path: str | os.PathLike[str],
    from_number: str,
    send_time: datetime | None = None,
    *,
    chunk_rows: int | None = None,
    journal: Journal | None = None,
    resend: bool = False,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> list[ChunkPlan]:
    """What :func:`send_clean_csv` would do with the same arguments; sends and writes nothing.

    The file is cut exactly as for a send (same chunks, same names, same
    sha256 keys) in a private temporary directory under ``tmp_dir``, which
    is removed; no chunk file is written.
    With a ``journal``, the rows are looked up as a send would look them up;
    without one (nothing journaled yet), every chunk is ``send``. This is
    what a dry run shows: the upload itself, short of the request.
    """
    form_fields(from_number, send_time)
    _check_chunk_rows(chunk_rows)
    with tempfile.TemporaryDirectory(prefix="p2pfile-plan-", dir=tmp_dir) as work:
        chunks = _cut(
            Path(path),
            Path(work),
            chunk_rows,
            journal,
            lookup=not resend,
            from_number=from_number,
            send_time=send_time,
            write=False,
        )
    return [chunk.plan() for chunk in chunks]


def _check_chunk_rows(chunk_rows: object) -> None:
    if chunk_rows is not None and (
        isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1
    ):
        raise UsageError(f"chunk_rows must be an int >= 1 or None, not {chunk_rows!r}")


@dataclass(frozen=True)
class _Run:
    """What every chunk of one :func:`send_clean_csv` call shares."""

    client: Client
    journal: Journal
    from_number: str
    send_time: datetime | None
    resend: bool


def _refusal(blocked: Sequence[_Chunk]) -> RefusedError:
    """Rows an in-flight or unknown upload carried: in clean rows and journal records."""
    shown = []
    for chunk in blocked[:3]:
        records = ", ".join(f"#{r.id}" for r in chunk.earlier)
        rows = f"clean rows {chunk.first_row:,}-{chunk.last_row:,}"
        if all(r.status == "pending" for r in chunk.earlier):
            since = min(r.started_at for r in chunk.earlier)
            shown.append(
                f"{rows} are being uploaded by another run, or one that died mid-request "
                f"(journal {records}: pending since {since:%Y-%m-%d %H:%M:%S} UTC)"
            )
        else:
            last = chunk.earlier[-1]
            shown.append(
                f"{rows} were uploaded at {last.started_at:%Y-%m-%d %H:%M:%S} UTC "
                f"with an unknown outcome (journal {records})"
            )
    more = f"; and {len(blocked) - 3} more row ranges" if len(blocked) > 3 else ""
    ids = tuple(dict.fromkeys(r.id for chunk in blocked for r in chunk.earlier))
    if all(r.status == "pending" for chunk in blocked for r in chunk.earlier):
        what = "wait for that upload to finish, then run again; nothing was sent"
    else:
        what = (
            "check the provider's report, then record what happened in the journal "
            "or resend explicitly; nothing was sent"
        )
    return RefusedError("; ".join(shown) + more + ": " + what, journal_ids=ids)


def _send_chunks(run: _Run, chunks: Sequence[_Chunk]) -> list[ChunkOutcome]:
    outcomes: list[ChunkOutcome] = []
    for chunk in chunks:
        if chunk.action == "skip":
            outcomes.append(
                chunk.outcome(
                    "skipped", outbox_ids=chunk.earlier[-1].outbox_ids, earlier=chunk.earlier
                )
            )
            continue
        outcome = _send_chunk(run, chunk)
        outcomes.append(outcome)
        if outcome.error is not None:
            break
    outcomes.extend(c.outcome("not_attempted") for c in chunks[len(outcomes) :])
    return outcomes


def _send_chunk(run: _Run, chunk: _Chunk) -> ChunkOutcome:
    journal, from_number, send_time = run.journal, run.from_number, run.send_time
    try:
        # exclusive: another process may have sent these rows since the check.
        record = journal.begin(
            chunk.sha256,
            chunk.rows,
            from_number,
            send_time,
            chunk.filename,
            exclusive=not run.resend,
            # A chunk of rows gathered around rows sent before has no one range:
            # its row keys alone say what it carried.
            content_sha256=None if chunk.row_ranges else chunk.content_sha256,
            first_row=None if chunk.row_ranges else chunk.first_row,
            row_keys=chunk.keys,
        )
    except (RefusedError, JournalError) as exc:
        return chunk.outcome("not_attempted", error=exc)
    try:
        result = run.client.send_file(chunk.path, from_number, send_time)
    except SendError as exc:
        status: Literal["failed", "unknown"] = "unknown" if exc.outcome_unknown else "failed"
        _complete_quietly(
            journal,
            record,
            status,
            http_status=getattr(exc, "status_code", None),
            message_code=getattr(exc, "message_code", None),
            message=str(exc),
        )
        return chunk.outcome(status, journal_id=record, error=exc)
    except BaseException:
        # Interrupted, or a bug, mid-request: the body may be out. ('pending'
        # counts as unknown anyway; this says so in the record.)
        _complete_quietly(journal, record, "unknown", message="interrupted before an answer")
        raise
    try:
        # answer=True: the provider said so; that beats a 'failed' marked by hand meanwhile.
        before = journal.complete(
            record,
            "sent",
            outbox_ids=result.message_outbox_ids,
            http_status=result.status_code,
            message_code=result.message_code,
            message=result.message,
            answer=True,
        )
    except (JournalError, UsageError) as exc:
        # Sent, but not recorded (the record stays 'pending' = unknown, or was marked
        # 'sent' by hand): a rerun refuses or skips, never resends.
        error = exc if isinstance(exc, JournalError) else JournalError(str(exc))
        return chunk.outcome(
            "sent", journal_id=record, outbox_ids=result.message_outbox_ids, error=error
        )
    return chunk.outcome(
        "sent",
        journal_id=record,
        outbox_ids=result.message_outbox_ids,
        overrode_mark=before == "failed",
    )


def _complete_quietly(
    journal: Journal,
    record: int,
    status: Literal["failed", "unknown"],
    *,
    http_status: int | None = None,
    message_code: str | None = None,
    message: str,
) -> None:
    """Finish a record on the way out of a failure, never masking that failure."""
    # If even this fails the record stays 'pending', which counts as unknown: still safe.
    with contextlib.suppress(Exception):
        journal.complete(
            record, status, http_status=http_status, message_code=message_code, message=message
        )


# ---------------------------------------------------------------- cutting


@dataclass(frozen=True)
class _Scan:
    """The one read of a clean CSV: its rows, content digest and plain cut."""

    rows: int
    content_sha256: str
    #: ``(first_row, rows, sha256)`` of each chunk of ``chunk_rows`` from row 1:
    #: the cut an earlier run with the same chunk size made.
    plain: list[tuple[int, int, str]]
    #: The canonical data rows (no header), and the byte offset each row ends at.
    body: Path
    ends: array[int]
    #: The journal's key of each data row (empty without a journal).
    keys: array[int]

    def offset(self, row: int) -> int:
        """Where the 1-based data ``row`` starts in ``body``."""
        return self.ends[row - 2] if row > 1 else 0


@dataclass(frozen=True)
class _Cover:
    """Clean rows ``first``..``last`` that a blocking journal ``record`` carried."""

    first: int
    last: int
    record: JournalRecord


def _cut(
    source: Path,
    work: Path,
    chunk_rows: int | None,
    journal: Journal | None,
    *,
    lookup: bool,
    from_number: str,
    send_time: datetime | None,
    write: bool,
) -> list[_Chunk]:
    """The chunks of one run: journaled rows as ``skip``/``refuse``, the rest cut to ``send``.

    The source is parsed once, into a canonical body under ``work``; the
    chunks are byte ranges of it, known only once the journal has been read
    (``lookup``; the row keys are made whenever there is a journal).
    """
    hasher = journal.row_hasher() if journal is not None else None
    scan = _scan_csv(source, work, chunk_rows, hasher)
    try:
        covers = (
            _covers(journal, scan, from_number, send_time) if journal is not None and lookup else []
        )
        spans = _spans(scan.rows, covers, chunk_rows)
        return _write_chunks(source, work, spans, scan, write=write)
    finally:
        with contextlib.suppress(OSError):
            scan.body.unlink()


@contextlib.contextmanager
def _clean_records(source: Path) -> Iterator[Iterator[list[str]]]:
    """The data records of a clean CSV; anything else is an :class:`InputFileError`."""
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            try:
                header = next(reader, None)
                if header != _HEADER:
                    raise InputFileError(
                        f"{source}:1: the header must be 'recipient,message'; "
                        "run p2pfile fix to write a clean file"
                    )
                yield _records(reader, source)
            except csv.Error as exc:
                raise InputFileError(f"{source}:{reader.line_num}: broken CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{source}: not UTF-8 (byte {exc.start}); run p2pfile fix to write a clean file"
        ) from None
    except OSError as exc:
        raise InputFileError(f"{source}: cannot read: {exc.strerror or exc}") from None


def _scan_csv(
    source: Path, work: Path, chunk_rows: int | None, hasher: Callable[[bytes], int] | None
) -> _Scan:
    content = hashlib.sha256(_HEADER_LINE)
    plain: list[tuple[int, int, str]] = []
    piece, first, rows = hashlib.sha256(_HEADER_LINE), 1, 0
    ends: array[int] = array("Q")
    keys: array[int] = array("q")
    end = total = 0
    body = work / ".clean-rows"
    try:
        out = body.open("xb")
    except OSError as exc:
        raise _scratch_error(body, exc) from None
    with out, _clean_records(source) as records:
        for total, record in enumerate(records, start=1):
            line = _csv_line(record).encode("utf-8")
            try:
                out.write(line)
            except OSError as exc:
                raise _scratch_error(body, exc) from None
            end += len(line)
            ends.append(end)
            content.update(line)
            if hasher is not None:
                keys.append(hasher(line))
            if chunk_rows is None:
                continue
            piece.update(line)
            rows += 1
            if rows == chunk_rows:
                plain.append((first, rows, piece.hexdigest()))
                piece, first, rows = hashlib.sha256(_HEADER_LINE), total + 1, 0
    if not total:
        body.unlink(missing_ok=True)
        raise InputFileError(f"{source}: no data rows; nothing to send")
    if chunk_rows is None:
        plain.append((1, total, content.hexdigest()))  # one chunk: the whole content
    elif rows:
        plain.append((first, rows, piece.hexdigest()))
    return _Scan(total, content.hexdigest(), plain, body, ends, keys)


def _covers(
    journal: Journal, scan: _Scan, from_number: str, send_time: datetime | None
) -> list[_Cover]:
    """Every blocking record's clean rows: by row key, by content and row range, or by bytes."""
    found: dict[tuple[int, int, int], _Cover] = {}
    for record in journal.find_content(scan.content_sha256, from_number, send_time):
        if record.status in BLOCKING_STATUSES and record.first_row and record.last_row:
            last = min(record.last_row, scan.rows)
            if record.first_row <= last:
                found[record.id, record.first_row, last] = _Cover(record.first_row, last, record)
    # Rows whose (recipient, message) a blocking record carried, in any file: runs
    # of consecutive rows per record.
    for first, last, record in journal.find_row_runs(scan.keys, from_number, send_time):
        found[record.id, first + 1, last + 1] = _Cover(first + 1, last + 1, record)
    # Records without a row range (or of other content) whose bytes are one of
    # this content's chunks as a run with the same chunk size cuts them; and the
    # chunks an older p2pfile (journal v1) cut, recut at its chunk size.
    cuts = list(scan.plain) + _legacy_cuts(journal, scan, from_number, send_time)
    for first, rows, sha256 in cuts:
        for record in journal.find(sha256, from_number, send_time):
            if record.status in BLOCKING_STATUSES:
                last = first + rows - 1
                found[record.id, first, last] = _Cover(first, last, record)
    return sorted(found.values(), key=lambda c: (c.first, c.record.id))


def _legacy_cuts(
    journal: Journal, scan: _Scan, from_number: str, send_time: datetime | None
) -> list[tuple[int, int, str]]:
    """This content cut as an older p2pfile cut it into the chunks its journal names.

    A v1 record of part ``k`` of ``n`` (``k < n``) with ``r`` rows was cut at ``r``
    rows a chunk; a last part (``k = n``) of this same content at
    ``(rows - r) / (n - 1)``. Each such size's chunks are hashed as that run
    would have hashed them: ``(first_row, rows, sha256)``.
    """
    sizes: set[int] = set()
    for record in journal.legacy_chunks(from_number, send_time):
        k, n = cast(tuple[int, int], record.part)
        if k < n:
            sizes.add(record.rows)
        elif (scan.rows - record.rows) % (n - 1) == 0:
            size = (scan.rows - record.rows) // (n - 1)
            if size >= record.rows:
                sizes.add(size)
    sizes.discard(0)
    cuts: list[tuple[int, int, str]] = []
    if not sizes:
        return cuts
    try:
        with scan.body.open("rb") as body:
            for size in sorted(sizes):
                for first in range(1, scan.rows + 1, size):
                    last = min(first + size - 1, scan.rows)
                    start, end = scan.offset(first), scan.offset(last + 1)
                    body.seek(start)
                    digest = hashlib.sha256(_HEADER_LINE)
                    while start < end:
                        block = body.read(min(end - start, _COPY_BLOCK))
                        if not block:
                            break
                        digest.update(block)
                        start += len(block)
                    cuts.append((first, last - first + 1, digest.hexdigest()))
    except OSError as exc:
        raise _scratch_error(scan.body, exc) from None
    return cuts


def _spans(total: int, covers: Sequence[_Cover], chunk_rows: int | None) -> list[_Span]:
    """Rows 1..total in order: covered runs as ``refuse``/``skip``, the rest cut to ``send``."""
    bounds = sorted({1, total + 1} | {c.first for c in covers} | {c.last + 1 for c in covers})
    merged: list[_Span] = []
    active: list[_Cover] = []
    pending = iter(covers)  # sorted by first row
    upcoming = next(pending, None)
    for lo, hi in itertools.pairwise(bounds):
        while upcoming is not None and upcoming.first <= lo:
            active.append(upcoming)
            upcoming = next(pending, None)
        active = [c for c in active if c.last >= lo]
        records = tuple(sorted({c.record.id: c.record for c in active}.values(), key=_id))
        unknown = tuple(r for r in records if r.effective_status == "unknown")
        action: ChunkAction = "refuse" if unknown else "skip" if records else "send"
        earlier = unknown or records
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.action == action
            and [r.id for r in last.earlier] == [r.id for r in earlier]
        ):
            merged[-1] = _Span(last.first, hi - 1, action, earlier)
        else:
            merged.append(_Span(lo, hi - 1, action, earlier))
    # The rows to send, gathered across the rows sent before, in chunks of
    # chunk_rows: repaired rows scattered through a file go in one request.
    spans = [span for span in merged if span.action != "send"]
    todo = [span for span in merged if span.action == "send"]
    limit = chunk_rows or total
    segments: list[tuple[int, int]] = []
    room = limit
    for span in todo:
        first = span.first
        while first <= span.last:
            end = min(span.last, first + room - 1)
            segments.append((first, end))
            room -= end - first + 1
            first = end + 1
            if room == 0:
                spans.append(_gathered(segments))
                segments, room = [], limit
    if segments:
        spans.append(_gathered(segments))
    return sorted(spans, key=lambda s: s.first)


def _gathered(segments: Sequence[tuple[int, int]]) -> _Span:
    runs = tuple(segments) if len(segments) > 1 else ()
    return _Span(segments[0][0], segments[-1][1], "send", segments=runs)


def _id(record: JournalRecord) -> int:
    return record.id


def _write_chunks(
    source: Path, work: Path, spans: Sequence[_Span], scan: _Scan, *, write: bool
) -> list[_Chunk]:
    """Each span's canonical bytes (header, then its rows): on disk if it is to be sent."""
    names = _chunk_names(source, len(spans))
    chunks: list[_Chunk] = []
    try:
        body = scan.body.open("rb")
    except OSError as exc:
        raise _scratch_error(scan.body, exc) from None
    with body:
        for index, span in enumerate(spans):
            path = work / names[index]
            chunk = _ChunkFile(path if write and span.action == "send" else None, path)
            try:
                for first, last in span.runs:
                    start, end = scan.offset(first), scan.offset(last + 1)
                    body.seek(start)
                    while start < end:
                        block = body.read(min(end - start, _COPY_BLOCK))
                        if not block:
                            raise OSError(f"{scan.body} ended early")
                        chunk.add(block)
                        start += len(block)
                sha256 = chunk.finish()
            except OSError as exc:  # most likely the disk filled up writing the chunk
                chunk.abort()
                raise _scratch_error(path, exc) from None
            except BaseException:
                chunk.abort()
                raise
            chunks.append(
                _Chunk(
                    index=index + 1,
                    count=len(spans),
                    first_row=span.first,
                    rows=span.rows,
                    sha256=sha256,
                    path=path,
                    action=span.action,
                    content_sha256=scan.content_sha256,
                    earlier=span.earlier,
                    keys=_keys(scan.keys, span) if span.action == "send" else (),
                    row_ranges=span.segments,
                )
            )
    return chunks


def _keys(keys: array[int], span: _Span) -> array[int]:
    out: array[int] = array("q")
    for first, last in span.runs:
        out.extend(keys[first - 1 : last])
    return out


def _chunk_names(source: Path, count: int) -> list[str]:
    """The name the provider sees per chunk: the source's, or ``stem.part-i-of-n``."""
    if count == 1:
        return [f"{source.stem}.csv"]
    width = max(3, len(str(count)))
    return [
        f"{source.stem}.part-{index:0{width}d}-of-{count:0{width}d}.csv"
        for index in range(1, count + 1)
    ]


def _records(reader: CsvReader, source: Path) -> Iterator[list[str]]:
    line = 1  # the header's last line; a record starts on the line after the previous one
    for record in reader:
        start, line = line + 1, reader.line_num
        if len(record) != 2:
            raise InputFileError(
                f"{source}:{start}: expected 2 fields (recipient,message), found {len(record)}; "
                "run p2pfile fix to write a clean file"
            )
        yield record


class _ChunkFile:
    """One chunk: its canonical bytes go to sha256, and to disk when ``out`` is given."""

    def __init__(self, out: Path | None, path: Path) -> None:
        self.path = path
        self._digest = hashlib.sha256()
        self._out = None
        if out is not None:
            try:
                self._out = out.open("xb")
            except OSError as exc:
                raise _scratch_error(out, exc) from None
        self.add(_HEADER_LINE)

    def add(self, data: bytes) -> None:
        """Raises OSError."""
        self._digest.update(data)
        if self._out is not None:
            self._out.write(data)

    def finish(self) -> str:
        """The chunk's sha256; raises OSError."""
        if self._out is not None:
            self._out.close()
        return self._digest.hexdigest()

    def abort(self) -> None:
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()


def _scratch_error(path: Path, exc: OSError) -> SendError:
    # An OSError raised by hand (no errno) carries its reason in str().
    return SendError(
        f"cannot write the temporary chunk {path}: {exc.strerror or exc}; "
        "free space there or choose another tmp_dir"
    )


def _csv_line(fields: Sequence[str]) -> str:
    return ",".join(_quote(f) for f in fields) + "\n"


def _quote(field: str) -> str:
    if _NEEDS_QUOTES.search(field):
        return '"' + field.replace('"', '""') + '"'
    return field
