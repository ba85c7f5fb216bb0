"""``/_authmock/trusted-issuers``: trust, list, distrust; the 400s of a bad table; a reset
brings back the start-up set; never a private key in or out."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from pytest_authmock.control import Baseline
from pytest_authmock.control.trust_routes import listing
from pytest_authmock.provider.idp import FakeIdP
from tests.control.conftest import ControlServer

KEY = ECKey.generate_key("P-256", parameters={"kid": "sa-1"}, private=True)
JWKS = {"keys": [KEY.as_dict(private=False)]}
ISSUER = "https://sa.example"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _assertion(control: ControlServer, issuer: str = ISSUER) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "sub": "robot", "aud": control.url, "iat": now, "exp": now + 60}
    return jwt.encode({"alg": "ES256", "kid": "sa-1"}, claims, KEY)


def _grant(control: ControlServer) -> Any:
    return control.token({"grant_type": JWT_BEARER, "assertion": _assertion(control)})


def test_trust_list_and_distrust(control: ControlServer) -> None:
    assert control.call("GET", "/trusted-issuers").json() == {"trusted_issuers": []}
    assert _grant(control).status_code == 400

    body = {"issuer": ISSUER, "jwks": JWKS, "copy_claims": ["team"]}
    answer = control.call("POST", "/trusted-issuers", body)
    assert answer.status_code == 201, answer.text
    entry = {
        "issuer": ISSUER,
        "audience": None,
        "copy_claims": ["team"],
        "keys_from": "jwks",
        "jwks": JWKS,
    }
    assert answer.json() == entry
    location = answer.headers["Location"]
    assert location == "/_authmock/trusted-issuers?issuer=https%3A%2F%2Fsa.example"
    assert control.call("GET", "/trusted-issuers").json() == {"trusted_issuers": [entry]}
    granted = _grant(control)
    assert granted.status_code == 200, granted.text

    again = control.call("POST", "/trusted-issuers", body)
    assert again.status_code == 409
    assert location in again.json()["error_description"]

    assert control.call("DELETE", location.removeprefix("/_authmock")).status_code == 204
    assert control.call("GET", "/trusted-issuers").json() == {"trusted_issuers": []}
    refused = _grant(control)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert "does not trust" in refused.json()["error_description"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"jwks": JWKS}, "issuer is missing"),
        ({"issuer": ISSUER}, "the body needs exactly one of jwks"),
        ({"issuer": ISSUER, "jwks": JWKS, "jwks_uri": "https://sa.example/jwks"},
         "the body needs exactly one of jwks"),
        ({"issuer": "sa", "jwks": JWKS}, "issuer must be an http(s) URL; got 'sa'"),
        ({"issuer": ISSUER, "jwks": "sa.jwks.json"}, "jwks must be a JSON object; got a string"),
        ({"issuer": ISSUER, "jwks": {"keys": []}},
         "jwks must be a JWKS: an object with a non-empty 'keys' list"),
        ({"issuer": ISSUER, "jwks": {"keys": [KEY.as_dict(private=True)]}},
         "jwks: keys[0] (kid 'sa-1') is a private or symmetric key (it has 'd'); a trusted "
         "issuer's keys are public: give the JWKS it publishes"),
        ({"issuer": ISSUER, "jwks_uri": "file:///etc/jwks"},
         "jwks_uri must be an http(s) URL; got 'file:///etc/jwks'"),
        ({"issuer": ISSUER, "jwks": JWKS, "audience": ""},
         "audience must have 1 to 4096 characters; got 0"),
        ({"issuer": ISSUER, "jwks": JWKS, "copy_claims": "team"},
         "copy_claims must be an array of strings; got a string"),
        ({"issuer": ISSUER, "jwks": JWKS, "keys": []},
         "the body has unknown key 'keys'; known keys: issuer, jwks, jwks_uri, audience, "
         "copy_claims"),
    ],
)  # fmt: skip
def test_a_bad_table_is_a_400_naming_the_field(
    control: ControlServer, body: dict[str, Any], message: str
) -> None:
    answer = control.call("POST", "/trusted-issuers", body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"].startswith(message)
    assert str(KEY.as_dict(private=True)["d"]) not in answer.text
    assert control.call("GET", "/trusted-issuers").json() == {"trusted_issuers": []}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 400, "issuer: name the issuer in the query, URL-encoded"),
        ("?issuer=", 400, "issuer: name the issuer in the query"),
        ("?issuer=a&issuer=b", 400, "issuer: name the issuer in the query"),
        (f"?issuer={quote(ISSUER, safe='')}", 404, f"issuer {ISSUER!r} is not trusted"),
    ],
)
def test_distrust_names_the_issuer_in_the_query(
    control: ControlServer, query: str, status: int, message: str
) -> None:
    answer = control.call("DELETE", f"/trusted-issuers{query}")
    assert answer.status_code == status
    assert answer.json()["error_description"].startswith(message)


def test_a_reset_forgets_what_the_api_added(control: ControlServer) -> None:
    body = {"issuer": ISSUER, "jwks_uri": "https://sa.example/jwks"}
    assert control.call("POST", "/trusted-issuers", body).status_code == 201
    assert control.call("POST", "/reset").status_code == 204
    assert control.call("GET", "/trusted-issuers").json() == {"trusted_issuers": []}


def test_the_baseline_restores_every_kind_of_trust() -> None:
    other = FakeIdP(issuer="https://other.example")
    idp = FakeIdP()
    idp.trust_issuer(ISSUER, jwks=JWKS, audience="https://platform.example")
    idp.trust_issuer("https://ci.example", jwks_uri="https://ci.example/jwks", copy_claims=["a"])
    idp.trust_issuer(other)
    before = [listing(trusted) for trusted in idp.trusted_issuers.values()]
    assert [entry["keys_from"] for entry in before] == ["jwks", "jwks_uri", "provider"]
    baseline = Baseline(idp)
    idp.distrust_issuer(ISSUER)
    idp.trust_issuer("https://new.example", jwks=JWKS)
    baseline.restore(idp)
    assert [listing(trusted) for trusted in idp.trusted_issuers.values()] == before
    # Another provider's keys are still read live: its rotation is seen after a restore.
    kid = other.rotate_keys()
    live = idp.trusted_issuers["https://other.example"].live_jwks
    assert live is not None
    assert kid in [key["kid"] for key in live()["keys"]]
