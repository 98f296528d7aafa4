"""Arguments of the public functions are checked at their entry: one line, a p2pfile
error, raised before anything is written; plain mappings work where typed settings do."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

import p2pfile
from p2pfile import ConfigError, UsageError
from p2pfile.config import Settings, Tariff
from p2pfile.rules import Options

FOREIGN = "recipient,message\n+447911123456,hello uk\n09121234567,hello ir\n"
TARIFF = {"persian_mci": 1200, "english_mci": 900, "persian_other": 1300, "english_other": 1000}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(FOREIGN, encoding="utf-8")
    return path


def _one_line(info: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(info.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------- fix destinations


def test_fix_refuses_a_directory_as_output_before_writing_the_rejects(
    src: Path, tmp_path: Path
) -> None:
    (tmp_path / "outdir").mkdir()
    rejects = tmp_path / "r.csv"
    with pytest.raises(UsageError) as info:
        p2pfile.fix(src, tmp_path / "outdir", rejects, settings=Settings())
    assert "outdir" in _one_line(info)
    assert "directory" in str(info.value)
    assert not rejects.exists()


@pytest.mark.parametrize("role", ["output", "rejects"])
def test_fix_refuses_a_destination_whose_directory_is_missing(
    src: Path, tmp_path: Path, role: str
) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "no" / "such.csv"
    output, rejects = (bad, good) if role == "output" else (good, bad)
    with pytest.raises(UsageError, match=f"the {role} file cannot be written") as info:
        p2pfile.fix(src, output, rejects, settings=Settings())
    assert str(tmp_path / "no") in _one_line(info)
    assert not good.exists()


@pytest.mark.skipif(not os.path.exists(os.devnull), reason="no null device")
def test_fix_never_replaces_a_device_with_its_output(src: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        p2pfile.fix(src, os.devnull, settings={"allow_foreign": True})


def test_fix_refuses_paths_that_are_not_paths(src: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"fix\(\) path must be a path") as info:
        p2pfile.fix(None)  # type: ignore[arg-type]
    _one_line(info)
    with pytest.raises(UsageError, match=r"fix\(\) output must be a path"):
        p2pfile.fix(src, 3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="output path is empty"):
        p2pfile.fix(src, "", tmp_path / "r.csv")


# --------------------------------------------------------------------------- plain mappings


def test_fix_takes_a_mapping_of_settings_on_top_of_the_config_file(
    src: Path, tmp_path: Path
) -> None:
    (tmp_path / "p2pfile.toml").write_text('ignore = ["M"]\n', "utf-8")
    out, rejects = tmp_path / "out.csv", tmp_path / "r.csv"
    result = p2pfile.fix(src, out, rejects, settings={"allow-foreign": True})
    assert (result.rows_written, result.rows_rejected) == (2, 0)
    result = p2pfile.fix(src, out, rejects, settings={"allow_foreign": False})
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    with pytest.raises(UsageError, match="did you mean 'allow_foreign'") as info:
        p2pfile.fix(src, out, rejects, settings={"allow_foriegn": True})
    _one_line(info)
    with pytest.raises(ConfigError, match="max-parts"):
        p2pfile.fix(src, out, rejects, settings={"max_parts": 0})
    with pytest.raises(UsageError, match="must be a Settings or a mapping"):
        p2pfile.fix(src, out, rejects, settings=["allow_foreign"])  # type: ignore[arg-type]


def test_stats_takes_mappings_for_tariff_and_settings(src: Path) -> None:
    typed = p2pfile.stats(src, tariff=Tariff(**TARIFF), settings=Settings())
    plain = p2pfile.stats(src, tariff=TARIFF, settings={})
    assert plain.cost == typed.cost
    assert plain.cost is not None
    assert p2pfile.stats(src, settings={"ignore": ["P203"]}).sent == 2
    with pytest.raises(ConfigError, match="did you mean 'persian_mci'") as info:
        p2pfile.stats(src, tariff={**TARIFF, "persian_mc": 1})
    _one_line(info)
    with pytest.raises(ConfigError, match="missing"):
        p2pfile.stats(src, tariff={"persian_mci": 1})
    with pytest.raises(UsageError, match="tariff must be"):
        p2pfile.stats(src, tariff=5)  # type: ignore[arg-type]


def test_split_takes_a_mapping_of_options() -> None:
    frame = pl.DataFrame({"recipient": ["+447911123456", "09121234567"], "message": ["a", "b"]})
    clean, rejected = p2pfile.split(frame, options={"allow_foreign": True})
    assert (clean.height, rejected.height) == (2, 0)
    national, _ = p2pfile.split(frame, options={"number-format": "national"})
    assert national.get_column("recipient").to_list() == ["09121234567"]
    typed, _ = p2pfile.split(frame, options=Options(allowed_regions=frozenset({"GG"})))
    plain, _ = p2pfile.split(frame, options={"allowed_regions": ["GG"]})
    assert typed.equals(plain)
    with pytest.raises(UsageError, match="did you mean 'max_parts'") as info:
        p2pfile.split(frame, options={"max_part": 4})
    _one_line(info)
    with pytest.raises(UsageError, match="options must be"):
        p2pfile.split(frame, options=4)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- split's frame


def test_split_collects_a_lazyframe() -> None:
    frame = pl.DataFrame({"recipient": ["09121234567"], "message": ["hi"]})
    clean, _ = p2pfile.split(frame.lazy())
    assert clean.rows() == [("+989121234567", "hi")]


class DataFrame:
    """Stands in for pandas.DataFrame (pandas is not a dependency)."""


DataFrame.__module__ = "pandas.core.frame"


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (DataFrame(), r"not pandas\.DataFrame; convert it with polars\.from_pandas"),
        ({"recipient": ["0912"], "message": ["x"]}, "takes a polars DataFrame or LazyFrame"),
        (
            pl.DataFrame({"recipient": ["0912"], "message": ["x"], "line": ["2"]}),
            "column 'line' must hold integers, not String",
        ),
        (
            pl.DataFrame({"recipient": [["0912"]], "message": ["x"]}),
            "column 'recipient' must hold text, not List",
        ),
        (
            pl.DataFrame({"recipient": ["a", "b"], "message": ["x", "y"], "row": [1, None]}),
            "column 'row' must have a number in every row",
        ),
    ],
)
def test_split_names_what_it_expects(frame: object, match: str) -> None:
    with pytest.raises(UsageError, match=match) as info:
        p2pfile.split(frame)  # type: ignore[arg-type]
    _one_line(info)


# --------------------------------------------------------------------------- check and read


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: p2pfile.check(None), r"check\(\) takes a path .* not NoneType"),
        (lambda: p2pfile.check(123), r"check\(\) takes a path .* not int"),
        (lambda: p2pfile.check(["a.csv", None]), r"check\(\) path #2 must be a path"),
        (lambda: p2pfile.check("a.csv", config=1), r"check\(\) config must be a path"),
        (lambda: p2pfile.stats(None), r"stats\(\) takes a path .* not NoneType"),
        (lambda: p2pfile.read(None), r"read\(\) path must be a path .* not NoneType"),
    ],
)
def test_check_stats_and_read_refuse_what_is_not_a_path(call: object, match: str) -> None:
    assert callable(call)
    with pytest.raises(UsageError, match=match) as info:
        call()
    _one_line(info)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (p2pfile.check, r"check\(\) takes paths, not an open file"),
        (p2pfile.stats, r"stats\(\) takes paths, not an open file"),
    ],
)
def test_an_open_file_is_refused_not_read_as_one_path_per_line(
    src: Path, call: object, match: str
) -> None:
    """Iterated, an open file gives its lines: each would be a missing file (F101)."""
    assert callable(call)
    with src.open("rb") as f, pytest.raises(UsageError, match=match):
        call(f)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (FOREIGN, r"check\(\) path holds a line break, so it is no path"),
        (FOREIGN.encode(), r"check\(\) path holds a line break"),
        ("a\x00b.csv", r"check\(\) path holds a NUL character"),
        (["ok.csv", "a\x00b.csv"], r"check\(\) path #2 holds a NUL character"),
        (pl.DataFrame({"recipient": ["09121234567"]}), r"use p2pfile\.split\(frame\)"),
    ],
)
def test_content_or_a_frame_passed_as_paths_is_refused(value: object, match: str) -> None:
    with pytest.raises(UsageError, match=match) as info:
        p2pfile.check(value)
    _one_line(info)


def test_a_name_too_long_for_the_file_system_is_an_f101_finding(tmp_path: Path) -> None:
    """Path.is_dir raises ENAMETOOLONG; a missing file of any name is a finding."""
    name = str(tmp_path / ("x" * 300 + ".csv"))
    report = p2pfile.check(name, isolated=True)
    assert [(d.code, d.path) for d in report] == [("F101", name)]
    assert "too long" in report.diagnostics[0].message
    with pytest.raises(p2pfile.InputFileError, match="F101"):
        p2pfile.stats(name)


# --------------------------------------------------------------------------- the faces


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: p2pfile.normalize_numbers("09121234567"), r"for one value use normalize_number"),
        (lambda: p2pfile.analyze_messages("hello"), r"for one value use analyze_message"),
        (
            lambda: p2pfile.normalize_numbers(pl.DataFrame({"r": ["0912"]})),
            r"not a whole frame; pass one column",
        ),
        (lambda: p2pfile.normalize_numbers(5), r"takes a column of cells .*, not int"),
        (lambda: p2pfile.normalize_numbers([1, 2]), r"takes cells of UTF-8 text"),
        (lambda: p2pfile.normalize_number(None), r"normalize_number\(\) text must be a str"),
        (lambda: p2pfile.analyze_message(5), r"analyze_message\(\) text must be a str, not int"),
        (lambda: p2pfile.analyze_message("x", suffix=None), r"suffix must be a str"),
    ],
)
def test_the_faces_refuse_what_would_be_misread(call: object, match: str) -> None:
    """A bare str is iterable: one row per character. Every refusal is a UsageError."""
    assert callable(call)
    with pytest.raises(UsageError, match=match) as info:
        call()
    _one_line(info)


def test_the_faces_take_any_column_of_cells() -> None:
    assert p2pfile.normalize_numbers(pl.Series([9121234567])).get_column("e164").to_list() == [
        "+989121234567"
    ]
    assert p2pfile.analyze_messages(m for m in ["a", None]).height == 2


def test_fix_takes_unsafe_as_a_bool_only(src: Path, tmp_path: Path) -> None:
    """unsafe="no" is truthy: taken as it is, it would apply the unsafe fixes."""
    with pytest.raises(UsageError, match=r"unsafe must be True or False, not 'no'"):
        p2pfile.fix(src, output=tmp_path / "out.csv", unsafe="no")  # type: ignore[arg-type]
    assert not (tmp_path / "out.csv").exists()


class DataFrame:
    """Stands for a pandas DataFrame (told by its type's module and name): iterated, it
    gives its column names."""

    __module__ = "pandas.core.frame"

    def __iter__(self) -> object:
        return iter(["recipient", "message"])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: p2pfile.check(DataFrame()), r"use p2pfile\.split\(frame\)"),
        (lambda: p2pfile.stats(DataFrame()), r"use p2pfile\.split\(frame\)"),
        (lambda: p2pfile.normalize_numbers(DataFrame()), r"not a whole frame"),
        (lambda: p2pfile.analyze_messages({"b", "a"}), r"in order, not set"),
        (lambda: p2pfile.analyze_messages({"a": 1}), r"in order, not dict"),
        (lambda: p2pfile.analyze_messages(["a\ud800b"]), r"cells of UTF-8 text"),
        (lambda: p2pfile.normalize_numbers(["0912\ud800"]), r"cells of UTF-8 text"),
        (lambda: p2pfile.number_expr(5), r"number_expr\(\) takes a column name"),
        (lambda: p2pfile.message_expr(None), r"message_expr\(\) takes a column name"),
    ],
)
def test_frames_unordered_cells_and_bad_columns_are_refused(call: object, match: str) -> None:
    assert callable(call)
    with pytest.raises(UsageError, match=match) as info:
        call()
    _one_line(info)
