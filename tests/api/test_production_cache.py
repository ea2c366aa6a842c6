"""The production cache (FileSystemCache under DATA_DIR) across a version switch and a rollback:
the API and the segments view always serve the numbers of the version they name; the workers of
one machine share its figures."""

import io
import json
import math

import joblib
import pandas as pd
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

from portal import analytics, ids, registry, store
from portal.analytics import decile_of_rank, segment_of
from portal.artifacts import METRICS, MODEL, PREPARED
from portal.config import Settings
from portal.publishing import publish
from tests.conftest import fresh_app

SMALL = 1005  # ceil and floor of 5% differ: 51 and 50
FORMULA_IDS = ["=HYPERLINK(1)", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture
def two_versions(copied_data_dir):
    """(data dir, CDNOW version, a second version): the second scores the CDNOW backtest's 1,005
    best customers, the first six of them under ids a spreadsheet would run as formulas."""
    final = copied_data_dir / "final"
    first = registry.current_version(copied_data_dir)
    table = pd.read_parquet(final / PREPARED).sort_values("rank")
    small = table.head(SMALL).copy()
    small["segment"] = segment_of(small["rank"].to_numpy(), SMALL)
    small["decile"] = decile_of_rank(small["rank"].to_numpy(), SMALL)
    small.iloc[: len(FORMULA_IDS), small.columns.get_loc("customer_id")] = FORMULA_IDS
    document = {**json.loads((final / METRICS).read_text()), "version": "second"}
    publish(copied_data_dir, small, joblib.load(final / MODEL), {**document, "customers": SMALL})
    return copied_data_dir, first, "second"


def expected(data_dir, version: str) -> dict:
    """Figures of one version computed from its parquet by hand."""
    table = pd.read_parquet(registry.version_dir(data_dir, version) / PREPARED).sort_values("rank")
    n = len(table)
    count = math.ceil(n * 5 / 100)
    actual = table["actual_6m"].to_numpy()
    return {
        "n": n,
        "count": count,
        "predicted_value": table["predicted_clv_6m"].head(count).sum(),
        "share_of_actual": actual[:count].sum() / actual.sum(),
        "top_decile_capture": actual[: n // 10].sum() / actual.sum(),
        "first_id": table["customer_id"].iloc[0],
        "elite_ids": table["customer_id"].head(count).tolist(),
    }


def assert_api_serves(client, data_dir, version: str):
    want = expected(data_dir, version)
    assert client.get("/api/health").get_json()["version"] == version
    elite = client.get("/api/elite?top_pct=5&limit=1").get_json()["summary"]
    assert elite["version"] == version and elite["count"] == want["count"]
    assert elite["predicted_value"] == pytest.approx(want["predicted_value"], rel=1e-12)
    assert elite["share_of_actual"] == pytest.approx(want["share_of_actual"], rel=1e-12)
    lift = client.get("/api/decile_lift").get_json()
    assert lift["version"] == version and lift["customers"] == want["n"]
    assert [d["customers"] for d in lift["deciles"]][:1] == [math.ceil(want["n"] / 10)]
    gain = client.get("/api/gain_curve?points=10").get_json()
    assert gain["version"] == version
    assert gain["top_decile_capture"] == pytest.approx(want["top_decile_capture"], rel=1e-12)
    segment = client.get("/api/table?segment=Elite&limit=1").get_json()
    assert segment["total"] == want["count"]  # the Elite segment is the top 5% of /api/elite


@pytest.fixture
def cached_app(two_versions):
    data_dir, first, second = two_versions
    app = fresh_app(Settings(data_dir=data_dir), production_cache=True)
    assert app.server.config["CACHE_TYPE"] == "FileSystemCache"
    return app


@pytest.fixture
def elite_computations(monkeypatch):
    """Counts the elite summaries actually computed (a cache hit computes none)."""
    calls = []
    real = analytics.elite_summary

    def counted(*args, **kwargs):
        calls.append(len(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(analytics, "elite_summary", counted)
    return calls


def test_the_api_follows_a_version_switch_and_a_rollback(
    cached_app, two_versions, elite_computations
):
    data_dir, first, second = two_versions
    client = cached_app.server.test_client()
    assert_api_serves(client, data_dir, second)
    registry.activate(data_dir, first)
    assert_api_serves(client, data_dir, first)
    registry.activate(data_dir, second)  # roll back: the cached figures of the second are right
    assert_api_serves(client, data_dir, second)
    assert elite_computations == [SMALL, 23570]  # the cache was on: each version computed once


def test_the_workers_of_one_machine_share_the_figures(two_versions, elite_computations):
    data_dir, _, second = two_versions
    for _ in range(2):  # two workers: each app has its own cache client, over the same folder
        client = fresh_app(Settings(data_dir=data_dir), production_cache=True).server.test_client()
        summary = client.get("/api/elite?top_pct=5&limit=1").get_json()["summary"]
        assert (summary["version"], summary["count"]) == (
            second,
            expected(data_dir, second)["count"],
        )
    assert elite_computations == [SMALL]  # the second worker read the first one's figures
    assert any(Settings(data_dir=data_dir).figure_cache_dir.iterdir())


def test_a_switch_while_a_request_runs_caches_nothing_under_the_wrong_version(
    cached_app, two_versions, monkeypatch
):
    """The pointer moves after the request resolved its version and before the figures are
    computed (a retrain publishing mid-request): the figures are still that version's."""
    data_dir, first, second = two_versions
    client = cached_app.server.test_client()
    real_current, swaps = store.current, [first]

    def current_then_switch(final_dir):
        art = real_current(final_dir)
        if swaps:
            registry.activate(data_dir, swaps.pop())
        return art

    monkeypatch.setattr(store, "current", current_then_switch)
    want = expected(data_dir, second)
    elite = client.get("/api/elite?top_pct=5&limit=1").get_json()["summary"]
    assert (elite["version"], elite["count"]) == (second, want["count"])
    monkeypatch.setattr(store, "current", real_current)
    assert_api_serves(client, data_dir, first)
    registry.activate(data_dir, second)
    assert_api_serves(client, data_dir, second)


def segments_view(app):
    """The segments page's callback at X = 5, as the slider sends it."""
    from portal.pages import segments

    context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"{ids.SEGMENTS_SLIDER}.value", "value": 5}])
    )
    with app.server.test_request_context():
        _, _, kpis, _, rows, note = segments.update_segment(5, 5)
        download = segments.download_segment(1, 5)
    return str(kpis), rows, note, download


