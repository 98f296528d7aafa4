"""p2pfile: lint, fix and send SMS recipient files (``recipient,message`` CSV/XLSX).

The public API is what ``__all__`` lists; every other module is private and
may change. The library never prints and never exits: the ``p2pfile``
command (``p2pfile.cli``) is the only part that does.
"""

from p2pfile._version import __version__
from p2pfile.check import check
from p2pfile.errors import (
    AuthError,
    ConfigError,
    InputFileError,
    OutcomeUnknownError,
    P2PFileError,
    ProviderError,
    RefusedError,
    SendError,
    TransportError,
    UsageError,
)
from p2pfile.fix import FixResult, fix, split
from p2pfile.phone import NumberResult, normalize_number, normalize_numbers, number_expr
from p2pfile.reader import read
from p2pfile.report import Diagnostic, FileSummary, Fix, Report
from p2pfile.sms import MessageInfo, NonGsmChar, analyze_message, analyze_messages, message_expr
from p2pfile.stats import Stats, stats

__all__ = [
    "AuthError",
    "ConfigError",
    "Diagnostic",
    "FileSummary",
    "Fix",
    "FixResult",
    "InputFileError",
    "MessageInfo",
    "NonGsmChar",
    "NumberResult",
    "OutcomeUnknownError",
    "P2PFileError",
    "ProviderError",
    "RefusedError",
    "Report",
    "SendError",
    "Stats",
    "TransportError",
    "UsageError",
    "__version__",
    "analyze_message",
    "analyze_messages",
    "check",
    "fix",
    "message_expr",
    "normalize_number",
    "normalize_numbers",
    "number_expr",
    "read",
    "split",
    "stats",
]

# Public names report the package, not the private module they live in (as httpx does),
# so reprs, docs and pickles do not pin internal paths.
for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and _obj.__module__.startswith("p2pfile."):
        _obj.__module__ = "p2pfile"
del _name, _obj
