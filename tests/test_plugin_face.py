"""The plugin's face in a downstream suite: merged markers, --help, --fixtures, links, floors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_authmock import links

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the oldest-Python CI run
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_markers_merge_across_module_class_and_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.authmock(token_format="opaque", access_token_ttl=120)

        def test_module_only(idp):
            assert idp.config.token_format == "opaque"
            assert idp.config.access_token_ttl == 120

        @pytest.mark.authmock(access_token_ttl=60)
        def test_own_marker_keeps_the_module_keywords(idp):
            assert idp.config.token_format == "opaque"
            assert idp.config.access_token_ttl == 60

        @pytest.mark.authmock(algorithm="ES256", token_format="jwt")
        class TestClass:
            def test_class_over_module(self, idp):
                assert idp.config.algorithm == "ES256"
                assert idp.config.token_format == "jwt"
                assert idp.config.access_token_ttl == 120

            @pytest.mark.authmock(token_format="opaque", refresh_token_ttl=None)
            def test_closest_wins_per_keyword(self, idp):
                assert idp.config.algorithm == "ES256"
                assert idp.config.token_format == "opaque"
                assert idp.config.refresh_token_ttl is None
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_merged_markers_choose_the_server_flavour(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.authmock(tls=True)

        @pytest.mark.authmock(access_token_ttl=60)
        def test_https_kept(idp_server):
            assert idp_server.issuer.startswith("https://127.0.0.1:")
            assert idp_server.config.access_token_ttl == 60
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_bad_module_marker_names_itself(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.authmock(token_fromat="opaque")

        @pytest.mark.authmock(access_token_ttl=60)
        def test_x(idp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.authmock got unknown option 'token_fromat'*"])


def test_help_shows_values_and_defaults_of_ini_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = re.sub(r"\s+", " ", result.stdout.str())
    for expected in (
        "authmock_token_format (string): access token format, one of jwt, opaque (default: jwt)",
        "authmock_algorithm (string): signing algorithm of JWT access tokens and ID tokens, "
        "one of RS256, ES256 (default: RS256)",
        "authmock_access_token_ttl (string): access token lifetime, whole seconds or none "
        "(never expires) (default: 3600)",
        "authmock_issuer (string): issuer URL of the idp / idp_server provider "
        "(default: https://idp.authmock.test)",
        "authmock_teardown_check (string): fail a test whose provider was left with problems, "
        "one of true, false (default: true)",
    ):
        assert expected in text


def test_internal_fixtures_are_not_listed_for_users(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    listed = pytester.runpytest("--fixtures").stdout.str()
    for public in ("idp ", "idp_server ", "idp_factory ", "idp_server_factory ", "authmock_pki "):
        assert f"\n{public}" in listed
    assert "server_pool" not in listed
    assert "factory_servers" not in listed
    # Still there for whoever looks closer, as pytest's own internal fixtures are.
    assert "_authmock_server_pool" in pytester.runpytest("--fixtures", "-v").stdout.str()


def test_teardown_message_links_to_the_docs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_expects(idp):
            idp.expect(1, endpoint="token")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*If this is expected, opt out with @pytest.mark.authmock(teardown_check=False).",
            f"Read more: {links.TEARDOWN}",
        ]
    )


def test_project_urls_are_the_links_messages_use() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls == {
        "Documentation": links.DOCUMENTATION,
        "Source": links.SOURCE,
        "Issues": links.ISSUES,
    }


def _slug(heading: str) -> str:
    # Python-Markdown's toc slugify: drop markup and punctuation, hyphenate spaces.
    text = re.sub(r"[`*]|\{:.*?\}", "", heading).strip().lower()
    return re.sub(r"[\s-]+", "-", re.sub(r"[^\w\s-]", "", text))


@pytest.mark.parametrize("link", [links.REFERENCE, links.TEARDOWN, links.UNROUTED])
def test_message_links_point_at_a_docs_section(link: str) -> None:
    assert link.startswith(links.DOCUMENTATION)
    page, _, anchor = link.removeprefix(links.DOCUMENTATION).partition("#")
    source = ROOT / "docs" / f"{page.rstrip('/')}.md"
    assert source.is_file(), f"{link} names no docs page"
    if anchor:
        headings = re.findall(r"^#+ (.+)$", source.read_text(), flags=re.M)
        assert anchor in {_slug(h) for h in headings}, f"{link}: no such heading"


def test_lowest_requirements_pin_every_floor_including_pluggy() -> None:
    pins = subprocess.run(
        [sys.executable, str(ROOT / ".ci/lowest-requirements")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    names = {re.split(r"[=;]", pin)[0].lower() for pin in pins}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert len(pins) == len(declared)
    # @pytest.hookimpl(wrapper=True) is pluggy >= 1.2; pytest 7.4 allows pluggy 1.0.
    uses_wrapper = "wrapper=True" in (ROOT / "pytest_authmock/plugin.py").read_text()
    assert uses_wrapper
    assert "pluggy" in names
    floor = next(pin for pin in pins if pin.startswith("pluggy==")).split("==")[1]
    assert tuple(int(part) for part in floor.split(".")[:2]) >= (1, 2)
