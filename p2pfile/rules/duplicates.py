"""D1xx: duplicates, compared after normalization.

Two rows are the same recipient when their E.164 forms are equal, however
they were written (``0912...``, ``+98 912...``, ``۰۹۱۲...``). Messages are
compared exactly as read. A row without a valid E.164 is never a duplicate
of anything. Each finding names the earlier line it repeats.
"""

from __future__ import annotations

import polars as pl

from p2pfile.rules import Finding, Options, file_rule, row_rule

c = pl.col


@row_rule(
    "D101",
    "duplicate-row",
    "error",
    field="recipient",
    fix="safe",
    fix_message="drop the row (the first one is kept)",
)
def duplicate_row(options: Options) -> Finding:
    """The same recipient (after normalization) and the same message as an earlier row.

    Why: the recipient gets the message twice and you pay twice.
    Example: ``09121234567,Hi`` on line 2 and ``+98 912 123 4567,Hi`` on line 9.
    Fix (safe): the later rows are dropped; the first is kept.
    """
    return Finding(
        hit=c("dup_line").is_not_null(),
        message=pl.format("same recipient and message as line {}", c("dup_line")),
        related_line=c("dup_line"),
    )


@row_rule("D102", "duplicate-recipient", "warning", field="recipient")
def duplicate_recipient(options: Options) -> Finding:
    """The same recipient as an earlier row, with a different message.

    Why: often a merge of two campaigns; the recipient gets two messages.
    No fix: both messages may be intended.
    """
    return Finding(
        hit=c("first_line_of_recipient").is_not_null() & c("dup_line").is_null(),
        message=pl.format(
            "same recipient as line {}, different message", c("first_line_of_recipient")
        ),
        related_line=c("first_line_of_recipient"),
    )


file_rule(
    "D103",
    "cross-file-duplicate",
    "warning",
    """The same recipient and message as a row of another file checked in the same run.

    Why: two uploads would send it twice. Reported at the later file's line,
    naming the other file and its line. No fix: p2pfile does not edit
    another file.
    """,
)
