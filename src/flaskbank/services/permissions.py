"""The check every staff use case starts with."""

from __future__ import annotations

from ..domain.accounts import User
from ..domain.errors import NotPermitted
from ..domain.security import Permission, allows


def require(user: User | None, permission: Permission) -> User:
    if user is None or not allows(user.role, permission):
        raise NotPermitted("your role does not allow this")
    return user
