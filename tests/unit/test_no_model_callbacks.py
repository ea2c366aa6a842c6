"""Every page callback that reads the served version, called with none and with a broken one: no
output changes and the page body becomes the "No model yet" alert."""

import json
import os

import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from portal import components, ids, store
from portal.artifacts import MODEL, PREPARED
from portal.config import Settings
from portal.registry import METRICS, MODELS, POINTER
from tests.conftest import fresh_app

FEATURES = [{"type": ids.PREDICT_FEATURE, "name": "frequency"}]
BOXES = (1.0, 30.0, "uplift", 10.0, 5.0, None, 0.0)


def calls():
    """(name, callback, its Dash arguments) for every callback decorated with version_callback."""
    from portal.pages import campaign, customers, home, model, predict, segments

    return [
        ("overview banner", home.show_monitoring_warning, (ids.HOME_MONITORING_BANNER,)),
        ("segment", segments.update_segment, (5, 5)),
        ("segment CSV", segments.download_segment, (1, 5)),
        ("customers rows", customers.update_rows, ({"startRow": 0, "endRow": 50}, None, "all")),
        ("prediction", predict.update_prediction, (None, "14048", FEATURES)),
        ("what-if", predict.update_whatif, ([3], FEATURES)),
        ("versions", model.show_versions, (ids.MODEL_VERSIONS_CARD,)),
        ("dependence", model.update_dependence, ("frequency",)),
        ("campaign plan", campaign.update_plan, ("predicted_clv", *BOXES)),
        ("campaign CSV", campaign.download_audience, (1, "predicted_clv", *BOXES)),
    ]


def version(tmp_path, metrics: str, table: bytes = b"x", model: bytes = b"x"):
    """A current version "v1" whose three files hold what is given."""
    folder = tmp_path / MODELS / "v1"
    folder.mkdir(parents=True)
    (folder / METRICS).write_text(metrics)
    (folder / PREPARED).write_bytes(table)
    (folder / MODEL).write_bytes(model)
    os.symlink(os.path.join(MODELS, "v1"), tmp_path / POINTER)
    return tmp_path


def cut_metrics(tmp_path):
    """metrics.json cut off mid-write."""
    return version(tmp_path, json.dumps({"version": "v1"})[:9])


def bad_table(tmp_path):
    """Complete metrics, but the scored table is not parquet."""
    return version(tmp_path, json.dumps({name: "v1" for name in store.METRICS_FIELDS}))


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda path: path, "no artifacts in"),
        (cut_metrics, "are unreadable: "),
        (bad_table, "are unreadable: "),
    ],
    ids=["none", "cut-metrics", "bad-table"],
)
def test_every_version_callback_shows_the_alert(tmp_path, make, reason):
    app = fresh_app(Settings(data_dir=make(tmp_path)))
    with app.server.test_request_context():
        for name, callback, args in calls():
            side = {}
            context_value.set(AttributeDict(updated_props=side, triggered_inputs=[]))
            assert callback(*args) is no_update, name
            alert = side[ids.PAGE_BODY]["children"]
            assert alert.id == ids.NO_MODEL and "No model yet" in str(alert), name
            assert reason in str(alert), name


def test_a_missing_version_makes_every_version_layout_the_alert(empty_settings):
    app = fresh_app(empty_settings)
    with app.server.test_request_context():
        from portal.pages import campaign, customers, home, lift, model, predict, segments

        for page in (home, lift, segments, campaign, customers, predict, model):
            assert page.layout().id == ids.NO_MODEL, page.__name__


def reason_of(problem) -> str:
    (reason,) = [
        p.children for p in components.not_ready(problem).children if getattr(p, "id", None)
    ]
    return reason


def test_the_reason_is_the_first_line_shortened():
    long = "artifacts in /x are unreadable: " + "y" * 500 + "\nsecond line"
    reason = reason_of(RuntimeError(long))
    assert len(reason) == components.REASON_CHARS and reason.endswith("y…")
    assert reason.startswith("artifacts in /x are unreadable: yyy")
    assert reason_of(RuntimeError("short\nsecond")) == "short"
    assert reason_of(EOFError()) == "EOFError"
