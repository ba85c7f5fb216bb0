"""refcli's device login and API-token commands (scenarios 002 and 003).

They are part of the ``refcli`` group of :mod:`cli` (which imports this module):

* ``device-login``: the device verification flow; prints a URL and a code,
  polls until the user confirms in a browser, stores the session;
* ``token generate [--name N] [--current]``: device verification, then a
  never-expiring API token bound to this device's session, printed once;
  ``--current`` prints the token of the logged-in session instead;
* ``token create NAME [--expires-in SECONDS] [--scope S]...``: an API token
  with a chosen expiry and permissions (for automation, seed 002);
* ``token list``: id, name, creation and expiry of each token (never secrets);
* ``token revoke ID``: only from the device that generated it, for bound ones.

API tokens are then used with ``--token`` or ``$REFCLI_TOKEN`` (the flag wins).
Run them with ``python examples/reference_cli/cli.py --help``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

if __package__ in (None, ""):  # run as a script: make ``examples`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples.reference_cli.cli import APP, Refused, State, cli, errors
from pytest_authmock.client import (
    ApiTokenAdmin,
    ApiTokenForbidden,
    ApiTokenNotFound,
    CredentialSource,
    DeviceAuthorization,
    DeviceFlowDenied,
    DeviceFlowExpired,
    LoginRequired,
    login_device,
)


def _show(authorization: DeviceAuthorization) -> None:
    click.echo(f"Open {authorization.verification_uri} in a browser and enter the code:")
    click.echo(f"    {authorization.user_code}")
    click.echo("The code is valid for five minutes. Waiting for you to confirm...")


def _device_login(state: State) -> None:
    try:
        session = login_device(state.resolver, _show, context=state.context)
    except (DeviceFlowExpired, DeviceFlowDenied) as exc:
        raise Refused(str(exc)) from None
    click.echo(f"Device verified: logged in as {session.display_name or session.username}.")


@contextmanager
def _admin(state: State) -> Iterator[ApiTokenAdmin]:
    """The API-token client, as the logged-in user (or the ``--token`` given)."""
    with state.resolver.resolve(state.token, context=state.context) as creds:
        if creds.auth is None or creds.source is CredentialSource.CLIENT_CREDENTIALS:
            raise LoginRequired(f"not logged in; run `{APP} device-login` or `{APP} login` first")
        with state.resolver.oauth(creds.context) as oauth:
            yield ApiTokenAdmin(oauth, creds.auth)


@cli.command("device-login")
@click.pass_obj
def device_login(state: State) -> None:
    """Log in through device verification in a browser (any device)."""
    with errors():
        _device_login(state)


@cli.group()
def token() -> None:
    """API tokens: generate, create, list, revoke."""


@token.command("generate")
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
@click.option("--current", is_flag=True, help="Show the token of the logged-in session.")
@click.pass_obj
def token_generate(state: State, name: str, current: bool) -> None:
    """Verify this device in a browser, then print a token that never expires."""
    with errors():
        if current:
            session = state.resolver.store.load(state.resolver.context(state.context).name)
            if session is None:
                raise LoginRequired(
                    f"--current needs a logged-in session; run `{APP} device-login`"
                )
            click.echo(session.token.access_token)
            return
        _device_login(state)
        with _admin(state) as admin:
            created = admin.create(name, bind_to_session=True)
    click.echo(f"Token {created.id} (never expires; revoke it from this device):")
    click.echo(created.token)


@token.command("create")
@click.argument("name")
@click.option("--expires-in", type=click.IntRange(min=1), help="Seconds; omit for no expiry.")
@click.option("--scope", "scopes", multiple=True, help="A permission; repeat for several.")
@click.pass_obj
def token_create(state: State, name: str, expires_in: int | None, scopes: tuple[str, ...]) -> None:
    """Create an API token NAME for automation."""
    with errors(), _admin(state) as admin:
        created = admin.create(name, scopes=scopes or None, expires_in=expires_in)
    expiry = (
        f"expires {created.expires_at:%Y-%m-%d %H:%M} UTC"
        if created.expires_at
        else "never expires"
    )
    click.echo(f"Token {created.id} ({expiry}):")
    click.echo(created.token)


@token.command("list")
@click.pass_obj
def token_list(state: State) -> None:
    """List your API tokens: id, name, created, expires."""
    with errors(), _admin(state) as admin:
        tokens = admin.list()
    click.echo("ID\tNAME\tCREATED\tEXPIRES")
    for item in tokens:
        expires = f"{item.expires_at:%Y-%m-%d %H:%M}" if item.expires_at else "never"
        click.echo(f"{item.id}\t{item.name}\t{item.created_at:%Y-%m-%d %H:%M}\t{expires}")


@token.command("revoke")
@click.argument("token_id")
@click.pass_obj
def token_revoke(state: State, token_id: str) -> None:
    """Revoke the API token TOKEN_ID."""
    with errors():
        try:
            with _admin(state) as admin:
                admin.revoke(token_id)
        except (ApiTokenForbidden, ApiTokenNotFound) as exc:
            raise Refused(str(exc)) from None
    click.echo(f"Token {token_id} revoked.")


if __name__ == "__main__":  # the whole program (cli.py), which includes these commands
    from examples.reference_cli.cli import main

    main()
