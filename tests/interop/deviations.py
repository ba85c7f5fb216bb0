"""Where a peer provider breaks an RFC: the contract checks expected to fail on it.

Each entry is a check of the shipped contract suite and the rule the provider
breaks; the interop tests assert that exactly these checks fail (so a fixed
provider, or a suite that stops noticing, shows up) and that each failure
cites its RFC. ``SOMETIMES`` lists checks a provider fails or passes depending
on its state, for a reason found in its code.
"""

from __future__ import annotations

KNOWN_DEVIATIONS: dict[str, dict[str, str]] = {
    "oidc-provider": {},
    "pytest-iam": {
        "test_token_endpoint.py::test_missing_grant_type": (
            "RFC 6749 §5.2: a token request without grant_type gets HTTP 500 (KeyError"
            " 'grant_type'), not 400 invalid_request"
        ),
        "test_user_grants.py::test_wrong_password": (
            "RFC 6749 §5.2: a wrong resource owner password is invalid_grant; canaille"
            " answers invalid_request"
        ),
        "test_token_management.py::test_introspect_an_active_token": (
            "RFC 7662 §2.2: exp is an integer timestamp; canaille's introspection answers a float"
        ),
    },
    "oidc-provider-mock": {
        "test_authorization_code.py::test_wrong_code_verifier": (
            "RFC 7636 §4.6: a wrong code_verifier must be refused; the code is exchanged"
        ),
        "test_authorization_code.py::test_missing_code_verifier": (
            "RFC 7636 §4.6, RFC 9700 §2.1.1: a code issued for a code_challenge is"
            " exchanged without any code_verifier"
        ),
        "test_authorization_code.py::test_pkce_downgrade_is_refused": (
            "RFC 9700 §2.1.1, §4.8.2: a code_verifier is accepted for a code issued"
            " without code_challenge (PKCE downgrade)"
        ),
        "test_userinfo.py::test_userinfo_with_an_invalid_token": (
            "RFC 6750 §3.1: a bad token at userinfo gets 400, not 401 invalid_token"
        ),
    },
}

#: canaille's in-memory backend (the one pytest-iam runs) matches a query on
#: several attributes by ANY of them: ``query(AuthorizationCode, code=..., client=...)``
#: returns every live code of the client, and the first of that unordered set
#: is taken. Whether a check meets another record depends on what earlier
#: checks left behind.
SOMETIMES: dict[str, dict[str, str]] = {
    "pytest-iam": {
        "test_authorization_code.py::test_unknown_code": (
            "RFC 6749 §5.2: an unknown code is invalid_grant; canaille resolves it to another"
            " live code of the client and answers as for that one (invalid_request)"
        ),
        "test_userinfo.py::test_userinfo_with_the_users_token": (
            "RFC 6750 §3.1, OIDC Core §5.3: a fresh token from the password grant is"
            " sometimes refused at userinfo with invalid_token (seen after the code checks)"
        ),
    },
}
