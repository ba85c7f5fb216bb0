"""``deploy``: a command-line tool under test, run as a subprocess (your code, not ours).

Standard library only (``urllib``), to stand for any program in any language
that reaches the provider over real sockets: it cannot be patched by respx or
frozen by freezegun, which is why its tests use ``idp_server``.

    deploy login     client credentials -> token cached in $DEPLOY_HOME/token.json
    deploy whoami    call the API with the cached token
    deploy logout    revoke the token (RFC 7009) and forget it

Configuration comes from the environment: DEPLOY_ISSUER, DEPLOY_API,
DEPLOY_CLIENT_ID, DEPLOY_CLIENT_SECRET, DEPLOY_HOME and, for HTTPS with a
private CA, DEPLOY_CA_BUNDLE.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


class Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise Failure(f"{name} is not set", code=2)
    return value


def _context() -> ssl.SSLContext | None:
    bundle = os.environ.get("DEPLOY_CA_BUNDLE")
    return ssl.create_default_context(cafile=bundle) if bundle else None


def _call(
    url: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, context=_context(), timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _metadata() -> dict[str, Any]:
    status, body = _call(_env("DEPLOY_ISSUER") + "/.well-known/openid-configuration")
    if status != 200:
        raise Failure(f"the identity provider answered discovery with HTTP {status}")
    return body


def _basic() -> str:
    pair = f"{_env('DEPLOY_CLIENT_ID')}:{_env('DEPLOY_CLIENT_SECRET')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _cache() -> Path:
    return Path(_env("DEPLOY_HOME")) / "token.json"


def login() -> str:
    status, body = _call(
        _metadata()["token_endpoint"],
        form={"grant_type": "client_credentials"},
        headers={"Authorization": _basic()},
    )
    if status != 200:
        raise Failure(f"login failed: {body.get('error')} ({body.get('error_description')})", 2)
    expires_in = body.get("expires_in")
    cache = _cache()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"access_token": body["access_token"], "expires_in": expires_in}))
    cache.chmod(0o600)
    lifetime = "never expires" if expires_in is None else f"expires in {expires_in} s"
    return f"logged in as {_env('DEPLOY_CLIENT_ID')}; token {lifetime}"


def whoami() -> str:
    if not _cache().exists():
        raise Failure("not logged in; run: deploy login")
    token = json.loads(_cache().read_text())["access_token"]
    status, body = _call(
        _env("DEPLOY_API") + "/api/me", headers={"Authorization": f"Bearer {token}"}
    )
    if status == 401:
        raise Failure("session expired or revoked; run: deploy login")
    if status != 200:
        raise Failure(f"the API answered HTTP {status}")
    return f"{body['client_id']} (scopes: {body.get('scope') or 'none'})"


def logout() -> str:
    if not _cache().exists():
        return "not logged in"
    token = json.loads(_cache().read_text())["access_token"]
    endpoint = _metadata()["revocation_endpoint"]
    _call(endpoint, form={"token": token}, headers={"Authorization": _basic()})
    _cache().unlink()
    return "logged out"


def main(argv: list[str]) -> int:
    commands = {"login": login, "whoami": whoami, "logout": logout}
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: deploy {{{','.join(commands)}}}", file=sys.stderr)
        return 2
    try:
        print(commands[argv[0]]())
    except Failure as failure:
        print(f"deploy: {failure}", file=sys.stderr)
        return failure.code
    except (urllib.error.URLError, OSError) as error:
        print(f"deploy: cannot reach the server: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
