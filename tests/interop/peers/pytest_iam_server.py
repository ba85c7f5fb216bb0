"""pytest-iam's canaille server on loopback, for the interop tests.

Run by the interop fixtures with the interpreter of a venv that has
pytest-iam (not the project's own venv: canaille brings Flask and more, and
pytest-iam is a pytest plugin that would load into every run). Prints
``{"issuer": ...}`` on the first stdout line once it accepts connections, and
stops when its standard input closes.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
import threading
import uuid

os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on loopback

from canaille import create_app
from canaille.backends import Backend
from joserfc.jwk import JWKRegistry
from pytest_iam import Server

REDIRECT = "http://127.0.0.1/interop/callback"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    port = free_port()
    key = JWKRegistry.generate_key("RSA", 2048)
    key.ensure_kid()
    # The configuration pytest-iam's own iam_configuration fixture builds.
    config = {
        "TESTING": True,
        "ENV_FILE": None,
        "SECRET_KEY": str(uuid.uuid4()),
        "WTF_CSRF_ENABLED": False,
        "PREFERRED_URL_SCHEME": "http",
        "SERVER_NAME": f"localhost:{port}",
        "CANAILLE": {
            "DATABASE": "memory",
            "JAVASCRIPT": False,
            "ACL": {"DEFAULT": {"PERMISSIONS": ["use_oidc"]}},
        },
        "CANAILLE_OIDC": {"ACTIVE_JWKS": [key.as_dict(private=True)]},
    }
    app = create_app(config=config, env_file=None, env_prefix="PYTEST_IAM_")
    server = Server(app, port, Backend.instance)
    with app.app_context():
        models = server.models
        user = models.User(
            user_name="alice",
            password="alice-password",
            emails=["alice@interop.test"],
            formatted_name="Alice Liddell",
        )
        Backend.instance.save(user)
        for client_id, grants in (
            (
                "interop-basic",
                ["client_credentials", "authorization_code", "refresh_token", "password"],
            ),
            # Not in its own tokens' audience: canaille then answers active:false
            # when it introspects them (RFC 7662 §2.2 allows that).
            ("interop-no-audience", ["client_credentials"]),
        ):
            client = models.Client(
                client_id=client_id,
                client_secret=f"{client_id}-secret",
                client_id_issued_at=datetime.datetime.now(datetime.timezone.utc),
                redirect_uris=[REDIRECT] if "authorization_code" in grants else [],
                grant_types=grants,
                response_types=["code"] if "authorization_code" in grants else [],
                scope=["openid", "profile", "email"],
                token_endpoint_auth_method="client_secret_basic",
            )
            Backend.instance.save(client)
            if client_id == "interop-basic":
                # What canaille's own client registration does.
                client.audience = [client]
                Backend.instance.save(client)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    print(json.dumps({"issuer": server.url.rstrip("/")}), flush=True)
    sys.stdin.read()
    server.httpd.shutdown()


if __name__ == "__main__":
    main()
