"""Tests of tasks.spec.yaml. Each test names the scenario it covers with an `@spec` marker."""

from datetime import datetime, timedelta, timezone

import pytest

from tasks import COMPLETED, PENDING, TaskError, TaskStore


class FakeClock:
    """A clock that moves forward one second on every reading."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store() -> TaskStore:
    return TaskStore(clock=FakeClock())


# @spec task-create
def test_create_a_simple_task(store):
    task = store.create("Buy groceries")
    assert store.find_by_title("Buy groceries") == [task]
    assert task.status == PENDING
    other = store.create("Walk the dog")
    assert task.id != other.id
    assert task.created_at is not None


# @spec task-create-empty-title
def test_reject_a_task_with_an_empty_title(store):
    with pytest.raises(TaskError, match="^Title must not be empty$"):
        store.create("   ")
    assert store.list() == []


# @spec task-create-title-too-long
def test_reject_a_title_longer_than_200_characters(store):
    with pytest.raises(TaskError, match="^Title must be at most 200 characters$"):
        store.create("x" * 201)
    assert store.list() == []
    # The limit itself is accepted.
    assert store.create("x" * 200).title == "x" * 200


# @spec task-complete
def test_complete_a_task(store):
    task = store.create("Buy groceries")
    store.complete(task.id)
    assert task.status == COMPLETED
    assert task.completed_at is not None
    assert task.completed_at > task.created_at


# @spec task-complete-already-completed
def test_cannot_complete_already_completed_task(store):
    task = store.complete(store.create("Buy groceries").id)
    first_completed_at = task.completed_at
    with pytest.raises(TaskError, match="^Task is already completed$"):
        store.complete(task.id)
    assert task.status == COMPLETED
    assert task.completed_at == first_completed_at


# @spec task-complete-unknown
def test_cannot_complete_a_task_that_does_not_exist(store):
    with pytest.raises(TaskError, match="^Task 999 not found$"):
        store.complete(999)


# @spec task-reopen
def test_reopen_a_completed_task(store):
    task = store.complete(store.create("Buy groceries").id)
    store.reopen(task.id)
    assert task.status == PENDING
    assert task.completed_at is None


def _three_tasks(store):
    store.create("Task 1")
    store.complete(store.create("Task 2").id)
    store.create("Task 3")


# @spec task-list-by-status
def test_list_tasks_filtered_by_status(store):
    _three_tasks(store)
    pending = store.list(status=PENDING)
    assert len(pending) == 2
    assert [t.title for t in pending] == ["Task 1", "Task 3"]


# @spec task-list-all
def test_list_all_tasks_in_creation_order(store):
    _three_tasks(store)
    assert [t.title for t in store.list()] == ["Task 1", "Task 2", "Task 3"]


# @spec task-delete
def test_delete_a_task(store):
    task = store.create("Old chore")
    store.delete(task.id)
    assert store.find_by_title("Old chore") == []
    assert "Old chore" not in [t.title for t in store.list()]
