"""Browser tests need Chromium; they may skip only outside CI when it is missing."""

import os
import shutil

import pytest
from dash.testing.wait import until


def pytest_collection_modifyitems(config, items):
    if shutil.which("chromedriver") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="chromium-driver not installed (make test installs it)")
    for item in items:
        if "dash_duo" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture
def portal(dash_duo, app):
    """The portal served on loopback in a real browser; stopped by dash_duo's teardown."""
    dash_duo.start_server(app, host="127.0.0.1")
    return dash_duo


def visit(duo, path: str):
    """Open a page of the running portal and wait for the shell."""
    duo.driver.get(duo.server_url + path)
    duo.wait_for_element(".navbar")


def settled(duo, timeout: float = 30):
    """Wait until every callback the page started has answered (a wait, not a check): before
    asserting that a part a callback fills is absent."""
    until(lambda: duo.redux_state_rqs == [], timeout)


def assert_clean_console(duo):
    """No SEVERE browser console entries (missing assets, JS errors, callback errors)."""
    assert duo.get_logs() == []


def click(duo, selector: str):
    """Scroll an element into view and click it (AG Grid controls sit below the fold)."""
    element = duo.wait_for_element(selector)
    duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element
    )
