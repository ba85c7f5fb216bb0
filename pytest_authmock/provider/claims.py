"""Per-request claims: hooks that see a grant request and add claims to its tokens.

``idp.claims_hook(fn)`` registers ``fn(request: ClaimsRequest) -> dict | None``.
Its result is merged over the client's and the user's claims in the access
token (JWT or introspection-visible record) and the ID token. Registered
claims the provider computes itself (``iss``, ``sub``, ``aud``, ``exp``...)
cannot be overridden: they would make the token disagree with the provider's
own record of it.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from pytest_authmock.provider.errors import OAuthError
from pytest_authmock.provider.models import Client, User
from pytest_authmock.provider.tokens import TokenMinter

#: Claims the provider sets from its own state; a hook may not replace them.
RESERVED_CLAIMS = frozenset(
    {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "client_id",
        "scope",
        "cnf",
        "azp",
        "at_hash",
        "nonce",
        "auth_time",
    }
)
#: Form parameters a hook never sees: credentials and grants, not request data.
SECRET_PARAMS = frozenset(
    {
        "client_secret",
        "password",
        "refresh_token",
        "code",
        "code_verifier",
        "device_code",
        "client_assertion",
        "assertion",
        "subject_token",
        "actor_token",
    }
)


@dataclasses.dataclass(frozen=True)
class ClaimsRequest:
    """What a claims hook sees of one successful grant request."""

    grant_type: str
    client: Client
    #: The resource owner, or ``None`` for client credentials.
    user: User | None
    scope: tuple[str, ...]
    #: The request's form parameters, without secrets (no password, secret, refresh token...).
    params: Mapping[str, str]

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def username(self) -> str | None:
        return self.user.username if self.user is not None else None


ClaimsHook = Callable[[ClaimsRequest], "Mapping[str, Any] | None"]


class ClaimsHookFailed(OAuthError):
    """The test's own claims hook failed; the teardown check reports why."""

    status_code = 500
    error = "server_error"


def hook_claims(
    minter: TokenMinter,
    *,
    client: Client,
    params: Mapping[str, str],
    user: User | None,
    scope: tuple[str, ...],
) -> dict[str, Any]:
    """Run the provider's claims hooks for one grant; ``{}`` without hooks.

    A hook's failure is kept in ``minter.hook_errors`` (the teardown check reports
    it) and answers ``server_error``, as a real provider's broken plug-in would.
    """
    hooks: list[ClaimsHook] = minter.claims_hooks
    if not hooks:
        return {}
    request = ClaimsRequest(
        grant_type=params.get("grant_type", ""),
        client=client,
        user=user,
        scope=scope,
        params={k: v for k, v in params.items() if k not in SECRET_PARAMS},
    )
    merged: dict[str, Any] = {}
    for hook in hooks:
        name = getattr(hook, "__qualname__", repr(hook))
        try:
            result = hook(request)
        except Exception:
            problem = f"the claims hook {name} raised:\n{traceback.format_exc()}"
            minter.hook_errors.append(problem)
            raise ClaimsHookFailed(
                f"the claims hook {name} raised; see the test's teardown"
            ) from None
        if result is None:
            continue
        if not isinstance(result, Mapping) or not all(isinstance(k, str) for k in result):
            problem = (
                f"the claims hook {name} returned {type(result).__name__}; "
                "it must return a dict of claim names to values, or None"
            )
            minter.hook_errors.append(problem)
            raise ClaimsHookFailed(problem)
        reserved = sorted(RESERVED_CLAIMS.intersection(result))
        if reserved:
            problem = (
                f"the claims hook {name} returned the registered claim(s) {', '.join(reserved)}, "
                "which the provider sets itself; set them with add_client(audience=...), "
                "add_user(sub=...), scopes or TTLs instead"
            )
            minter.hook_errors.append(problem)
            raise ClaimsHookFailed(problem)
        merged.update(result)
    return merged


__all__ = ["RESERVED_CLAIMS", "ClaimsHook", "ClaimsHookFailed", "ClaimsRequest", "hook_claims"]
