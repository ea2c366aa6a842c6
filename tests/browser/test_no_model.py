"""Every page without a model, with a broken one, and a version that breaks while a page is open:
the "No model yet" alert, never a callback error, in headless Chromium."""

import os
import shutil

import dash
from selenium.webdriver.common.keys import Keys

from portal import ids
from portal.artifacts import MODEL, PREPARED
from portal.config import Settings
from portal.registry import METRICS, MODELS, POINTER
from tests.browser.conftest import assert_clean_console, visit
from tests.conftest import fresh_app

LOAD = 30  # seconds a first page may take to render on a busy 2-core machine (a wait, not a check)
ALERT = f"#{ids.NO_MODEL}"
REASON = f"#{ids.NO_MODEL_REASON}"


def break_version(data_dir, version: str = "20261129T000000Z-broken"):
    """A version folder whose three files are not what their names say, made current."""
    folder = data_dir / MODELS / version
    folder.mkdir(parents=True)
    (folder / METRICS).write_text('{"version": "20261129T00')  # cut off mid-write
    (folder / PREPARED).write_bytes(b"not a parquet file")
    (folder / MODEL).write_bytes(b"not a joblib file")
    os.symlink(os.path.join(MODELS, version), data_dir / POINTER)


def test_every_page_without_a_model_and_with_a_broken_one_shows_the_alert(dash_duo, tmp_path):
    dash_duo.start_server(fresh_app(Settings(data_dir=tmp_path)), host="127.0.0.1")
    pages = [p["relative_path"] for p in dash.page_registry.values() if p.get("order") is not None]
    assert len(pages) == 9  # every page in the navbar, the data page included
    for path in pages:
        visit(dash_duo, path)
        dash_duo.wait_for_contains_text(ALERT, "No model yet", timeout=LOAD)
        assert "no artifacts in" in dash_duo.find_element(REASON).text, path
        assert_clean_console(dash_duo)
    break_version(tmp_path)
    visit(dash_duo, "/segments")
    dash_duo.wait_for_contains_text(REASON, "are unreadable", timeout=LOAD)
    assert not dash_duo.driver.find_elements("css selector", f"#{ids.SEGMENTS_SLIDER}")
    assert_clean_console(dash_duo)


def test_a_version_broken_while_a_page_is_open_shows_the_alert(dash_duo, copied_data_dir):
    dash_duo.start_server(fresh_app(Settings(data_dir=copied_data_dir)), host="127.0.0.1")
    visit(dash_duo, "/segments")
    dash_duo.wait_for_element(f"#{ids.SEGMENTS_COUNT}", timeout=LOAD)
    current = (copied_data_dir / POINTER).resolve()
    (copied_data_dir / POINTER).unlink()
    shutil.rmtree(current)
    box = dash_duo.find_element(f"#{ids.SEGMENTS_INPUT}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("12.5", Keys.ENTER)
    dash_duo.wait_for_contains_text(ALERT, "No model yet", timeout=LOAD)
    assert "no artifacts in" in dash_duo.find_element(REASON).text
    assert not dash_duo.driver.find_elements("css selector", f"#{ids.SEGMENTS_INPUT}")
    assert_clean_console(dash_duo)
