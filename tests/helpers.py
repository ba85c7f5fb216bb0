"""Small helpers shared by the provider tests."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock import Client, FakeIdP, User


def token(
    http: httpx.Client,
    idp: FakeIdP,
    client: Client,
    *,
    post: bool = False,
    **params: Any,
) -> httpx.Response:
    """POST to the token endpoint, authenticating with Basic (or in the body with ``post``)."""
    data = {k: v for k, v in params.items() if v is not None}
    if post:
        data.update(client_id=client.client_id, client_secret=client.client_secret)
        return http.post(idp.url_for("token"), data=data)
    assert client.client_secret is not None
    return http.post(idp.url_for("token"), data=data, auth=(client.client_id, client.client_secret))


def password_grant(
    http: httpx.Client, idp: FakeIdP, client: Client, user: User, **params: Any
) -> httpx.Response:
    """The password grant's token request for ``user`` (RFC 6749 §4.3.2)."""
    return token(
        http,
        idp,
        client,
        grant_type="password",
        username=user.username,
        password=user.password,
        **params,
    )


def login(
    http: httpx.Client, idp: FakeIdP, client: Client, user: User, **params: Any
) -> dict[str, Any]:
    response = password_grant(http, idp, client, user, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
