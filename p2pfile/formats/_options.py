"""What every renderer is given besides the report: :class:`RenderOptions` and :class:`RuleDoc`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from p2pfile.errors import UsageError

__all__ = ["RenderOptions", "RuleDoc"]


class RuleDoc(Protocol):
    """What the SARIF ``rules[]`` need to know about a rule.

    The rule registry's ``Rule`` satisfies it as is; ``doc`` is the rule's full
    documentation (its docstring) and ``summary`` the first line of it.
    """

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def severity(self) -> str | None: ...
    @property
    def fix(self) -> str | None: ...
    @property
    def doc(self) -> str: ...


@dataclass(frozen=True)
class RenderOptions:
    """How to render a report.

    ``show_rows`` caps the findings a human format lists per (file, rule);
    ``None`` lists them all and ``0`` lists none (only the "... and N more"
    lines). ``redact=None`` masks recipients only in formats that leave the
    machine (:data:`p2pfile.formats.OUTBOUND`). ``root``: the repository's root;
    those formats then give the paths of files inside it relative to it.
    """

    show_rows: int | None = 20
    redact: bool | None = None
    color: bool = False
    statistics: bool = False
    rule_docs: Mapping[str, RuleDoc] | None = None
    root: str | None = None

    def __post_init__(self) -> None:
        if self.show_rows is not None and self.show_rows < 0:
            msg = f"show_rows must be 0 or more, not {self.show_rows}"
            raise UsageError(msg)
