"""`stats`: counts that add up, parts that match the analyzer, exact cost, the JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import polars as pl
import pytest
from click.testing import CliRunner

from p2pfile.cli import cli
from p2pfile.config import Settings, Tariff, load_tariff
from p2pfile.errors import ConfigError, InputFileError
from p2pfile.fix import fix
from p2pfile.phone import normalize_numbers
from p2pfile.reader import read_file
from p2pfile.sms import analyze_messages
from p2pfile.stats import OPERATOR_GROUPS, Stats, render_stats_text, stats

ROOT = Path(__file__).resolve().parent.parent
MESSY = ROOT / "examples" / "messy.csv"
SCHEMA = json.loads((ROOT / "schemas" / "stats.schema.json").read_text(encoding="utf-8"))
TARIFF = Tariff(persian_mci=1330, english_mci=3325, persian_other=1410, english_other=3500)
DEFAULTS = Settings()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every operator group, both encodings, several part counts, rejects and duplicates."""
    rows = [
        ("09121234567", "سلام"),  # MCI, UCS-2
        ("+98 912 123 4567", "سلام"),  # duplicate after normalization
        ("09351234567", "Hello"),  # Irancell, GSM-7
        ("09201234567", "a" * 161),  # RighTel, GSM-7, 2 parts, 1 unit over
        ("09311234567", "س" * 140),  # another carrier (MTCE), UCS-2, 3 parts
        ("+971501234567", "hi"),  # foreign (allowed below)
        ("09061234567", "x"),  # P205
        ("9.12346E+09", "x"),  # P206
        ("09131234567", "Dear {name}"),  # M401
        ("09141234567", "  trimmed  "),  # M102 fix: parts counted on the fixed text
        ("09151234567", "€" * 400),  # GSM-7 extension characters, 6 parts
    ]
    path = tmp_path_factory.mktemp("stats") / "sample.csv"
    frame = pl.DataFrame(rows, schema=["recipient", "message"], orient="row")
    frame.write_csv(path)
    return path


def _sent_frame(path: Path, tmp_path: Path, settings: Settings) -> pl.DataFrame:
    """What fix writes: the rows stats counts as sent."""
    out = tmp_path / "sent.csv"
    fix(path, out, tmp_path / "rejects.csv", settings=settings)
    return pl.read_csv(out, infer_schema=False)


def test_counts_add_up(sample: Path, tmp_path: Path) -> None:
    settings = Settings(allow_foreign=True)
    result = stats(sample, settings=settings)
    assert result.rows == 11
    assert result.rows == result.sent + result.rejected + result.duplicates
    assert (result.sent, result.rejected, result.duplicates) == (7, 3, 1)
    assert result.invalid_by_code == {"P205": 1, "P206": 1}
    assert result.invalid_recipients == 2
    assert result.valid_recipients == 9
    assert result.rejected_by_code == {"M401": 1, "P205": 1, "P206": 1}
    assert result.unique_recipients == 7
    assert result.operators == {"MCI": 3, "Irancell": 1, "RighTel": 1, "other": 1, "foreign": 1}
    assert sum(result.operators.values()) == result.sent
    assert sum(result.encodings.values()) == result.sent
    assert sum(result.parts_histogram.values()) == result.sent
    assert result.parts_histogram == {"1": 4, "2": 1, "3": 1, "4-5": 0, "6-10": 1, ">10": 0}
    assert result.near_boundary == 1
    # The same rows fix writes.
    fixed = fix(sample, tmp_path / "o.csv", tmp_path / "r.csv", settings=settings)
    assert (fixed.rows_written, fixed.rows_rejected, fixed.duplicates_dropped) == (
        result.sent,
        result.rejected,
        result.duplicates,
    )
    (only,) = result.files
    assert (only.rows, only.sent, only.rejected, only.duplicates) == (11, 7, 3, 1)


def test_parts_equal_the_analyzer(sample: Path, tmp_path: Path) -> None:
    settings = Settings(allow_foreign=True, suffix=" لغو11")
    result = stats(sample, settings=settings)
    as_read = read_file(sample).frame.get_column("message")
    assert result.parts_all_rows == analyze_messages(as_read, suffix=" لغو11")["parts"].sum()
    sent = _sent_frame(sample, tmp_path, settings)
    analyzed = analyze_messages(sent.get_column("message"), suffix=" لغو11")
    assert result.parts == analyzed["parts"].sum()
    by_encoding = analyzed.group_by("encoding").agg(pl.col("parts").sum())
    assert result.parts_by_encoding == {
        "GSM-7": 0,  # the Persian suffix makes every message UCS-2
        "UCS-2": int(by_encoding.filter(pl.col("encoding") == "UCS-2")["parts"].item()),
    }
    assert sum(result.parts_by_encoding.values()) == result.parts
    without = stats(sample, settings=Settings(allow_foreign=True))
    assert without.parts < result.parts
    assert without.suffix == ""


