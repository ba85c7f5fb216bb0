"""Provers of the registration, pushed-request and logout members of the metadata.

Each drives the endpoint over the agent's transport with plain HTTP, the way a
client that only read the metadata would: register and use a client (RFC 7591,
RFC 7592), push a request and sign in with its ``request_uri`` (RFC 9126), and
sign out of a browser session (OIDC RP-Initiated Logout 1.0).
"""

from __future__ import annotations

from typing import Any

import httpx

from pytest_authmock.client.browser_login import pkce_pair
from tests.breadth.metadata_provers import LOOPBACK, Agent
from tests.flows.helpers import submit

SIGNED_OUT = "http://127.0.0.1/signed-out"


def prove_registration(agent: Agent, value: Any) -> None:
    """RFC 7591 §3: register, use the credentials; RFC 7592: read, then delete."""
    http = agent.http()
    answer = http.post(value, json={"grant_types": ["client_credentials"], "client_name": "prover"})
    assert answer.status_code == 201, answer.text
    registered = answer.json()
    assert registered["client_name"] == "prover"
    credentials = (registered["client_id"], registered["client_secret"])
    token = http.post(
        agent.metadata["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=credentials,
    )
    assert token.status_code == 200, token.text
    management = {"Authorization": f"Bearer {registered['registration_access_token']}"}
    read = http.get(registered["registration_client_uri"], headers=management)
    assert read.status_code == 200
    assert read.json()["client_id"] == registered["client_id"]
    deleted = http.delete(registered["registration_client_uri"], headers=management)
    assert deleted.status_code == 204, deleted.text
    gone = http.post(
        agent.metadata["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=credentials,
    )
    assert gone.json()["error"] == "invalid_client"


def _authorization_params(client_id: str, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": LOOPBACK,
        "scope": "openid",
        "state": "pushed",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def prove_pushed_requests(agent: Agent, value: Any) -> None:
    """RFC 9126 §2-§4: push the request, sign in with only its ``request_uri``."""
    provider = agent.provider
    provider.auto_approve = provider.add_user()
    client = provider.add_client(public=True, redirect_uris=[LOOPBACK])
    verifier, challenge = pkce_pair()
    http = agent.http()
    pushed = http.post(value, data=_authorization_params(client.client_id, challenge))
    assert pushed.status_code == 201, pushed.text
    assert pushed.json()["expires_in"] > 0
    signed_in = http.get(
        agent.metadata["authorization_endpoint"],
        params={"client_id": client.client_id, "request_uri": pushed.json()["request_uri"]},
    )
    assert signed_in.status_code in (302, 303), signed_in.text
    location = httpx.URL(signed_in.headers["location"])
    assert location.params["state"] == "pushed"  # it came from the pushed request only
    agent.redeem(http, client.client_id, location.params["code"], verifier)


def prove_require_pushed(agent: Agent, value: Any) -> None:
    """RFC 9126 §5: the value says whether a request that was not pushed is refused."""
    provider = agent.provider
    provider.auto_approve = provider.add_user()
    client = provider.add_client(public=True, redirect_uris=[LOOPBACK])
    _, challenge = pkce_pair()
    answer = agent.http().get(
        agent.metadata["authorization_endpoint"],
        params=_authorization_params(client.client_id, challenge),
    )
    assert answer.status_code in (302, 303), answer.text
    params = httpx.URL(answer.headers["location"]).params
    if value:
        assert params["error"] == "invalid_request"
    else:
        assert "code" in params


def prove_end_session(agent: Agent, value: Any) -> None:
    """Sign in on the page, sign out with the ID token; the next login asks again."""
    provider = agent.provider
    user = provider.add_user()
    provider.auto_approve = None
    client = provider.add_client(
        public=True, redirect_uris=[LOOPBACK], post_logout_redirect_uris=[SIGNED_OUT]
    )
    verifier, challenge = pkce_pair()
    http = agent.http()
    authorization = agent.metadata["authorization_endpoint"]
    params = _authorization_params(client.client_id, challenge)
    page = http.get(authorization, params=params)
    assert page.status_code == 200, page.text
    done = submit(
        http, page, authorization, username=user.username, password=user.password, action="approve"
    )
    code = httpx.URL(done.headers["location"]).params["code"]
    id_token = agent.redeem(http, client.client_id, code, verifier)["id_token"]
    # The browser session signs the user in without the page.
    assert http.get(authorization, params=params).status_code in (302, 303)
    answer = http.get(
        value,
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": SIGNED_OUT,
            "state": "bye",
        },
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == SIGNED_OUT + "?state=bye"
    assert http.get(authorization, params=params).status_code == 200  # asked to sign in again


PROTOCOL_PROVERS = {
    "registration_endpoint": prove_registration,
    "pushed_authorization_request_endpoint": prove_pushed_requests,
    "require_pushed_authorization_requests": prove_require_pushed,
    "end_session_endpoint": prove_end_session,
}
