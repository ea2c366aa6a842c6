"""Predict: one customer's prediction, its features, past spend, and a live what-if form."""

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, html, no_update
from sqlalchemy.exc import SQLAlchemyError

from portal import components as c
from portal import customer_figures, ids, scoring, store
from portal.explain import reasons
from portal.extensions import settings

dash.register_page(__name__, path="/predict", name="Predict", order=4, title="CLV portal: predict")


def feature_input(name: str, value) -> dbc.Col:
    """One labelled number input of the what-if form."""
    return dbc.Col(
        [
            dbc.Label(name, html_for=f"{ids.PREDICT_FEATURE}-{name}", className="small mb-0"),
            dbc.Input(
                id={"type": ids.PREDICT_FEATURE, "name": name},
                type="number",
                value=value,
                size="sm",
            ),
        ],
        xs=6,
        md=4,
        lg=3,
        className="mb-2",
    )


@c.version_page
def layout(art: store.Artifacts, customer_id: str | None = None, **_):
    """Customer id box (prefilled from ?customer_id=), result area and what-if form."""
    return html.Div(
        [
            c.page_header(
                "Predict", "Look up a customer, or edit feature values to see what-if predictions."
            ),
            html.Div(
                dbc.InputGroup(
                    [
                        dbc.Input(
                            id=ids.PREDICT_ID,
                            placeholder="Customer id, e.g. 14048",
                            value=customer_id or "",
                            debounce=True,
                            type="text",
                        ),
                        dbc.Button("Predict", id=ids.PREDICT_BUTTON, color="primary"),
                    ]
                ),
                className="panel",
            ),
            html.Div(id=ids.PREDICT_RESULT),
            html.Div(
                [
                    html.H5("What if?"),
                    html.P(
                        "Change any value; the prediction updates as you type. Empty optional "
                        "fields take the population median.",
                        className="text-muted small",
                    ),
                    html.Div(id=ids.PREDICT_WHATIF_RESULT, className="mb-2"),
                    dbc.Row(
                        [
                            feature_input(name, art.model.feature_defaults.get(name))
                            for name in art.model.raw_features
                        ]
                    ),
                ],
                className="panel",
                id=ids.PREDICT_WHATIF,
            ),
        ]
    )


def result_view(p: dict) -> html.Div:
    """KPI cards, the past-vs-predicted chart and the feature table of one prediction."""
    cards = [
        c.kpi_card(
            "Predicted 6-month CLV",
            c.money(p["predicted_clv_6m"]),
            c.money_range(p["clv_p10"], p["clv_p90"], p["interval_level"]),
            id_=ids.PREDICT_CLV,
        ),
        c.kpi_card("P(purchase in 6 months)", c.pct(p["p_purchase"]), id_=ids.PREDICT_P_PURCHASE),
        c.kpi_card(
            "Decile",
            str(p["decile"]),
            f"rank {p['rank']:,} of {p['customers']:,}",
            id_=ids.PREDICT_DECILE,
        ),
        c.kpi_card("Segment", p["segment"], id_=ids.PREDICT_SEGMENT),
    ]
    m = p["marketer"]
    next_order = m["next_order_date"] or "none within a century"
    marketer_cards = [
        c.kpi_card(
            "P(active)",
            c.pct(m["p_active"]),
            f"churn risk {c.pct(m['churn_risk'])}",
            id_=ids.PREDICT_ACTIVE,
        ),
        c.kpi_card(
            "Expected orders in 6 months",
            f"{m['expected_orders_6m']:.2f}",
            f"next order (if active): {next_order}",
            id_=ids.PREDICT_ORDERS,
        ),
        c.kpi_card(
            "Total CLV",
            c.money(m["total_clv"]),
            f"{c.money(m['historic_spend'])} to date + predicted 6 months",
            id_=ids.PREDICT_TOTAL,
        ),
        c.kpi_card(
            "Group",
            m["group"] or "—",
            f"value at risk {c.money(m['value_at_risk'])}",
            id_=ids.PREDICT_GROUP,
        ),
    ]
    past = p["past"]
    figure = customer_figures.make_customer_figure(
        past["spend_6m"] or 0.0,
        (past["spend_12m"] or 0.0) / 2,
        p["predicted_clv_6m"],
        p["actual_6m"],
        band=(p["clv_p10"], p["clv_p90"], p["interval_level"]),
    )
    table = dbc.Table(
        html.Tbody(
            [
                html.Tr([html.Td(k), html.Td("—" if v is None else f"{v:,.2f}")])
                for k, v in p["features"].items()
            ]
        ),
        size="sm",
        striped=True,
        className="bg-white mb-0",
    )
    return html.Div(
        [
            html.H4(f"Customer {p['customer_id']}", id=ids.PREDICT_TITLE),
            c.kpi_row(cards),
            c.kpi_row(marketer_cards),
            why_view(p["explanation"]),
            history_view(p["customer_id"]),
            dbc.Row(
                [
                    dbc.Col(c.graph(ids.PREDICT_PAST_GRAPH, figure), lg=7),
                    dbc.Col(
                        html.Div([html.H6("Features at the cutoff"), table], className="panel"),
                        lg=5,
                    ),
                ]
            ),
        ]
    )


