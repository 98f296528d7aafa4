"""The rule registry: every rule p2pfile knows, by code and by name.

A rule has a code (``P205``: family letter, sub-family digit, number), a kebab
name (``unknown-prefix``), a default severity (``error``, ``warning`` or off),
a fix safety (``safe``, ``unsafe`` or none), the field it is about, and a
docstring that is its documentation: what it finds, why it matters, an
example, and the fix. ``p2pfile rule CODE`` prints it.

Row rules carry a check: a function from the options to a :class:`Finding`,
whose expressions run over the *analyzed frame* of a file (columns listed in
:data:`ANALYZED_COLUMNS`). File rules (F1xx, F2xx) are found by the reader and
the check stage; here they only have their documentation. Families live in
their own modules: ``file``, ``recipient``, ``message``, ``duplicates``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from typing import Final, Literal

import polars as pl

from p2pfile.report import Severity

__all__ = [
    "ANALYZED_COLUMNS",
    "REGISTRY",
    "Finding",
    "FixSafety",
    "Options",
    "Rule",
    "default_selection",
    "get_rule",
    "names",
]

FixSafety = Literal["safe", "unsafe"]
RuleField = Literal["recipient", "message"]

#: Columns a row rule may use (see ``p2pfile.check``).
ANALYZED_COLUMNS: Final = (
    "line",  # physical line where the record starts
    "row",  # data record number
    "recipient",  # the cell as read
    "message",  # the cell as read
    "e164",
    "reason",
    "operator",
    "foreign",
    "forms",  # list of P1xx codes
    "region",  # ISO region of a valid foreign number
    "encoding",
    "units",
    "parts",
    "per_part_limit",
    "chars",
    "edge_space",  # the message is empty or has whitespace at an edge
    "odd_chars",  # the message's characters outside _chars.PLAIN (sms.odd_chars)
    "dup_line",  # line of the first row with the same E.164 and message, if earlier
    "first_line_of_recipient",  # line of the first row with the same E.164
)


@dataclass(frozen=True)
class Options:
    """What row rules may be configured by (config keys of the same names)."""

    max_parts: int = 20
    max_length: int = 1400
    suffix: str = ""
    allow_foreign: bool = False
    allowed_regions: frozenset[str] = frozenset()
    number_format: Literal["e164", "national"] = "e164"
    #: Rials per part (``persian_mci``, ``english_mci``, ``persian_other``,
    #: ``english_other``), when a tariff is configured: M203 compares costs with it.
    tariff: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Finding:
    """What a row rule reports: expressions over the analyzed frame.

    ``hit`` selects the rows (only among those ``prefilter`` keeps, when set:
    polars evaluates both sides of ``&`` in full, so a costly test behind a
    cheap one needs the split); the other expressions are evaluated on the hit
    rows only, so they may be costly (a regex extract, a map over distinct
    values). ``message`` must never contain the recipient: formats that leave
    the machine mask ``value``, not messages.
    """

    hit: pl.Expr
    message: pl.Expr
    #: A cheap condition every hit meets; ``hit`` is evaluated only where it holds.
    prefilter: pl.Expr | None = None
    column: pl.Expr | None = None
    replacement: pl.Expr | None = None
    related_line: pl.Expr | None = None


RowCheck = Callable[[Options], Finding]


@dataclass(frozen=True)
class Rule:
    """One rule; ``doc`` is its user documentation."""

    code: str
    name: str
    severity: Severity | None
    fix: FixSafety | None
    field: RuleField | None
    doc: str
    check: RowCheck | None = dataclass_field(default=None, compare=False)
    fix_message: str | None = None

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.strip().splitlines()[0]

    @property
    def family(self) -> str:
        """The code's letter: F, P, M or D."""
        return self.code[0]


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule; codes and names are unique and never reused."""
    if rule.code in REGISTRY or any(r.name == rule.name for r in REGISTRY.values()):
        msg = f"rule {rule.code} {rule.name} registered twice"
        raise ValueError(msg)
    REGISTRY[rule.code] = rule
    return rule


def row_rule(
    code: str,
    name: str,
    severity: Severity | None,
    *,
    field: RuleField | None,
    fix: FixSafety | None = None,
    fix_message: str | None = None,
) -> Callable[[RowCheck], RowCheck]:
    """Register the decorated function as a row rule; its docstring is the rule's documentation."""

    def decorate(check: RowCheck) -> RowCheck:
        doc = inspect.cleandoc(check.__doc__ or "")
        # Memoized per Options (frozen, hashable): a finding's expressions are
        # immutable, and building them again for each file was a third of the time
        # ``fix`` and ``stats`` spent on a small file.
        register(Rule(code, name, severity, fix, field, doc, cache(check), fix_message))
        return check

    return decorate


def file_rule(
    code: str,
    name: str,
    severity: Severity | None,
    doc: str,
    *,
    fix: FixSafety | None = None,
    fix_message: str | None = None,
) -> None:
    """Register a rule that the reader or the check stage finds for a whole file or record.

    A rule with a fix says what the fix does (``fix_message``): the JSON report's
    ``fix.message`` is never empty.
    """
    if fix is not None and not fix_message:
        msg = f"{code}: a rule with a fix needs a fix_message"
        raise ValueError(msg)
    register(Rule(code, name, severity, fix, None, inspect.cleandoc(doc), fix_message=fix_message))


def get_rule(code_or_name: str) -> Rule | None:
    """The rule with this code (``P205``) or name (``unknown-prefix``), if any."""
    _load()
    rule = REGISTRY.get(code_or_name.upper())
    if rule is not None:
        return rule
    return next((r for r in REGISTRY.values() if r.name == code_or_name.lower()), None)


def names() -> Mapping[str, str]:
    """Code -> name for every rule, sorted by code."""
    _load()
    return {code: REGISTRY[code].name for code in sorted(REGISTRY)}


def default_selection() -> frozenset[str]:
    """The codes on by default: every rule whose default severity is not off."""
    _load()
    return frozenset(code for code, rule in REGISTRY.items() if rule.severity is not None)


def all_rules() -> list[Rule]:
    """Every rule, sorted by code."""
    _load()
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def _load() -> None:
    # The families register themselves on import; importing here (not at the
    # top) keeps the registry free of import cycles with the family modules.
    from p2pfile.rules import duplicates, file, message, recipient  # noqa: F401, PLC0415
