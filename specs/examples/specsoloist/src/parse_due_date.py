"""parse_due_date: due-date phrases to dates (score/parse_due_date.spec.md)."""

from __future__ import annotations

import re
from datetime import date, timedelta

_IN_N_DAYS = re.compile(r"in (\d+) days?")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DAYS = 365


def parse_due_date(text: str, today: date) -> date:
    phrase = text.strip().lower()
    if phrase == "today":
        return today
    if phrase == "tomorrow":
        return today + timedelta(days=1)
    m = _IN_N_DAYS.fullmatch(phrase)
    if m:
        n = int(m.group(1))
        if not 1 <= n <= MAX_DAYS:
            raise ValueError(f"'in N days' needs N from 1 to {MAX_DAYS}, got {n}")
        return today + timedelta(days=n)
    if _ISO.fullmatch(phrase):
        return date.fromisoformat(phrase)
    raise ValueError(f"not a due date: {text!r}")
