"""Faker-filled identities: every field a test does not give, reproducible from a seed."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Container, Iterator, Mapping
from contextlib import contextmanager
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


_shared: list[Faker] = []
_lock = threading.Lock()


@contextmanager
def _faker_with(rng: random.Random) -> Iterator[Faker]:
    """The process's one Faker, drawing from ``rng`` for as long as the block runs.

    Building a ``Faker()`` costs ~2 ms (more than the rest of a provider's
    set-up), so every provider shares one and brings its own random state: the
    values depend only on the provider's seed and its own earlier draws, as with
    a Faker of its own.
    """
    with _lock:
        if not _shared:
            from faker import Faker

            _shared.append(Faker())
        faker = _shared[0]
        faker.random = rng  # type: ignore[attr-defined]  # a property of Faker, not in its stubs
        yield faker


class IdentityFactory:
    """Makes client ids, secrets and user profiles, reproducibly from a seed.

    Faker is imported on first use: it takes a third of a second to import, which
    ``authmock serve`` and tests that never need a generated name should not pay.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        # Seeded like Faker.seed_instance(seed) seeds a Faker of its own.
        self._random: random.Random | None = None

    @contextmanager
    def faker(self) -> Iterator[Faker]:
        if self._random is None:
            self._random = random.Random(self.seed)  # noqa: S311 - test data, not secrets
        with _faker_with(self._random) as faker:
            yield faker

    def _unique(self, make: Callable[[], str], taken: Container[str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in taken:
                return value
        raise RuntimeError(
            "could not generate a unique value; pass one explicitly"
        )  # pragma: no cover

    def client_id(self, taken: Container[str]) -> str:
        with self.faker() as faker:
            return self._unique(
                lambda: f"{faker.word()}-{faker.word()}-{faker.numerify('###')}", taken
            )

    def secret(self) -> str:
        # Letters and digits only, so the secret needs no form-encoding in Basic auth.
        with self.faker() as faker:
            return str(faker.password(length=40, special_chars=False))

    def username(self, taken: Container[str]) -> str:
        with self.faker() as faker:
            return self._unique(lambda: str(faker.user_name()), taken)

    def sub(self) -> str:
        with self.faker() as faker:
            return str(faker.uuid4())

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
        with self.faker() as faker:
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
