"""``error_description`` on the wire stays in RFC 6749 §5.2's characters, over both transports.

The set is ``%x20-21 / %x23-5B / %x5D-7E`` for JSON error bodies (RFC 6749 §5.2),
``WWW-Authenticate`` challenges (RFC 6750 §3) and error redirects (RFC 6749
§4.1.2.1); the Python-side ``description`` keeps the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_authmock import FakeIdP
from pytest_authmock.provider import challenges
from pytest_authmock.provider.errors import InvalidRequest, wire_text
from tests.helpers import bearer, token

ALLOWED = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
CHALLENGE_DESCRIPTION = re.compile(r'error_description="([^"]*)"')
REDIRECT = "https://app.authmock.test/callback"
#: Echoed input: every character class, with the ones RFC 6749 §5.2 leaves out weighted up.
HOSTILE = st.text(
    # Surrogates excluded: no client can encode them into a request.
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from('"\\§\t\n\r\x00\x7f\u2028é☕'),
    ),
    min_size=1,
    max_size=40,
)
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _described(response: httpx.Response) -> str:
    body = response.json()
    description = body["error_description"]
    assert isinstance(description, str)
    assert ALLOWED.fullmatch(description), description
    return description


def _redirect_description(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    params = httpx.URL(response.headers["location"]).params
    description = params["error_description"]
    assert ALLOWED.fullmatch(description), description
    return description


def _challenge_description(response: httpx.Response) -> str:
    found = CHALLENGE_DESCRIPTION.findall(response.headers["www-authenticate"])
    assert len(found) == 1, response.headers["www-authenticate"]
    assert ALLOWED.fullmatch(found[0]), found[0]
    return str(found[0])


# -- the rendering --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("RFC 6749 §3.2", "RFC 6749 section 3.2"),
        ("RFC 6749 § 3.2 and §5.2", "RFC 6749 section 3.2 and section 5.2"),
        ('client "a\\b"', "client 'a/b'"),
        ("line one\nline two\tand\r", "line one line two and "),
        ("café ☕ \x00\x7f\u2028", "caf? ? ???"),
        ("plain ASCII stays: ~!#$%&'()*+,-./:;<=>?@[]^_`{|}", None),
        ("", None),
    ],
)
def test_the_rendering_is_readable(written: str, sent: str | None) -> None:
    assert wire_text(written) == (written if sent is None else sent)


@given(text=st.text())
def test_any_text_renders_into_the_set_and_stays_put(text: str) -> None:
    sent = wire_text(text)
    assert ALLOWED.fullmatch(sent), sent
    assert wire_text(sent) == sent
    assert challenges.quoted(text) == f'"{sent}"'


def test_the_python_side_keeps_the_text_as_written() -> None:
    error = InvalidRequest('parameter "x" breaks RFC 6749 §3.1')
    assert error.description == 'parameter "x" breaks RFC 6749 §3.1'
    assert str(error) == error.description
    assert error.body() == {
        "error": "invalid_request",
        "error_description": "parameter 'x' breaks RFC 6749 section 3.1",
    }


# -- hostile input echoed in a message, in process --------------------------------------


Target = tuple[FakeIdP, httpx.Client, Any]


@pytest.fixture(scope="module")
def hostile_target() -> Target:
    idp = FakeIdP()
    client = idp.add_client(redirect_uris=[REDIRECT])
    return idp, httpx.Client(transport=httpx.MockTransport(idp.handler)), client


def _grant_type(target: Target, value: str) -> str:
    idp, http, client = target
    # The quote and backslash also keep it from ever being a grant type that exists.
    response = token(http, idp, client, grant_type=f'{value}"\\')
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")
    return _described(response)


def _path(target: Target, value: str) -> str:
    idp, http, _ = target
    # Percent-encoded, as httpx sends no raw control characters; the path echoed is decoded.
    response = http.get(idp.issuer + "/no/such/" + quote(value, safe=""))
    assert response.status_code == 404
    return _described(response)


def _scope_in_a_redirect(target: Target, value: str) -> str:
    idp, http, client = target
    params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT}
    response = http.get(
        idp.url_for("authorization"), params={**params, "scope": f'openid {value}"\\'}
    )
    assert httpx.URL(response.headers["location"]).params["error"] == "invalid_scope"
    return _redirect_description(response)


def _registration_metadata(target: Target, value: str) -> str:
    idp, http, _ = target
    # The quote and backslash keep it from ever being a method that exists ("none").
    method = f'{value}"\\'
    document = {"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": method}
    response = http.post(idp.metadata()["registration_endpoint"], json=document)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client_metadata")
    return _described(response)


ECHOES = {
    "grant_type": _grant_type,
    "path": _path,
    "scope-in-a-redirect": _scope_in_a_redirect,
    "registration-metadata": _registration_metadata,
}


@pytest.mark.parametrize("echo", ECHOES.values(), ids=list(ECHOES))
@PROPERTY
@given(value=HOSTILE)
def test_echoed_input(
    hostile_target: Target, echo: Callable[[Target, str], str], value: str
) -> None:
    echo(hostile_target, value)


@PROPERTY
@given(value=HOSTILE)
def test_challenges_carry_any_description(value: str) -> None:
    header = challenges.bearer("https://idp.test", error="invalid_token", error_description=value)
    (described,) = CHALLENGE_DESCRIPTION.findall(header)
    assert ALLOWED.fullmatch(described)


# -- both transports ------------------------------------------------------------------


def test_a_json_error_says_section(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client()
    response = http.post(
        provider.url_for("token"),
        json={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret or ""),
    )
    assert response.status_code == 400
    description = _described(response)
    assert "(RFC 6749 section 3.2)" in description
    assert "Content-Type 'application/json'" in description


def test_an_error_redirect_says_section(provider: FakeIdP, http: httpx.Client) -> None:
    client = provider.add_client(redirect_uris=[REDIRECT])
    response = http.get(
        provider.url_for("authorization"),
        params={"client_id": client.client_id, "redirect_uri": REDIRECT, "state": "s"},
    )
    assert "(RFC 6749 section 4.1.1)" in _redirect_description(response)


def test_a_challenge_and_its_body_say_section(provider: FakeIdP, http: httpx.Client) -> None:
    resource = provider.issuer + "/api/wire"
    provider.protect(resource)
    response = http.get(resource, headers={"Authorization": 'Token "x\\y"'})
    assert response.status_code == 400
    in_challenge = _challenge_description(response)
    assert "(RFC 6750 section 2.1)" in in_challenge
    assert _described(response) == in_challenge


def test_a_refused_token_at_userinfo(provider: FakeIdP, http: httpx.Client) -> None:
    response = http.get(provider.url_for("userinfo"), headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert _described(response) == _challenge_description(response)
