"""Tests of score/parse_due_date.spec.md: one case per example row."""

from datetime import date

import pytest

from parse_due_date import parse_due_date

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("today", date(2026, 3, 1)),  # @spec parse-due-date/today
        ("  Today ", date(2026, 3, 1)),  # @spec parse-due-date/today-with-spaces-and-capitals
        ("tomorrow", date(2026, 3, 2)),  # @spec parse-due-date/tomorrow
        ("in 3 days", date(2026, 3, 4)),  # @spec parse-due-date/in-3-days
        ("in 1 days", date(2026, 3, 2)),  # @spec parse-due-date/in-1-day
        ("in 365 days", date(2027, 3, 1)),  # @spec parse-due-date/in-365-days
        ("2026-04-15", date(2026, 4, 15)),  # @spec parse-due-date/iso-date
    ],
)
def test_parse_due_date_accepts(text, expected):
    assert parse_due_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "in 0 days",  # @spec parse-due-date/in-0-days
        "in 366 days",  # @spec parse-due-date/in-366-days
        "someday",  # @spec parse-due-date/unknown-phrase
        "2026-02-30",  # @spec parse-due-date/impossible-iso-date
    ],
)
def test_parse_due_date_rejects(text):
    with pytest.raises(ValueError):
        parse_due_date(text, TODAY)
