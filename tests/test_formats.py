"""Output formats: golden text for the human formats, parsed and validated output for the rest."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import jsonschema
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from p2pfile import report as report_module
from p2pfile.errors import UsageError
from p2pfile.formats import FORMATS, OUTBOUND, RenderOptions, mask_phone, render, sarif
from p2pfile.formats._redact import mask_phone_expr, message_excerpt, message_excerpt_expr
from p2pfile.formats.sarif import MAX_RESULTS, cap_per_group
from p2pfile.report import FINDING_SCHEMA, FileSummary, Report

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "schemas" / "report.schema.json").read_text("utf-8")
)

# The recipients of the sample report, as read and as a fix would write them;
# no outbound format may print any of them.
RECIPIENTS = ("09901234567", "09911234567", "۰۹۱۲۱۲۳۴۵۶۷", "+989121234567", "09121234567")
PERSIAN_MESSAGE = "سلام علي، كد شما آماده است"


def finding(
    path: str,
    line: int,
    rule: str,
    severity: str,
    message: str,
    *,
    row: int | None = None,
    field: str | None = None,
    column: int | None = None,
    value: str | None = None,
    related_line: int | None = None,
    fix: tuple[str, str, str | None] | None = None,
) -> dict[str, Any]:
    """A findings-frame row; ``rule`` is ``"P205 unknown-prefix"``."""
    code, name = rule.split()
    applicability, fix_message, replacement = fix or (None, None, None)
    return {
        "path": path,
        "line": line,
        "row": row,
        "code": code,
        "name": name,
        "severity": severity,
        "message": message,
        "field": field,
        "column": column,
        "value": value,
        "related_line": related_line,
        "fix_applicability": applicability,
        "fix_message": fix_message,
        "fix_replacement": replacement,
    }


def make_report(rows: list[dict[str, Any]], files: tuple[FileSummary, ...]) -> Report:
    return Report(files, pl.DataFrame(rows, schema=FINDING_SCHEMA))


def sample() -> Report:
    """Two files with findings (errors, warnings, safe and unsafe fixes) and a clean one."""
    rows = [
        finding(
            "data.csv", 4, "P205 unknown-prefix", "error",
            "09xx block 0990 has no mobile allocation",
            row=3, field="recipient", value="09901234567",
        ),
        finding(
            "data.csv", 3, "P101 non-ascii-digits", "warning",
            "Recipient has Persian or Arabic-Indic digits",
            row=2, field="recipient", column=1, value="۰۹۱۲۱۲۳۴۵۶۷",
            fix=("safe", "Convert to ASCII digits", "+989121234567"),
        ),
        finding(
            "data.csv", 6, "P205 unknown-prefix", "error",
            "09xx block 0991 has no mobile allocation",
            row=5, field="recipient", value="09911234567",
        ),
        finding(
            "data.csv", 5, "M301 arabic-letter-variants", "warning",
            "Arabic ي or ك in Persian text",
            row=4, field="message", column=8, value=PERSIAN_MESSAGE,
            fix=("safe", "Use Persian ی and ک", "سلام علی، کد شما آماده است"),
        ),
        finding(
            "data.csv", 7, "D101 duplicate-row", "error",
            "Same recipient and message as line 2",
            row=6, field="recipient", value="09121234567", related_line=2,
            fix=("safe", "Remove the repeated row", None),
        ),
        finding(
            "more/jan.xlsx", 1, "F107 multiple-sheets", "error",
            "Sheet 'Sheet2' holds data; only the first sheet is sent",
        ),
        finding(
            "more/jan.xlsx", 2, "M103 control-characters", "error",
            "Message has a control character (U+0007)",
            row=1, field="message", column=6, value="Hello\x07 world",
            fix=("safe", "Remove control characters", "Hello world"),
        ),
        finding(
            "more/jan.xlsx", 3, "M105 bidi-controls", "warning",
            "Message has a bidi override (U+202E)",
            row=2, field="message", column=1, value="\u202eسلام",
            fix=("unsafe", "Remove bidi controls", "سلام"),
        ),
    ]  # fmt: skip
    files = (
        FileSummary("data.csv", "csv", 6, 3, 2, "utf-8"),
        FileSummary("more/jan.xlsx", "xlsx", 2, 2, 1, None),
        FileSummary("clean.csv", "csv", 2, 0, 0, "utf-8"),
    )
    return make_report(rows, files)


def rendered(report: Report, fmt: str, **options: Any) -> str:
    out = io.StringIO()
    render(report, fmt, out, RenderOptions(**options))
    return out.getvalue()


# more/jan.xlsx has data in another sheet (F107): fix refuses it, so its fixes (M103's
# safe one, M105's unsafe one) are not promised.
SUMMARY = (
    "Found 5 errors and 3 warnings in 3 files (10 rows); 3 fixable with `p2pfile fix`; "
    "`p2pfile fix` refuses 1 file until its errors are resolved."
)


# -- human formats --------------------------------------------------------------


def test_concise_is_one_line_per_finding_in_file_and_line_order() -> None:
    assert rendered(sample(), "concise").splitlines() == [
        "data.csv:3: P101 [*] Recipient has Persian or Arabic-Indic digits",
        "data.csv:4: P205 09xx block 0990 has no mobile allocation",
        "data.csv:5: M301 [*] Arabic ي or ك in Persian text",
        "data.csv:6: P205 09xx block 0991 has no mobile allocation",
        "data.csv:7: D101 [*] Same recipient and message as line 2",
        "more/jan.xlsx:1: F107 Sheet 'Sheet2' holds data; only the first sheet is sent",
        "more/jan.xlsx:2: M103 [*] Message has a control character (U+0007)",
        "more/jan.xlsx:3: M105 Message has a bidi override (U+202E)",
        SUMMARY,
    ]


def test_full_adds_value_related_line_and_fix() -> None:
    assert rendered(sample(), "full") == "\n".join(
        [
            "data.csv:3: P101 [*] Recipient has Persian or Arabic-Indic digits",
            '  recipient: "۰۹۱۲۱۲۳۴۵۶۷" (character 1)',
            '  help: Convert to ASCII digits: "+989121234567"',
            "",
            "data.csv:4: P205 09xx block 0990 has no mobile allocation",
            '  recipient: "09901234567"',
            "",
            "data.csv:5: M301 [*] Arabic ي or ك in Persian text",
            f'  message: "{PERSIAN_MESSAGE}" (character 8)',
            '  help: Use Persian ی and ک: "سلام علی، کد شما آماده است"',
            "",
            "data.csv:6: P205 09xx block 0991 has no mobile allocation",
            '  recipient: "09911234567"',
            "",
            "data.csv:7: D101 [*] Same recipient and message as line 2",
            '  recipient: "09121234567"',
            "  see: line 2",
            "  help: Remove the repeated row",
            "",
            "more/jan.xlsx:1: F107 Sheet 'Sheet2' holds data; only the first sheet is sent",
            "",
            "more/jan.xlsx:2: M103 [*] Message has a control character (U+0007)",
            '  message: "Hello\\u0007 world" (character 6)',
            '  help: Remove control characters: "Hello world"',
            "",
            "more/jan.xlsx:3: M105 Message has a bidi override (U+202E)",
            '  message: "\\u202eسلام" (character 1)',
            '  help (unsafe fix): Remove bidi controls: "سلام"',
            "",
            SUMMARY,
            "",
        ]
    )


def test_grouped_has_a_header_per_file_and_aligned_lines() -> None:
    rows = [
        finding("a.csv", 9, "P201 empty-recipient", "error", "Recipient is empty", row=8),
        finding("a.csv", 10, "P201 empty-recipient", "error", "Recipient is empty", row=9),
        finding("b.csv", 2, "M101 empty-message", "error", "Message is empty", row=1),
    ]
    files = (FileSummary("a.csv", "csv", 9, 2, 0), FileSummary("b.csv", "csv", 1, 1, 0))
    assert rendered(make_report(rows, files), "grouped").splitlines() == [
        "a.csv:",
        "   9: P201 Recipient is empty",
        "  10: P201 Recipient is empty",
        "",
        "b.csv:",
        "  2: M101 Message is empty",
        "",
        "Found 3 errors in 2 files (10 rows).",
    ]


def test_show_rows_caps_each_file_and_rule_and_keeps_true_counts() -> None:
    assert rendered(sample(), "concise", show_rows=1).splitlines() == [
        "data.csv:3: P101 [*] Recipient has Persian or Arabic-Indic digits",
        "data.csv:4: P205 09xx block 0990 has no mobile allocation",
        "data.csv:5: M301 [*] Arabic ي or ك in Persian text",
        "data.csv:7: D101 [*] Same recipient and message as line 2",
        "... and 1 more P205 unknown-prefix in data.csv",
        "more/jan.xlsx:1: F107 Sheet 'Sheet2' holds data; only the first sheet is sent",
        "more/jan.xlsx:2: M103 [*] Message has a control character (U+0007)",
        "more/jan.xlsx:3: M105 Message has a bidi override (U+202E)",
        SUMMARY,
    ]
    full = rendered(sample(), "full", show_rows=1)
    assert "data.csv:6:" not in full
    assert "\n... and 1 more P205 unknown-prefix in data.csv\n" in full
    grouped = rendered(sample(), "grouped", show_rows=0).splitlines()
    assert grouped[:5] == [
        "data.csv:",
        "  ... and 1 more D101 duplicate-row",
        "  ... and 1 more M301 arabic-letter-variants",
        "  ... and 1 more P101 non-ascii-digits",
        "  ... and 2 more P205 unknown-prefix",
    ]
    assert grouped[-1] == SUMMARY


def test_cap_counts_are_formatted_with_thousands() -> None:
    rows = [
        finding("big.csv", line, "P201 empty-recipient", "error", "Recipient is empty")
        for line in range(2, 3_434)
    ]
    report = make_report(rows, (FileSummary("big.csv", "csv", 3_432, 3_432, 0),))
    lines = rendered(report, "concise").splitlines()
    assert len(lines) == 20 + 2
    assert lines[-2] == "... and 3,412 more P201 empty-recipient in big.csv"
    assert lines[-1] == "Found 3,432 errors in 1 file (3,432 rows)."
    assert len(rendered(report, "concise", show_rows=None).splitlines()) == 3_432 + 1


@pytest.mark.parametrize("rows_in_file", [30, 31])
def test_a_rule_on_every_row_says_so_where_its_rows_are_cut(rows_in_file: int) -> None:
    """30 P104 in a file of 30 rows: the whole column lost its zeros, which the
    first few rows shown cannot tell. In a file of 31 rows, one row is fine."""
    rows = [
        finding("nums.csv", row + 1, "P104 missing-leading-zero", "warning", "zero lost", row=row)
        for row in range(1, 31)
    ]
    report = make_report(rows, (FileSummary("nums.csv", "csv", rows_in_file, 0, 30),))
    every = ": every data row of the file has it"
    said = rows_in_file == 30
    concise = rendered(report, "concise", show_rows=2).splitlines()
    assert concise[-2] == "... and 28 more P104 missing-leading-zero in nums.csv" + every * said
    full = rendered(report, "full", show_rows=2)
    assert ("... and 28 more P104 missing-leading-zero in nums.csv" + every in full) is said
    grouped = rendered(report, "grouped", show_rows=2)
    assert ("  ... and 28 more P104 missing-leading-zero" + every in grouped) is said


def test_summary_promises_only_the_fixes_fix_makes() -> None:
    """A file fix writes only with --unsafe-fixes (F203: columns to drop) gets all its
    fixes counted under that flag; a file fix refuses, none."""
    rows = [
        finding(
            "wide.csv", 1, "F203 extra-column", "error", "3 columns", fix=("unsafe", "x", None)
        ),
        finding(
            "wide.csv", 2, "P104 missing-leading-zero", "warning", "z", fix=("safe", "y", None)
        ),
        finding("ok.csv", 2, "P104 missing-leading-zero", "warning", "z", fix=("safe", "y", None)),
    ]
    files = (FileSummary("wide.csv", "csv", 1, 1, 1), FileSummary("ok.csv", "csv", 1, 0, 1))
    assert rendered(make_report(rows, files), "concise").splitlines()[-1] == (
        "Found 1 error and 2 warnings in 2 files (2 rows); 1 fixable with `p2pfile fix`; "
        "2 more with `p2pfile fix --unsafe-fixes`."
    )
    assert rendered(make_report(rows[:2], files[:1]), "concise").splitlines()[-1] == (
        "Found 1 error and 1 warning in 1 file (1 row); 2 with `p2pfile fix --unsafe-fixes`."
    )


def test_clean_report_says_so() -> None:
    report = make_report([], (FileSummary("ok.csv", "csv", 1, 0, 0, "utf-8"),))
    for fmt in ("full", "concise", "grouped"):
        assert rendered(report, fmt) == "All checks passed: 1 file (1 row).\n"


def test_color_only_when_asked() -> None:
    plain = rendered(sample(), "concise")
    colored = rendered(sample(), "concise", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m" in colored  # errors in red
    assert click.unstyle(colored) == plain
    assert click.unstyle(rendered(sample(), "full", color=True)) == rendered(sample(), "full")


def test_values_show_invisible_characters_as_escapes() -> None:
    rows = [
        finding(
            "a.csv", 2, "P102 formatting-characters", "warning", "Recipient has a ZWNJ",
            field="recipient", value="0912\u200c1234567", fix=("safe", "Remove", "09121234567"),
        )
    ]  # fmt: skip
    out = rendered(make_report(rows, (FileSummary("a.csv", "csv", 1, 0, 1),)), "full")
    assert '  recipient: "0912\\u200c1234567"' in out.splitlines()


# -- statistics -------------------------------------------------------------------


def test_statistics_text_and_json_follow_ruff() -> None:
    assert rendered(sample(), "concise", statistics=True).splitlines() == [
        "2\tP205\t[ ] unknown-prefix",
        "1\tD101\t[*] duplicate-row",
        "1\tF107\t[ ] multiple-sheets",
        "1\tM103\t[*] control-characters",
        "1\tM105\t[ ] bidi-controls",
        "1\tM301\t[*] arabic-letter-variants",
        "1\tP101\t[*] non-ascii-digits",
    ]
    stats = json.loads(rendered(sample(), "json", statistics=True))
    assert stats[0] == {
        "code": "P205",
        "name": "unknown-prefix",
        "count": 2,
        "fixable": False,
        "fixable_count": 0,
    }
    assert {s["code"]: s["fixable_count"] for s in stats}["D101"] == 1
    lines = rendered(sample(), "json-lines", statistics=True).splitlines()
    assert [json.loads(line) for line in lines] == stats


# -- json, json-lines -------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_json_validates_against_the_shipped_schema() -> None:
    document = json.loads(rendered(sample(), "json"))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["summary"] == {
        "files": 3,
        "rows": 10,
        "errors": 5,
        "warnings": 3,
        "by_rule": {"D101": 1, "F107": 1, "M103": 1, "M105": 1, "M301": 1, "P101": 1, "P205": 2},
    }
    by_code = {d["code"]: d for d in document["diagnostics"]}
    assert by_code["P101"]["fix"] == {
        "applicability": "safe",
        "message": "Convert to ASCII digits",
        "replacement": "+989121234567",
    }
    assert by_code["F107"]["fix"] is None
    assert by_code["M301"]["value"] == PERSIAN_MESSAGE  # json is local: nothing masked
    empty = json.loads(rendered(make_report([], ()), "json"))
    jsonschema.validate(empty, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_what_the_report_must_not_hold() -> None:
    document = json.loads(rendered(sample(), "json"))
    document["diagnostics"][0]["code"] = "p205"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_json_lines_items_are_schema_diagnostics() -> None:
    diagnostic = {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/diagnostic"}
    lines = rendered(sample(), "json-lines").splitlines()
    assert len(lines) == 8
    for line in lines:
        jsonschema.validate(json.loads(line), diagnostic, cls=jsonschema.Draft202012Validator)


def test_json_survives_values_python_calls_line_breaks() -> None:
    """U+2028, U+0085 and friends stay raw in polars' JSON; they must not split records."""
    odd = "a\u2028b\x85c\x1cd\re\nf"
    rows = [
        finding("x.csv", n, "M103 control-characters", "error", "m", row=n - 1, value=odd)
        for n in (2, 3, 4)
    ]
    report = make_report(rows, (FileSummary("x.csv", "csv", 3, 3, 0, "utf-8"),))
    document = json.loads(rendered(report, "json"))
    assert [d["value"] for d in document["diagnostics"]] == [odd] * 3
    lines = rendered(report, "json-lines").split("\n")
    assert lines[-1] == ""
    assert [json.loads(line)["line"] for line in lines[:-1]] == [2, 3, 4]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 8, 200_000])
