"""Sign-in for the blueprint example: records last_login (TASK-042), locks accounts (TASK-043)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, List, Optional

MAX_FAILED_ATTEMPTS = 5
FAILED_ATTEMPT_WINDOW = timedelta(minutes=10)
LOCK_DURATION = timedelta(minutes=15)


class AuthError(Exception):
    pass


class AccountLocked(AuthError):
    pass


@dataclass
class User:
    email: str
    password: str
    last_login: Optional[datetime] = None
    failed_attempts: List[datetime] = field(default_factory=list)
    locked_until: Optional[datetime] = None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AuthService:
    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._users: Dict[str, User] = {}
        self._clock = clock

    def register(self, email: str, password: str) -> User:
        user = User(email=email, password=password)
        self._users[email] = user
        return user

    def login(self, email: str, password: str) -> User:
        now = self._clock().astimezone(timezone.utc)
        user = self._users.get(email)
        if user is None:
            raise AuthError("Email or password is incorrect")
        if user.locked_until is not None and now < user.locked_until:
            raise AccountLocked("Account locked, try again later")
        if user.password != password:
            user.failed_attempts = [
                t for t in user.failed_attempts if now - t < FAILED_ATTEMPT_WINDOW
            ] + [now]
            if len(user.failed_attempts) >= MAX_FAILED_ATTEMPTS:
                user.locked_until = now + LOCK_DURATION
                user.failed_attempts = []
                raise AccountLocked("Account locked, try again later")
            raise AuthError("Email or password is incorrect")
        user.failed_attempts = []
        user.locked_until = None
        user.last_login = now
        return user
