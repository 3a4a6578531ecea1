"""Canonical input columns, their kinds, and the one error type for bad input."""

from __future__ import annotations

from typing import Any

UNATTRIBUTED = "(unattributed)"
NO_CHANNEL = "(none)"
# Names roiclock gives its own rows: a campaign or channel in the inputs may not use them.
RESERVED = frozenset({UNATTRIBUTED, NO_CHANNEL})
STAGES = ("won", "lost", "open")

# kind of each canonical column: "text", "id" (text with as many values as rows: deal ids),
# "date", "money" or "fraction".
SPEND_COLUMNS = {"campaign": "text", "date": "date", "amount": "money", "channel": "text",
                 "currency": "text"}
DEAL_COLUMNS = {
    "deal_id": "id",
    "close_date": "date",
    "amount": "money",
    "campaign": "text",
    "stage": "text",
    "created_date": "date",
    "margin": "fraction",
    "currency": "text",
}
TOUCH_COLUMNS = {"deal_id": "id", "campaign": "text", "touch_date": "date"}

COLUMNS = {"spend": SPEND_COLUMNS, "deals": DEAL_COLUMNS, "touches": TOUCH_COLUMNS}
REQUIRED = {
    "spend": ("campaign", "date", "amount"),
    "deals": ("deal_id", "close_date", "amount"),
    "touches": ("deal_id", "campaign", "touch_date"),
}
# Column and stage presets for typical CRM exports: canonical name -> the export's header.
# A stage list of "*" means every other label.
PRESETS: dict[str, dict[str, Any]] = {
    "salesforce": {
        "columns": {
            "spend": {"campaign": "Campaign Name", "date": "Start Date", "amount": "Actual Cost",
                      "channel": "Type", "currency": "Actual Cost Currency"},
            "deals": {"deal_id": "Opportunity ID", "close_date": "Close Date",
                      "amount": "Amount", "stage": "Stage", "created_date": "Created Date",
                      "campaign": "Primary Campaign Source", "currency": "Amount Currency"},
            "touches": {"deal_id": "Opportunity ID", "campaign": "Campaign Name",
                        "touch_date": "Member First Associated Date"},
        },
        "stages": {"won": ["Closed Won"], "lost": ["Closed Lost"], "open": "*"},
    },
    "hubspot": {
        "columns": {
            "spend": {"campaign": "Campaign Name", "date": "Start Date", "amount": "Spend",
                      "channel": "Campaign Type", "currency": "Currency"},
            "deals": {"deal_id": "Record ID", "close_date": "Close Date", "amount": "Amount",
                      "stage": "Deal Stage", "created_date": "Create Date",
                      "campaign": "Original Source Drill-Down 1", "currency": "Currency"},
            "touches": {"deal_id": "Deal ID", "campaign": "Campaign Name",
                        "touch_date": "Interaction Date"},
        },
        "stages": {"won": ["Closed Won", "closedwon"], "lost": ["Closed Lost", "closedlost"],
                   "open": "*"},
    },
}

# first data line of a file is line 2 (the header is line 1), as a spreadsheet shows it
FIRST_DATA_LINE = 2
PARQUET_SUFFIXES = (".parquet", ".pq")


def shown(text: Any, limit: int = 40) -> str:
    """A cell or value as a message shows it: at most ``limit`` characters, then how long it
    was (a 1 MB cell is never printed back, nor mistaken for a number)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text):,} characters)"


def is_parquet(file: str | None) -> bool:
    """True for a Parquet file's name: its rows have numbers (1 = the first), not lines."""
    return file is not None and str(file).lower().endswith(PARQUET_SUFFIXES)


class InputError(Exception):
    """Bad input or usage: the message is one line naming file, line and column where known,
    or the argument (``option``: the Python parameter name) that was given a bad value.

    ``row`` is the physical line in a CSV file (the header is line 1; blank lines and values
    spanning lines counted), shown as "line N"; in a Parquet file the row number (the first
    row is 1), shown as "row N". ``rejects``, when set, holds the rejected rows of a run that
    stopped on them (what ``--rejects`` writes)."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, option: str | None = None,
                 rejects: Any = None):
        self.file, self.row, self.column, self.option = file, row, column, option
        self.reason, self.rejects = message, rejects
        where = []
        if option is not None:
            where.append(option)
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"{'row' if is_parquet(file) else 'line'} {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__((", ".join(where) + ": " if where else "") + message)
