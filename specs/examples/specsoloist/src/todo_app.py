"""todo_app: the public API of the todo example (score/todo_app.spec.md)."""

from parse_due_date import parse_due_date
from todo import TodoList
from todo_report import due_report
from todo_types import TodoItem

__all__ = ["TodoList", "TodoItem", "parse_due_date", "due_report"]
