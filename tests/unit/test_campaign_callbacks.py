"""The campaign page's callbacks (and the marketer fields on the customers and predict pages)
called directly on the CDNOW backtest."""

import io

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from portal.artifacts import PREPARED
from tests.unit.test_callbacks import request_ctx  # noqa: F401  (fixture)

DEFAULT_BOXES = (1.0, 30.0, "uplift", 10.0, 5.0, None, 0.0)  # cost, margin, effect, ...


@pytest.fixture(scope="module")
def predicted(data_dir):
    table = pd.read_parquet(data_dir / "final" / PREPARED)
    return table.sort_values(["predicted_clv_6m", "customer_id"], ascending=[False, True])


def best_by_hand(predicted, cost, margin, uplift):
    profit = np.concatenate(
        [[0], np.cumsum(margin * uplift * predicted["predicted_clv_6m"] - cost)]
    )
    return int(np.argmax(profit)), float(profit.max())


@pytest.mark.usefixtures("request_ctx")
def test_default_plan(predicted):
    from portal.pages import campaign

    alert, kpis, figure, rows, note = campaign.update_plan("predicted_clv", *DEFAULT_BOXES)
    count, profit = best_by_hand(predicted, 1.0, 0.3, 0.1)
    assert alert is None
    assert 0 < count < len(predicted)
    assert f"{count:,} of 23,570 customers" in str(kpis)
    assert f"${profit:,.2f}" in str(kpis)
    assert len(rows) == min(count, campaign.GRID_ROWS) and f"{count:,}" in note
    assert [r["customer_id"] for r in rows] == predicted["customer_id"].iloc[: len(rows)].tolist()
    best = figure["data"][2]
    assert best["x"][0] == pytest.approx(100 * count / 23570)
    assert best["y"][0] == pytest.approx(profit)


@pytest.mark.usefixtures("request_ctx")
def test_dearer_contact_and_thinner_margin_shrink_the_audience(predicted):
    from portal.pages import campaign

    boxes = (3.0, 20.0, "uplift", 10.0, 5.0, None, 0.0)
    _, kpis, _, rows, _ = campaign.update_plan("predicted_clv", *boxes)
    count, _ = best_by_hand(predicted, 3.0, 0.2, 0.1)
    assert count < best_by_hand(predicted, 1.0, 0.3, 0.1)[0]
    assert f"{count:,} of 23,570 customers" in str(kpis) and len(rows) == count


@pytest.mark.usefixtures("request_ctx")
def test_response_effect_uses_p_active_and_the_mean_order_value(data_dir):
    from portal import store
    from portal.extensions import final_dir
    from portal.pages import campaign

    art = store.current(final_dir())
    table = pd.read_parquet(data_dir / "final" / PREPARED)
    mean_order = table["monetary_total"].sum() / table["frequency"].sum()
    boxes = (0.5, 50.0, "response", 10.0, 5.0, None, 0.0)
    _, kpis, _, rows, _ = campaign.update_plan("p_purchase", *boxes)
    order = art.contact_order("p_purchase")
    revenue = 0.05 * art.marketing["p_active"].to_numpy()[order] * mean_order
    cumulative = np.concatenate([[0], np.cumsum(0.5 * revenue - 0.5)])
    assert f"{int(np.argmax(cumulative)):,} of 23,570" in str(kpis)
    p = [r["p_purchase"] for r in rows]
    assert p == sorted(p, reverse=True)


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(
    "boxes, message",
    [
        ((None, 30.0, "uplift", 10.0, 5.0, None, 0.0), "enter a number for: contact cost"),
        ((1.0, 130.0, "uplift", 10.0, 5.0, None, 0.0), "gross margin must be between 0 and 100%"),
        ((-1, 30.0, "uplift", 10.0, 5.0, -5, -2), "contact cost must be at least 0; discount "),
        ((1.0, 30.0, "uplift", 10.0, 5.0, -5, 0.0), "order value must be at least 0"),
        ((1.0, 30.0, "uplift", "x", 5.0, None, 0.0), "could not convert string to float"),
    ],
)
def test_bad_boxes_give_a_named_alert(boxes, message):
    from portal.pages import campaign

    alert, *rest = campaign.update_plan("predicted_clv", *boxes)
    assert message in str(alert.children)
    assert rest == [no_update] * 4


@pytest.mark.usefixtures("request_ctx")
def test_download_is_the_whole_audience_with_every_field(predicted):
    from portal import store
    from portal.pages import campaign

    boxes = (3.0, 20.0, "uplift", 10.0, 5.0, None, 0.0)
    count, _ = best_by_hand(predicted, 3.0, 0.2, 0.1)
    data = campaign.download_audience(1, "predicted_clv", *boxes)
    csv = pd.read_csv(io.StringIO(data["content"]), dtype={"customer_id": str})
    assert list(csv.columns) == ["audience_rank", *store.AUDIENCE_COLUMNS]
    assert len(csv) == count
    assert csv["customer_id"].tolist() == predicted["customer_id"].iloc[:count].tolist()
    rows = campaign.update_plan("predicted_clv", *boxes)[3]
    assert csv["customer_id"].tolist()[: len(rows)] == [r["customer_id"] for r in rows]
    assert campaign.download_audience(None, "predicted_clv", *boxes) is no_update