def assert_segments_serve(app, data_dir, version: str):
    want = expected(data_dir, version)
    kpis, rows, note, download = segments_view(app)
    assert f"'{want['count']:,}'" in kpis and f"top 5% of {want['n']:,}" in kpis
    assert len(rows) == min(500, want["count"]) and rows[0]["rank"] == 1
    assert note.endswith(f"{want['count']:,} customers shown.") or f"of {want['count']:,};" in note
    assert download["filename"] == f"clv_top_5pct_{version}.csv"
    csv = pd.read_csv(io.StringIO(download["content"]), dtype={"customer_id": str})
    assert len(csv) == want["count"]


def test_the_segments_view_follows_a_version_switch_and_a_rollback(cached_app, two_versions):
    data_dir, first, second = two_versions
    assert_segments_serve(cached_app, data_dir, second)
    registry.activate(data_dir, first)
    assert_segments_serve(cached_app, data_dir, first)
    registry.activate(data_dir, second)
    assert_segments_serve(cached_app, data_dir, second)


def test_the_segment_csv_neutralises_formulas(cached_app, two_versions):
    data_dir, _, second = two_versions
    download = segments_view(cached_app)[3]
    csv = pd.read_csv(io.StringIO(download["content"]), dtype=str, keep_default_na=False)
    want = expected(data_dir, second)["elite_ids"]
    assert csv["customer_id"].tolist()[: len(FORMULA_IDS)] == ["'" + i for i in FORMULA_IDS]
    assert csv["customer_id"].tolist()[len(FORMULA_IDS) :] == want[len(FORMULA_IDS) :]
