"""Faker-filled identities: every field a test does not give, reproducible from a seed."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker


#: The standard OIDC profile claims :meth:`IdentityFactory.profile` fills.
PROFILE_KEYS = (
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "email",
    "email_verified",
    "updated_at",
)


class IdentityFactory:
    """Makes client ids, secrets and user profiles from one seeded Faker.

    Faker is imported on first use: it takes a third of a second to import, which
    ``authmock serve`` and tests that never need a generated name should not pay.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._faker: Faker | None = None

    @property
    def faker(self) -> Faker:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            self._faker.seed_instance(self.seed)
        return self._faker

    def _unique(self, make: Callable[[], str], taken: Container[str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in taken:
                return value
        raise RuntimeError(
            "could not generate a unique value; pass one explicitly"
        )  # pragma: no cover

    def client_id(self, taken: Container[str]) -> str:
        faker = self.faker
        return self._unique(lambda: f"{faker.word()}-{faker.word()}-{faker.numerify('###')}", taken)

    def secret(self) -> str:
        # Letters and digits only, so the secret needs no form-encoding in Basic auth.
        return str(self.faker.password(length=40, special_chars=False))

    def username(self, taken: Container[str]) -> str:
        return self._unique(lambda: str(self.faker.user_name()), taken)

    def sub(self) -> str:
        return str(self.faker.uuid4())

    def complete_profile(self, username: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """``given`` with Faker filling the standard claims it lacks.

        When every standard claim is given, Faker is not even imported (``authmock
        serve`` starts faster with its fully specified demo user).
        """
        given = dict(given or {})
        if set(PROFILE_KEYS) <= given.keys():
            return given
        return {**self.profile(username), **given}

    def profile(self, username: str) -> dict[str, Any]:
        faker = self.faker
        given, family = faker.first_name(), faker.last_name()
        return {
            "name": f"{given} {family}",
            "given_name": given,
            "family_name": family,
            "preferred_username": username,
            "email": f"{username}@{faker.free_email_domain()}",
            "email_verified": True,
            "updated_at": int(faker.unix_time(end_datetime="-1d")),
        }
