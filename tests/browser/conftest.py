"""Browser tests: a real Chromium (Debian's, driven by Playwright) against the live server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PASSWORD = "openai-countries-demo"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

PageFactory = Callable[..., Any]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium through Playwright against the live server"
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` selection looks at the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(
        reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            # The live server needs committed rows; serialized_rollback brings back the reference
            # rows (ISO countries) that an earlier transactional test's flush removed.
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session; each test opens its own contexts (cookie jars)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread, which makes Django refuse
    # database calls from it as if they came from async code. Only while the browser runs: a
    # variable left set would leak into other tests' subprocesses (`check --deploy` refuses it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo(live_server: Any) -> None:
    """The demo program and its users, committed so that the live server sees them."""
    from tests.factories import ensure_iso_countries

    ensure_iso_countries()
    call_command("load_demo", stdout=StringIO())


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[PageFactory]:
    """``new_page("manager")`` is a page signed in as that demo user through the real login
    form, in a context (cookie jar) of its own; ``new_page(None)`` is a signed-out page."""
    from playwright.sync_api import expect

    contexts: list[Any] = []

    def make(username: str | None, *, viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="en-US",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if username is None:
            return page
        page.goto("/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator("nav.navbar")).to_be_visible()
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = ROOT / "docs" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # no node details for passes: faster on every page
}
AXE_RUN = """options => axe.run(document, options).then(result => result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci` in {ROOT}")
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Any, source: str) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations on the page, one line per rule.

    The script goes in through the DevTools protocol (``evaluate``), which the page's CSP
    does not govern, so the CSP under test stays on."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return [
        f"{page.url}: [{v['impact']}] {v['id']}: {v['help']} -> {'; '.join(v['targets'])}"
        for v in page.evaluate(AXE_RUN, AXE_OPTIONS)
    ]
