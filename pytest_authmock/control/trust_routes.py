"""``/_authmock/trusted-issuers``: ``idp.trust_issuer()`` over HTTP.

The body of a ``POST`` is a ``[[trusted_issuers]]`` table of the setup file
written as JSON (:mod:`pytest_authmock.config_trust` checks it), with the JWKS
inline. An issuer is a URL, so ``DELETE`` names it in the ``issuer`` query
parameter rather than in the path. Answers show public keys only: a trusted
issuer's keys are public, and a JWKS holding a private key is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from pytest_authmock.control import fields as f
from pytest_authmock.control.baseline import trusted_issuer_keywords
from pytest_authmock.control.http import attempt, bad_request, conflict, json_response
from pytest_authmock.control.routes import PREFIX, Call, Route
from pytest_authmock.control.tables import checked_table

if TYPE_CHECKING:
    from pytest_authmock.provider.trust import TrustedIssuer

__all__ = ["FIELDS", "ROUTES", "listing"]

PATH = f"{PREFIX}/trusted-issuers"
_URL = f.text(min_length=1, max_length=2048)

FIELDS = (
    f.Field("issuer", _URL, "the URL its tokens carry in 'iss'", required=True),
    f.Field(
        "jwks",
        f.json_object(),
        "its public keys, a JWKS; give this or jwks_uri (private keys are refused)",
    ),
    f.Field("jwks_uri", _URL, "where its JWKS is fetched (cached; again for an unknown kid)"),
    f.Field(
        "audience",
        f.text(min_length=1),
        "the aud its tokens must carry; default: this provider (its issuer or token endpoint URL)",
    ),
    f.Field("copy_claims", f.text_list(), "claims copied from its tokens into the tokens issued"),
)

_ENTRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "issuer": {"type": "string"},
        "audience": {"type": ["string", "null"]},
        "copy_claims": {"type": "array", "items": {"type": "string"}},
        "keys_from": {
            "enum": ["jwks", "jwks_uri", "provider"],
            "description": "where its keys come from (provider: another fake provider, "
            "set up from Python)",
        },
        "jwks_uri": {"type": "string"},
        "jwks": {"type": "object", "description": "its public keys"},
    },
}
_ISSUER_QUERY = {"issuer": ({"type": "string"}, "the issuer URL (URL-encoded)")}


def listing(trusted: TrustedIssuer) -> dict[str, Any]:
    """A trusted issuer as JSON: its public keys, or where they come from."""
    keywords = trusted_issuer_keywords(trusted)
    entry: dict[str, Any] = {
        "issuer": trusted.issuer,
        "audience": trusted.audience,
        "copy_claims": list(trusted.copy_claims),
    }
    if trusted.live_jwks is not None:
        entry["keys_from"] = "provider"
    elif "jwks_uri" in keywords:
        entry.update(keys_from="jwks_uri", jwks_uri=keywords["jwks_uri"])
    else:
        entry.update(keys_from="jwks", jwks=keywords["jwks"])
    return entry


def _location(issuer: str) -> str:
    return f"{PATH}?{urlencode({'issuer': issuer})}"


def list_issuers(call: Call) -> httpx.Response:
    found = [listing(trusted) for trusted in call.idp.trusted_issuers.values()]
    return json_response(200, {"trusted_issuers": found})


def add_issuer(call: Call) -> httpx.Response:
    table = checked_table("trusted_issuers", FIELDS, call.body())
    if table["issuer"] in call.idp.trusted_issuers:
        raise conflict(
            f"issuer: {table['issuer']!r} is trusted already; DELETE {_location(table['issuer'])} "
            "first to change its keys"
        )
    trusted = attempt(call.idp.trust_issuer, **table)
    return json_response(201, listing(trusted), headers={"Location": _location(trusted.issuer)})


def _issuer_param(call: Call) -> str:
    given = call.request.url.params.get_list("issuer")
    if len(given) != 1 or not given[0]:
        raise bad_request(
            "issuer: name the issuer in the query, URL-encoded: "
            f"{PATH}?issuer=https%3A%2F%2Fci.example"
        )
    return given[0]


def remove_issuer(call: Call) -> httpx.Response:
    call.body(optional=True)
    attempt(call.idp.distrust_issuer, _issuer_param(call))
    return json_response(204)


ROUTES = (
    Route(
        "GET",
        PATH,
        list_issuers,
        "listTrustedIssuers",
        "The issuers whose JWTs the JWT bearer grant and token exchange accept",
        answer={
            "type": "object",
            "properties": {"trusted_issuers": {"type": "array", "items": _ENTRY}},
        },
    ),
    Route(
        "POST",
        PATH,
        add_issuer,
        "trustIssuer",
        "Trust an issuer: a [[trusted_issuers]] table of the TOML setup (jwks inline)",
        status=201,
        body=f.object_schema(FIELDS),
        answer=_ENTRY,
        errors=(409,),
    ),
    Route(
        "DELETE",
        PATH,
        remove_issuer,
        "distrustIssuer",
        "Stop trusting an issuer; a reset brings back the start-up ones",
        status=204,
        query=_ISSUER_QUERY,
        errors=(404,),
    ),
)
