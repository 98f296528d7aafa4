"""The public surface is pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import p2pfile


def test_all_is_sorted_and_pinned() -> None:
    assert p2pfile.__all__ == sorted(p2pfile.__all__)
    assert set(p2pfile.__all__) == {
        "AuthError",
        "ConfigError",
        "Diagnostic",
        "FileSummary",
        "Fix",
        "FixResult",
        "Report",
        "Stats",
        "check",
        "fix",
        "read",
        "split",
        "stats",
        "InputFileError",
        "MessageInfo",
        "NonGsmChar",
        "NumberResult",
        "OutcomeUnknownError",
        "P2PFileError",
        "ProviderError",
        "RefusedError",
        "SendError",
        "TransportError",
        "UsageError",
        "__version__",
        "analyze_message",
        "analyze_messages",
        "message_expr",
        "normalize_number",
        "normalize_numbers",
        "number_expr",
    }


def test_public_names_belong_to_the_package() -> None:
    for name in p2pfile.__all__:
        obj = getattr(p2pfile, name)
        if hasattr(obj, "__module__"):
            assert obj.__module__ == "p2pfile", name


def test_every_exception_is_a_p2pfile_error() -> None:
    for name in p2pfile.__all__:
        obj = getattr(p2pfile, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, p2pfile.P2PFileError), name


def test_results_are_frozen() -> None:
    result = p2pfile.normalize_number("09121234567")
    try:
        result.e164 = "x"  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("NumberResult must be frozen")


def test_python_dash_m_runs_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "p2pfile", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"p2pfile, version {p2pfile.__version__}"


def test_check_takes_one_path_as_str_bytes_or_pathlike() -> None:
    """One path, however spelled, is one file: bytes are not iterated as characters."""
    clean = Path(__file__).resolve().parent.parent / "examples" / "clean.csv"
    for path in (str(clean), os.fsencode(clean), clean):
        report = p2pfile.check(path, isolated=True)
        assert [f.path for f in report.files] == [str(clean)]
