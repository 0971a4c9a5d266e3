"""People's passwords: the policy a new one must meet, and argon2id hashes (pure: no bus, no
database, no clock).

Refusals are ``BadRequest`` violations on the field ``password``, in Chinese: a person reads
them in the portal. Only hashes are ever kept; a password is never logged or stored.
"""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from libs.common.errors import BadRequest, Violation

MIN_LENGTH = 10
MAX_LENGTH = 200  # argon2 takes any length; a bound keeps one sign-in from costing much more than another
FIELD = "password"


def policy_violations(password: str, account: str) -> list[Violation]:
    """What is wrong with ``password`` as ``account``'s new password (empty: nothing)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(Violation(FIELD, "too_short", f"密码至少需要{MIN_LENGTH}个字符"))
    if len(password) > MAX_LENGTH:
        problems.append(Violation(FIELD, "too_long", f"密码最多{MAX_LENGTH}个字符"))
    if password and password.strip().casefold() == account.casefold():
        problems.append(Violation(FIELD, "same_as_account", "密码不能与账号相同"))
    if len(set(password)) == 1:
        problems.append(Violation(FIELD, "one_character", "密码不能由同一个字符重复组成"))
    return problems


def check_policy(password: str, account: str) -> None:
    """``BadRequest`` naming the field ``password`` unless ``password`` meets the policy."""
    if problems := policy_violations(password, account):
        raise BadRequest(problems)


class Passwords:
    """argon2id hashing with one set of parameters (argon2-cffi's defaults, RFC 9106's
    low-memory profile, unless given: tests pass cheaper ones, and a hash made with other
    parameters than these is redone at the next sign-in)."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def matches(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``. With no hash to check (an unknown account, one
        not set up) a dummy hash is checked instead and the answer is False: it takes as long
        either way, so its timing does not say which accounts exist."""
        try:
            matched = self.hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    @functools.cached_property
    def _dummy(self) -> str:
        return self.hasher.hash("no account has this password; only its timing matters")
