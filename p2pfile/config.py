"""Settings: where p2pfile finds them, what every key means, how they are checked.

Where settings live
===================
In ``[tool.p2pfile]`` of ``pyproject.toml``, or at the top level of
``p2pfile.toml`` (or ``.p2pfile.toml``)::

    # pyproject.toml                      # p2pfile.toml
    [tool.p2pfile]                        extend-select = ["P103"]
    extend-select = ["P103"]              max-parts = 4
    max-parts = 4

Each checked file uses the config file **closest to it** (ruff's hierarchical
configuration): discovery starts in the file's directory and walks up to the
filesystem root, and the closest file is used alone: files are never merged
(as in ruff). The settings of the run as a whole (``output-format``,
``fail-on``, ``show-rows``) come from the closest file of the common parent of
the checked paths (see :class:`Resolver`). In one
directory ``p2pfile.toml`` beats ``.p2pfile.toml`` beats ``pyproject.toml``;
a ``pyproject.toml`` without a ``[tool.p2pfile]`` table does not count, so the
walk goes on past it. ``--config PATH`` names the file and skips discovery
(a file named ``pyproject.toml`` is read from its ``[tool.p2pfile]`` table,
any other name from the top level); ``--isolated`` ignores every file. The two
exclude each other: either applies one config to every file. Command-line
flags win over the file (see :meth:`Settings.merged`).

Keys
====
Keys are kebab-case; any other key is an error that names it, the file, and
the closest valid key if one is close. A value of the wrong type or out of range is an error
that names the key, the file, what was expected and what was found.

================  ==============================  =========  ==================================
key               value                           default    meaning
================  ==============================  =========  ==================================
select            array of selectors              see below  the rules to run, instead of the
                                                             default set
extend-select     array of selectors              []         rules to run as well
ignore            array of selectors              []         rules not to run
per-file-ignores  table: glob = array of          {}         rules not to run on files that
                  selectors                                  match the glob
severity          table: selector = "error" |     {}         a rule's level instead of its
                  "warning" | "off"                          default; "off" = never report it
fail-on           "error" | "warning"             "error"    the lowest level that makes
                                                             ``check`` fail (exit 1)
output-format     "full" | "concise" |            "full"     how ``check`` prints findings
                  "grouped" | "json" |
                  "json-lines" | "github" |
                  "sarif" | "gitlab" | "junit"
show-rows         integer >= 0                    20         rows shown per rule by the human
                                                             formats
allow-foreign     boolean                         false      accept valid non-Iranian mobiles
                                                             (no P203)
allowed-regions   array of uppercase ISO 3166     []         accept valid mobiles of these
                  alpha-2 codes: ["AE", "TR"]                regions (no P203)
max-parts         integer 1..255                  20         M201 above this many parts (the
                                                             provider's limit)
max-length        integer >= 1                    1400       M202 above this many characters
                                                             (code points; the provider's limit)
suffix            string                          ""         text the provider appends to each
                                                             message (" لغو11"); parts count it
max-rows          integer >= 1                    no limit   F108 above this many data rows
max-bytes         integer >= 1                    no limit   F108 above this many bytes
number-format     "e164" | "national"             "e164"     how ``fix`` writes recipients
                                                             (+989121234567 / 09121234567)
[tariff]          persian_mci, english_mci,       none       rials per part by script and
                  persian_other, english_other:              operator, for the cost in
                  numbers >= 0, all four                     ``stats``
================  ==============================  =========  ==================================

Rule selectors
--------------
``select``, ``extend-select``, ``ignore``, the values of ``per-file-ignores``
and the keys of ``severity`` take selectors: a code (``"P205"``), a prefix
(``"P"``, ``"P2"``, ``"P20"``), a rule name (``"unknown-prefix"``) or
``"ALL"``. Their syntax is checked when the file is read; whether they name
real rules is checked against the registry (:func:`resolve_selectors`).

The rules that run on a file (:func:`selected_codes`, ruff's semantics):
``select`` if given, else the default set (every rule whose default severity
is not off); plus ``extend-select``; minus ``ignore``. Flags then layer on
top as ruff's resolution chain does: ``--select`` starts afresh (the file's
``select``, ``extend-select`` and ``ignore`` are dropped), while
``--extend-select`` and ``--ignore`` alone add to and take from the file's
selection. Last, minus the ``per-file-ignores`` entries whose glob matches
the file, and minus the rules whose ``severity`` is ``"off"``. A glob is
anchored at the directory of the config file that defines it (the current
directory for settings without a file) and matched (``fnmatch``; ``*`` also
crosses ``/``) against the file's path relative to that directory; a glob
without a ``/`` also matches the file's base name at any depth. The current
directory never changes the result::

    [tool.p2pfile.per-file-ignores]
    "archive/*.csv" = ["D"]           # old exports: duplicates are expected
    "intl.csv" = ["foreign-number"]

``severity`` changes the level of rules that run; it does not select a rule
(a rule whose default is off still needs ``extend-select``). When several
keys cover one rule the most specific wins: a code or name over a longer
prefix over a shorter prefix over ``ALL``::

    [tool.p2pfile.severity]
    P1 = "error"                      # every P1xx rule fails the check ...
    P104 = "warning"                  # ... except this one
    M205 = "off"                      # never report near-part-boundary

The library never prints: every problem is a :class:`~p2pfile.errors.ConfigError`
with a one-line message (a TOML syntax error keeps tomllib's line and column).
``schemas/config.schema.json`` describes the same table for editors; the tests
keep the two in agreement.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import fnmatch
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Final, Literal, TypeVar, cast, get_args

from p2pfile.errors import ConfigError, UsageError

__all__ = [
    "CONFIG_NAMES",
    "KEYS",
    "FailOn",
    "Level",
    "NumberFormat",
    "OutputFormat",
    "Resolver",
    "RuleSelection",
    "Settings",
    "Tariff",
    "discover",
    "find_config",
    "load_config",
    "load_tariff",
    "pinned",
    "resolve_selectors",
    "selected_codes",
    "severity_overrides",
]

FailOn = Literal["error", "warning"]
Level = Literal["error", "warning", "off"]
NumberFormat = Literal["e164", "national"]
OutputFormat = Literal[
    "full", "concise", "grouped", "json", "json-lines", "github", "sarif", "gitlab", "junit"
]

#: File names looked for in each directory, in order of precedence.
CONFIG_NAMES: Final = ("p2pfile.toml", ".p2pfile.toml", "pyproject.toml")

_PYPROJECT: Final = "pyproject.toml"

# Anchors are left to fullmatch: ``$`` in Python also matches before a final newline.
_SELECTOR: Final = re.compile(r"ALL|[A-Z][0-9]{0,3}|[a-z0-9]+(?:-[a-z0-9]+)*")
_REGION: Final = re.compile(r"[A-Z]{2}")
# Rule codes are a family letter and three digits; anything shorter is a prefix.
_CODE_LENGTH: Final = 4
_TARIFF_KEYS: Final = ("persian_mci", "english_mci", "persian_other", "english_other")

K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    # A read-only view over a private copy: Settings is frozen, so must be its tables.
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Tariff:
    """Price of one SMS part in rials, by script of the message and operator."""

    persian_mci: float
    english_mci: float
    persian_other: float
    english_other: float


@dataclass(frozen=True)
class RuleSelection:
    """One link of ruff's rule-selection chain given on top of a file (flags, overrides)."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Validated settings; every field has the default that applies without a file.

    Field names are the keys in snake_case. ``source`` is the file they were
    read from (``None``: defaults only). ``overridden`` holds the names of the
    fields :meth:`merged` changed, so messages blame the right place.
    """

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # Tables are excluded from the hash (a mapping is not hashable); equality still uses them.
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: _frozen({}), hash=False
    )
    severity: Mapping[str, Level] = field(default_factory=lambda: _frozen({}), hash=False)
    fail_on: FailOn = "error"
    output_format: OutputFormat = "full"
    show_rows: int = 20
    allow_foreign: bool = False
    allowed_regions: frozenset[str] = frozenset()
    max_parts: int = 20
    max_length: int = 1400
    suffix: str = ""
    max_rows: int | None = None
    max_bytes: int | None = None
    number_format: NumberFormat = "e164"
    tariff: Tariff | None = None
    source: Path | None = None
    #: ``extend-select`` / ``ignore`` overrides applied, in order, after the file's selection.
    layers: tuple[RuleSelection, ...] = ()
    # Provenance for error messages, not a setting: it takes no part in equality.
    overridden: frozenset[str] = field(default=frozenset(), compare=False)

    def merged(self, **overrides: object) -> Settings:
        """These settings with command-line values on top; ``None`` means "not given".

        Names are the field names (``max_parts=4``); values are checked as in a
        file. A scalar and ``tariff`` replace the file's value. Rule selection
        follows ruff's resolution chain: ``select`` starts afresh (the file's
        ``select``, ``extend_select`` and ``ignore`` no longer count, and the
        override's ``extend_select`` and ``ignore`` apply to it); without it,
        ``extend_select`` and ``ignore`` are a layer over the file's selection
        (:attr:`layers`): an ``extend_select`` brings back a rule the file
        ignores. ``per_file_ignores`` and ``severity`` add to the file's tables
        (the override wins for the same glob or selector).

        Raises :class:`~p2pfile.errors.ConfigError` for a bad value and
        :class:`~p2pfile.errors.UsageError` for a name that is not a setting.
        """
        changes: dict[str, object] = {}
        for name, value in overrides.items():
            if value is None:
                continue
            key = _FIELD_TO_KEY.get(name)
            if key is None:
                msg = f"unknown setting {name!r}{_did_you_mean(name, _FIELD_TO_KEY)}"
                raise UsageError(msg)
            new = _VALIDATORS[key](value, key, "in overrides")
            if name in _ACCUMULATED:
                old = cast("Mapping[str, object]", getattr(self, name))
                new = _frozen({**old, **cast("Mapping[str, object]", new)})
            changes[name] = new
        if not changes:
            return self
        if "select" in changes:
            # As in ruff, the highest-priority select kicks off the resolution chain.
            changes.setdefault("extend_select", ())
            changes.setdefault("ignore", ())
            changes["layers"] = ()
        elif "extend_select" in changes or "ignore" in changes:
            layer = RuleSelection(
                extend_select=cast("tuple[str, ...]", changes.pop("extend_select", ())),
                ignore=cast("tuple[str, ...]", changes.pop("ignore", ())),
            )
            changes["layers"] = (*self.layers, layer)
        overridden = self.overridden | (frozenset(changes) & frozenset(_FIELD_TO_KEY))
        return replace(self, overridden=overridden, **changes)  # type: ignore[arg-type]


# --- value checks ------------------------------------------------------------------------
# Each takes (value, key, where) and returns the Python value, or raises ConfigError.
# Arrays may also be tuples or sets and tables any Mapping: merged() passes Python values.

_Validator = Callable[[object, str, str], object]


def _toml_type(value: object) -> str:
    # The user wrote TOML, so name TOML's types rather than Python's.
    names = {bool: "boolean", int: "integer", float: "float", str: "string"}
    if type(value) in names:
        return names[type(value)]
    if isinstance(value, list | tuple | Set):
        return "array"
    if isinstance(value, Mapping):
        return "table"
    return type(value).__name__


def _got(value: object) -> str:
    # TOML dates and times read best as TOML writes them, not as datetime.date(...).
    text = value.isoformat() if isinstance(value, dt.date | dt.time) else repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({_toml_type(value)})"


def _invalid(key: str, where: str, expected: str, value: object) -> ConfigError:
    return ConfigError(f"invalid {key!r} {where}: expected {expected}, got {_got(value)}")


def _is_int(value: object) -> bool:
    # bool is an int subclass, and TOML `true` is not a number. An integral float
    # (20.0) counts, as JSON Schema's "integer" does; the schema and this module agree.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _int_check(low: int, high: int | None) -> _Validator:
    expected = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"

    def check(value: object, key: str, where: str) -> int:
        if not _is_int(value):
            raise _invalid(key, where, expected, value)
        number = int(cast("float", value))
        if number < low or (high is not None and number > high):
            raise _invalid(key, where, expected, value)
        return number

    return check


def _bool_check(value: object, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(key, where, "true or false", value)
    return value


def _str_check(value: object, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise _invalid(key, where, "a string", value)
    return value


def _choice_check(choices: tuple[str, ...]) -> _Validator:
    expected = "one of " + ", ".join(repr(c) for c in choices)

    def check(value: object, key: str, where: str) -> str:
        if not isinstance(value, str) or value not in choices:
            raise _invalid(key, where, expected, value)
        return value

    return check


def _array(value: object, key: str, where: str, expected: str) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Set):
        return sorted(value, key=str)  # a set from Python has no order; make one
    raise _invalid(key, where, expected, value)


def _table(value: object, key: str, where: str, expected: str) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise _invalid(key, where, expected, value)
    return cast("Mapping[object, object]", value)


_SELECTOR_HELP: Final = "a rule code (P205), prefix (P, P2), name (unknown-prefix) or ALL"


def _selector(item: object, key: str, where: str) -> str:
    if not isinstance(item, str) or not _SELECTOR.fullmatch(item):
        raise _invalid(key, where, _SELECTOR_HELP, item)
    return item


def _selectors_check(value: object, key: str, where: str) -> tuple[str, ...]:
    items = _array(value, key, where, "an array of rule selectors")
    return tuple(_selector(item, key, where) for item in items)


def _regions_check(value: object, key: str, where: str) -> frozenset[str]:
    expected = 'an array of uppercase ISO 3166 alpha-2 region codes, like ["AE", "TR"]'
    items = _array(value, key, where, expected)
    for item in items:
        if not isinstance(item, str) or not _REGION.fullmatch(item):
            raise _invalid(key, where, expected, item)
    return frozenset(cast("list[str]", items))


def _per_file_ignores_check(value: object, key: str, where: str) -> Mapping[str, tuple[str, ...]]:
    table = _table(value, key, where, "a table of glob = array of rule selectors")
    result: dict[str, tuple[str, ...]] = {}
    for glob, selectors in table.items():
        if not isinstance(glob, str) or not glob:
            raise _invalid(key, where, "a non-empty glob as each key", glob)
        result[glob] = _selectors_check(selectors, f"{key}.{glob}", where)
    return _frozen(result)


def _severity_check(value: object, key: str, where: str) -> Mapping[str, Level]:
    table = _table(value, key, where, 'a table of rule selector = "error", "warning" or "off"')
    levels = _choice_check(get_args(Level))
    result: dict[str, Level] = {}
    for selector, level in table.items():
        result[_selector(selector, key, where)] = cast(
            "Level", levels(level, f"{key}.{selector}", where)
        )
    return _frozen(result)


def _rate(value: object, key: str, where: str) -> float:
    expected = "a number >= 0 (rials per part)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(key, where, expected, value)
    if not math.isfinite(value) or value < 0:
        raise _invalid(key, where, expected, value)
    return value


def _tariff_check(value: object, key: str, where: str) -> Tariff:
    if isinstance(value, Tariff):
        value = {name: getattr(value, name) for name in _TARIFF_KEYS}
    table = _table(value, key, where, "a table of " + ", ".join(_TARIFF_KEYS))
    for name in table:
        if name not in _TARIFF_KEYS:
            raise _unknown_key(f"{key}.{name}", str(name), _TARIFF_KEYS, where)
    missing = [name for name in _TARIFF_KEYS if name not in table]
    if missing:
        msg = f"incomplete {key!r} {where}: missing {', '.join(missing)} (all four are required)"
        raise ConfigError(msg)
    return Tariff(**{name: _rate(table[name], f"{key}.{name}", where) for name in _TARIFF_KEYS})


def load_tariff(path: str | os.PathLike[str]) -> Tariff:
    """The tariff in the TOML file ``path``: the four rates at the top level, under
    ``[tariff]``, or under ``[tool.p2pfile.tariff]`` (a tariff kept as in a pyproject).

    Raises :class:`~p2pfile.errors.ConfigError` naming the file.
    """
    name = os.fspath(path)
    # Read as a config file is: a BOM from Notepad is fine, and errors name the file.
    data: Mapping[str, object] = _read_toml(Path(name), what="tariff file")
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("p2pfile"), dict):
        data = tool["p2pfile"]
    return _tariff_check(data.get("tariff", data), "tariff", f"in {name}")


_VALIDATORS: Final[Mapping[str, _Validator]] = {
    "select": _selectors_check,
    "extend-select": _selectors_check,
    "ignore": _selectors_check,
    "per-file-ignores": _per_file_ignores_check,
    "severity": _severity_check,
    "fail-on": _choice_check(get_args(FailOn)),
    "output-format": _choice_check(get_args(OutputFormat)),
    "show-rows": _int_check(0, None),
    "allow-foreign": _bool_check,
    "allowed-regions": _regions_check,
    "max-parts": _int_check(1, 255),
    "max-length": _int_check(1, None),
    "suffix": _str_check,
    "max-rows": _int_check(1, None),
    "max-bytes": _int_check(1, None),
    "number-format": _choice_check(get_args(NumberFormat)),
    "tariff": _tariff_check,
}

#: Every key a config file may hold.
KEYS: Final = frozenset(_VALIDATORS)
_FIELD_TO_KEY: Final = {key.replace("-", "_"): key for key in _VALIDATORS}
# Fields whose overrides add to the file's value rather than replace it (see merged()).
_ACCUMULATED: Final = frozenset({"per_file_ignores", "severity"})


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    options = list(candidates)
    # max_parts for max-parts is the commonest slip; difflib alone would also find it,
    # but not reliably for short keys.
    for variant in (word.replace("_", "-"), word.replace("-", "_"), word.lower(), word.upper()):
        if variant != word and variant in options:
            return f"; did you mean {variant!r}?"
    close = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown_key(key: str, leaf: str, valid: Iterable[str], where: str) -> ConfigError:
    return ConfigError(f"unknown key {key!r} {where}{_did_you_mean(leaf, valid)}")


# --- files -------------------------------------------------------------------------------


def _read_toml(path: Path, *, what: str = "config file") -> dict[str, object]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {what} {path}: {exc.strerror or exc}"
        raise ConfigError(msg) from None
    # Windows editors (Notepad) may start the file with a UTF-8 BOM, which tomllib rejects.
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        msg = f"invalid TOML in {path}: not UTF-8 (byte {exc.start})"
        raise ConfigError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"invalid TOML in {path}: {exc}"
        raise ConfigError(msg) from None


def _tool_table(data: Mapping[str, object], path: Path) -> Mapping[str, object] | None:
    tool = data.get("tool")
    if not isinstance(tool, Mapping) or "p2pfile" not in tool:
        return None
    table = tool["p2pfile"]
    if not isinstance(table, Mapping):
        msg = f"invalid [tool.p2pfile] in {path}: expected a table, got {_got(table)}"
        raise ConfigError(msg)
    return cast("Mapping[str, object]", table)


def _settings_from_table(table: Mapping[str, object], where: str, source: Path) -> Settings:
    values: dict[str, object] = {}
    for key, value in table.items():
        check = _VALIDATORS.get(key)
        if check is None:
            if key == "tool" and source.name != _PYPROJECT:
                msg = (
                    f"unknown key 'tool' {where}: {source.name} holds the settings at the "
                    "top level; move them out of [tool.p2pfile]"
                )
                raise ConfigError(msg)
            raise _unknown_key(key, key, sorted(KEYS), where)
        values[key.replace("-", "_")] = check(value, key, where)
    return Settings(source=source, **values)  # type: ignore[arg-type]


def load_config(path: Path) -> Settings:
    """Read and check one config file (``pyproject.toml``: its ``[tool.p2pfile]`` table).

    Raises :class:`~p2pfile.errors.ConfigError` for a file that cannot be read,
    invalid TOML, a ``pyproject.toml`` without the table, an unknown key or a bad value.
    """
    path = Path(os.path.abspath(path))
    data = _read_toml(path)
    if path.name == _PYPROJECT:
        table = _tool_table(data, path)
        if table is None:
            msg = f"no [tool.p2pfile] table in {path}"
            raise ConfigError(msg)
        return _settings_from_table(table, f"in {path} [tool.p2pfile]", path)
    return _settings_from_table(data, f"in {path}", path)


def find_config(start: Path) -> Path | None:
    """The closest config file at or above ``start`` (a directory, or a file's directory).

    A ``pyproject.toml`` counts only if it has a ``[tool.p2pfile]`` table, so it
    is parsed here; a broken one raises :class:`~p2pfile.errors.ConfigError`
    rather than being skipped, since it might have held the settings.
    """
    here = _directory_of(start)
    for directory in (here, *here.parents):
        found = _config_in(directory)
        if found is not None:
            return found
    return None


def _directory_of(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is a directory, else the directory it is in (absolute)."""
    here = Path(os.path.abspath(path))
    # A file, or a name that does not exist yet (--stdin-filename): use its directory.
    return here if os.path.isdir(here) else here.parent


def _config_in(directory: Path) -> Path | None:
    """The config file of ``directory`` itself, if it has one."""
    for name in CONFIG_NAMES:
        candidate = directory / name
        # os.path.isfile: False for a directory name too long to exist, where
        # Path.is_file raises (the file under it gets its F101 finding).
        if not os.path.isfile(candidate):
            continue
        if name != _PYPROJECT or _tool_table(_read_toml(candidate), candidate) is not None:
            return candidate
    return None


def discover(start: Path, *, explicit: Path | None = None, isolated: bool = False) -> Settings:
    """The settings for a run: from ``explicit``, else the closest file, else defaults.

    ``isolated`` ignores every file and returns the defaults; combined with
    ``explicit`` it is a :class:`~p2pfile.errors.UsageError` (as ruff refuses
    ``--config`` with ``--isolated``).
    """
    if isolated:
        if explicit is not None:
            msg = "--config and --isolated cannot be used together: --isolated ignores all files"
            raise UsageError(msg)
        return Settings()
    path = explicit if explicit is not None else find_config(start)
    return Settings() if path is None else load_config(path)


class Resolver:
    """The settings of each file of a run (ruff's hierarchical configuration).

    Each file gets the config file closest to it, with ``overrides`` (the flags,
    as for :meth:`Settings.merged`) on top; ``explicit`` (``--config``) or
    ``isolated`` give every file the same settings. Each directory is looked up
    and each config file read once per run, and files sharing a config file get
    the same :class:`Settings` object, so a caller can group them by it.
    """

    def __init__(
        self,
        *,
        explicit: Path | None = None,
        isolated: bool = False,
        overrides: Mapping[str, object] | None = None,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._fixed: Settings | None = None
        if isolated or explicit is not None:
            self._fixed = discover(Path.cwd(), explicit=explicit, isolated=isolated).merged(
                **self._overrides
            )
        self._closest: dict[Path, Path | None] = {}
        self._loaded: dict[Path | None, Settings] = {}

    def for_path(self, path: str | os.PathLike[str]) -> Settings:
        """The settings of a file (or of a directory, for what lies in it)."""
        if self._fixed is not None:
            return self._fixed
        config = self._closest_to(_directory_of(path))
        settings = self._loaded.get(config)
        if settings is None:
            settings = Settings() if config is None else load_config(config)
            settings = self._loaded[config] = settings.merged(**self._overrides)
        return settings

    def for_run(self, paths: Iterable[str | os.PathLike[str]]) -> Settings:
        """The settings of the run as a whole: those of the common parent of ``paths``
        (the current directory when there are none, or they are on different drives)."""
        parents = [str(_directory_of(p)) for p in paths]
        try:
            start = os.path.commonpath(parents) if parents else os.getcwd()
        except ValueError:  # different drives
            start = os.getcwd()
        return self.for_path(Path(start))

    def _closest_to(self, directory: Path) -> Path | None:
        if directory in self._closest:
            return self._closest[directory]
        found = _config_in(directory)
        if found is None and directory.parent != directory:
            found = self._closest_to(directory.parent)
        self._closest[directory] = found
        return found


# --- rules -------------------------------------------------------------------------------


def _resolve_one(
    selector: str, known: Mapping[str, str], by_name: Mapping[str, str], where: str
) -> frozenset[str]:
    if not isinstance(selector, str) or not _SELECTOR.fullmatch(selector):
        hint = _did_you_mean(str(selector), [*known, *by_name])
        msg = f"invalid rule selector {selector!r}{where}: expected {_SELECTOR_HELP}{hint}"
        raise ConfigError(msg)
    if selector == "ALL":
        return frozenset(known)
    if selector in known:
        return frozenset({selector})
    if selector in by_name:
        return frozenset({by_name[selector]})
    if selector[0].isupper() and len(selector) < _CODE_LENGTH:
        codes = frozenset(code for code in known if code.startswith(selector))
        if codes:
            return codes
        msg = f"unknown rule prefix {selector!r}{where}: no rule code starts with it"
        raise ConfigError(msg)
    msg = f"unknown rule {selector!r}{where}{_did_you_mean(selector, [*known, *by_name])}"
    raise ConfigError(msg)


def resolve_selectors(
    selectors: Iterable[str], known: Mapping[str, str], *, where: str = ""
) -> frozenset[str]:
    """The codes that ``selectors`` (codes, prefixes, names, ``ALL``) stand for.

    ``known`` maps every rule code to its name (``rules.names()``). ``where``
    is appended to error messages (`` in 'ignore' of /x/p2pfile.toml``).
    Raises :class:`~p2pfile.errors.ConfigError` for an unknown code, name or prefix.
    """
    by_name = {name: code for code, name in known.items()}
    codes: set[str] = set()
    for selector in selectors:
        codes |= _resolve_one(selector, known, by_name, where)
    return frozenset(codes)


def _where(settings: Settings, key: str) -> str:
    # After merged(), a value comes from the overrides, or from them and the file together.
    name = key.split(".", 1)[0].replace("-", "_")
    if name in settings.overridden:
        both = name in _ACCUMULATED and settings.source is not None
        return (
            f" in {key!r} (overrides or {settings.source})" if both else f" in {key!r} (overrides)"
        )
    return f" in {key!r} of {settings.source}" if settings.source else f" in {key!r}"


def severity_overrides(settings: Settings, known: Mapping[str, str]) -> dict[str, Level]:
    """The level ``settings.severity`` gives each code it covers; the most specific key wins.

    A code or name beats a longer prefix, which beats a shorter one, which
    beats ``ALL``. A code and its name given different levels is a
    :class:`~p2pfile.errors.ConfigError`.
    """
    by_name = {name: code for code, name in known.items()}

    def specificity(selector: str) -> int:
        if selector == "ALL":
            return 0
        if selector in known or selector in by_name:
            return _CODE_LENGTH + 1
        return len(selector)

    result: dict[str, Level] = {}
    decided_by: dict[str, str] = {}
    for selector in sorted(settings.severity, key=specificity):
        level = settings.severity[selector]
        where = _where(settings, f"severity.{selector}")
        for code in _resolve_one(selector, known, by_name, where):
            earlier = decided_by.get(code)
            if (
                earlier is not None
                and specificity(earlier) == specificity(selector)
                and result[code] != level
            ):
                msg = (
                    f"conflicting severity for {code}{_where(settings, 'severity')}: "
                    f"{earlier!r} says {result[code]!r}, {selector!r} says {level!r}"
                )
                raise ConfigError(msg)
            result[code] = level
            decided_by[code] = selector
    return result


def _glob_matches(glob: str, path: str, base: Path) -> bool:
    # As ruff: anchored at the config file's directory, so the current directory never
    # matters; a pattern without a "/" also matches the base name, at any depth. A
    # Windows user's "legacy\\*.csv" means "legacy/*.csv" (fnmatch has no escapes).
    pattern = glob.replace("\\", "/").removeprefix("./")
    candidates = set()
    if "/" not in pattern:
        candidates.add(PurePath(path).name)
    # Outside the config's directory only the name counts.
    with contextlib.suppress(ValueError):
        candidates.add(Path(os.path.abspath(path)).relative_to(base).as_posix())
    # ruff users write "**/x.csv" for "x.csv at any depth", top level included.
    patterns = {pattern, pattern.removeprefix("**/")}
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def pinned(settings: Settings, path: str) -> Settings:
    """``settings`` as they apply to ``path``, whatever path they are later given: the
    ``per-file-ignores`` that match it become a last ``ignore`` layer, the others go.

    For a file read under another name (standard input saved to a temporary file,
    ``--stdin-filename``). Selectors of the dropped entries are not checked here.
    """
    base = settings.source.parent if settings.source is not None else Path.cwd()
    matching = tuple(
        selector
        for glob, selectors in settings.per_file_ignores.items()
        if _glob_matches(glob, path, base)
        for selector in selectors
    )
    layers = (*settings.layers, RuleSelection(ignore=matching)) if matching else settings.layers
    return replace(settings, per_file_ignores=_frozen({}), layers=layers)


def selected_codes(
    settings: Settings, known: Mapping[str, str], defaults: frozenset[str], path: str | None
) -> frozenset[str]:
    """The codes to run on ``path`` (``None``: ignore ``per-file-ignores``).

    ``select`` (or ``defaults``) + ``extend-select`` - ``ignore`` - matching
    ``per-file-ignores`` - rules whose ``severity`` is ``"off"``. Globs match
    relative to the config file's directory (the current one without a file).
    Raises :class:`~p2pfile.errors.ConfigError` for a selector naming no rule.
    """

    def resolve(key: str, selectors: Iterable[str]) -> frozenset[str]:
        return resolve_selectors(selectors, known, where=_where(settings, key))

    codes = set(defaults if settings.select is None else resolve("select", settings.select))
    codes |= resolve("extend-select", settings.extend_select)
    codes -= resolve("ignore", settings.ignore)
    for layer in settings.layers:  # the overrides, in order (see Settings.merged)
        codes |= resolve_selectors(
            layer.extend_select, known, where=" in 'extend-select' (overrides)"
        )
        codes -= resolve_selectors(layer.ignore, known, where=" in 'ignore' (overrides)")
    base = settings.source.parent if settings.source is not None else Path.cwd()
    for glob, selectors in settings.per_file_ignores.items():
        ignored = resolve(f"per-file-ignores.{glob}", selectors)  # checked even if unmatched
        if path is not None and _glob_matches(glob, path, base):
            codes -= ignored
    off = {code for code, level in severity_overrides(settings, known).items() if level == "off"}
    return frozenset(codes - off)
