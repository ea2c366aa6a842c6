"""Segments: the top X% by predicted CLV, its value, its customers and a CSV download."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from portal import components as c
from portal import figures, ids, store
from portal.export import send_csv
from portal.extensions import cache

dash.register_page(
    __name__, path="/segments", name="Segments", order=2, title="CLV portal: segments"
)

DEFAULT_PCT = 5.0
GRID_ROWS = 500
CURVE_POINTS = 200
COLUMNS = [
    {"field": "rank", "headerName": "Rank", "maxWidth": 100},
    {"field": "customer_id", "headerName": "Customer", "cellDataType": "text"},
    {
        "field": "predicted_clv_6m",
        "headerName": "Predicted 6m ($)",
        "valueFormatter": {"function": "d3.format('$,.2f')(params.value)"},
    },
    *c.INTERVAL_COLUMNS,
    {
        "field": "p_purchase",
        "headerName": "P(purchase)",
        "valueFormatter": {"function": "d3.format('.1%')(params.value)"},
    },
    {"field": "frequency", "headerName": "Purchases"},
    {"field": "recency_days", "headerName": "Days since last"},
]


@c.version_page
def layout(_art: store.Artifacts, **_):
    """Slider and number input for X, then the segment's numbers, chart and customers."""
    return html.Div(
        [
            c.page_header("Segments", "Pick the top X% of customers by predicted 6-month CLV."),
            html.Div(
                [
                    dbc.Label("Top X% of customers", html_for=ids.SEGMENTS_INPUT),
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Slider(
                                    id=ids.SEGMENTS_SLIDER,
                                    min=0.5,
                                    max=100,
                                    step=0.5,
                                    value=DEFAULT_PCT,
                                    marks={v: f"{v}%" for v in (1, 5, 10, 20, 50, 100)},
                                    tooltip={"placement": "bottom"},
                                    allow_direct_input=False,
                                ),
                                md=9,
                            ),
                            dbc.Col(
                                dbc.InputGroup(
                                    [
                                        dbc.Input(
                                            id=ids.SEGMENTS_INPUT,
                                            type="number",
                                            min=0.5,
                                            max=100,
                                            step=0.5,
                                            value=DEFAULT_PCT,
                                            debounce=True,
                                        ),
                                        dbc.InputGroupText("%"),
                                    ]
                                ),
                                md=3,
                            ),
                        ],
                        className="align-items-center",
                    ),
                ],
                className="panel",
            ),
            html.Div(id=ids.SEGMENTS_KPIS),
            c.graph(ids.SEGMENTS_PARETO, {}),
            c.grid_panel(
                "Customers in the segment",
                ids.SEGMENTS_DOWNLOAD_BUTTON,
                ids.SEGMENTS_GRID,
                COLUMNS,
                ids.SEGMENTS_GRID_NOTE,
            ),
            dcc.Download(id=ids.SEGMENTS_DOWNLOAD),
        ]
    )


def clamp_pct(value) -> float:
    """Read X from the widgets, clamped to 0.5..100 (empty means the default)."""
    try:
        return min(100.0, max(0.5, float(value)))
    except (TypeError, ValueError):
        return DEFAULT_PCT


@callback(
    Output(ids.SEGMENTS_SLIDER, "value"),
    Output(ids.SEGMENTS_INPUT, "value"),
    Output(ids.SEGMENTS_KPIS, "children"),
    Output(ids.SEGMENTS_PARETO, "figure"),
    Output(ids.SEGMENTS_GRID, "rowData"),
    Output(ids.SEGMENTS_GRID_NOTE, "children"),
    Input(ids.SEGMENTS_SLIDER, "value"),
    Input(ids.SEGMENTS_INPUT, "value"),
)
@c.version_callback
def update_segment(art: store.Artifacts, slider_value, input_value):
    """Sync slider and input, then show the segment."""
    raw = input_value if ctx.triggered_id == ids.SEGMENTS_INPUT else slider_value
    top_pct = clamp_pct(raw)
    return (top_pct, top_pct, *segment_view(art, top_pct, segment_data(art, top_pct)))


@cache.memoize()
def segment_data(art: store.Artifacts, top_pct: float) -> dict:
    """The segment's summary, the value curve and its first grid rows, for one version and X
    (cached: X moves in 0.5 steps)."""
    summary = store.elite(art, top_pct)
    fields = [col["field"] for col in COLUMNS]
    page, _ = store.table_page(art, limit=GRID_ROWS, columns=fields, max_rank=summary["count"])
    return {
        "summary": summary,
        "curve": store.value_concentration(art, CURVE_POINTS),
        "rows": page[fields].to_dict("records"),
    }


def segment_view(art: store.Artifacts, top_pct: float, data: dict) -> tuple:
    """KPI cards, Pareto figure, grid rows and note of one segment."""
    summary, curve = data["summary"], data["curve"]
    cards = [
        c.kpi_card(
            "Customers in segment",
            f"{summary['count']:,}",
            f"top {top_pct:g}% of {art.n:,}",
            id_=ids.SEGMENTS_COUNT,
        ),
        c.kpi_card(
            "Predicted 6-month value",
            c.money(summary["predicted_value"]),
            c.money_range(
                summary["predicted_low"], summary["predicted_high"], summary["interval_level"]
            ),
            id_=ids.SEGMENTS_VALUE,
        ),
        c.kpi_card(
            "Share of predicted value", c.pct(summary["share_of_predicted"]), id_=ids.SEGMENTS_SHARE
        ),
    ]
    if summary["share_of_actual"] is not None:
        cards.append(
            c.kpi_card(
                "Share of actual spend (backtest)",
                c.pct(summary["share_of_actual"]),
                id_=ids.SEGMENTS_ACTUAL_SHARE,
            )
        )
    figure = figures.make_pareto_figure(
        curve["x"], curve["share"], top_pct, summary["share_of_predicted"]
    )
    note = (
        f"Showing the first {GRID_ROWS:,} of {summary['count']:,}; the CSV has them all."
        if summary["count"] > GRID_ROWS
        else f"All {summary['count']:,} customers shown."
    )
    return c.kpi_row(cards), figure, data["rows"], note


@callback(
    Output(ids.SEGMENTS_DOWNLOAD, "data"),
    Input(ids.SEGMENTS_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.SEGMENTS_SLIDER, "value"),
    prevent_initial_call=True,
)
@c.version_callback
def download_segment(art: store.Artifacts, n_clicks, top_pct):
    """The whole segment as CSV, with the marketer fields."""
    if not n_clicks:
        return no_update
    top_pct = clamp_pct(top_pct)
    count = store.elite(art, top_pct)["count"]
    rows = store.audience(art, "predicted_clv", count)[store.AUDIENCE_COLUMNS]
    return send_csv(rows, f"clv_top_{top_pct:g}pct_{art.version}.csv")
