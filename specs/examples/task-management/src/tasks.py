"""Task Management System: an in-memory task store.

Implements the scenarios of ``tasks.spec.yaml``. Standard library only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional

MAX_TITLE_LENGTH = 200

PENDING = "pending"
COMPLETED = "completed"
STATUSES = (PENDING, COMPLETED)


class TaskError(Exception):
    """A request the task store refuses; the message is the one the scenarios state."""


@dataclass
class Task:
    id: int
    title: str
    status: str = PENDING
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    completed_at: Optional[datetime] = None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TaskStore:
    """Holds tasks in creation order. ``clock`` is injectable so tests control time."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._tasks: Dict[int, Task] = {}
        self._ids = itertools.count(1)
        self._clock = clock

    def create(self, title: str) -> Task:
        cleaned = title.strip()
        if not cleaned:
            raise TaskError("Title must not be empty")
        if len(cleaned) > MAX_TITLE_LENGTH:
            raise TaskError(f"Title must be at most {MAX_TITLE_LENGTH} characters")
        task = Task(id=next(self._ids), title=cleaned, created_at=self._clock())
        self._tasks[task.id] = task
        return task

    def get(self, task_id: int) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise TaskError(f"Task {task_id} not found") from None

    def complete(self, task_id: int) -> Task:
        task = self.get(task_id)
        if task.status == COMPLETED:
            raise TaskError("Task is already completed")
        task.status = COMPLETED
        task.completed_at = self._clock()
        return task

    def reopen(self, task_id: int) -> Task:
        task = self.get(task_id)
        task.status = PENDING
        task.completed_at = None
        return task

    def delete(self, task_id: int) -> None:
        self.get(task_id)
        del self._tasks[task_id]

    def list(self, status: Optional[str] = None) -> List[Task]:
        if status is not None and status not in STATUSES:
            raise TaskError(f"Unknown status {status!r}")
        return [t for t in self._tasks.values() if status is None or t.status == status]

    def find_by_title(self, title: str) -> List[Task]:
        return [t for t in self._tasks.values() if t.title == title]
