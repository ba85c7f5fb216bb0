import httpx
import pytest


def test_client_credentials(idp):
    client = idp.add_client(scopes=["read"])  # Faker fills the id and secret
    api = "https://api.example.test/me"
    idp.protect(api, scopes=["read"])  # an API that validates bearer tokens

    token = httpx.post(
        idp.url_for("token"),
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=(client.client_id, client.client_secret),
    ).json()["access_token"]

    me = httpx.get(api, headers={"Authorization": f"Bearer {token}"})
    assert me.json()["client_id"] == client.client_id
    idp.journal.assert_count(1, endpoint="token")


@pytest.mark.authmock(access_token_ttl=60)
def test_expiry(idp):
    token = idp.issue_token(scopes=["read"])
    idp.clock.advance(61)
    assert idp.check_bearer(f"Bearer {token}").error == "invalid_token"
