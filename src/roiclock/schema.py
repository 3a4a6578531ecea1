"""Canonical input columns, their kinds, and the one error type for bad input."""

from __future__ import annotations

UNATTRIBUTED = "(unattributed)"
NO_CHANNEL = "(none)"
STAGES = ("won", "lost", "open")

# kind of each canonical column: "text", "date", "money" or "fraction".
SPEND_COLUMNS = {"campaign": "text", "date": "date", "amount": "money", "channel": "text"}
DEAL_COLUMNS = {
    "deal_id": "text",
    "close_date": "date",
    "amount": "money",
    "campaign": "text",
    "stage": "text",
    "created_date": "date",
    "margin": "fraction",
}
TOUCH_COLUMNS = {"deal_id": "text", "campaign": "text", "touch_date": "date"}

COLUMNS = {"spend": SPEND_COLUMNS, "deals": DEAL_COLUMNS, "touches": TOUCH_COLUMNS}
REQUIRED = {
    "spend": ("campaign", "date", "amount"),
    "deals": ("deal_id", "close_date", "amount"),
    "touches": ("deal_id", "campaign", "touch_date"),
}
# first data line of a file is line 2 (the header is line 1), as a spreadsheet shows it
FIRST_DATA_LINE = 2


class InputError(Exception):
    """Bad input or usage: the message is one line naming file, row and column where known."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column = file, row, column
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__((", ".join(where) + ": " if where else "") + message)
