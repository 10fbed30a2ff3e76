"""Tests of score/todo_item.spec.md. Markers use the requirement form (`@spec NFR-01`)."""

from datetime import date

import pytest

from todo_types import TodoItem


# @spec NFR-01
def test_valid_items():
    assert TodoItem(id=1, title="Buy milk", done=False).done is False
    item = TodoItem(id=7, title="File taxes", done=True, due=date(2026, 4, 15))
    assert item.due == date(2026, 4, 15)


# @spec NFR-01
@pytest.mark.parametrize("title", ["", "x" * 201])
def test_title_length_is_checked(title):
    with pytest.raises(ValueError):
        TodoItem(id=2, title=title, done=False)


# @spec NFR-02
def test_id_below_one_is_rejected():
    with pytest.raises(ValueError):
        TodoItem(id=0, title="Buy milk", done=False)


def test_done_is_required():
    with pytest.raises(TypeError):
        TodoItem(id=4, title="Buy milk")  # type: ignore[call-arg]
