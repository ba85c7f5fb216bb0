"""A headless Chromium for the end-to-end tests, driven by Playwright.

The browser is Debian's ``chromium`` package (``.ci/install-browser`` installs
it and Playwright); Playwright's own browser download is never used. Without
either, the tests skip and say what to install.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "run .ci/install-browser (apt: chromium; pip: pytest-authmock[browser])"


def _chromium() -> str | None:
    for candidate in (os.environ.get("AUTHMOCK_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium per module, with a fresh profile directory.

    Module scope, not session: while ``sync_playwright()`` runs, an asyncio loop
    runs on the worker's main thread, and every later ``asyncio.run()`` in that
    worker fails. pytest tears a module fixture down before the worker moves on
    to another module, so the loop is gone when other tests run.
    """
    try:
        from playwright import sync_api
    except ImportError as error:  # not installed, or broken (missing system libraries)
        pytest.skip(f"Playwright cannot be imported ({error}); {INSTALL_HINT}")
    executable = _chromium()
    if executable is None:
        pytest.skip(f"no chromium executable found; {INSTALL_HINT}")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 640, "height": 720},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def screenshot(page: Any) -> Any:
    """``screenshot("name")`` saves a PNG to ``$AUTHMOCK_SCREENSHOTS`` when it is set
    (how the docs' pictures are made), and does nothing otherwise."""
    directory = os.environ.get("AUTHMOCK_SCREENSHOTS")

    def take(name: str) -> None:
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)

    return take
