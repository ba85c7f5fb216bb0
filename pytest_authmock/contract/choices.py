"""The choices the contract suite records: where the RFCs let a provider pick, what it picked.

Each choice has a key (its name in a provider profile), a label (its line in
the "provider choices" summary), and a way to show its value. The checks
record a value with its evidence (:meth:`Choices.record`), or say why they
could not observe it (:meth:`Choices.unobservable`). The same records make the
summary, the ``--authmock-contract-choices-json`` file and the provider profile
(``--authmock-contract-profile``, :mod:`.profile`), which the fake replays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

__all__ = ["OBSERVED_BY", "SPECS", "Choices", "Recorded", "Spec", "json_type"]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _seconds(value: Any) -> str:
    return f"{value} s"


def _names(value: Any) -> str:
    return ", ".join(value) or "none"


def _published(value: Any) -> str:
    if value is None:
        return "not published"
    return ", ".join(_short(name) for name in value) or "(empty)"


def _short(grant: str) -> str:
    return "device_code" if grant == DEVICE_GRANT else grant


def _layout(value: Any) -> str:
    return ", ".join(f"{name}:{kind}" for name, kind in sorted(value.items())) or "(no claims)"


def _or_none(value: Any) -> str:
    return "none" if value is None else str(value)


@dataclasses.dataclass(frozen=True)
class Spec:
    label: str
    show: Callable[[Any], str]
    #: Why a run did not observe it, when no check said otherwise.
    needs: str
    #: The fake's option that plays the value unchanged, for the summary's hint.
    option: str | None = None


_RUNS = "the check that observes it did not run (see the skipped checks, -rs)"
_CODE = "needs the authorization code flow (--authmock-contract-redirect-uri and --authmock-contract-user)"
_USER = "needs a user login (--authmock-contract-user)"
_DEVICE = "needs --authmock-contract-device"
_MTLS = "needs --authmock-contract-client-cert and --authmock-contract-client-key"
_SECRET = "needs a confidential client allowed client_credentials"

#: Profile key -> how the choice reads. The fake's side is pytest_authmock.provider.choices.
SPECS: dict[str, Spec] = {
    "metadata_documents": Spec("metadata documents", " and ".join, _RUNS, "metadata_documents"),
    "endpoints_published": Spec("optional endpoints published", _names, _RUNS),
    "grant_types_supported": Spec(
        "grant_types_supported (of the grants checked)", _published, _RUNS
    ),
    "scopes_supported": Spec("scopes_supported", _published, _RUNS),
    "code_challenge_methods_supported": Spec("PKCE methods published", _published, _RUNS),
    "jwks_published": Spec(
        "jwks_uri", lambda v: "published" if v else "not published (opaque tokens only?)", _RUNS
    ),
    "jwks_key_types": Spec("JWKS key types", _names, _RUNS),
    "token_type": Spec("token_type spelling", str, _SECRET, "bearer_token_type"),
    "expires_in": Spec(
        "expires_in in token answers",
        lambda v: "absent" if v is None else _seconds(v),
        _SECRET,
        "access_token_ttl",
    ),
    "access_token_format": Spec(
        "access token format", lambda v: "JWT" if v == "jwt" else "opaque", _SECRET, "token_format"
    ),
    "access_token_typ": Spec(
        "access token typ header", _or_none, "needs a JWT access token", "access_token_typ"
    ),
    "access_token_claims": Spec(
        "access token claims (client credentials)", _layout, "needs a JWT access token"
    ),
    "id_token_claims": Spec("ID token claims", _layout, _CODE),
    "id_token_typ": Spec("ID token typ header", _or_none, _CODE, "id_token_typ"),
    "id_token_lifetime": Spec("ID token lifetime", _seconds, _CODE, "id_token_ttl"),
    "invalid_client_status": Spec("invalid_client status", str, _SECRET, "invalid_client_status"),
    "token_endpoint_get": Spec(
        "GET on the token endpoint", str, _RUNS, "token_endpoint_get_status"
    ),
    "forbidden_grant_error": Spec(
        "error for a grant the client may not use",
        lambda v: f"{v} (RFC 6749 §5.2 names unauthorized_client)",
        "needs --authmock-contract-forbidden-grant (a grant the client may not use)",
        "unauthorized_grant_error",
    ),
    "unknown_scope": Spec(
        "an unknown scope", lambda v: "granted anyway" if v == "granted" else v, _SECRET
    ),
    "client_auth_methods": Spec(
        "client secret accepted by", _names, "needs a confidential client (ID:SECRET)"
    ),
    "refresh_for_client_credentials": Spec(
        "refresh token for client_credentials", _yes_no, _SECRET
    ),
    "refresh_for_password": Spec("refresh token with the password grant", _yes_no, _USER),
    "refresh_for_authorization_code": Spec(
        "refresh token with the authorization code flow", _yes_no, _CODE
    ),
    "refresh_rotation": Spec(
        "refresh token rotation", _yes_no, "needs a refresh token", "refresh_token_rotation"
    ),
    "refresh_reuse_revokes_family": Spec(
        "reuse of a rotated refresh token revokes the newer one",
        _yes_no,
        "needs rotating refresh tokens",
        "refresh_token_reuse_revokes_family",
    ),
    "introspect_own_token": Spec(
        "introspecting the client's own token",
        lambda v: (
            "active" if v else "active: false (this client may not introspect it, RFC 7662 §2.2)"
        ),
        "needs an introspection endpoint and a token",
    ),
    "inactive_token_members": Spec(
        "members beside active for an inactive token", _names, "needs an introspection endpoint"
    ),
    "introspect_jwt_access_token": Spec(
        "introspecting a JWT access token",
        lambda v: "active" if v else "inactive",
        "needs a JWT access token and an introspection endpoint",
        "introspect_jwt_access_tokens",
    ),
    "revoke_access_token": Spec(
        "revoking an access token",
        lambda v: "takes effect at introspection" if v else "has no effect",
        "needs revocation and introspection endpoints",
        "revoke_access_tokens",
    ),
    "device_interval": Spec(
        "device flow polling interval",
        lambda v: "absent (clients use 5 s)" if v is None else _seconds(v),
        _DEVICE,
        "device_interval",
    ),
    "device_code_lifetime": Spec("device code lifetime", _seconds, _DEVICE, "device_code_ttl"),
    "verification_uri_complete": Spec(
        "verification_uri_complete", _yes_no, _DEVICE, "device_verification_uri_complete"
    ),
    "missing_token_error": Spec(
        "error code in userinfo's challenge to a request without a token",
        _or_none,
        "needs a userinfo endpoint",
        "missing_token_error",
    ),
    "resource_missing_token_error": Spec(
        "error code in the resource's challenge to a request without a token",
        _or_none,
        "needs --authmock-contract-resource",
        "missing_token_error",
    ),
    "authorization_response_iss": Spec(
        "iss in the authorization response (RFC 9207)", _yes_no, _CODE, "authorization_response_iss"
    ),
    "code_reuse_revokes_tokens": Spec(
        "reusing a code revokes the tokens it gave", _yes_no, _CODE, "code_reuse_revokes_tokens"
    ),
    "refused_exchange_spends_code": Spec(
        "a code after a refused exchange",
        lambda v: "spent" if v else "still exchangeable",
        _CODE,
        "refused_exchange_spends_code",
    ),
    "pkce_required": Spec(
        "PKCE required for this client", lambda v: f"yes ({v})" if v else "no", _CODE
    ),
    "mtls_endpoint_aliases": Spec("mTLS endpoint aliases (RFC 8705 §5)", _yes_no, _MTLS),
    "certificate_bound_access_tokens": Spec(
        "certificate-bound JWT (cnf x5t#S256)", _yes_no, _MTLS, "certificate_bound_access_tokens"
    ),
}


#: The check that observes each choice: when it skips or fails, that is why the choice is
#: unobserved.
OBSERVED_BY: dict[str, tuple[str, ...]] = {
    "test_metadata_is_served_for_the_issuer": (
        "metadata_documents",
        "endpoints_published",
        "grant_types_supported",
        "scopes_supported",
        "code_challenge_methods_supported",
    ),
    "test_jwks": ("jwks_published", "jwks_key_types"),
    "test_client_credentials_succeeds": (
        "token_type",
        "expires_in",
        "refresh_for_client_credentials",
    ),
    "test_access_token_format": ("access_token_format", "access_token_typ", "access_token_claims"),
    "test_id_token": ("id_token_claims", "id_token_typ", "id_token_lifetime"),
    "test_wrong_client_secret": ("invalid_client_status",),
    "test_token_endpoint_refuses_get": ("token_endpoint_get",),
    "test_forbidden_grant": ("forbidden_grant_error",),
    "test_unknown_scope": ("unknown_scope",),
    "test_client_secret_methods": ("client_auth_methods",),
    "test_password_grant": ("refresh_for_password",),
    "test_code_exchange_with_pkce": ("refresh_for_authorization_code",),
    "test_refresh_grant_and_rotation": ("refresh_rotation", "refresh_reuse_revokes_family"),
    "test_introspect_an_active_token": ("introspect_own_token", "introspect_jwt_access_token"),
    "test_introspect_an_unknown_token": ("inactive_token_members",),
    "test_revoke_an_own_token": ("revoke_access_token",),
    "test_device_authorization_answer": (
        "device_interval",
        "device_code_lifetime",
        "verification_uri_complete",
    ),
    "test_userinfo_without_a_token": ("missing_token_error",),
    "test_resource_without_a_token": ("resource_missing_token_error",),
    "test_authorization_response": ("authorization_response_iss",),
    "test_code_is_single_use": ("code_reuse_revokes_tokens",),
    "test_wrong_code_verifier": ("refused_exchange_spends_code",),
    "test_pkce_downgrade_is_refused": ("pkce_required",),
    "test_bound_token_with_a_client_certificate": (
        "mtls_endpoint_aliases",
        "certificate_bound_access_tokens",
    ),
}


def json_type(value: Any) -> str | None:
    """The JSON type of a claim value, as a claims layout names it (``None`` for null)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def evidence(response: httpx.Response | None, **details: Any) -> dict[str, Any]:
    """What was seen: the request (method, path, grant type), the status and the error code.

    Never a secret: of the request only ``grant_type`` is kept.
    """
    found: dict[str, Any] = {}
    if response is not None:
        request = _request_of(response)
        if request is not None:
            line = f"{request.method} {request.url.path}"
            try:
                form = dict(parse_qsl(request.content.decode("utf-8", "replace")))
            except (httpx.RequestNotRead, ValueError):
                form = {}
            if "grant_type" in form:
                line += f" grant_type={form['grant_type']}"
            found["request"] = line
        found["status"] = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            found["error"] = body["error"]
    found.update({name: value for name, value in details.items() if value is not None})
    return found


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # an answer built by hand, as in unit tests
        return None


