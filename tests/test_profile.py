"""Provider profiles: the format, its validation, and how each recorded choice is played."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_authmock import FakeIdP
from pytest_authmock.contract import profile as recording
from pytest_authmock.contract.choices import SPECS, Choices
from pytest_authmock.provider import profile as replaying
from pytest_authmock.provider.choices import CHOICES
from pytest_authmock.provider.config import ProviderConfig
from pytest_authmock.provider.profile import ProfileError, load_profile, parse_profile

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
SCHEMA = json.loads(replaying.SCHEMA_PATH.read_text())

#: Each choice: a value a provider may have recorded, and one no recording can have.
SAMPLES: dict[str, tuple[Any, Any]] = {
    "metadata_documents": (["openid-configuration"], ["webfinger"]),
    "endpoints_published": (["userinfo_endpoint"], ["token_endpoint"]),
    "grant_types_supported": (["authorization_code", "refresh_token"], "authorization_code"),
    "scopes_supported": (["openid", "api:read"], [""]),
    "code_challenge_methods_supported": (["S256", "plain"], [3]),
    "jwks_published": (False, "no"),
    "jwks_key_types": (["EC/ES256"], "EC"),
    "token_type": ("bearer", ""),
    "expires_in": (600, 0),
    "access_token_format": ("opaque", "JWT"),
    "access_token_typ": ("JWT", 1),
    "access_token_claims": ({"iss": "string", "scp": "array", "roles": "array"}, {"iss": "str"}),
    "id_token_claims": ({"iss": "string", "sub": "string", "aud": "array"}, ["iss"]),
    "id_token_typ": (None, ""),
    "id_token_lifetime": (300, -1),
    "invalid_client_status": (400, 403),
    "token_endpoint_get": (404, "404"),
    "forbidden_grant_error": ("invalid_request", None),
    "unknown_scope": ("invalid_scope", False),
    "client_auth_methods": (["client_secret_basic"], []),
    "refresh_for_client_credentials": (True, 1),
    "refresh_for_password": (False, "no"),
    "refresh_for_authorization_code": (True, None),
    "refresh_rotation": (False, "false"),
    "refresh_reuse_revokes_family": (False, 0),
    "introspect_own_token": (False, None),
    "inactive_token_members": ([], "none"),
    "introspect_jwt_access_token": (False, "inactive"),
    "revoke_access_token": (False, "no effect"),
    "device_interval": (None, 0),
    "device_code_lifetime": (900, None),
    "verification_uri_complete": (False, "no"),
    "missing_token_error": ("invalid_token", 401),
    "resource_missing_token_error": ("invalid_token", 401),
    "authorization_response_iss": (False, "yes"),
    "code_reuse_revokes_tokens": (False, "yes"),
    "refused_exchange_spends_code": (True, "spent"),
    "pkce_required": ("invalid_request", True),
    "mtls_endpoint_aliases": (False, []),
    "certificate_bound_access_tokens": (False, "no"),
}
#: Samples that only play together with others (a scope policy needs the known scopes).
NEEDS = {"unknown_scope": {"scopes_supported": ["openid"]}}


def document(**choices: Any) -> dict[str, Any]:
    return {
        "profile_version": 1,
        "issuer": "https://login.example.com",
        "recorded_at": "2025-01-01T00:00:00Z",
        "choices": {key: {"value": value} for key, value in choices.items()},
    }


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


# -- the two sides agree ---------------------------------------------------------------------


def test_the_suite_records_what_the_fake_plays_and_the_schema_describes() -> None:
    assert set(SPECS) == set(CHOICES) == set(SCHEMA["properties"]["choices"]["properties"])
    assert set(SAMPLES) == set(CHOICES)
    assert recording.PROFILE_VERSION == replaying.PROFILE_VERSION


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_every_choice_the_suite_records_the_fake_plays(key: str) -> None:
    good, _ = SAMPLES[key]
    profile = parse_profile(document(**{key: good}, **NEEDS.get(key, {})), Path("p.json"))
    idp = FakeIdP(**profile.options)  # the options make a provider
    hint = SPECS[key].option
    if hint is not None and good is not None:
        # The summary's "(fake: option=value)" hint names what the profile sets.
        value = getattr(idp.config, hint)
        assert value == (tuple(good) if isinstance(good, list) else good)


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_the_schema_and_the_loader_agree_on_each_value(key: str) -> None:
    good, bad = SAMPLES[key]
    valid = document(**{key: good}, **NEEDS.get(key, {}))
    jsonschema.validate(valid, SCHEMA)
    parse_profile(valid, Path("p.json"))
    invalid = document(**{key: bad})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(invalid, SCHEMA)
    with pytest.raises(ProfileError, match=f"choice {key!r}"):
        parse_profile(invalid, Path("p.json"))


def test_what_the_suite_writes_the_fake_reads(tmp_path: Path) -> None:
    choices = Choices()
    for key, (good, _) in SAMPLES.items():
        if key not in ("unknown_scope", "resource_missing_token_error"):
            choices.record(key, good)
    choices.unobservable("resource_missing_token_error", "needs --authmock-contract-resource")
    written = recording.profile_document(choices, "https://login.example.com")
    jsonschema.validate(written, SCHEMA)
    path = tmp_path / "p.json"
    recording.write_profile(path, written)
    profile = load_profile(path)
    assert profile.issuer == "https://login.example.com"
    assert dict(profile.choices) == {key: choices.value(key) for key in choices.items}
    assert (
        profile.unobserved["resource_missing_token_error"] == "needs --authmock-contract-resource"
    )
    assert profile.unobserved["unknown_scope"] == SPECS["unknown_scope"].needs
    FakeIdP(**profile.options)


# -- validation ----------------------------------------------------------------------------------


def _mutated(change: Any) -> Any:
    data = document(token_type="Bearer", access_token_format="opaque")
    return change(copy.deepcopy(data))


def _set(data: dict[str, Any], **items: Any) -> dict[str, Any]:
    data.update(items)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _set(d, profile_version=2),
            "profile_version 2 is not one this pytest-authmock reads (1)",
        ),
        (lambda d: {k: v for k, v in d.items() if k != "profile_version"}, "profile_version None"),
        (lambda d: _set(d, colour="blue"), "unknown key 'colour'"),
        (lambda d: _set(d, choices=[]), "choices must be an object"),
        (lambda d: [], "must be a JSON object"),
        (
            lambda d: _set(d, choices={"token_colour": {"value": "x"}}),
            "unknown choice 'token_colour'; this version knows access_token_claims",
        ),
        (
            lambda d: _set(d, choices={"token_type": "Bearer"}),
            "choice 'token_type' must be an object",
        ),
        (lambda d: _set(d, choices={"token_type": {"chosen": "x"}}), "unknown member 'chosen'"),
        (lambda d: _set(d, choices={"token_type": {}}), "choice 'token_type' has no value"),
        (
            lambda d: _set(d, choices={"expires_in": {"value": "600 s"}}),
            "choice 'expires_in' must be seconds or null (absent); got '600 s'",
        ),
        (
            lambda d: _set(d, choices={"jwks_key_types": {"value": ["EC/ES384"]}}),
            "choice 'jwks_key_types': the fake cannot play JWKS key types ['EC/ES384'] yet",
        ),
        (
            lambda d: _set(d, choices={"inactive_token_members": {"value": ["exp"]}}),
            "the fake cannot play members exp beside active for an inactive token yet",
        ),
        (
            lambda d: _set(d, choices={"token_endpoint_get": {"value": 401}}),
            "the fake cannot play HTTP 401 for a GET at the token endpoint yet",
        ),
        (
            lambda d: _set(d, choices={"token_type": {"value": "MAC"}}),
            "the fake cannot play choice token_type yet: option bearer_token_type must be 'Bearer'",
        ),
        (
            lambda d: _set(d, choices={"unknown_scope": {"value": "ignored"}}),
            "cannot play choice unknown_scope yet: option unknown_scope 'ignore' needs scopes_supported",
        ),
        (
            lambda d: _set(
                d,
                choices={
                    "missing_token_error": {"value": None},
                    "resource_missing_token_error": {"value": "invalid_request"},
                },
            ),
            "cannot play choices missing_token_error and resource_missing_token_error together yet",
        ),
    ],
)
def test_a_bad_profile_is_refused_naming_what_is_wrong(
    change: Any, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ProfileError, match=r"provider profile profile\.json: ") as caught:
        load_profile(write(tmp_path, _mutated(change)))
    assert message in str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "missing.json")
    with pytest.raises(ProfileError, match="is not valid JSON"):
        load_profile(write(tmp_path, "{"))


def test_unobserved_choices_keep_the_fakes_own_answers(tmp_path: Path) -> None:
    data = document(token_type="bearer")
    data["choices"]["access_token_format"] = {"observed": False, "reason": "needs a secret"}
    profile = load_profile(write(tmp_path, data))
    assert profile.options == {"bearer_token_type": "bearer"}
    assert profile.unobserved == {"access_token_format": "needs a secret"}


# -- adopting a profile ----------------------------------------------------------------------------


def test_explicit_options_win_and_say_so(tmp_path: Path) -> None:
    data = document(
        access_token_format="opaque", expires_in=600, refresh_for_client_credentials=True
    )
    data["choices"]["device_interval"] = {
        "observed": False,
        "reason": "needs --authmock-contract-device",
    }
    profile = load_profile(write(tmp_path, data))
    options, applied = profile.adopt({"token_format": "jwt", "access_token_ttl": 600})
    config = ProviderConfig.from_options(**options)
    assert config.token_format == "jwt"
    assert "client_credentials" in config.refresh_token_grants
    assert applied.adopted == {"refresh_token_grants": config.refresh_token_grants}
    # The same value given explicitly is no override.
    assert list(applied.overridden) == ["token_format"]
    override = applied.overridden["token_format"]
    assert (override.profile_value, override.explicit_value, override.choices) == (
        "opaque",
        "jwt",
        ("access_token_format",),
    )
    assert applied.played_by["refresh_for_client_credentials"] == ("refresh_token_grants",)
    assert applied.choices["expires_in"] == 600
    text = applied.describe()
    assert (
        f"provider profile {tmp_path / 'profile.json'} (recorded from https://login.example.com"
        in text
    )
    assert (
        "overridden: token_format='jwt' (given) instead of 'opaque' (profile: access_token_format)"
        in text
    )
    assert "not observed (the fake's own answer): device_interval" in text
