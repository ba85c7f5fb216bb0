"""refcli: a reference command-line tool built on ``pytest_authmock.client``.

One program for every scenario of the platforms we build for; against a bare
``authmock serve`` (its public client ``demo-cli`` and user ``demo``) it needs
no setup at all:

* contexts (named profiles) with an issuer and optional client credentials (000, 004);
* ``login USERNAME [--secret ...]``: the password grant, password prompted
  (masked) when ``--secret`` is omitted; the session is stored encrypted (000, 002);
* ``login`` without a username: an API token from ``--token``, from
  ``$REFCLI_TOKEN`` or from a masked prompt, validated with the provider at
  once; only a prompted token is stored (001);
* ``logout``: deletes (and revokes) the active context's session only;
* ``auth status [-o json]``: who, until when, from which source;
* ``get URL``: a request with whatever credentials win the resolution; with
  ``--cert/--key`` or ``--p12``, every request presents that client certificate (004);
* ``device-login`` and ``token generate/create/list/revoke``: device
  verification and API tokens (002, 003), in :mod:`token_commands`.

Run it with ``python examples/reference_cli/cli.py --help``.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, cast

import click
import httpx

if __package__ in (None, ""):  # run as a script: make ``examples`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pytest_authmock.client import (
    AuthError,
    AuthHome,
    ClientAuth,
    ConfigurationError,
    CredentialResolver,
    InvalidCredentials,
    InvalidToken,
    LoginRequired,
    OAuth2Auth,
    OAuthClient,
    ProviderUnavailable,
    RetryPolicy,
    StoreError,
    TokenIdentity,
    login_password,
    login_token,
    logout,
    ssl_context_from_pem,
    ssl_context_from_pkcs12,
)

APP = "refcli"
TOKEN_ENV = "REFCLI_TOKEN"
#: The CLI's own public client: a program on a user's machine cannot keep a secret.
#: ``authmock serve`` registers it (``demo-cli``) out of the box.
CLIENT_ID = os.environ.get("REFCLI_CLIENT_ID", "demo-cli")


# Exit codes a script can test: 0 ok, 1 other errors, 3 credentials or token
# refused, 4 provider unreachable, 5 local configuration or store problem.
class Refused(click.ClickException):
    exit_code = 3


class Unavailable(click.ClickException):
    exit_code = 4


class LocalProblem(click.ClickException):
    exit_code = 5


class State:
    def __init__(
        self,
        home: AuthHome,
        context: str | None,
        token: str | None,
        retries: int,
        tls: dict[str, str | None] | None = None,
    ) -> None:
        self.home = home
        self.context = context
        self.token = token
        self.retry = RetryPolicy(max_attempts=retries)
        #: ``ca`` (a CA bundle for an issuer the system does not trust) and the client
        #: certificate: ``cert``/``key`` (PEM) or ``p12``/``p12_password`` (PKCS#12).
        self.tls = tls or {}

    def verify(self) -> ssl.SSLContext | bool:
        """The TLS context of every request: the client certificate, if one is given,
        goes to the provider and the APIs alike (RFC 8705)."""
        ca, p12, cert = self.tls.get("ca"), self.tls.get("p12"), self.tls.get("cert")
        if p12:
            return ssl_context_from_pkcs12(Path(p12), self.tls.get("p12_password"), ca=ca)
        if cert:
            key = self.tls.get("key")
            return ssl_context_from_pem(Path(cert), Path(key) if key else None, ca=ca)
        return ssl.create_default_context(cafile=ca) if ca else True

    def oauth(self, issuer: str, client_auth: ClientAuth | None) -> OAuthClient:
        return OAuthClient(issuer, client_auth, retry=self.retry, verify=self.verify())

    @property
    def resolver(self) -> CredentialResolver:
        return self.home.resolver(
            env_var=TOKEN_ENV, default_client_id=CLIENT_ID, oauth_factory=self.oauth
        )


@contextmanager
def errors() -> Iterator[None]:
    """Turn library errors into a one-line message and a meaningful exit code."""
    try:
        yield
    except (InvalidCredentials, InvalidToken, LoginRequired) as exc:
        raise Refused(str(exc)) from None
    except ProviderUnavailable as exc:
        raise Unavailable(f"network problem: {exc}") from None
    except (ConfigurationError, StoreError) as exc:
        raise LocalProblem(str(exc)) from None
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.option("--home", envvar="REFCLI_HOME", type=click.Path(), help="State directory.")
@click.option("--context", "context", envvar="REFCLI_CONTEXT", help="Use this context.")
@click.option("--token", help=f"Use this token once (never stored). Env: {TOKEN_ENV}.")
@click.option("--retries", default=4, show_default=True, help="Attempts per provider call.")
@click.option("--ca", envvar="REFCLI_CA", type=click.Path(), help="CA bundle of a TLS issuer.")
@click.option("--cert", envvar="REFCLI_CERT", type=click.Path(), help="Client certificate (PEM).")
@click.option("--key", envvar="REFCLI_KEY", type=click.Path(), help="Its key (PEM), if apart.")
@click.option("--p12", envvar="REFCLI_P12", type=click.Path(), help="Client cert (PKCS#12).")
@click.option("--p12-password", envvar="REFCLI_P12_PASSWORD", help="The PKCS#12 password.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, retries: int, **options: str | None) -> None:
    """A reference CLI for pytest_authmock.client."""
    keyring = cast(Literal["auto", "always", "never"], os.environ.get("REFCLI_KEYRING", "auto"))
    home_ = AuthHome.open(APP, directory=home, keyring=keyring)
    context, token = options.pop("context"), options.pop("token")
    ctx.obj = State(home_, context, token, max(retries, 1), options)


# -- login / logout ----------------------------------------------------------------------


def _secret(label: str) -> str:
    """A masked prompt at a terminal; one line of stdin otherwise (``echo ... | refcli``),
    so that a script can pipe a secret in without the terminal warnings of getpass."""
    stdin = sys.stdin
    if stdin.isatty():
        return str(click.prompt(label, hide_input=True))
    click.echo(f"{label}: (read from stdin)")
    line = stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError(f"{label} expected: type it at the prompt or pipe it in")
    return line


def _expiry(identity: TokenIdentity) -> str:
    when = identity.expires_at_datetime
    if when is not None:
        return f"expires on {when:%Y-%m-%d %H:%M} UTC"
    return "does not expire" if identity.expiry_known else "has an expiry the provider did not tell"


@cli.command()
@click.argument("username", required=False)
@click.option("--secret", help="The password. Omit it to be prompted (keeps it out of history).")
@click.pass_obj
def login(state: State, username: str | None, secret: str | None) -> None:
    """Log in as USERNAME with a password, or with an API token."""
    with errors():
        if username is not None:
            password = secret or _secret("Password")
            session = login_password(state.resolver, username, password, context=state.context)
            who = session.display_name or session.username
            click.echo(
                f"Logged in as {who} (context {state.resolver.context(state.context).name})."
            )
            return
        if secret is not None:
            raise click.UsageError("--secret goes with a USERNAME; for a token use --token")
        if state.token:  # validated, shown, not stored
            identity, _ = login_token(
                state.resolver, state.token, context=state.context, store=False
            )
            click.echo(f"Authenticated as {identity.display_name}; the token {_expiry(identity)}.")
            return
        env_token = os.environ.get(TOKEN_ENV)
        if env_token:  # silent: the exit code says it all
            login_token(state.resolver, env_token, context=state.context, store=False)
            return
        token = _secret("Token")
        identity, _ = login_token(state.resolver, token, context=state.context)
        click.echo(f"Welcome, {identity.display_name}! Your token {_expiry(identity)}.")


@cli.command("logout")
@click.pass_obj
def logout_command(state: State) -> None:
    """Forget (and revoke) the active context's session; client credentials stay."""
    with errors():
        had = logout(state.resolver, context=state.context)
        status = state.resolver.status(context=state.context)
    click.echo("Logged out." if had else "Not logged in.")
    if status.client_credentials_configured:
        click.echo("Requests now use the context's client credentials.")