def history_view(customer_id: str):
    """The customer's predicted CLV in every recorded run (one point until a retrain)."""
    try:
        history = scoring.customer_history(settings(), customer_id)
    except (store.UnknownCustomer, SQLAlchemyError):
        return html.P(
            "No prediction history is recorded for this customer.", className="text-muted"
        )
    figure = customer_figures.make_history_figure(history["points"])
    return c.graph(ids.PREDICT_HISTORY, figure, height="340px")


def why_view(explanation: dict) -> dbc.Row:
    """The waterfall of the explanation and its top three reasons in words."""
    return dbc.Row(
        [
            dbc.Col(
                c.graph(
                    ids.PREDICT_WATERFALL_GRAPH,
                    customer_figures.make_waterfall_figure(explanation),
                ),
                lg=8,
            ),
            dbc.Col(
                html.Div(
                    [
                        html.H6("Top reasons"),
                        html.Ol([html.Li(r) for r in reasons(explanation)], id=ids.PREDICT_REASONS),
                        html.P(
                            f"Baseline (an average customer): {c.money(explanation['baseline_clv'])}."
                            " Factors multiply the baseline; they come from exact TreeSHAP "
                            "contributions of both models.",
                            className="text-muted small mb-0",
                        ),
                    ],
                    className="panel",
                ),
                lg=4,
            ),
        ]
    )


@callback(
    Output(ids.PREDICT_RESULT, "children"),
    Output({"type": ids.PREDICT_FEATURE, "name": ALL}, "value"),
    Input(ids.PREDICT_BUTTON, "n_clicks"),
    Input(ids.PREDICT_ID, "value"),
    State({"type": ids.PREDICT_FEATURE, "name": ALL}, "id"),
)
@c.version_callback
def update_prediction(art: store.Artifacts, _clicks, customer_id, feature_ids):
    """Look the customer up; fill the what-if form with its features."""
    if not customer_id or not str(customer_id).strip():
        return html.Div(), [no_update] * len(feature_ids)
    try:
        p = scoring.customer_prediction(art, str(customer_id))
    except store.UnknownCustomer:
        alert = dbc.Alert(
            f"No customer with id {str(customer_id).strip()!r} in the scored data.",
            color="warning",
            id=ids.PREDICT_UNKNOWN,
        )
        return alert, [no_update] * len(feature_ids)
    return result_view(p), [p["features"].get(f["name"]) for f in feature_ids]


@callback(
    Output(ids.PREDICT_WHATIF_RESULT, "children"),
    Input({"type": ids.PREDICT_FEATURE, "name": ALL}, "value"),
    State({"type": ids.PREDICT_FEATURE, "name": ALL}, "id"),
)
@c.version_callback
def update_whatif(art: store.Artifacts, values, feature_ids):
    """Score the form's values as a what-if customer."""
    features = {f["name"]: v for f, v in zip(feature_ids, values) if v is not None and v != ""}
    try:
        p = scoring.whatif_prediction(art, features)
    except scoring.InvalidFeatures as exc:
        return dbc.Alert(
            ["Cannot score these values: ", html.Ul([html.Li(x) for x in exc.problems])],
            color="warning",
            className="mb-0",
            id=ids.PREDICT_WHATIF_INVALID,
        )
    return dbc.Alert(
        [
            html.Span("What-if prediction: ", className="fw-semibold"),
            html.Span(
                c.money(p["predicted_clv_6m"]), id=ids.PREDICT_WHATIF_CLV, className="fs-5 fw-bold"
            ),
            html.Span(
                f" ({c.money_range(p['clv_p10'], p['clv_p90'], p['interval_level'])})"
                if p["interval_level"]
                else "",
                id=ids.PREDICT_WHATIF_RANGE,
            ),
            html.Span(
                f"  ·  P(purchase) {c.pct(p['p_purchase'])}  ·  decile {p['decile']}"
                f"  ·  {p['segment']}"
            ),
        ],
        color="info",
        className="mb-0",
    )
