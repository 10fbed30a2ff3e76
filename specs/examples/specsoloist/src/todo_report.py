"""todo_report: the open items due by a typed phrase (score/todo_report.spec.md)."""

from __future__ import annotations

from datetime import date
from typing import List

from parse_due_date import parse_due_date
from todo import TodoList
from todo_types import TodoItem


def due_report(todos: TodoList, due_text: str, today: date) -> List[TodoItem]:
    by = parse_due_date(due_text, today)  # step resolve_date
    return todos.list_due(by)  # step select_due
