"""The exceptions p2pfile raises, one tree rooted at :class:`P2PFileError`.

Findings in a file (a bad number, a broken quote) are *not* exceptions: they
are diagnostics in a report. Exceptions are for misuse and for work that
cannot go on::

    P2PFileError
    ├── UsageError            bad arguments to a library call (wrong type, unknown option)
    ├── ConfigError           a config file or value that cannot be used (unknown key, bad type)
    ├── InputFileError        a file that cannot be used for fix/send (unreadable, not CSV/XLSX)
    └── SendError             anything that stopped an upload
        ├── RefusedError          refused before any request (invalid rows, resend, past time)
        ├── JournalError          the local send journal cannot be opened, read or written
        ├── TransportError        the request could not be made or completed
        │   └── OutcomeUnknownError   the body may have reached the provider; never retried
        └── ProviderError         the provider answered with an error, or an unusable answer
            └── AuthError             401: the token is wrong or expired

Every :class:`SendError` has ``outcome_unknown``: true when the provider may
have accepted the upload anyway (every :class:`OutcomeUnknownError`; a
:class:`ProviderError` for HTTP 429, 5xx, or a 2xx whose body is unusable).
The journal records such an upload as ``unknown``, and a plain re-run refuses
to send it again.

Every message is one line a person can act on. No exception ever holds the
API token: the sender strips it from anything it wraps and never chains the
underlying httpx exception (whose request carries the token).
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "InputFileError",
    "JournalError",
    "OutcomeUnknownError",
    "P2PFileError",
    "ProviderError",
    "RefusedError",
    "SendError",
    "TransportError",
    "UsageError",
]


class P2PFileError(Exception):
    """Base class of every exception p2pfile raises on purpose."""


class UsageError(P2PFileError, ValueError):
    """A library function was called with arguments it cannot use."""


class ConfigError(P2PFileError):
    """A configuration file or value is invalid (unknown key, wrong type, bad value)."""


class InputFileError(P2PFileError):
    """A file cannot be used at all: missing, unreadable, or neither CSV nor XLSX."""


class SendError(P2PFileError):
    """Base class of everything that stops an upload.

    ``outcome_unknown`` is true when the provider may have accepted the upload
    despite the error; such an upload must not be retried blindly.
    """

    outcome_unknown: bool = False


class RefusedError(SendError):
    """p2pfile refused to send before making any request (invalid rows, a resend, a past time).

    ``journal_ids`` names the earlier journal records that caused a resend refusal.
    """

    def __init__(self, message: str, *, journal_ids: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.journal_ids = journal_ids


class JournalError(SendError):
    """The local send journal cannot be opened, read or written (so nothing is sent)."""


class TransportError(SendError):
    """The HTTP request could not be made or completed (DNS, connect, TLS, timeout)."""


class OutcomeUnknownError(TransportError):
    """The request body may have reached the provider but no answer came back.

    The send may or may not have happened; it is never retried automatically.
    """

    outcome_unknown = True


class ProviderError(SendError):
    """The provider answered with an error (4xx/5xx, an envelope with ``status: false``),
    or with a body that is not the documented envelope.

    ``body_excerpt`` holds the start of such a body (token masked); ``outcome_unknown``
    is set for 429, 5xx and an unusable 2xx, where the upload may have been accepted.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        message_code: str | None = None,
        provider_message: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        body_excerpt: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message_code = message_code
        self.provider_message = provider_message
        self.field_errors = dict(field_errors or {})
        self.body_excerpt = body_excerpt
        self.outcome_unknown = outcome_unknown


class AuthError(ProviderError):
    """The provider rejected the token (HTTP 401): wrong, revoked or expired."""