def test_json_records_are_whole_across_chunks(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Diagnostics are encoded in chunks; the document must not care where chunks end
    (no record lost or doubled, no comma missing or trailing)."""
    whole = json.loads(rendered(sample(), "json"))
    defaults = report_module._write_records.__kwdefaults__
    monkeypatch.setitem(defaults, "chunk", chunk)
    assert json.loads(rendered(sample(), "json")) == whole
    lines = rendered(sample(), "json-lines").split("\n")
    assert lines[-1] == ""
    assert [json.loads(line) for line in lines[:-1]] == whole["diagnostics"]


def test_json_redacted_on_request_still_validates() -> None:
    text = rendered(sample(), "json", redact=True)
    document = json.loads(text)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    values = {d["code"]: d["value"] for d in document["diagnostics"] if d["line"] != 6}
    assert values["P205"] == "0990***4567"
    assert values["P101"] == "۰۹۱۲***۴۵۶۷"
    assert values["M301"] == PERSIAN_MESSAGE[:20] + "…"
    for recipient in RECIPIENTS:
        assert recipient not in text


# -- github -----------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<command>[a-z-]+)(?: (?P<properties>[^:]*))?::(?P<data>.*)$")


def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse_annotations(output: str) -> list[dict[str, str]]:
    found = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        if match is None or match["command"] not in {"error", "warning", "notice"}:
            continue
        properties = dict(p.split("=", 1) for p in (match["properties"] or "").split(",") if p)
        found.append(
            {"command": match["command"], "data": unescape(match["data"])}
            | {key: unescape(value) for key, value in properties.items()}
        )
    return found


def test_github_one_annotation_per_file_and_rule() -> None:
    output = rendered(sample(), "github")
    found = parse_annotations(output)
    assert [(a["command"], a["file"], a["title"]) for a in found] == [
        ("error", "data.csv", "p2pfile P205 (unknown-prefix)"),
        ("error", "data.csv", "p2pfile D101 (duplicate-row)"),
        ("warning", "data.csv", "p2pfile M301 (arabic-letter-variants)"),
        ("warning", "data.csv", "p2pfile P101 (non-ascii-digits)"),
        ("error", "more/jan.xlsx", "p2pfile F107 (multiple-sheets)"),
        ("error", "more/jan.xlsx", "p2pfile M103 (control-characters)"),
        ("warning", "more/jan.xlsx", "p2pfile M105 (bidi-controls)"),
    ]
    assert found[0]["line"] == "4"
    assert found[0]["data"] == "2 rows: 09xx block 0990 has no mobile allocation (lines 4, 6)"
    assert found[1]["data"] == "Same recipient and message as line 2"
    lines = output.splitlines()
    assert lines[0] == "::group::p2pfile: data.csv (3 errors, 2 warnings)"
    assert lines.count("::endgroup::") == 2
    assert lines[-1] == SUMMARY


def test_github_escapes_data_and_properties() -> None:
    rows = [
        finding(
            "in:dir/a,b.csv", 3, "M401 unresolved-placeholder", "error",
            "100% off {name}\r\nleft in the text",
        )
    ]  # fmt: skip
    report = make_report(rows, (FileSummary("in:dir/a,b.csv", "csv", 2, 1, 0),))
    output = rendered(report, "github")
    (line,) = [line for line in output.splitlines() if line.startswith("::error")]
    assert line == (
        "::error file=in%3Adir/a%2Cb.csv,line=3,title=p2pfile M401 (unresolved-placeholder)"
        "::100%25 off {name}%0D%0Aleft in the text"
    )
    (annotation,) = parse_annotations(output)
    assert annotation["file"] == "in:dir/a,b.csv"
    assert annotation["data"] == "100% off {name}\r\nleft in the text"


def test_github_caps_annotations_per_type_and_says_how_many_more() -> None:
    rows = []
    for i in range(30):
        severity = "error" if i < 20 else "warning"
        # Group i has i + 1 findings, so the most frequent groups are annotated first.
        rows += [
            finding("a.csv", 2 + j, f"P{100 + i} rule-{i}", severity, f"problem {i}")
            for j in range(i + 1)
        ]
    report = make_report(rows, (FileSummary("a.csv", "csv", 100, 210, 255),))
    output = rendered(report, "github")
    found = parse_annotations(output)
    errors = [a for a in found if a["command"] == "error"]
    warnings = [a for a in found if a["command"] == "warning"]
    notices = [a for a in found if a["command"] == "notice"]
    assert len(errors) == 10
    assert len(warnings) == 10
    assert [e["title"] for e in errors[:2]] == ["p2pfile P119 (rule-19)", "p2pfile P118 (rule-18)"]
    assert errors[0]["data"] == "20 rows: problem 19 (lines 2, 3, 4, 5, 6, …)"
    assert len(notices) == 1
    assert notices[0]["data"].startswith("10 more (file, rule) groups (55 findings) are not")
    # The groups left out are still in the log, as plain lines.
    assert "a.csv:2: P100 rule-0: problem 0" in output.splitlines()


# -- sarif -------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    code: str
    name: str
    severity: str | None
    fix: str | None
    doc: str

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0]


DOCS = {
    "P205": Doc(
        "P205",
        "unknown-prefix",
        "error",
        None,
        "A 09xx block with no mobile allocation.\n\nWhy: nobody can receive it.",
    ),
}


def test_sarif_structure() -> None:
    log = json.loads(rendered(sample(), "sarif", rule_docs=DOCS))
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "p2pfile"
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(
        {"P205", "P101", "M301", "D101", "F107", "M103", "M105"}
    )
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning"}
    p205 = rules[[r["id"] for r in rules].index("P205")]
    assert p205["fullDescription"]["text"] == "A 09xx block with no mobile allocation."
    assert p205["help"]["text"].endswith("Why: nobody can receive it.")

    results = run["results"]
    assert len(results) == 8
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert location["physicalLocation"]["region"]["startLine"] >= 1
    levels = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r["level"]
        for r in results
    }
    assert levels[("P205", 4)] == "error"
    assert levels[("M301", 5)] == "warning"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"data.csv", "more/jan.xlsx"}
    fingerprints = [r["partialFingerprints"]["p2pfileContentHash/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_caps_results_with_a_summary_per_truncated_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GitHub's limit is 25,000; a smaller one exercises the same code and
    # keeps the test fast (parsing 25,000 results alone takes most of a second).
    assert sarif.MAX_RESULTS == 25_000
    limit, big_count = 2_000, 3_000
    monkeypatch.setattr(sarif, "MAX_RESULTS", limit)
    big = pl.DataFrame(
        {"line": pl.int_range(2, big_count + 2, eager=True)}
    ).select(
        path=pl.lit("a.csv"),
        line="line",
        row=pl.col("line") - 1,
        code=pl.lit("P205"),
        name=pl.lit("unknown-prefix"),
        severity=pl.lit("error"),
        message=pl.lit("09xx block has no mobile allocation"),
        field=pl.lit("recipient"),
        column=pl.lit(None, pl.Int64),
        value=pl.format("0990{}", pl.col("line").cast(pl.String).str.pad_start(7, "0")),
        related_line=pl.lit(None, pl.Int64),
        fix_applicability=pl.lit(None, pl.String),
        fix_message=pl.lit(None, pl.String),
        fix_replacement=pl.lit(None, pl.String),
    ).cast(FINDING_SCHEMA)  # fmt: skip
    frame = pl.concat([big, sample().frame])
    report = Report((*sample().files, FileSummary("a.csv", "csv", big_count, big_count, 0)), frame)
    results = json.loads(rendered(report, "sarif"))["runs"][0]["results"]
    assert len(results) <= limit
    # 8 (file, rule) groups: one summary each is reserved, the 7 small ones
    # (8 findings) keep everything, and the big one gets the rest.
    k = limit - 8 - 8
    big_rows = [
        r
        for r in results
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.csv"
        and r["level"] == "error"
    ]
    assert len(big_rows) == k
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in big_rows] == list(
        range(2, k + 2)
    )
    (note,) = [r for r in results if r["level"] == "note"]
    assert note["ruleId"] == "P205"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == k + 2
    assert note["message"]["text"].startswith(
        f"{big_count - k:,} more P205 (unknown-prefix) findings in a.csv are not listed"
    )
    assert f"limited to {limit:,} results" in note["message"]["text"]
    assert sum(1 for r in results if r["ruleId"] == "M301") == 1
    assert all(re.fullmatch(r"0990\*\*\*\d{4}", r["properties"]["value"]) for r in big_rows)


def test_cap_per_group_fills_the_budget_fairly() -> None:
    assert cap_per_group([5, 5], limit=10) is None
    assert cap_per_group([100, 3], limit=20) == 15  # 15 + 3 + 2 summaries = 20
    assert cap_per_group([30_000, 40, 1]) == MAX_RESULTS - 3 - 41


def test_sarif_uris_are_relative_posix_or_file_uris() -> None:
    rows = [
        finding("dir\\a b.csv", 2, "P201 empty-recipient", "error", "Recipient is empty"),
        finding("/abs/x.csv", 2, "P201 empty-recipient", "error", "Recipient is empty"),
    ]
    log = json.loads(rendered(make_report(rows, ()), "sarif"))
    artifacts = [
        r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]
    ]
    assert {"uri": "dir/a%20b.csv", "uriBaseId": "%SRCROOT%"} in artifacts
    assert {"uri": "file:///abs/x.csv"} in artifacts


# -- gitlab -------------------------------------------------------------------------


def test_gitlab_code_climate_shape() -> None:
    rows = [
        *sample().frame.to_dicts(),
        # The same rule twice on one line with the same value: fingerprints must still differ.
        finding("data.csv", 8, "M401 unresolved-placeholder", "error", "{name} left"),
        finding("data.csv", 8, "M401 unresolved-placeholder", "error", "{name} left"),
    ]
    issues = json.loads(rendered(make_report(rows, sample().files), "gitlab"))
    assert len(issues) == 10
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", f) for f in fingerprints)
    first = issues[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert first["check_name"] == "P101"
    assert (
        first["description"]
        == "P101 non-ascii-digits: Recipient has Persian or Arabic-Indic digits"
    )
    assert first["location"] == {"path": "data.csv", "lines": {"begin": 3}}
    severities = {i["check_name"]: i["severity"] for i in issues}
    assert severities["P205"] == "major"
    assert severities["P101"] == "minor"
    assert json.loads(rendered(make_report([], ()), "gitlab")) == []


# -- junit ---------------------------------------------------------------------------


def test_junit_suite_per_file_case_per_rule() -> None:
    root = ET.fromstring(rendered(sample(), "junit", show_rows=1))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("8", "7")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["data.csv", "more/jan.xlsx", "clean.csv"]
    data, jan, clean = suites
    assert [c.get("name") for c in data.findall("testcase")] == [
        "D101 duplicate-row",
        "M301 arabic-letter-variants",
        "P101 non-ascii-digits",
        "P205 unknown-prefix",
    ]
    assert (data.get("tests"), data.get("failures")) == ("4", "4")
    p205 = data.findall("testcase")[3]
    failure = p205.find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert failure.get("message") == "2 rows: 09xx block 0990 has no mobile allocation"
    assert failure.text == (
        'data.csv:4: 09xx block 0990 has no mobile allocation (recipient "0990***4567")\n'
        "... and 1 more"
    )
    assert jan.findall("testcase")[2].find("failure").get("type") == "warning"  # type: ignore[union-attr]
    (passing,) = clean.findall("testcase")
    assert passing.find("failure") is None
    assert (clean.get("tests"), clean.get("failures")) == ("1", "0")


def test_junit_survives_characters_xml_cannot_hold() -> None:
    rows = [finding("a\x01.csv", 2, "M103 control-characters", "error", "Bell \x07 here")]
    root = ET.fromstring(rendered(make_report(rows, ()), "junit"))
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("classname") == "a\\u0001.csv"


# -- redaction -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(OUTBOUND))
def test_outbound_formats_never_show_a_recipient(fmt: str) -> None:
    output = rendered(sample(), fmt)
    for recipient in RECIPIENTS:
        assert recipient not in output
    assert PERSIAN_MESSAGE not in output


@pytest.mark.parametrize("fmt", ["junit", "sarif"])
def test_outbound_values_are_masked_and_shown_with_redact_false(fmt: str) -> None:
    masked = rendered(sample(), fmt)
    assert "0990***4567" in masked
    assert PERSIAN_MESSAGE[:20] + "…" in masked
    unmasked = rendered(sample(), fmt, redact=False)
    assert "09901234567" in unmasked
    assert PERSIAN_MESSAGE in unmasked


@pytest.mark.parametrize("fmt", sorted(OUTBOUND))
def test_numbers_and_codes_in_messages_never_leave_the_machine(fmt: str) -> None:
    """A message value is an excerpt with its digits hidden; a message that quotes its
    cell (M402) has the phone-like runs hidden."""
    rows = [
        finding(
            "m.csv", 2, "M401 unresolved-placeholder", "error", "unresolved placeholder {x}",
            row=1, field="message", value="09351234567 {x} is your line",
        ),
        finding(
            "m.csv", 3, "M204 crlf-in-message", "warning", "CR LF line breaks",
            row=2, field="message", value="Code 482913\r\nfor ۰۹۳۵۱۲۳۴۵۶۷",
        ),
        finding(
            "m.csv", 4, "M402 spreadsheet-artifact", "error",
            "the message is a spreadsheet artifact: =HYPERLINK(09351234567)",
            row=3, field="message", value="=HYPERLINK(09351234567)",
        ),
        finding(
            "m.csv", 5, "M401 unresolved-placeholder", "error",
            "unresolved placeholder {{otp_7741}}",  # the rule quotes the cell
            row=4, field="message", value="hi {{otp_7741}}",
        ),
    ]  # fmt: skip
    report = Report(
        (FileSummary("m.csv", "csv", 3, 2, 1),), pl.DataFrame(rows, schema=FINDING_SCHEMA)
    )
    output = rendered(report, fmt)
    for secret in ("0935", "482913", "۰۹۳۵", "3456", "7741"):
        assert secret not in output
    assert "09351234567" in rendered(report, fmt, redact=False)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="ab 09۰۹٠٩\n…", max_size=40), max_size=30))
def test_message_excerpt_faces_agree(values: list[str]) -> None:
    column = pl.Series("v", values, dtype=pl.String).to_frame()
    vectorized = column.select(message_excerpt_expr(pl.col("v"))).to_series().to_list()
    assert vectorized == [message_excerpt(v) for v in values]


def test_redact_true_masks_human_formats_too() -> None:
    output = rendered(sample(), "full", redact=True)
    assert '  recipient: "0990***4567"' in output.splitlines()
    assert '  help: Convert to ASCII digits: "+98912***4567"' in output.splitlines()
    for recipient in RECIPIENTS:
        assert recipient not in output


def test_fingerprints_hash_the_masked_value() -> None:
    # A hash of a raw number is reversible by brute force, so outbound formats hash the mask.
    masked = json.loads(rendered(sample(), "gitlab"))
    raw = json.loads(rendered(sample(), "gitlab", redact=False))
    changed = {m["check_name"] for m, r in zip(masked, raw, strict=True) if m != r}
    # Recipients are masked; short messages are kept whole, F107 has no value.
    assert changed == {"P101", "P205", "M301", "D101"}


# -- mask_phone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("09121234567", "0912***4567"),
        ("+989121234567", "+98912***4567"),
        ("989121234567", "98912***4567"),
        ("9121234567", "912***4567"),
        ("00989121234567", "009891****4567"),
        ("۰۹۱۲۱۲۳۴۵۶۷", "۰۹۱۲***۴۵۶۷"),
        ("0912123", "*******"),
        ("", ""),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=50))
def test_mask_phone_faces_agree(values: list[str]) -> None:
    column = pl.Series("v", values, dtype=pl.String).to_frame()
    vectorized = column.select(mask_phone_expr(pl.col("v"))).to_series().to_list()
    assert vectorized == [mask_phone(v) for v in values]


# -- API -------------------------------------------------------------------------------------


def test_formats_and_errors() -> None:
    assert FORMATS[0] == "full"
    assert set(FORMATS) >= OUTBOUND
    with pytest.raises(UsageError, match="unknown output format 'pylint'"):
        render(sample(), "pylint", io.StringIO())
    with pytest.raises(UsageError):
        RenderOptions(show_rows=-1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_an_empty_report(fmt: str) -> None:
    output = rendered(make_report([], (FileSummary("ok.csv", "csv", 0, 0, 0),)), fmt)
    assert output == "" if fmt == "json-lines" else output.endswith("\n")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/repo/data/a.csv", "data/a.csv"),
        ("/repo/a.csv", "a.csv"),
        ("/elsewhere/a.csv", "/elsewhere/a.csv"),
        ("/repo-other/a.csv", "/repo-other/a.csv"),
        ("-", "-"),
    ],
)
def test_paths_are_made_relative_to_the_root_only_inside_it(path: str, expected: str) -> None:
    from p2pfile.formats._paths import relative_to

    assert relative_to(path, "/repo") == expected


def test_the_root_changes_outbound_formats_only() -> None:
    report = make_report(
        [finding("/repo/data/a.csv", 2, "P205 unknown-prefix", "error", "x", row=1)],
        (FileSummary("/repo/data/a.csv", "csv", 1, 1, 0),),
    )
    assert "file=data/a.csv," in rendered(report, "github", root="/repo")
    assert "/repo/data/a.csv:2:" in rendered(report, "concise", root="/repo")
