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
        ├── TransportError        the request could not be made or completed
        │   └── OutcomeUnknownError   the body may have reached the provider; never retried
        └── ProviderError         the provider answered with an error envelope
            └── AuthError             401: the token is wrong or expired

Every message is one line a person can act on. No exception ever holds the
API token: the sender strips it from anything it wraps.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "InputFileError",
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
    """Base class of everything that stops an upload."""


class RefusedError(SendError):
    """p2pfile refused to send before making any request (invalid rows, a resend, a past time)."""


class TransportError(SendError):
    """The HTTP request could not be made or completed (DNS, connect, TLS, timeout)."""


class OutcomeUnknownError(TransportError):
    """The request body may have reached the provider but no answer came back.

    The send may or may not have happened; it is never retried automatically.
    """


class ProviderError(SendError):
    """The provider answered with an error (4xx/5xx, or an envelope with ``status: false``)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        message_code: str | None = None,
        provider_message: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message_code = message_code
        self.provider_message = provider_message
        self.field_errors = dict(field_errors or {})


class AuthError(ProviderError):
    """The provider rejected the token (HTTP 401): wrong, revoked or expired."""