def test_only_the_chosen_effects_boxes_are_editable():
    from portal.pages import campaign

    assert campaign.toggle_effect_inputs("uplift") == (False, True, True)
    assert campaign.toggle_effect_inputs("response") == (True, False, False)


def test_money_shows_the_sign_before_the_symbol():
    from portal.components import money

    assert money(-9471.654) == "-$9,471.65" and money(5848.99) == "$5,848.99"


@pytest.mark.usefixtures("request_ctx")
def test_customers_grid_filters_by_group_and_shows_marketer_fields():
    from portal.pages import customers

    response, total = customers.update_rows(
        {"startRow": 0, "endRow": 50}, None, "all", "High value at risk"
    )
    rows = response["rowData"]
    assert total == "1,214 customers match" and len(rows) == 50
    assert {r["group"] for r in rows} == {"High value at risk"}
    assert all(r["churn_risk"] > 0.5 for r in rows)
    everyone, _ = customers.update_rows({"startRow": 0, "endRow": 50}, None, "all", "all")
    assert everyone["rowCount"] == 23570
    assert everyone["rowData"][0]["next_order_date"] > "1998-01-01"


@pytest.mark.usefixtures("request_ctx")
def test_predict_page_shows_the_marketer_fields(client):
    from portal.pages import predict

    row = client.get("/api/audience?rank_by=value_at_risk&count=1").get_json()["customers"][0]
    view, _ = predict.update_prediction(1, row["customer_id"], [])
    text = str(view)
    assert f"churn risk {row['churn_risk'] * 100:.1f}%" in text
    assert f"next order (if active): {row['next_order_date']}" in text
    assert f"${row['total_clv']:,.2f}" in text and row["group"] in text


def test_profit_figure_marks_the_optimum_and_break_even():
    from portal import figures

    curve = {
        "x": [0.0, 10.0, 30.0, 100.0],
        "profit": [0.0, 2.5, 0.5, -20.0],
        "random": [0.0, -2.0, -6.0, -20.0],
        "best_pct": 10.0,
        "best_profit": 2.5,
        "break_even_pct": 30.0,
    }
    fig = figures.make_profit_figure(curve)
    ranked, random, best = fig.data
    assert list(ranked.y) == curve["profit"] and list(random.y) == curve["random"]
    assert (best.x[0], best.y[0], best.text[0]) == (10.0, 2.5, "best: top 10.0%")
    lines = [s for s in fig.layout.shapes if s.x0 == 30.0]
    assert len(lines) == 1 and "break-even 30.0%" in fig.layout.annotations[0].text
    no_break_even = figures.make_profit_figure({**curve, "break_even_pct": None})
    assert all(s.x0 != 30.0 for s in no_break_even.layout.shapes)


@pytest.mark.usefixtures("request_ctx")
def test_segment_csv_has_the_marketer_fields(client):
    from portal import store
    from portal.pages import segments

    data = segments.download_segment(1, 1.0)
    csv = pd.read_csv(io.StringIO(data["content"]), dtype={"customer_id": str})
    assert list(csv.columns) == store.AUDIENCE_COLUMNS and len(csv) == 236
    assert csv["rank"].tolist() == list(range(1, 237))
    api = client.get("/api/audience?top_pct=1&limit=1000").get_json()["customers"]
    assert csv["churn_risk"].to_numpy() == pytest.approx([r["churn_risk"] for r in api], abs=1e-9)
    assert csv["group"].fillna("").tolist() == [r["group"] or "" for r in api]


@pytest.mark.usefixtures("request_ctx")
def test_the_chosen_audience_has_a_profit_band(predicted, data_dir):
    """Uplift effect: 0.3 x 0.1 x the audience's spend range - k x cost, the spend range being
    the version's interval of the top k's total; none for the response effect."""
    import joblib

    from portal.pages import campaign

    count, profit = best_by_hand(predicted, 1.0, 0.3, 0.1)
    model = joblib.load(data_dir / "final" / "model.joblib")
    top = predicted.iloc[:count]
    total = model.intervals.total(top["predicted_clv_6m"], top["p_purchase"])
    low, high = 0.03 * total["low"] - count, 0.03 * total["high"] - count
    assert low < profit < high
    kpis = str(campaign.update_plan("predicted_clv", *DEFAULT_BOXES)[1])
    assert f"80% range ${low:,.2f} to ${high:,.2f}" in kpis
    response = (1.0, 30.0, "response", 10.0, 5.0, None, 0.0)
    assert "range" not in str(campaign.update_plan("predicted_clv", *response)[1])
