"""todo_item: one entry of the todo list (score/todo_item.spec.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

MAX_TITLE_LENGTH = 200


@dataclass
class TodoItem:
    id: int
    title: str
    done: bool
    due: Optional[date] = None

    def __post_init__(self) -> None:
        if self.id < 1:
            raise ValueError(f"id must be at least 1, got {self.id}")
        if not 1 <= len(self.title) <= MAX_TITLE_LENGTH:
            raise ValueError(f"title must be 1 to {MAX_TITLE_LENGTH} characters long")
