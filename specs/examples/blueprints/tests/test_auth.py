"""Tests of the blueprint example's sign-in (TASK-042 and TASK-043)."""

from datetime import datetime, timedelta, timezone

import pytest

from auth import AccountLocked, AuthError, AuthService


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))


@pytest.fixture
def auth(clock) -> AuthService:
    service = AuthService(clock=clock)
    service.register("ana@example.com", "s3cret")
    return service


# @spec REQ-007
def test_successful_login_records_last_login(auth, clock):
    user = auth.login("ana@example.com", "s3cret")
    assert user.last_login == clock.now


# @spec REQ-007
def test_last_login_is_stored_in_utc(auth, clock):
    clock.now = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    user = auth.login("ana@example.com", "s3cret")
    assert user.last_login.utcoffset() == timedelta(0)
    assert user.last_login == datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


# @spec REQ-007
def test_failed_login_does_not_record_last_login(auth):
    with pytest.raises(AuthError):
        auth.login("ana@example.com", "wrong")
    assert auth.login("ana@example.com", "s3cret").last_login is not None


# @spec REQ-009
def test_fifth_failed_attempt_locks_the_account(auth):
    for _ in range(4):
        with pytest.raises(AuthError) as err:
            auth.login("ana@example.com", "wrong")
        assert not isinstance(err.value, AccountLocked)
    with pytest.raises(AccountLocked):
        auth.login("ana@example.com", "wrong")


# @spec REQ-009
def test_locked_account_refuses_the_right_password_for_15_minutes(auth, clock):
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login("ana@example.com", "wrong")
    clock.now += timedelta(minutes=14)
    with pytest.raises(AccountLocked):
        auth.login("ana@example.com", "s3cret")
    clock.now += timedelta(minutes=1)
    assert auth.login("ana@example.com", "s3cret").email == "ana@example.com"


# @spec REQ-009
def test_failed_attempts_older_than_10_minutes_do_not_count(auth, clock):
    for _ in range(4):
        with pytest.raises(AuthError):
            auth.login("ana@example.com", "wrong")
    clock.now += timedelta(minutes=10)
    with pytest.raises(AuthError) as err:
        auth.login("ana@example.com", "wrong")
    assert not isinstance(err.value, AccountLocked)
