"""``authmock serve``'s control API and pages, in front of its provider."""

from __future__ import annotations

import dataclasses
from typing import Any

from pytest_authmock.control import Baseline, ControlAPI, generate_admin_token, with_control
from pytest_authmock.control.api import Handle
from pytest_authmock.control.pages import Pages
from pytest_authmock.serve_certs import certify, describe
from pytest_authmock.serve_config import ConfigError
from pytest_authmock.serve_demo import DEMO_CLIENT, DEMO_USER
from pytest_authmock.serve_options import ServeOptions


@dataclasses.dataclass
class Control:
    api: ControlAPI
    pages: Pages
    admin_token: str
    #: The server's request handler: ``/_authmock/*`` and the pages here, the rest
    #: to the provider.
    dispatch: Handle


def apply_flow_options(idp: Any, options: ServeOptions) -> None:
    """``--device-interval``, ``--device-code-ttl`` and ``--auto-approve``."""
    settings = idp.flow_settings
    if options.device_interval is not None:
        settings.device_interval = options.device_interval
    if options.device_code_ttl is not None:
        settings.device_code_ttl = options.device_code_ttl
    if options.auto_approve is not None:
        if options.auto_approve not in idp.users:
            raise ConfigError(
                f"--auto-approve: no user {options.auto_approve!r}; users: {', '.join(idp.users)}"
            )
        idp.auto_approve = options.auto_approve


def demo_rows(settings: Any) -> list[tuple[str, str]]:
    """The demo credentials the home page shows (none when clients or users are configured)."""
    from pytest_authmock.serve_demo import DEMO_CLI

    rows = []
    if not settings.clients:
        rows += [
            ("confidential client", f"{DEMO_CLIENT[0]} / {DEMO_CLIENT[1]}"),
            ("public CLI client", f"{DEMO_CLI} (device, auth code + PKCE, password, refresh)"),
        ]
    if not settings.users:
        rows.append(("user", f"{DEMO_USER[0]} / {DEMO_USER[1]}"))
    return rows


def _client_preparer(material: Any, mtls: bool) -> Any:
    """How a client added through the control API gets its certificate files."""

    def prepare(table: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        if material is None or table.get("public"):  # a public client does not authenticate
            return {k: v for k, v in table.items() if k != "p12_password"}, {}
        if not table.get("client_id"):
            raise ValueError(
                "client_id is missing; with TLS it is needed, as it names the certificate files"
            )
        spec, cert, password = certify(material, table, mtls=mtls)
        return spec, {"certificate": describe(cert, password)}

    return prepare


def attach(service: Any, material: Any) -> Control:
    """Build the control API for a started service, once its setup is registered.

    The setup registered so far (flags, config file, demo) becomes the baseline
    that ``POST /_authmock/reset`` returns to; the config file's kid, clock skew
    and faults are applied again after each reset.
    """
    idp = service.idp
    settings = service.settings
    options: ServeOptions = settings.options
    apply_flow_options(idp, options)
    if not settings.users:
        idp.flow_settings.sign_in_hint = (
            f"Demo user: sign in as {DEMO_USER[0]} with the password {DEMO_USER[1]}."
        )
    declaration = settings.declaration
    baseline = Baseline(idp, reapply=declaration.apply if declaration is not None else None)
    token = options.admin_token or generate_admin_token()
    api = ControlAPI(
        idp, token, baseline=baseline, prepare_client=_client_preparer(material, settings.mtls)
    )
    pages = Pages(idp, token, demo=demo_rows(settings))
    dispatch = with_control(
        lambda request, cert: idp.handle(request, peer_cert=cert), api, pages.handle
    )
    return Control(api, pages, token, dispatch)
