"""A contract suite: protocol checks to run against any OAuth 2.0 / OIDC provider.

Run it against the fake (``authmock serve``) and against your real provider
(a staging tenant) with the same command, and compare::

    pytest --pyargs pytest_authmock.contract \\
        --authmock-contract-issuer https://login.example.com/tenant \\
        --authmock-contract-client ci-bot:$CLIENT_SECRET \\
        [--authmock-contract-user alice:$PASSWORD] \\
        [--authmock-contract-redirect-uri https://ci.example.com/callback] \\
        [--authmock-contract-forbidden-grant password] [--authmock-contract-device] \\
        [--authmock-contract-client-cert c.pem --authmock-contract-client-key k.pem]

It only reads: it never creates users or clients, and it revokes only tokens
it obtained itself. Every check passes, skips with the reason (an option to
pass, or a choice the RFCs leave to the provider, such as which grants each
client may use), or fails with the RFC section the provider broke. Where the
RFCs let providers choose, it reports the choice at the end of the run
("provider choices") with the fake's option that matches.
See docs/contract-testing.md.
"""
