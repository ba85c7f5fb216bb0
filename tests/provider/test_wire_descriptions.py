"""``error_description`` on the wire stays in RFC 6749 §5.2's characters, over both transports.

The set is ``%x20-21 / %x23-5B / %x5D-7E`` for JSON error bodies (RFC 6749 §5.2),
``WWW-Authenticate`` challenges (RFC 6750 §3) and error redirects (RFC 6749
§4.1.2.1); the Python-side ``description`` keeps the text as written.
"""

from __future__ import annotations

import re
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


@pytest.fixture(scope="module")
def hostile_target() -> tuple[FakeIdP, httpx.Client, Any]:
    idp = FakeIdP()
    client = idp.add_client(redirect_uris=[REDIRECT])
    return idp, httpx.Client(transport=httpx.MockTransport(idp.handler)), client


@PROPERTY
@given(value=HOSTILE)
def test_echoed_grant_type(hostile_target: tuple[FakeIdP, httpx.Client, Any], value: str) -> None:
    idp, http, client = hostile_target
    response = token(http, idp, client, grant_type=value)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    _described(response)


@PROPERTY
@given(value=HOSTILE)
def test_echoed_path(hostile_target: tuple[FakeIdP, httpx.Client, Any], value: str) -> None:
    idp, http, _ = hostile_target
    # Percent-encoded, as httpx sends no raw control characters; the path echoed is decoded.
    response = http.get(idp.issuer + "/no/such/" + quote(value, safe=""))
    assert response.status_code == 404
    _described(response)


@PROPERTY
@given(value=HOSTILE)
def test_echoed_scope_in_an_error_redirect(
    hostile_target: tuple[FakeIdP, httpx.Client, Any], value: str
) -> None:
    idp, http, client = hostile_target
    response = http.get(
        idp.url_for("authorization"),
        params={
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": REDIRECT,
            "scope": f'openid {value}"\\',
            "state": "xyz",
        },
    )
    assert httpx.URL(response.headers["location"]).params["error"] == "invalid_scope"
    _redirect_description(response)


@PROPERTY
@given(value=HOSTILE)
def test_echoed_registration_metadata(
    hostile_target: tuple[FakeIdP, httpx.Client, Any], value: str
) -> None:
    idp, http, _ = hostile_target
    response = http.post(
        idp.metadata()["registration_endpoint"],
        json={"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": value},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    _described(response)


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
