"""Tests of score/todo.spec.md. Markers name the example rows: `@spec todo/<row name slug>`."""

from datetime import date

import pytest

from todo import TodoList


@pytest.fixture
def todos() -> TodoList:
    return TodoList()


# @spec todo/add-a-first-item
def test_add_a_first_item(todos):
    assert todos.add_todo("Buy milk") == 1


# @spec todo/add-strips-whitespace
def test_add_strips_whitespace(todos):
    todos.add_todo("Buy milk")
    assert todos.add_todo("  Walk dog  ") == 2
    assert todos.list_todos()[1].title == "Walk dog"


# @spec todo/add-with-a-due-date
def test_add_with_a_due_date(todos):
    assert todos.add_todo("File taxes", due=date(2026, 4, 15)) == 1
    assert todos.list_todos()[0].due == date(2026, 4, 15)


# @spec todo/add-an-empty-title
def test_add_an_empty_title(todos):
    with pytest.raises(ValueError):
        todos.add_todo("   ")


# @spec todo/add-a-title-over-200-characters
def test_add_a_title_over_200_characters(todos):
    with pytest.raises(ValueError):
        todos.add_todo("x" * 201)


# @spec todo/complete-an-open-item
def test_complete_an_open_item(todos):
    todos.add_todo("Buy milk")
    item = todos.complete_todo(1)
    assert item.id == 1 and item.done is True


# @spec todo/complete-an-unknown-id
def test_complete_an_unknown_id(todos):
    with pytest.raises(KeyError):
        todos.complete_todo(99)


# @spec todo/delete-an-unknown-id
def test_delete_an_unknown_id(todos):
    with pytest.raises(KeyError):
        todos.delete_todo(99)


# @spec todo/delete-an-item
def test_delete_an_item(todos):
    todos.add_todo("Buy milk")
    todos.add_todo("Walk dog")
    todos.delete_todo(1)
    assert [i.id for i in todos.list_todos()] == [2]


# @spec todo/delete-the-only-item
def test_delete_the_only_item(todos):
    todos.add_todo("Buy milk")
    todos.delete_todo(1)
    assert todos.list_todos() == []


def _one_done_one_open(todos):
    todos.add_todo("Buy milk")
    todos.add_todo("Walk dog")
    todos.complete_todo(1)


# @spec todo/list-todos-all-items-fr-05
def test_list_todos_all_items(todos):
    _one_done_one_open(todos)
    assert [i.id for i in todos.list_todos()] == [1, 2]


# @spec todo/list-todos-open-items-fr-05
def test_list_todos_open_items(todos):
    _one_done_one_open(todos)
    assert [i.id for i in todos.list_todos("open")] == [2]


# @spec todo/list-todos-done-items-fr-05
def test_list_todos_done_items(todos):
    _one_done_one_open(todos)
    assert [i.id for i in todos.list_todos("done")] == [1]


# @spec todo/list-todos-unknown-status-fr-06
def test_list_todos_unknown_status(todos):
    _one_done_one_open(todos)
    with pytest.raises(ValueError):
        todos.list_todos("archived")


# @spec todo/list-due-sorted-by-due-date-fr-07
def test_list_due_sorted_by_due_date(todos):
    todos.add_todo("a", due=date(2026, 3, 9))
    todos.add_todo("b", due=date(2026, 3, 1))
    todos.add_todo("c", due=date(2026, 3, 11))
    assert [i.id for i in todos.list_due(date(2026, 3, 10))] == [2, 1]


# @spec todo/list-due-skips-done-and-undated-items-fr-07
def test_list_due_skips_done_and_undated_items(todos):
    todos.add_todo("a", due=date(2026, 3, 1))
    todos.add_todo("b")
    todos.complete_todo(1)
    assert todos.list_due(date(2026, 3, 10)) == []
