"""Provider profiles: a real provider's recorded choices, replayed by the fake.

The contract suite records a profile (``--authmock-contract-profile PATH``): a
versioned JSON document of every choice it observed where the RFCs leave one
open, with the evidence. Loading it here validates it (unknown version, unknown
choice, bad value) and turns the choices into :class:`ProviderConfig` options
(:mod:`.choices` says which option plays which choice). Options given
explicitly next to a profile win over it; :class:`AppliedProfile` (``idp.profile``)
tells what was adopted, from where, and what was overridden.

The format is described by ``profile.schema.json`` beside this module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_authmock.provider.choices import CHOICES, ChoiceError, options_for
from pytest_authmock.provider.config import OptionError, ProviderConfig
from pytest_authmock.provider.routes import GRANTS

__all__ = [
    "PROFILE_VERSION",
    "SCHEMA_PATH",
    "AppliedProfile",
    "Override",
    "Profile",
    "ProfileError",
    "load_profile",
    "parse_profile",
]

#: The version of the profile format this release reads and writes.
PROFILE_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("profile.schema.json")
_ENTRY_KEYS = {"value", "evidence", "observed", "reason"}
_TOP_LEVEL = ("$schema", "profile_version", "issuer", "recorded_at", "recorded_with", "choices")


class ProfileError(ValueError):
    """A profile that cannot be replayed; the message names the file, the choice and the fix."""


@dataclasses.dataclass(frozen=True)
class Override:
    """An explicit option that won over the profile."""

    option: str
    #: What the profile would have set, and what was given instead.
    profile_value: Any
    explicit_value: Any
    #: The recorded choices the profile value came from.
    choices: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.option}={self.explicit_value!r} (given) instead of {self.profile_value!r}"
            f" (profile: {', '.join(self.choices)})"
        )


@dataclasses.dataclass(frozen=True)
class Profile:
    """A validated profile: its choices, and the options that play them."""

    #: The profile file.
    source: Path
    #: The provider it was recorded from, and when (as the profile says).
    issuer: str | None
    recorded_at: str | None
    #: Recorded choice -> its value.
    choices: Mapping[str, Any]
    #: Choices the recording could not observe -> why (the fake keeps its own answer).
    unobserved: Mapping[str, str]
    #: Option -> value, and option -> the choices behind it.
    options: Mapping[str, Any]
    sources: Mapping[str, tuple[str, ...]]

    @property
    def played_by(self) -> dict[str, tuple[str, ...]]:
        """Recorded choice -> the options that play it."""
        found: dict[str, list[str]] = {}
        for option, keys in self.sources.items():
            for key in keys:
                found.setdefault(key, []).append(option)
        return {key: tuple(options) for key, options in found.items()}

    def adopt(self, explicit: Mapping[str, Any]) -> tuple[dict[str, Any], AppliedProfile]:
        """The profile's options under ``explicit`` ones (which win), and the account of it."""
        overridden = {
            name: Override(name, value, explicit[name], self.sources[name])
            for name, value in self.options.items()
            if name in explicit and explicit[name] != value
        }
        adopted = {name: value for name, value in self.options.items() if name not in explicit}
        return {**self.options, **explicit}, AppliedProfile(self, adopted, overridden)


