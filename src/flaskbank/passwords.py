"""Password hashing adapter: werkzeug's scrypt, behind the services' PasswordHasher port."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash


class ScryptHasher:
    def hash(self, password: str) -> str:
        return generate_password_hash(password, method="scrypt")

    def verify(self, stored_hash: str, password: str) -> bool:
        return check_password_hash(stored_hash, password)


class FastHasher:
    """For tests and benchmarks only: a cheap pbkdf2 so suites do not spend minutes hashing."""

    def hash(self, password: str) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1000")

    def verify(self, stored_hash: str, password: str) -> bool:
        return check_password_hash(stored_hash, password)
