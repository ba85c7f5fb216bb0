"""The options of ``authmock serve`` for other languages: control API, start record,
JSON logs, device-flow knobs, redirect URIs, and the common protocol and DPoP settings."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from pytest_authmock.serve_config import ConfigError

#: RFC 8252 §7.3: a native app listens on a loopback address with any port; these
#: match ``http://127.0.0.1:<any port>/callback`` and the like.
LOOPBACK_REDIRECT_URIS = (
    "http://127.0.0.1/callback",
    "http://[::1]/callback",
    "http://localhost/callback",
)


@dataclasses.dataclass
class ServeOptions:
    admin_token: str | None = None
    json: bool = False
    log_format: str = "text"
    auto_approve: str | None = None
    device_interval: int | None = None
    device_code_ttl: int | None = None
    redirect_uris: list[str] = dataclasses.field(default_factory=list)

    def client_redirect_uris(self) -> list[str]:
        """What the demo clients and ``--client`` clients may redirect to."""
        return list(dict.fromkeys([*LOOPBACK_REDIRECT_URIS, *self.redirect_uris]))


def add_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--admin-token",
        metavar="TOKEN",
        help="bearer token of the control API under /_authmock/ (default: generated, printed)",
    )
    add(
        "--json",
        action="store_true",
        default=None,
        help="print the start record (issuer, admin token, endpoints, demo credentials, "
        "certificate paths) as one JSON object on the first stdout line",
    )
    add("--log-format", choices=("text", "json"), help="access log on stderr (default text)")
    add(
        "--auto-approve",
        metavar="USER",
        help="approve every new device code and authorization request for USER at once, "
        "without a page (headless tests)",
    )
    add(
        "--device-interval",
        metavar="SECONDS",
        help="polling interval of device codes (default 5, RFC 8628 §3.2); 0 or 1 for fast tests",
    )
    add("--device-code-ttl", metavar="SECONDS", help="device code lifetime (default 300)")
    add(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="a redirect URI for the demo and --client clients (repeatable); loopback "
        "http://127.0.0.1/callback matches any port (RFC 8252 §7.3)",
    )
    add(
        "--trust-issuer",
        action="append",
        default=[],
        metavar="ISSUER=JWKS_URI",
        help="accept JWTs of ISSUER, checked with the keys at JWKS_URI, as JWT bearer grants "
        "and token-exchange subject tokens (repeatable; audience and copied claims: "
        "[[trusted_issuers]] in --config)",
    )
    add(
        "--initial-access-token",
        metavar="TOKEN",
        help="dynamic registration (RFC 7591 §3) requires this bearer token; never printed "
        "(default: open registration)",
    )
    add(
        "--require-par",
        action="store_true",
        default=None,
        help="every authorization request must be pushed first (RFC 9126 §5)",
    )
    add(
        "--dpop-nonce",
        action="store_true",
        default=None,
        help="demand a server nonce in every DPoP proof (RFC 9449 §8)",
    )


#: The flags that set a provider setting: dest -> (group, key). Other settings have a
#: ``[protocol]`` or ``[dpop]`` table in the --config file.
SETTING_FLAGS = {
    "initial_access_token": ("protocol", "initial_access_token"),
    "require_par": ("protocol", "require_pushed_authorization_requests"),
    "dpop_nonce": ("dpop", "require_nonce"),
}


def read_setting_flags(args: Any, groups: dict[str, dict[str, Any]]) -> None:
    """Put the setting flags given into ``groups``, over the config file's tables."""
    from pytest_authmock.setting_groups import SettingError, checked

    for dest, (group, key) in SETTING_FLAGS.items():
        value = getattr(args, dest)
        if value is None:
            continue
        flag = "--" + dest.replace("_", "-")
        try:
            found = checked(group, {key: value})
        except SettingError as error:  # the message never shows a secret's value
            raise ConfigError(f"{flag}: {error.problem}") from None
        groups.setdefault(group, {}).update(found)


def _seconds(value: str | None, flag: str, minimum: int) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{flag} must be a whole number of seconds; got {value!r}") from None
    if not minimum <= number <= 86400:
        raise ConfigError(f"{flag} must be between {minimum} and 86400; got {number}")
    return number


def read_options(args: Any) -> ServeOptions:
    from pytest_authmock.control.auth import check_admin_token

    options = ServeOptions(
        json=bool(args.json),
        log_format=args.log_format or "text",
        auto_approve=args.auto_approve,
        device_interval=_seconds(args.device_interval, "--device-interval", 0),
        device_code_ttl=_seconds(args.device_code_ttl, "--device-code-ttl", 1),
        redirect_uris=list(args.redirect_uri),
    )
    if args.admin_token is not None:
        try:
            options.admin_token = check_admin_token(args.admin_token)
        except ValueError as exc:
            raise ConfigError(f"--admin-token: {exc}") from None
    # The URIs themselves are checked by add_client(), when the clients are registered.
    return options