def test_generated_totals_match_the_analyzer(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.generate import write_csv
    finally:
        sys.path.remove(str(ROOT))
    path = tmp_path / "g.csv"
    write_csv(path, 3_000, seed=3)
    result = stats(path, settings=DEFAULTS)
    assert result.rows == result.sent + result.rejected + result.duplicates == 3_000
    messages = read_file(path).frame.get_column("message")
    assert result.parts_all_rows == analyze_messages(messages)["parts"].sum()
    sent = _sent_frame(path, tmp_path, DEFAULTS)
    assert result.sent == sent.height
    assert result.parts == analyze_messages(sent.get_column("message"))["parts"].sum()
    assert result.unique_recipients == sent.get_column("recipient").n_unique()


def test_cost_is_parts_times_tariff_by_class(sample: Path, tmp_path: Path) -> None:
    settings = Settings(allow_foreign=True, tariff=TARIFF)
    result = stats(sample, settings=settings)
    assert result.cost is not None
    # Independently: operator from the number, encoding and parts from the message.
    sent = _sent_frame(sample, tmp_path, settings)
    numbers = normalize_numbers(sent.get_column("recipient"))
    messages = analyze_messages(sent.get_column("message"))
    frame = pl.concat([numbers, messages], how="horizontal")
    expected = 0
    for line in result.cost.lines:
        operator = pl.col("operator") == "MCI"
        group = operator if line.operator == "mci" else ~operator
        encoding = "UCS-2" if line.script == "persian" else "GSM-7"
        parts = frame.filter(~pl.col("foreign") & group & (pl.col("encoding") == encoding))
        assert line.parts == parts["parts"].sum()
        assert line.rate == getattr(TARIFF, line.tariff_key)
        assert line.cost == line.parts * line.rate
        expected += line.parts * line.rate
    assert result.cost.total == expected
    assert result.cost.unpriced_parts == frame.filter(pl.col("foreign"))["parts"].sum() == 1
    # The tariff argument wins over the settings'.
    cheaper = Tariff(1, 1, 1, 1)
    assert stats(sample, settings=settings, tariff=cheaper).cost.total == sum(  # type: ignore[union-attr]
        line.parts for line in result.cost.lines
    )
    assert stats(sample, settings=DEFAULTS).cost is None


def test_json_validates_against_the_schema(sample: Path) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    validator.check_schema(SCHEMA)
    with_cost = stats(sample, settings=Settings(tariff=TARIFF)).to_dict()
    validator.validate(with_cost)
    validator.validate(stats(sample, settings=DEFAULTS).to_dict())
    assert json.loads(json.dumps(with_cost)) == with_cost
    assert with_cost["cost"]["lines"][0]["rate"] == 1330  # whole rials stay integers
    assert set(with_cost["operators"]) == set(OPERATOR_GROUPS)
    percents = [v["percent"] for v in with_cost["operators"].values()]
    assert sum(percents) == pytest.approx(100, abs=0.1)
    broken = dict(with_cost, surprise=1)
    assert not validator.is_valid(broken)
    # to_json, as Report has: the document the CLI prints.
    assert json.loads(stats(sample, settings=Settings(tariff=TARIFF)).to_json()) == with_cost


def test_several_files_add_up(sample: Path) -> None:
    both = stats([sample, MESSY], settings=DEFAULTS)
    one, two = stats(sample, settings=DEFAULTS), stats(MESSY, settings=DEFAULTS)
    assert [f.path for f in both.files] == [str(sample), str(MESSY)]
    for name in ("rows", "sent", "rejected", "duplicates", "parts", "parts_all_rows"):
        assert getattr(both, name) == getattr(one, name) + getattr(two, name), name
    # The same number in both files is one recipient.
    assert both.unique_recipients < one.unique_recipients + two.unique_recipients


def test_text_has_bars_and_numbers(sample: Path) -> None:
    result = stats(sample, settings=Settings(allow_foreign=True, tariff=TARIFF))
    text = render_stats_text(result)
    assert "█" in text
    assert "\x1b[" not in text
    assert "sample.csv: 11 rows" in text
    assert "operators (rows that would be sent)" in text
    assert f"{result.parts:,} to send" in text
    assert f"{result.cost.total:,.0f}" in text  # type: ignore[union-attr]
    lines = text.splitlines()
    mci = next(line for line in lines if line.lstrip().startswith("MCI "))
    assert mci.split()[1] == "3"
    assert "42.9%" in mci
    charts = [line for line in lines if "%" in line]
    assert charts
    assert all(len(line) <= 60 for line in charts)
    assert "\x1b[36m" in render_stats_text(result, color=True)
    narrow = render_stats_text(result, width=40)
    assert max(len(line) for line in narrow.splitlines() if "%" in line) < 60


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"missing\.csv"):
        stats(tmp_path / "missing.csv", settings=DEFAULTS)


def test_empty_file_counts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("recipient,message\n", encoding="utf-8")
    result = stats(path, settings=DEFAULTS)
    assert isinstance(result, Stats)
    assert (result.rows, result.sent, result.parts) == (0, 0, 0)
    assert any("F106" in note for note in result.notes)
    jsonschema.Draft202012Validator(SCHEMA).validate(result.to_dict())
    assert "0 rows" in render_stats_text(result)