class AppliedProfile:
    """What a provider took from its profile: ``idp.profile``."""

    def __init__(
        self, profile: Profile, adopted: Mapping[str, Any], overridden: Mapping[str, Override]
    ) -> None:
        #: The profile as loaded: ``source``, ``issuer``, ``choices``, ``unobserved``...
        self.recorded = profile
        #: Option -> value taken from the profile.
        self.adopted = dict(adopted)
        #: Option -> the explicit option that won over the profile.
        self.overridden = dict(overridden)

    @property
    def source(self) -> Path:
        return self.recorded.source

    @property
    def issuer(self) -> str | None:
        return self.recorded.issuer

    @property
    def recorded_at(self) -> str | None:
        return self.recorded.recorded_at

    @property
    def choices(self) -> Mapping[str, Any]:
        return self.recorded.choices

    @property
    def unobserved(self) -> Mapping[str, str]:
        return self.recorded.unobserved

    @property
    def played_by(self) -> dict[str, tuple[str, ...]]:
        return self.recorded.played_by

    def describe(self) -> str:
        """A few lines for a person: where from, what was adopted, what was overridden."""
        lines = [
            f"provider profile {self.source} (recorded from {self.issuer or 'an unnamed issuer'}"
            f" at {self.recorded_at or 'an unknown time'})",
            "adopted: " + (", ".join(f"{k}={v!r}" for k, v in self.adopted.items()) or "nothing"),
        ]
        if self.overridden:
            lines.append("overridden: " + "; ".join(map(str, self.overridden.values())))
        if self.unobserved:
            lines.append("not observed (the fake's own answer): " + ", ".join(self.unobserved))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"<AppliedProfile {self.source.name} adopted={len(self.adopted)} overridden={list(self.overridden)}>"


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file; raises :class:`ProfileError` saying what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"provider profile {str(path)!r} does not exist") from None
    except OSError as exc:
        raise ProfileError(f"cannot read provider profile {str(path)!r}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProfileError(f"provider profile {str(path)!r} is not valid JSON: {exc}") from None
    return parse_profile(data, path)


def parse_profile(data: object, path: Path) -> Profile:
    where = f"provider profile {path.name}"
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: must be a JSON object")
    version = data.get("profile_version")
    if version != PROFILE_VERSION or isinstance(version, bool):
        raise ProfileError(
            f"{where}: profile_version {version!r} is not one this pytest-authmock reads"
            f" ({PROFILE_VERSION}); record it again with this version's contract suite"
        )
    unknown = sorted(set(data) - set(_TOP_LEVEL))
    if unknown:
        raise ProfileError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(_TOP_LEVEL)}"
        )
    for name in ("issuer", "recorded_at"):
        if not isinstance(data.get(name), (str, type(None))):
            raise ProfileError(f"{where}: {name} must be a string")
    recorded = data.get("choices")
    if not isinstance(recorded, dict):
        raise ProfileError(f"{where}: choices must be an object of recorded choices")
    choices, unobserved = _entries(recorded, where)
    try:
        options, sources = options_for(choices)
    except ChoiceError as exc:
        raise ProfileError(f"{where}: {exc}") from None
    _check_options(options, sources, where)
    return Profile(
        source=path,
        issuer=data.get("issuer"),
        recorded_at=data.get("recorded_at"),
        choices=choices,
        unobserved=unobserved,
        options=options,
        sources=sources,
    )


def _entries(recorded: Mapping[str, Any], where: str) -> tuple[dict[str, Any], dict[str, str]]:
    choices: dict[str, Any] = {}
    unobserved: dict[str, str] = {}
    for key, entry in recorded.items():
        if key not in CHOICES:
            raise ProfileError(
                f"{where}: unknown choice {key!r}; this version knows {', '.join(sorted(CHOICES))}"
            )
        if not isinstance(entry, dict):
            raise ProfileError(f"{where}: choice {key!r} must be an object with value or observed")
        extra = sorted(set(entry) - _ENTRY_KEYS)
        if extra:
            raise ProfileError(
                f"{where}: choice {key!r} has unknown member {extra[0]!r}; an entry has"
                " value and evidence, or observed (false) and reason"
            )
        if entry.get("observed", True) is False:
            unobserved[key] = str(entry.get("reason") or "not observed")
            continue
        if "value" not in entry:
            raise ProfileError(
                f'{where}: choice {key!r} has no value (or "observed": false with a reason)'
            )
        choices[key] = entry["value"]
    return choices, unobserved


def _check_options(
    options: Mapping[str, Any], sources: Mapping[str, tuple[str, ...]], where: str
) -> None:
    """Every option the profile sets must be one the fake accepts; name the choice if not."""
    try:
        ProviderConfig.from_options(**options)
        for option in ("grant_types", "refresh_token_grants"):
            unknown = sorted(set(options.get(option) or ()) - set(GRANTS))
            if unknown:
                raise OptionError(option, f"names grant type {unknown[0]!r}, which it lacks")
    except OptionError as exc:
        keys = ", ".join(sources.get(exc.option, ()))
        raise ProfileError(
            f"{where}: the fake cannot play choice {keys or exc.option} yet: option"
            f" {exc.option} {exc.problem}"
        ) from None
