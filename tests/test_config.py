"""Config discovery, validation, rule selection, and agreement with config.schema.json."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import pytest

from p2pfile.config import (
    KEYS,
    Settings,
    Tariff,
    discover,
    find_config,
    load_config,
    resolve_selectors,
    selected_codes,
    severity_overrides,
)
from p2pfile.errors import ConfigError, UsageError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.json"

# A small stand-in for the registry (code -> name), so these tests do not depend on it.
KNOWN = {
    "F101": "io-error",
    "P101": "non-ascii-digits",
    "P103": "non-e164",
    "P104": "missing-leading-zero",
    "P203": "foreign-number",
    "P205": "unknown-prefix",
    "M201": "too-many-parts",
    "M205": "near-part-boundary",
    "D101": "duplicate-row",
}
DEFAULTS = frozenset(KNOWN) - {"P103", "M205"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def settings_from(tmp_path: Path, text: str, name: str = "p2pfile.toml") -> Settings:
    return load_config(write(tmp_path / name, text))


# --- discovery ---------------------------------------------------------------------------


def test_closest_file_wins_and_files_are_not_merged(tmp_path: Path) -> None:
    write(tmp_path / "p2pfile.toml", "max-parts = 5\nsuffix = 'x'\n")
    near = write(tmp_path / "a" / "pyproject.toml", "[tool.p2pfile]\nmax-parts = 6\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)

    settings = discover(deep)
    assert settings.source == near
    assert settings.max_parts == 6
    assert settings.suffix == ""  # nothing inherited from the farther file
    assert discover(tmp_path).max_parts == 5


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    outer = write(tmp_path / "p2pfile.toml", "max-length = 70\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    assert find_config(tmp_path / "sub") == outer
    assert discover(tmp_path / "sub").max_length == 70


def test_empty_table_counts_and_gives_defaults(tmp_path: Path) -> None:
    write(tmp_path / "p2pfile.toml", "max-length = 70\n")
    inner = write(tmp_path / "sub" / "pyproject.toml", "[tool.p2pfile]\n")
    settings = discover(tmp_path / "sub")
    assert (settings.source, settings.max_length) == (inner, 1400)


def test_precedence_within_one_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.p2pfile]\nmax-parts = 3\n")
    write(tmp_path / ".p2pfile.toml", "max-parts = 2\n")
    write(tmp_path / "p2pfile.toml", "max-parts = 1\n")
    assert discover(tmp_path).max_parts == 1
    (tmp_path / "p2pfile.toml").unlink()
    assert discover(tmp_path).max_parts == 2
    (tmp_path / ".p2pfile.toml").unlink()
    assert discover(tmp_path).max_parts == 3


def test_start_may_be_a_file_or_a_name_not_yet_written(tmp_path: Path) -> None:
    config = write(tmp_path / "p2pfile.toml", "")
    data = write(tmp_path / "data" / "jan.csv", "recipient,message\n")
    assert find_config(data) == config
    assert find_config(tmp_path / "data" / "stdin.csv") == config


def test_a_broken_pyproject_on_the_way_up_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.p2pfile\n")
    with pytest.raises(ConfigError, match=r"invalid TOML in .*pyproject\.toml"):
        discover(tmp_path)


def test_explicit_config_skips_discovery(tmp_path: Path) -> None:
    write(tmp_path / "p2pfile.toml", "max-parts = 1\n")
    other = write(tmp_path / "elsewhere" / "ci.toml", "max-parts = 9\n")
    settings = discover(tmp_path, explicit=other)
    assert (settings.source, settings.max_parts) == (other, 9)

    project = write(tmp_path / "proj" / "pyproject.toml", "[tool.p2pfile]\nmax-parts = 8\n")
    assert discover(tmp_path, explicit=project).max_parts == 8


def test_explicit_config_must_exist_and_hold_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*missing\.toml"):
        discover(tmp_path, explicit=tmp_path / "missing.toml")
    bare = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"no \[tool\.p2pfile\] table in .*pyproject\.toml"):
        discover(tmp_path, explicit=bare)


def test_isolated_ignores_files_and_refuses_an_explicit_one(tmp_path: Path) -> None:
    config = write(tmp_path / "p2pfile.toml", "max-parts = 1\n")
    assert discover(tmp_path, isolated=True) == Settings()
    with pytest.raises(UsageError, match="--config and --isolated"):
        discover(tmp_path, explicit=config, isolated=True)


# --- validation messages -----------------------------------------------------------------


def test_unknown_key_names_key_file_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.p2pfile]\nmax_parts = 4\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"unknown key 'max_parts' in {path} [tool.p2pfile]; did you mean 'max-parts'?"
    )


def test_unknown_key_suggestions(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'extend-selct' .*did you mean 'extend-select'\?$"):
        settings_from(tmp_path, "extend-selct = []\n")
    with pytest.raises(ConfigError, match=r"unknown key 'colour' in .*p2pfile\.toml$"):
        settings_from(tmp_path, "colour = 'auto'\n")
    with pytest.raises(ConfigError, match="top level; move them out of"):
        settings_from(tmp_path, "[tool.p2pfile]\nmax-parts = 4\n")
    with pytest.raises(ConfigError, match=r"'tariff.persian-mci' .*did you mean 'persian_mci'"):
        settings_from(tmp_path, "[tariff]\npersian-mci = 1\n")


@pytest.mark.parametrize(
    ("toml", "key", "expected", "got"),
    [
        ("max-parts = '20'", "max-parts", "an integer from 1 to 255", "'20' (string)"),
        ("max-parts = true", "max-parts", "an integer from 1 to 255", "True (boolean)"),
        ("max-parts = 0", "max-parts", "an integer from 1 to 255", "0 (integer)"),
        ("max-parts = 256", "max-parts", "an integer from 1 to 255", "256 (integer)"),
        ("max-length = 1.5", "max-length", "an integer >= 1", "1.5 (float)"),
        ("show-rows = -1", "show-rows", "an integer >= 0", "-1 (integer)"),
        ("allow-foreign = 1", "allow-foreign", "true or false", "1 (integer)"),
        ("suffix = 11", "suffix", "a string", "11 (integer)"),
        ("select = 'P'", "select", "an array of rule selectors", "'P' (string)"),
        ("ignore = ['P 2']", "ignore", "a rule code (P205), prefix", "'P 2' (string)"),
        ("allowed-regions = ['ae']", "allowed-regions", "an array of uppercase", "'ae' (string)"),
        ("fail-on = 'info'", "fail-on", "one of 'error', 'warning'", "'info' (string)"),
        ("output-format = 'text'", "output-format", "one of 'full', 'concise'", "'text'"),
        ("number-format = 'E164'", "number-format", "one of 'e164', 'national'", "'E164'"),
        ("severity = {P205 = 'fatal'}", "severity.P205", "one of 'error', 'warning', 'off'", ""),
        ("severity = {'P-205' = 'off'}", "severity", "a rule code (P205)", "'P-205'"),
        ("per-file-ignores = {'a.csv' = 'P'}", "per-file-ignores.a.csv", "an array", "'P'"),
        ("per-file-ignores = ['a.csv']", "per-file-ignores", "a table of glob", "(array)"),
        ("max-bytes = 1970-01-01", "max-bytes", "an integer >= 1", "1970-01-01 (date)"),
    ],
)
def test_wrong_values_name_key_file_expected_and_got(
    tmp_path: Path, toml: str, key: str, expected: str, got: str
) -> None:
    path = tmp_path / "p2pfile.toml"
    with pytest.raises(ConfigError) as info:
        settings_from(tmp_path, toml + "\n")
    message = str(info.value)
    assert message.startswith(f"invalid {key!r} in {path}: expected {expected}")
    assert got in message.split(", got ", 1)[1]


def test_toml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p2pfile.toml", "max-parts = 4\nselect = [P1]\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"invalid TOML in {path}: ")
    assert "(at line 2, column 11)" in message
    assert info.value.__cause__ is None  # one line for the user, no chained traceback


def test_encoding_bom_and_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p2pfile.toml"
    path.write_bytes(b"\xef\xbb\xbfmax-parts = 4\n")  # as Notepad saves it
    assert load_config(path).max_parts == 4
    path.write_bytes("suffix = 'لغو11'\n".encode("cp1256"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_a_full_config_loads_into_typed_fields(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        """
        select = ["P", "M2"]
        extend-select = ["non-e164"]
        ignore = ["P104"]
        fail-on = "warning"
        output-format = "concise"
        show-rows = 0
        allow-foreign = true
        allowed-regions = ["AE", "TR"]
        max-parts = 4
        max-length = 300
        suffix = " لغو11"
        max-rows = 1_000_000
        max-bytes = 200_000_000
        number-format = "national"
        [per-file-ignores]
        "archive/*.csv" = ["D"]
        [severity]
        P1 = "error"
        [tariff]
        persian_mci = 1_000
        english_mci = 2_500
        persian_other = 1_100.5
        english_other = 0
        """,
    )
    assert settings.select == ("P", "M2")
    assert settings.extend_select == ("non-e164",)
    assert settings.allowed_regions == frozenset({"AE", "TR"})
    assert settings.per_file_ignores == {"archive/*.csv": ("D",)}
    assert settings.severity == {"P1": "error"}
    assert settings.tariff == Tariff(1000, 2500, 1100.5, 0)
    assert (settings.max_rows, settings.max_bytes, settings.suffix) == (
        1_000_000,
        200_000_000,
        " لغو11",
    )
    assert (settings.fail_on, settings.output_format, settings.number_format) == (
        "warning",
        "concise",
        "national",
    )
    hash(settings)  # frozen and hashable, so callers may cache on it
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_parts = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.severity["P1"] = "off"  # type: ignore[index]


# --- tariff ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ("persian_mci = 1\nenglish_mci = 1\n", "missing persian_other, english_other"),
        ("persian_mci = -1\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1\n", ">= 0"),
        ("persian_mci = true\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1", "number"),
        ("persian_mci = 'a'\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1", "number"),
        ("persian_mci = nan\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1", "number"),
        ("persian_mci = inf\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1", "number"),
    ],
)
def test_tariff_validation(tmp_path: Path, table: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        settings_from(tmp_path, "[tariff]\n" + table)
    assert "'tariff" in str(info.value)


def test_tariff_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid 'tariff' .*expected a table"):
        settings_from(tmp_path, "tariff = 100\n")


# --- rule selection ----------------------------------------------------------------------


def test_resolve_codes_prefixes_names_and_all() -> None:
    assert resolve_selectors(["P205"], KNOWN) == {"P205"}
    assert resolve_selectors(["P"], KNOWN) == {"P101", "P103", "P104", "P203", "P205"}
    assert resolve_selectors(["P2"], KNOWN) == {"P203", "P205"}
    assert resolve_selectors(["P10"], KNOWN) == {"P101", "P103", "P104"}
    assert resolve_selectors(["unknown-prefix", "D"], KNOWN) == {"P205", "D101"}
    assert resolve_selectors(["ALL"], KNOWN) == set(KNOWN)
    assert resolve_selectors([], KNOWN) == frozenset()


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("P999", "unknown rule 'P999'"),
        ("unknown-prefx", "unknown rule 'unknown-prefx'; did you mean 'unknown-prefix'?"),
        ("p205", "unknown rule 'p205'; did you mean 'P205'?"),
        ("X1", "unknown rule prefix 'X1': no rule code starts with it"),
        ("P2O5", "invalid rule selector 'P2O5': expected a rule code"),
    ],
)
def test_resolve_rejects_unknown_rules(selector: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_selectors([selector], KNOWN)
    assert str(info.value).startswith(message)


def test_selected_codes_follows_ruff_semantics(tmp_path: Path) -> None:
    assert selected_codes(Settings(), KNOWN, DEFAULTS, None) == DEFAULTS
    extended = Settings(extend_select=("P103",), ignore=("D", "too-many-parts"))
    assert selected_codes(extended, KNOWN, DEFAULTS, None) == DEFAULTS - {"D101", "M201"} | {"P103"}
    narrowed = Settings(select=("P2",), extend_select=("M205",), ignore=("P203",))
    assert selected_codes(narrowed, KNOWN, DEFAULTS, None) == {"P205", "M205"}
    assert selected_codes(Settings(select=()), KNOWN, DEFAULTS, None) == frozenset()


def test_unknown_rule_in_a_file_names_key_and_file(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "ignore = ['P999']\n")
    with pytest.raises(ConfigError) as info:
        selected_codes(settings, KNOWN, DEFAULTS, None)
    assert str(info.value) == f"unknown rule 'P999' in 'ignore' of {tmp_path / 'p2pfile.toml'}"


def test_per_file_ignores_match_by_glob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        tmp_path,
        """
        [per-file-ignores]
        "archive/*.csv" = ["D"]
        "intl.csv" = ["foreign-number"]
        "**/legacy-*.xlsx" = ["P1"]
        """,
    )

    def codes(path: str) -> frozenset[str]:
        return DEFAULTS - selected_codes(settings, KNOWN, DEFAULTS, path)

    assert codes(str(tmp_path / "archive" / "2023.csv")) == {"D101"}
    assert codes(str(tmp_path / "archive" / "old" / "2022.csv")) == {"D101"}  # * crosses /
    assert codes(str(tmp_path / "current" / "2024.csv")) == frozenset()
    assert codes(str(tmp_path / "deep" / "dir" / "intl.csv")) == {"P203"}  # by base name
    assert codes(str(tmp_path / "legacy-a.xlsx")) == {"P101", "P104"}
    assert codes(str(tmp_path / "x" / "legacy-b.xlsx")) == {"P101", "P104"}
    # A relative path is taken from the current directory, as the CLI receives it.
    monkeypatch.chdir(tmp_path)
    assert codes("archive/2023.csv") == {"D101"}
    assert codes("./archive/2023.csv") == {"D101"}


def test_per_file_ignores_are_checked_even_when_no_file_matches(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "[per-file-ignores]\n'x.csv' = ['P999']\n")
    with pytest.raises(ConfigError, match=r"unknown rule 'P999' in 'per-file-ignores\.x\.csv' of"):
        selected_codes(settings, KNOWN, DEFAULTS, "y.csv")


def test_severity_overrides_most_specific_wins(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        """
        [severity]
        P104 = "warning"
        ALL = "warning"
        P1 = "error"
        near-part-boundary = "error"
        D = "off"
        """,
    )
    levels = severity_overrides(settings, KNOWN)
    assert levels["P101"] == levels["P103"] == "error"
    assert levels["P104"] == "warning"
    assert levels["M205"] == "error"
    assert levels["F101"] == levels["M201"] == "warning"
    assert levels["D101"] == "off"
    # "off" removes a rule whatever selects it; error/warning never adds one.
    selected = selected_codes(settings, KNOWN, DEFAULTS, None)
    assert selected == DEFAULTS - {"D101"}
    assert "M205" not in selected


def test_severity_code_and_name_must_agree(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "[severity]\nP205 = 'error'\nunknown-prefix = 'off'\n")
    with pytest.raises(ConfigError, match="conflicting severity for P205"):
        severity_overrides(settings, KNOWN)
    agreeing = settings_from(tmp_path, "[severity]\nP205 = 'off'\nunknown-prefix = 'off'\n")
    assert severity_overrides(agreeing, KNOWN) == {"P205": "off"}


def test_severity_unknown_rule_names_the_key(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "[severity]\nP999 = 'off'\n")
    with pytest.raises(ConfigError, match=r"unknown rule 'P999' in 'severity\.P999' of .*toml"):
        severity_overrides(settings, KNOWN)


# --- merged ------------------------------------------------------------------------------


def test_merged_cli_values_win_and_none_means_not_given(tmp_path: Path) -> None:
    base = settings_from(
        tmp_path,
        "max-parts = 4\nselect = ['P']\nignore = ['P104']\nextend-select = ['M201']\n"
        "output-format = 'json'\n[severity]\nP1 = 'warning'\n[per-file-ignores]\n'a.csv' = ['D']\n",
    )
    assert base.merged() is base
    assert base.merged(max_parts=None, select=None) is base

    cli = base.merged(
        max_parts=6,
        select=["P2"],
        ignore=("P203",),
        extend_select=["M205"],
        severity={"P1": "error"},
        per_file_ignores={"b.csv": ["P"]},
        allowed_regions=["AE"],
        tariff=Tariff(1, 2, 3, 4),
        output_format=None,
    )
    assert cli.max_parts == 6
    assert cli.output_format == "json"  # not given on the command line: the file's
    assert cli.select == ("P2",)  # replaced
    # As in ruff, a select given on top starts afresh: the file's ignore and
    # extend-select no longer count, the override's apply.
    assert cli.ignore == ("P203",)
    assert cli.extend_select == ("M205",)
    assert cli.severity == {"P1": "error"}
    assert cli.per_file_ignores == {"a.csv": ("D",), "b.csv": ("P",)}
    assert cli.allowed_regions == {"AE"}
    assert cli.tariff == Tariff(1, 2, 3, 4)
    assert cli.source == base.source
    assert base.max_parts == 4  # the original is untouched


def test_merged_checks_values_and_names() -> None:
    with pytest.raises(ConfigError, match=r"invalid 'max-parts' in overrides: expected"):
        Settings().merged(max_parts=0)
    with pytest.raises(ConfigError, match="invalid 'select' in overrides"):
        Settings().merged(select=["p 1"])
    with pytest.raises(UsageError, match="unknown setting 'max_part'; did you mean 'max_parts'"):
        Settings().merged(max_part=3)


def test_merged_messages_blame_the_overrides_too(tmp_path: Path) -> None:
    base = settings_from(tmp_path, "ignore = ['P104']\n")
    with pytest.raises(ConfigError, match=r"unknown rule 'P999' in 'ignore' \(overrides\)$"):
        selected_codes(base.merged(ignore=["P999"]), KNOWN, DEFAULTS, None)
    # select is replaced, so the file is not blamed for it.
    with pytest.raises(
        ConfigError, match=r"unknown rule prefix 'Q1' in 'select' \(overrides\): no rule"
    ):
        selected_codes(base.merged(select=["Q1"]), KNOWN, DEFAULTS, None)


def test_merged_settings_stay_hashable_and_compare_by_value() -> None:
    merged = Settings().merged(max_parts=20, severity={"P1": "off"})
    hash(merged)
    assert merged == Settings(severity={"P1": "off"})
    assert merged.overridden == {"max_parts", "severity"}


# --- schema agreement --------------------------------------------------------------------

VALID = [
    "",
    "select = []",
    "select = ['ALL']\nignore = ['P1', 'duplicate-recipient', 'M205']",
    "extend-select = ['P103', 'near-part-boundary']",
    # Names by syntax: the schema cannot know the registry; resolve_selectors rejects them.
    "select = ['p1', 'all']",
    "fail-on = 'warning'\noutput-format = 'sarif'\nnumber-format = 'national'",
    "show-rows = 0\nmax-parts = 1\nmax-length = 1\nmax-rows = 1\nmax-bytes = 1",
    "max-parts = 255\nmax-length = 1400",
    "max-parts = 20.0",  # an integral float: JSON Schema's "integer" takes it, so do we
    "allow-foreign = false\nallowed-regions = ['AE', 'TR']",
    "allowed-regions = []",
    "suffix = ' لغو11'",
    "[per-file-ignores]\n'**/*.csv' = ['P']\n'a b.csv' = []",
    "[severity]\nALL = 'warning'\nP1 = 'off'\nunknown-prefix = 'error'",
    "[tariff]\npersian_mci = 0\nenglish_mci = 1.5\npersian_other = 1e3\nenglish_other = 7",
]

INVALID = [
    "max_parts = 4",
    "colour = 'auto'",
    "select = 'P'",
    "select = ['P1234']",
    "select = ['P-1']",
    "ignore = [1]",
    "extend-select = ['Unknown-Prefix']",
    "fail-on = 'info'",
    "output-format = 'text'",
    "number-format = 'E164'",
    "show-rows = -1",
    "show-rows = 1.5",
    "max-parts = 0",
    "max-parts = 256",
    "max-parts = '20'",
    "max-parts = true",
    "max-length = 0",
    "max-rows = 0",
    "max-bytes = -5",
    "allow-foreign = 'yes'",
    "allow-foreign = 1",
    "allowed-regions = ['ae']",
    "allowed-regions = ['IRN']",
    "allowed-regions = 'AE'",
    "suffix = 11",
    "per-file-ignores = ['a.csv']",
    "[per-file-ignores]\n'a.csv' = 'P'",
    "[per-file-ignores]\n'' = ['P']",
    "[severity]\nP205 = 'fatal'",
    "[severity]\n'P-205' = 'off'",
    "severity = ['P205']",
    "tariff = 1",
    "[tariff]\npersian_mci = 1",
    "[tariff]\npersian_mci = -1\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1",
    "[tariff]\npersian_mci = '1'\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1",
    "[tariff]\npersian_mci = 1\nenglish_mci = 1\npersian_other = 1\nenglish_other = 1\nx = 1",
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("toml", VALID)
def test_schema_and_loader_accept_the_same_configs(
    tmp_path: Path, validator: jsonschema.protocols.Validator, toml: str
) -> None:
    validator.validate(tomllib.loads(toml))
    settings_from(tmp_path, toml)
    # The same table inside pyproject.toml.
    load_config(write(tmp_path / "pyproject.toml", "[tool.p2pfile]\n" + _nest(toml)))


@pytest.mark.parametrize("toml", INVALID)
def test_schema_and_loader_reject_the_same_configs(
    tmp_path: Path, validator: jsonschema.protocols.Validator, toml: str
) -> None:
    assert not validator.is_valid(tomllib.loads(toml))
    with pytest.raises(ConfigError):
        settings_from(tmp_path, toml)


def _nest(toml: str) -> str:
    # Sub-tables of the top level become sub-tables of [tool.p2pfile].
    return (
        toml.replace("[per-file-ignores]", "[tool.p2pfile.per-file-ignores]")
        .replace("[severity]", "[tool.p2pfile.severity]")
        .replace("[tariff]", "[tool.p2pfile.tariff]")
    )


def test_schema_lists_exactly_the_keys_and_defaults(
    validator: jsonschema.protocols.Validator,
) -> None:
    properties = validator.schema["properties"]
    assert set(properties) == KEYS
    defaults = Settings()
    for key, spec in properties.items():
        value = getattr(defaults, key.replace("-", "_"))
        if "default" in spec:
            assert spec["default"] == _plain(value), key
        else:  # no default in the schema: the setting is absent unless given
            assert value is None, key


def _plain(value: object) -> object:
    # Settings holds tuples, frozensets and read-only mappings; the schema holds JSON.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, frozenset):
        return sorted(value)
    return list(value) if isinstance(value, tuple) else value


def test_settings_fields_are_the_keys() -> None:
    names = {f.name for f in dataclasses.fields(Settings)} - {"source", "overridden", "layers"}
    assert names == {key.replace("-", "_") for key in KEYS}