@dataclasses.dataclass(frozen=True)
class Recorded:
    value: Any
    evidence: dict[str, Any]


@dataclasses.dataclass
class Choices:
    """The variants a provider chose where the RFCs allow several."""

    items: dict[str, Recorded] = dataclasses.field(default_factory=dict)
    #: Choices a check found it could not observe, and why (shown in the summary).
    unobserved: dict[str, str] = dataclasses.field(default_factory=dict)
    #: Choices whose check skipped or failed, and its reason (written to the profile).
    why_not: dict[str, str] = dataclasses.field(default_factory=dict)
    #: Label -> (what was seen, the fake's switch): what a check learned that is not
    #: (yet) a profile choice; shown in the summary only, not written or replayed.
    observations: dict[str, tuple[str, str | None]] = dataclasses.field(default_factory=dict)

    def observe(self, label: str, seen: str, fake: str | None = None) -> None:
        """Note ``seen`` under ``label`` for the summary (``fake``: the switch that plays it)."""
        self.observations[label] = (seen, fake)

    def record(
        self, key: str, value: Any, response: httpx.Response | None = None, **details: Any
    ) -> None:
        """``value`` for choice ``key``, with the answer that showed it (``field=...``...)."""
        if key not in SPECS:
            raise KeyError(f"unknown choice {key!r}")
        self.items[key] = Recorded(value, evidence(response, **details))
        self.unobserved.pop(key, None)

    def check_ended(self, check: str, outcome: str, reason: str = "") -> None:
        """A check skipped or failed: the choices it observes are unobserved, and why."""
        for key in OBSERVED_BY.get(check, ()):
            if key not in self.items and key not in self.unobserved:
                why = f"{check} skipped: {reason}" if outcome == "skipped" else f"{check} {outcome}"
                self.why_not[key] = why

    def reason(self, key: str) -> str:
        """Why ``key`` was not observed: what a check said, else what it needs."""
        return self.unobserved.get(key) or self.why_not.get(key) or SPECS[key].needs

    def unobservable(self, key: str, reason: str) -> None:
        """Say why the run cannot observe ``key`` (shown in the summary and the profile)."""
        if key not in SPECS:
            raise KeyError(f"unknown choice {key!r}")
        if key not in self.items:
            self.unobserved[key] = reason

    def value(self, key: str, default: Any = None) -> Any:
        found = self.items.get(key)
        return default if found is None else found.value

    def shown(self) -> dict[str, tuple[str, str | None]]:
        """Label -> (what was chosen, the fake's option for it): the summary's items."""
        out: dict[str, tuple[str, str | None]] = {}
        for key, recorded in self.items.items():
            spec = SPECS[key]
            hint = None
            if spec.option is not None and recorded.value is not None:
                hint = f"{spec.option}={recorded.value!r}"
            out[spec.label] = (spec.show(recorded.value), hint)
        for key, reason in self.unobserved.items():
            out[SPECS[key].label] = (f"not observable ({reason})", None)
        return out

    def as_json(self) -> dict[str, dict[str, str | None]]:
        return {
            label: {"chosen": chosen, "fake": hint}
            for label, (chosen, hint) in self.shown().items()
        }

    def lines(self) -> list[str]:
        out = []
        for label, (chosen, hint) in sorted({**self.shown(), **self.observations}.items()):
            suffix = f"  (fake: {hint})" if hint else ""
            out.append(f"{label}: {chosen}{suffix}")
        return out