@cli.group()
def auth() -> None:
    """Authentication state."""


@auth.command("token")
@click.pass_obj
def auth_token(state: State) -> None:
    """Print the active context's access token (renewed if needed), for other tools."""
    with errors(), state.resolver.resolve(state.token, context=state.context) as creds:
        if not isinstance(creds.auth, OAuth2Auth):
            raise LoginRequired(
                "no token to print: log in, or set the context's client credentials"
                if creds.auth is None
                else "the token is the one you gave (--token or $REFCLI_TOKEN)"
            )
        click.echo(creds.auth.manager.get_token().access_token)


@auth.command()
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def status(state: State, output: str) -> None:
    """Show who is logged in, until when, and from which source."""
    with errors():
        result = state.resolver.status(state.token, context=state.context)
    click.echo(result.to_json() if output == "json" else result.to_text())


# -- contexts ----------------------------------------------------------------------------


@cli.group()
def context() -> None:
    """Named profiles: issuer and client credentials."""


@context.command("create")
@click.argument("name")
@click.option("--issuer", required=True)
@click.option("--client-id")
@click.option("--client-secret")
@click.option("--use", "activate", is_flag=True, help="Make it the active context.")
@click.pass_obj
def context_create(
    state: State,
    name: str,
    issuer: str,
    client_id: str | None,
    client_secret: str | None,
    activate: bool,
) -> None:
    """Create a context NAME for an issuer, with optional client credentials."""
    with errors():
        state.home.contexts.create(
            name,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            activate=activate,
        )
    click.echo(f"Context {name} created.")