def test_a_header_naming_the_columns_in_the_other_order_is_read_by_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text("message,recipient\nhi,09121234567\n", encoding="utf-8")
    result = stats(path, settings=DEFAULTS)
    assert result.rows == result.sent == 1


def test_a_header_that_may_mean_swapped_columns_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text("col1,col2\nhi,09121234567\n", encoding="utf-8")
    result = stats(path, settings=DEFAULTS)
    assert result.rows == result.rejected == 1
    assert any("(F202)" in note and "swapped" in note for note in result.notes)


@pytest.mark.parametrize("limit", [{"max_rows": 1}, {"max_bytes": 10}])
def test_a_file_over_the_configured_limits_is_refused_not_counted_in_part(
    tmp_path: Path, limit: dict[str, int]
) -> None:
    """Counts of the first rows, or of none, would pass for the file's (and cost)."""
    path = tmp_path / "big.csv"
    path.write_text("recipient,message\n09121234567,a\n09351234567,b\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"big\.csv: .*\(F108\); stats counts whole files"):
        stats(path, settings=Settings(**limit))


def test_a_tariff_file_is_read_in_three_layouts_and_its_errors_name_it(tmp_path: Path) -> None:
    rates = "persian_mci = 1330\npersian_other = 1400\nenglish_mci = 600\nenglish_other = 650\n"
    expected = Tariff(persian_mci=1330, persian_other=1400, english_mci=600, english_other=650)
    for i, head in enumerate(("", "[tariff]\n", "[tool.p2pfile.tariff]\n")):
        path = tmp_path / f"t{i}.toml"
        path.write_text(head + rates, encoding="utf-8")
        assert load_tariff(path) == expected
    # Red team 8: every mistake in a --tariff file was reported "in overrides".
    short = tmp_path / "short.toml"
    short.write_text("[tariff]\npersian_mci = 1330\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"incomplete 'tariff' in .*short\.toml: missing"):
        load_tariff(short)
    broken = tmp_path / "broken.toml"
    broken.write_text("persian_mci = [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"invalid TOML in .*broken\.toml"):
        load_tariff(broken)
    with pytest.raises(ConfigError, match=r"cannot read tariff file .*nope\.toml"):
        load_tariff(tmp_path / "nope.toml")


def test_rows_repeated_across_files_are_noted_not_hidden(tmp_path: Path) -> None:
    # Red team 8: an export and the clean file fix wrote beside it were both counted and
    # priced as sent, and nothing said those rows would go twice.
    export = tmp_path / "export.csv"
    export.write_text("recipient,message\n09121234567,hi\n09351234567,yo\n", encoding="utf-8")
    clean = tmp_path / "export.clean.csv"
    clean.write_text("recipient,message\n+989121234567,hi\n", encoding="utf-8")
    result = stats([export, clean], settings=DEFAULTS)
    assert result.sent == 3
    assert [n for n in result.notes if "D103" in n] == [
        "1 of the rows counted as sent repeats a row of an earlier file (same recipient and "
        "message, D103): each file is counted and priced as if sent alone, and uploading "
        "them all sends those rows twice"
    ]
    assert not any("D103" in n for n in stats(export, settings=DEFAULTS).notes)


def test_a_file_fix_refuses_is_noted_as_refused(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text("mobile,text,extra\n09121234567,hi,x\n", encoding="utf-8")
    (note,) = stats(wide, settings=DEFAULTS).notes
    assert note.endswith("(F203); fix and send refuse the file while it has those columns")


def test_cost_fractions_are_rounded_as_shown_and_color_always_survives_a_pipe(
    tmp_path: Path,
) -> None:
    # Red team 8: a rate of 0.1 gave a JSON cost of 0.6000000000000001; --color always
    # printed no color into `| less -R`, click having stripped it.
    path = tmp_path / "six.csv"
    path.write_text(
        "recipient,message\n" + "".join(f"0935123456{i},hi\n" for i in range(6)), encoding="utf-8"
    )
    tariff = Tariff(persian_mci=0.1, persian_other=0.1, english_mci=0.1, english_other=0.1)
    cost = stats(path, tariff=tariff, settings=DEFAULTS).to_dict()["cost"]
    assert cost["total"] == 0.6
    run = CliRunner().invoke(cli, ["stats", "--isolated", "--color", "always", str(path)])
    assert "\x1b[1m" in run.output


def test_near_boundary_counts_messages_a_straddling_pair_pushes_over(tmp_path: Path) -> None:
    # Red team 8: ]x153 bills 3 parts (an escape pair is never split) and was not counted.
    path = tmp_path / "near.csv"
    path.write_text(
        "recipient,message\n09121234567," + "]" * 153 + "\n09121234568," + "a" * 150 + "\n",
        encoding="utf-8",
    )
    assert stats(path, settings=DEFAULTS).near_boundary == 1
