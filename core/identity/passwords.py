"""Password hashing (argon2id, argon2-cffi's recommended parameters) and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from zhiku.core.errors import InvalidInput

_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash("zhiku: no such user")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash (directory user, unknown name) spends the same time."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def check_password_policy(password: str, username: str, min_length: int) -> None:
    """Raises InvalidInput saying what a password lacks (never echoing it)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"have at least {min_length} characters")
    if len(password) > 1024:
        problems.append("have at most 1024 characters")
    kinds = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                 any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))
    if kinds < 3:
        problems.append("mix at least three of: lower-case letters, upper-case letters, digits, other characters")
    if username and username.lower() in password.lower():
        problems.append("not contain the user name")
    if problems:
        raise InvalidInput("The password must " + "; ".join(problems) + ".")
