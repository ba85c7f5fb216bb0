"""Several issuers in one test: idp_factory (in-process) and idp_server_factory (loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from pytest_authmock import FakeIdP
from tests.helpers import bearer, token


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def test_in_process_issuers_side_by_side(
    idp_factory: Callable[..., FakeIdP], idp: FakeIdP, stack: ExitStack
) -> None:
    acme = idp_factory("https://acme.idp.test")
    globex = idp_factory("https://globex.idp.test/tenant", token_format="opaque")
    assert acme.keys.kid != globex.keys.kid != idp.keys.kid
    http = stack.enter_context(httpx.Client())
    acme_client = acme.add_client("cli")
    globex_client = globex.add_client("cli")
    a = token(http, acme, acme_client, grant_type="client_credentials").json()["access_token"]
    g = token(http, globex, globex_client, grant_type="client_credentials").json()["access_token"]
    assert a.count(".") == 2
    assert g.count(".") == 0
    assert (
        http.get(globex.issuer + "/.well-known/openid-configuration").json()["issuer"]
        == globex.issuer
    )
    assert acme.check_bearer(f"Bearer {a}").ok
    assert not globex.check_bearer(f"Bearer {a}").ok
    assert not idp.check_bearer(f"Bearer {a}").ok
    assert (acme.journal.count(), globex.journal.count(), idp.journal.count()) == (1, 2, 0)


def test_the_same_issuer_twice_is_refused(idp_factory: Callable[..., FakeIdP]) -> None:
    idp_factory("https://one.idp.test")
    with pytest.raises(ValueError, match="already made a provider"):
        idp_factory("https://one.idp.test")
    with pytest.raises(ValueError, match="issuer must"):
        idp_factory("not a url")


def test_loopback_issuers_side_by_side(
    idp_server_factory: Callable[..., FakeIdP], stack: ExitStack
) -> None:
    first = idp_server_factory()
    second = idp_server_factory(algorithm="ES256")
    assert first.issuer != second.issuer
    http = stack.enter_context(httpx.Client())
    for provider in (first, second):
        meta = http.get(provider.issuer + "/.well-known/openid-configuration").json()
        assert meta["issuer"] == provider.issuer
    client = second.add_client()
    value = token(http, second, client, grant_type="client_credentials").json()["access_token"]
    second.protect(second.issuer + "/api/me")
    assert http.get(second.issuer + "/api/me", headers=bearer(value)).status_code == 200
    assert not first.check_bearer(f"Bearer {value}").ok


def test_loopback_tenants_on_one_origin(
    idp_server_factory: Callable[..., FakeIdP], stack: ExitStack
) -> None:
    a = idp_server_factory("/tenants/a")
    b = idp_server_factory("/tenants/b", same_origin=True)
    assert a.issuer.rsplit("/tenants", 1)[0] == b.issuer.rsplit("/tenants", 1)[0]
    http = stack.enter_context(httpx.Client())
    # OIDC discovery appends the well-known path; RFC 8414 inserts it before the issuer path.
    origin = a.issuer.rsplit("/tenants", 1)[0]
    assert http.get(a.issuer + "/.well-known/openid-configuration").json()["issuer"] == a.issuer
    rfc8414 = http.get(origin + "/.well-known/oauth-authorization-server/tenants/b").json()
    assert rfc8414["issuer"] == b.issuer
    assert (
        http.get(a.issuer + "/.well-known/jwks.json").json()
        != http.get(b.issuer + "/.well-known/jwks.json").json()
    )
    with pytest.raises(ValueError, match="path must start"):
        idp_server_factory("tenants/c")


def test_factory_faults_are_checked_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_unfired(idp_factory):
            tenant = idp_factory("https://t.idp.test")
            tenant.fail(503, endpoint="token")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-authmock: the provider at https://t.idp.test was left with problems*",
            "*planned fault never fired: fail(503, endpoint='token', times=1)*",
        ]
    )
