"""``idp.url_for()`` and the journal speak one vocabulary of endpoint names."""

from __future__ import annotations

import httpx
import pytest

from pytest_authmock.provider.idp import FakeIdP
from pytest_authmock.provider.routes import FAULT_ENDPOINTS

#: Every name the journal records for a routed endpoint.
JOURNAL_NAMES = [name for name in FAULT_ENDPOINTS if name != "resource"]


@pytest.mark.parametrize("name", JOURNAL_NAMES)
def test_the_url_of_each_journal_name_is_journaled_under_that_name(name: str) -> None:
    idp = FakeIdP()
    url = idp.url_for(name)
    assert url.startswith(idp.issuer + "/")
    with httpx.Client(transport=httpx.MockTransport(idp.handler)) as http:
        http.get(url)
    assert [entry.endpoint for entry in idp.journal] == [name]


def test_discovery_is_the_openid_configuration() -> None:
    idp = FakeIdP()
    assert idp.url_for("discovery") == idp.issuer + "/.well-known/openid-configuration"
    assert idp.url_for("api_tokens_openapi") == idp.url_for("openapi")


def test_a_resource_or_unknown_name_says_what_to_do() -> None:
    idp = FakeIdP()
    with pytest.raises(ValueError, match=r"url_for\('resource'\).*given to protect\(\)"):
        idp.url_for("resource")
    with pytest.raises(
        ValueError, match=r"unknown endpoint 'tokens'; one of discovery, jwks, token"
    ):
        idp.url_for("tokens")
