"""Tests of score/todo_report.spec.md (the workflow)."""

from datetime import date

import pytest

from todo import TodoList
from todo_report import due_report

TODAY = date(2026, 3, 1)


@pytest.fixture
def todos() -> TodoList:
    todos = TodoList()
    todos.add_todo("Call the plumber", due=date(2026, 3, 2))
    todos.add_todo("Renew passport", due=date(2026, 3, 5))
    return todos


# @spec todo-report/due-by-tomorrow
def test_due_by_tomorrow(todos):
    assert [i.id for i in due_report(todos, "tomorrow", TODAY)] == [1]


# @spec todo-report/due-within-a-week
def test_due_within_a_week(todos):
    assert [i.id for i in due_report(todos, "in 7 days", TODAY)] == [1, 2]


# @spec todo-report/nothing-due-today
def test_nothing_due_today(todos):
    assert due_report(todos, "today", TODAY) == []


# @spec todo-report/unreadable-phrase
def test_unreadable_phrase(todos, monkeypatch):
    called = []
    monkeypatch.setattr(todos, "list_due", lambda by: called.append(by) or [])
    with pytest.raises(ValueError):
        due_report(todos, "someday", TODAY)
    assert called == []
