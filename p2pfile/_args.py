"""Checks of the arguments of the public functions, made at their entry.

A program that passes ``None`` for a path, a pandas frame to ``split`` or a
directory as the output gets one line saying what was expected
(:class:`~p2pfile.errors.UsageError`), raised before anything is read or
written, instead of a ``TypeError`` or ``AttributeError`` from deep inside, or a
file half written.

Plain mappings are accepted where a typed settings object is: ``settings``,
``tariff`` and ``options`` are built from them, their keys checked (an unknown
key is an error that names it and the closest valid one) and their values
checked as a config file's are.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import polars as pl

from p2pfile._column import is_pandas_frame
from p2pfile.config import Resolver, Settings, Tariff, discover
from p2pfile.config import _did_you_mean as did_you_mean
from p2pfile.config import _tariff_check as tariff_check
from p2pfile.errors import UsageError
from p2pfile.rules import Options

__all__ = [
    "destination_arg",
    "frame_arg",
    "options_arg",
    "path_arg",
    "paths_arg",
    "resolver_arg",
    "settings_arg",
    "tariff_arg",
]

_SETTING_FIELDS: Final = frozenset(
    f.name for f in dataclasses.fields(Settings) if f.name not in {"source", "overridden", "layers"}
)
_OPTION_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Options))
_TARIFF_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Tariff))
_PATH_TYPES: Final = "a path (str or os.PathLike)"


def _type_name(value: object) -> str:
    kind = type(value)
    module = kind.__module__.split(".")[0]
    return kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"


def path_arg(value: object, where: str) -> str:
    """``value`` as a ``str`` path; ``where`` names the argument (``fix() output``)."""
    if isinstance(value, str | bytes | os.PathLike):
        path = os.fsdecode(value)
        # A line break: the file's content passed for its name (a NUL: no OS takes it).
        if "\n" in path or "\x00" in path:
            what = "a line break" if "\n" in path else "a NUL character"
            msg = (
                f"{where} holds {what}, so it is no path: pass the file's name "
                "(content in memory: write it to a file first)"
            )
            raise UsageError(msg)
        return path
    msg = f"{where} must be {_PATH_TYPES}, not {_type_name(value)}"
    raise UsageError(msg)


def paths_arg(value: object, func: str) -> list[str]:
    """One path, or an iterable of them, as a list of ``str`` paths."""
    if isinstance(value, str | bytes | os.PathLike):
        return [path_arg(value, f"{func} path")]  # one path, not an iterable of characters
    # Iterable, but not of paths: an open file's lines, a frame's columns.
    if isinstance(value, io.IOBase):
        msg = f"{func} takes paths, not an open file: pass its name"
        raise UsageError(msg)
    if isinstance(value, pl.DataFrame | pl.LazyFrame | pl.Series) or is_pandas_frame(value):
        msg = f"{func} reads files; for rows already in a frame use p2pfile.split(frame)"
        raise UsageError(msg)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [path_arg(item, f"{func} path #{i + 1}") for i, item in enumerate(value)]
    msg = f"{func} takes {_PATH_TYPES} or an iterable of paths, not {_type_name(value)}"
    raise UsageError(msg)


def destination_arg(path: str, role: str) -> None:
    """Refuse a file ``fix`` cannot write: found before anything at all is written."""
    if not path:
        msg = f"the {role} path is empty"
        raise UsageError(msg)
    if os.path.isdir(path):
        msg = f"{path}: the {role} file cannot be written: it is a directory; give a file name"
        raise UsageError(msg)
    if os.path.exists(path) and not os.path.isfile(path):
        # os.replace would put a regular file in place of a device or a pipe (/dev/null).
        msg = f"{path}: the {role} file cannot be written: it is not a regular file"
        raise UsageError(msg)
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        what = "is not a directory" if os.path.exists(parent) else "does not exist"
        msg = f"{path}: the {role} file cannot be written: {parent} {what}"
        raise UsageError(msg)
    if not os.access(parent, os.W_OK | os.X_OK):
        msg = f"{path}: the {role} file cannot be written: no permission to write in {parent}"
        raise UsageError(msg)


def _keys(mapping: Mapping[object, object], valid: Iterable[str], what: str) -> dict[str, object]:
    """Keys in snake_case (a config file's kebab-case too); an unknown one is an error."""
    names = sorted(valid)
    out: dict[str, object] = {}
    for key, value in mapping.items():
        if not isinstance(key, str):
            msg = f"{what} keys are strings, not {_type_name(key)} ({key!r})"
            raise UsageError(msg)
        name = key.replace("-", "_")
        if name not in names:
            msg = f"unknown key {key!r} in {what}{did_you_mean(name, names)}"
            raise UsageError(msg)
        out[name] = value
    return out


def settings_arg(value: object, func: str, start: Path) -> Settings:
    """``None``: the closest config file of ``start``. A :class:`Settings`: itself. A
    mapping: the closest config file with the mapping on top, as ``check()``'s keyword
    overrides are (so ``{"allow_foreign": True}`` keeps the project's other settings)."""
    if value is None:
        return discover(start)
    if isinstance(value, Settings):
        return value
    if isinstance(value, Mapping):
        overrides = _keys(value, _SETTING_FIELDS, f"{func} settings")
        return discover(start).merged(**overrides)
    msg = f"{func} settings must be a Settings or a mapping of settings, not {_type_name(value)}"
    raise UsageError(msg)


def resolver_arg(value: object, func: str) -> Resolver | None:
    """Per-file settings for ``value`` as :func:`settings_arg` takes it: ``None`` for a
    :class:`Settings` (used as it is for every file), else each file's closest config
    file with the mapping (if any) on top."""
    if isinstance(value, Settings):
        return None
    if value is None:
        return Resolver()
    if isinstance(value, Mapping):
        return Resolver(overrides=_keys(value, _SETTING_FIELDS, f"{func} settings"))
    msg = f"{func} settings must be a Settings or a mapping of settings, not {_type_name(value)}"
    raise UsageError(msg)


def tariff_arg(value: object, func: str) -> Tariff | None:
    """``None``, a :class:`Tariff`, or a mapping of its four rates (all required)."""
    if value is None or isinstance(value, Tariff):
        return value
    if isinstance(value, Mapping):
        return tariff_check(dict(value), "tariff", f"given to {func}")
    fields = ", ".join(_TARIFF_FIELDS)
    msg = (
        f"{func} tariff must be a p2pfile Tariff or a mapping of {fields}, not {_type_name(value)}"
    )
    raise UsageError(msg)


def options_arg(value: object, func: str) -> Options:
    """An :class:`Options`, or a mapping of its fields checked as the settings of those
    names are (``max_parts``, ``suffix``, ``allowed_regions``, ``tariff`` as a table, ...)."""
    if isinstance(value, Options):
        return value
    if not isinstance(value, Mapping):
        msg = (
            f"{func} options must be p2pfile Options or a mapping of them, not {_type_name(value)}"
        )
        raise UsageError(msg)
    given = _keys(value, _OPTION_FIELDS, f"{func} options")
    checked = Settings().merged(**given)
    fields: dict[str, object] = {name: getattr(checked, name) for name in given}
    tariff = fields.get("tariff")
    if isinstance(tariff, Tariff):
        fields["tariff"] = tuple(getattr(tariff, name) for name in _TARIFF_FIELDS)
    return Options(**fields)  # type: ignore[arg-type]


_TEXT_TYPES: Final = (pl.String, pl.Categorical, pl.Enum, pl.Null)


def frame_arg(value: object, func: str) -> pl.DataFrame:
    """A polars frame (a LazyFrame is collected) whose columns ``split`` can use."""
    if isinstance(value, pl.LazyFrame):
        value = value.collect()
    if not isinstance(value, pl.DataFrame):
        hint = (
            "; convert it with polars.from_pandas()"
            if _type_name(value).startswith("pandas.")
            else ""
        )
        msg = (
            f"{func} takes a polars DataFrame or LazyFrame with the columns recipient and "
            f"message, not {_type_name(value)}{hint}"
        )
        raise UsageError(msg)
    schema = value.schema
    for name in ("recipient", "message"):
        dtype = schema.get(name)
        if dtype is not None and not (dtype.base_type() in _TEXT_TYPES or dtype.is_numeric()):
            msg = f"{func} column {name!r} must hold text, not {dtype}"
            raise UsageError(msg)
    for name in ("line", "row"):
        dtype = schema.get(name)
        if dtype is None:
            continue
        if not dtype.is_integer():
            msg = f"{func} column {name!r} must hold integers, not {dtype}"
            raise UsageError(msg)
        if value.get_column(name).null_count():
            msg = f"{func} column {name!r} must have a number in every row"
            raise UsageError(msg)
    return value
