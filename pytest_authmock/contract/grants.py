"""Which grants *this client* may use, as far as the run has seen.

A provider's ``grant_types_supported`` says what the provider can do; each
client is then allowed a subset (RFC 7591 §2 ``grant_types``), and RFC 6749
§5.2 has the provider refuse the others. A check that needs a grant must tell
"this client may not use it" (skip, with the reason) from "the provider got
the grant wrong" (fail).
"""

from __future__ import annotations

import dataclasses

import httpx

from pytest_authmock.contract.checks import Choices, said

__all__ = ["ClientGrants"]

#: Answers that mean "not for this client": RFC 6749 §5.2 names unauthorized_client;
#: some providers (oidc-provider) say invalid_request with a description.
_REFUSALS = ("unauthorized_client", "invalid_request")


@dataclasses.dataclass
class ClientGrants:
    client_id: str
    choices: Choices
    #: Grants this client was seen to use: a token came from them (or, for
    #: refresh_token, a refresh token was issued to it, or the user passed one).
    used: set[str] = dataclasses.field(default_factory=set)

    def saw(self, *grants: str) -> None:
        self.used.update(grants)

    def refusal(self, grant: str, response: httpx.Response) -> str | None:
        """A skip reason when ``response`` refuses ``grant`` to this client.

        ``None`` when it is not such a refusal, or when the run has seen the
        client use the grant (then the answer is the provider's, and is checked).
        """
        if grant in self.used or response.status_code not in (400, 401, 403):
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if error not in _REFUSALS:
            return None
        self.choices.record("forbidden_grant_error", error, response, field="error")
        return (
            f"client {self.client_id!r} may not use the {grant} grant: the provider answered"
            f" {said(response)}, and nothing in this run showed the client may use it"
            f" (RFC 6749 §5.2 lets a provider allow grants per client); check with a client"
            f" allowed {grant}"
        )
