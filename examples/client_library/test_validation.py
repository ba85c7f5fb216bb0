"""Checking tokens: with the provider, or locally with its keys. The docs embed these."""

from __future__ import annotations

import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.client import (
    AccessTokenValidator,
    InvalidToken,
    OAuthClient,
    PasswordGrant,
    TokenExpired,
    validate_token,
    verify_id_token,
)

API = "https://api.example.test/"


def test_validate_with_the_provider(idp: FakeIdP) -> None:
    service = idp.add_client()
    token = idp.issue_token(service, user=idp.add_user("ada"), scopes=["openid"])
    # --8<-- [start:validate]
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    identity = validate_token(oauth, token)  # introspection (a confidential client)
    print(identity.display_name, identity.expires_at_datetime, identity.scopes)
    # --8<-- [end:validate]
    assert identity.username == "ada"
    assert identity.checked_with == "introspection"


@pytest.mark.authmock(audience=API)
def test_validate_locally(idp: FakeIdP) -> None:
    service = idp.add_client()
    token = idp.issue_token(service, scopes=["orders:read"])
    # --8<-- [start:local]
    oauth = OAuthClient(idp.issuer)  # a resource server needs no client credentials
    validator = AccessTokenValidator(oauth, audience=API, leeway=60)
    identity = validator.validate(token)  # no request once the keys are cached
    assert identity.checked_with == "jwt"
    assert identity.scopes == ("orders:read",)
    assert identity.claims["aud"] == API
    try:
        validator.validate(token[:-8] + "AAAAAAAA")
    except TokenExpired:
        ...  # exp passed (beyond the leeway): the client should get a new token
    except InvalidToken as exc:  # anything else: signature, typ, iss, aud, nbf, iat
        print(exc)  # names the token by fingerprint, never the token itself
    # --8<-- [end:local]
    idp.journal.assert_count(1, endpoint="jwks")


@pytest.mark.authmock(audience=API)
def test_local_fallback_when_introspection_refuses(idp: FakeIdP) -> None:
    service = idp.add_client()
    token = idp.issue_token(service)
    idp.fail(400, body={"error": "unsupported_token_type"}, endpoint="introspection")
    # --8<-- [start:fallback]
    oauth = OAuthClient(
        idp.issuer, client_id=service.client_id, client_secret=service.client_secret
    )
    # The provider will not introspect its JWTs: check this one locally instead.
    identity = validate_token(oauth, token, audience=API)
    assert identity.checked_with == "jwt"
    # --8<-- [end:fallback]


def test_id_token(idp: FakeIdP) -> None:
    idp.add_client("cli", public=True)
    ada = idp.add_user("ada")
    oauth = OAuthClient(idp.issuer, client_id="cli")
    token = oauth.request_token(PasswordGrant("ada", ada.password, ["openid"]))
    assert token.id_token is not None
    # --8<-- [start:id_token]
    claims = verify_id_token(oauth, token.id_token, nonce=None, leeway=60)
    assert claims["aud"] == "cli"
    # --8<-- [end:id_token]
