"""A contract suite: protocol checks to run against any OAuth 2.0 / OIDC provider.

Run it against the fake (``authmock serve``) and against your real provider
(a staging tenant) with the same command, and compare::

    pytest --pyargs pytest_authmock.contract \\
        --authmock-issuer https://login.example.com/tenant \\
        --authmock-client ci-bot:$CLIENT_SECRET \\
        [--authmock-user alice:$PASSWORD] [--authmock-forbidden-grant password] \\
        [--authmock-device] [--authmock-client-cert c.pem --authmock-client-key k.pem]

It only reads: it never creates users or clients, and it revokes only tokens
it obtained itself. Where the RFCs let providers choose, it reports the choice
at the end of the run ("provider choices") with the fake's option that matches.
See docs/contract-testing.md.
"""