@context.command("use")
@click.argument("name")
@click.pass_obj
def context_use(state: State, name: str) -> None:
    with errors():
        state.home.contexts.use(name)
    click.echo(f"Active context: {name}.")


@context.command("set-value")
@click.argument(
    "key", type=click.Choice(["issuer", "client-id", "client-secret", "scopes", "auth-method"])
)
@click.argument("value", required=False)
@click.pass_obj
def context_set_value(state: State, key: str, value: str | None) -> None:
    """Set KEY on the active context; a client-secret without VALUE is prompted."""
    if value is None:
        if key != "client-secret":
            raise click.UsageError(f"{key} needs a VALUE")
        value = _secret("Client secret")
    with errors():
        ctx = state.home.contexts.set_value(key, value, name=state.context)
    click.echo(f"Context {ctx.name}: {key} set.")


@context.command("list")
@click.pass_obj
def context_list(state: State) -> None:
    with errors():
        active = state.home.contexts.active_name()
        for ctx in state.home.contexts.list():
            mark = "*" if ctx.name == active else " "
            creds = "client credentials" if ctx.has_client_credentials else "no client credentials"
            click.echo(f"{mark} {ctx.name}\t{ctx.issuer}\t{creds}")


# -- using the credentials -----------------------------------------------------------------


@cli.command()
@click.argument("url")
@click.pass_obj
def get(state: State, url: str) -> None:
    """GET URL with the resolved credentials (and the client certificate, if one is
    given); print the status and the body."""
    with (
        errors(),
        state.resolver.resolve(state.token, context=state.context) as creds,
        httpx.Client(auth=creds.auth, verify=state.verify()) as http,
    ):
        response = http.get(url)
    click.echo(f"{response.status_code} ({creds.source.value})")
    click.echo(response.text)
    if response.is_error:
        sys.exit(1)


def main() -> None:
    cli(prog_name=APP)


# The device and API-token commands register themselves on ``cli``; imported last,
# as they import this module's names.
from examples.reference_cli import token_commands  # noqa: E402, F401

if __name__ == "__main__":
    # Run as a script: run the importable module, so that one ``cli`` group holds
    # every command (token_commands registers on that module's group).
    from examples.reference_cli.cli import main as run

    run()
