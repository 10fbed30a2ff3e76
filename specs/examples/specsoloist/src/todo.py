"""todo: an in-memory todo list (score/todo.spec.md)."""

from __future__ import annotations

import logging
import os
from datetime import date
from typing import Dict, List, Optional

from todo_types import MAX_TITLE_LENGTH, TodoItem

log = logging.getLogger("todo")
log.setLevel(os.environ.get("TODO_LOG_LEVEL", "WARNING").upper())

STATUSES = ("open", "done")


class TodoList:
    def __init__(self) -> None:
        self._items: Dict[int, TodoItem] = {}
        self._next_id = 1

    def add_todo(self, title: str, due: Optional[date] = None) -> int:
        cleaned = title.strip()
        if not cleaned:
            raise ValueError("title must not be empty")
        if len(cleaned) > MAX_TITLE_LENGTH:
            raise ValueError(f"title must be at most {MAX_TITLE_LENGTH} characters")
        item = TodoItem(id=self._next_id, title=cleaned, done=False, due=due)
        self._items[item.id] = item
        self._next_id += 1
        log.debug("added %d", item.id)
        return item.id

    def _get(self, todo_id: int) -> TodoItem:
        try:
            return self._items[todo_id]
        except KeyError:
            raise KeyError(f"no todo item with id {todo_id}") from None

    def complete_todo(self, todo_id: int) -> TodoItem:
        item = self._get(todo_id)
        item.done = True
        return item

    def list_todos(self, status: Optional[str] = None) -> List[TodoItem]:
        if status is None:
            return list(self._items.values())
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        want_done = status == "done"
        return [i for i in self._items.values() if i.done == want_done]

    def list_due(self, by: date) -> List[TodoItem]:
        due = [i for i in self._items.values() if not i.done and i.due is not None and i.due <= by]
        return sorted(due, key=lambda i: (i.due, i.id))

    def delete_todo(self, todo_id: int) -> None:
        self._get(todo_id)
        del self._items[todo_id]
