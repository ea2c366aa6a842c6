"""Campaign planner: whom to contact, what it costs and returns; and the named groups."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from portal import campaign, figures, ids, store
from portal import components as c
from portal.export import send_csv
from portal.extensions import cache
from portal.pages.campaign_inputs import PLAN_INPUTS, inputs_panel, read_assumptions

dash.register_page(
    __name__, path="/campaign", name="Campaign", order=2.5, title="CLV portal: campaign"
)

GRID_ROWS = 500
CURVE_POINTS = 400
MONEY = {"function": "params.value == null ? '' : d3.format('$,.2f')(params.value)"}
SHARE = {"function": "params.value == null ? '' : d3.format('.1%')(params.value)"}
COLUMNS = [
    {"field": "audience_rank", "headerName": "#", "maxWidth": 90},
    {"field": "customer_id", "headerName": "Customer", "cellDataType": "text"},
    {"field": "predicted_clv_6m", "headerName": "Predicted 6m", "valueFormatter": MONEY},
    {"field": "p_purchase", "headerName": "P(purchase)", "valueFormatter": SHARE},
    {"field": "p_active", "headerName": "P(active)", "valueFormatter": SHARE},
    {"field": "value_at_risk", "headerName": "Value at risk", "valueFormatter": MONEY},
    {"field": "next_order_date", "headerName": "Next order (if active)"},
    {"field": "group", "headerName": "Group"},
]


def groups_table(art: store.Artifacts) -> dbc.Table:
    """Customers and value of every named group, with its definition."""
    summary = store.groups(art)
    headers = ["Group", "Definition", "Customers", "Predicted 6m value", "Historic spend"]
    if art.has_actuals:
        headers.append("Actual 6m (backtest)")
    rows = []
    for g in summary["groups"]:
        cells = [
            html.Td(html.Strong(g["group"])),
            html.Td(g["definition"], className="small"),
            html.Td(f"{g['customers']:,} ({g['customers'] / max(art.n, 1):.1%})"),
            html.Td(c.money(g["predicted_value"])),
            html.Td(c.money(g["historic_spend"])),
        ]
        if art.has_actuals:
            cells.append(html.Td(c.money(g["actual_6m"])))
        rows.append(html.Tr(cells))
    return c.data_table(headers, rows, ids.CAMPAIGN_GROUPS)


@c.version_page
def layout(art: store.Artifacts, **_):
    """Inputs, the profit curve and its numbers, the audience, and the named groups."""
    return html.Div(
        [
            c.page_header(
                "Campaign planner",
                "Expected profit of contacting the top X% of customers: whom to target, what it "
                "costs and what it returns over the next 6 months.",
            ),
            inputs_panel(art),
            html.Div(id=ids.CAMPAIGN_ALERT),
            html.Div(id=ids.CAMPAIGN_KPIS),
            c.graph(ids.CAMPAIGN_GRAPH, {}),
            c.grid_panel(
                "The most profitable audience",
                ids.CAMPAIGN_DOWNLOAD_BUTTON,
                ids.CAMPAIGN_GRID,
                COLUMNS,
                ids.CAMPAIGN_GRID_NOTE,
            ),
            dcc.Download(id=ids.CAMPAIGN_DOWNLOAD),
            html.Div(
                [
                    html.H5("Named groups", className="mb-1"),
                    html.P(
                        "Each customer is in the first group that matches, or in none.",
                        className="text-muted small",
                    ),
                    groups_table(art),
                ],
                className="panel",
            ),
        ]
    )


@callback(
    Output(ids.CAMPAIGN_UPLIFT, "disabled"),
    Output(ids.CAMPAIGN_RESPONSE, "disabled"),
    Output(ids.CAMPAIGN_ORDER_VALUE, "disabled"),
    Input(ids.CAMPAIGN_EFFECT, "value"),
)
def toggle_effect_inputs(effect):
    """Only the chosen effect's boxes are editable."""
    response = effect == "response"
    return response, not response, not response


@callback(
    Output(ids.CAMPAIGN_ALERT, "children"),
    Output(ids.CAMPAIGN_KPIS, "children"),
    Output(ids.CAMPAIGN_GRAPH, "figure"),
    Output(ids.CAMPAIGN_GRID, "rowData"),
    Output(ids.CAMPAIGN_GRID_NOTE, "children"),
    *[Input(id_, "value") for id_ in PLAN_INPUTS],
)
@c.version_callback
def update_plan(art: store.Artifacts, rank_by, *boxes):
    """Recompute the plan for the inputs (a named alert for an unusable one)."""
    try:
        assumptions = read_assumptions(*boxes)
    except campaign.InvalidAssumptions as exc:
        alert = dbc.Alert(f"Cannot plan: {exc}.", color="warning", id=ids.CAMPAIGN_INVALID)
        return alert, no_update, no_update, no_update, no_update
    rank_by = rank_by if rank_by in campaign.RANK_BY else "predicted_clv"
    return None, *plan_view(art, plan_data(art, assumptions, rank_by))


@cache.memoize()
def plan_data(art: store.Artifacts, assumptions: campaign.Assumptions, rank_by: str) -> dict:
    """The profit curve, the profit's range and the first grid rows, for one version and plan
    (cached: the boxes come back to the same values)."""
    plan = store.campaign_plan(art, assumptions, rank_by)
    return {
        "curve": plan.curve(CURVE_POINTS),
        "band": store.profit_range(art, plan, rank_by),
        "count": plan.best_count,
        "rows": audience_rows(art, rank_by, min(plan.best_count, GRID_ROWS)),
    }


def plan_view(art: store.Artifacts, data: dict) -> tuple:
    """KPI cards, profit figure, grid rows and a note of one plan."""
    curve, k = data["curve"], data["count"]
    break_even = (
        "no cut pays"
        if curve["break_even_pct"] is None
        else f"profit ≥ 0 up to the top {curve['break_even_pct']:.1f}%"
    )
    cards = [
        c.kpi_card(
            "Most profitable audience",
            f"top {curve['best_pct']:.1f}%",
            f"{k:,} of {art.n:,} customers; {break_even}",
            id_=ids.CAMPAIGN_BEST,
        ),
        c.kpi_card(
            "Expected profit there",
            c.money(curve["best_profit"]),
            profit_note(data["band"], curve["random_profit_at_best"]),
            id_=ids.CAMPAIGN_PROFIT,
        ),
        c.kpi_card(
            "Budget and ROI",
            c.money(curve["best_budget"]),
            "ROI —" if curve["best_roi"] is None else f"ROI {curve['best_roi']:.0%}",
            id_=ids.CAMPAIGN_BUDGET,
        ),
        c.kpi_card(
            "Contact everyone",
            c.money(curve["everyone_profit"]),
            "ROI —" if curve["everyone_roi"] is None else f"ROI {curve['everyone_roi']:.0%}",
            id_=ids.CAMPAIGN_EVERYONE,
        ),
    ]
    note = (
        f"Showing the first {GRID_ROWS:,} of {k:,}; the CSV has them all."
        if k > GRID_ROWS
        else f"All {k:,} customers shown; the CSV has the same rows and every field."
    )
    return c.kpi_row(cards), figures.make_profit_figure(curve), data["rows"], note


def profit_note(band: dict | None, random_profit: float) -> str:
    """The profit's interval (when there is one) and a random audience's profit."""
    random = f"random audience of that size: {c.money(random_profit)}"
    if band is None:
        return random
    level = f"{band['level']:.0%}"
    return f"{level} range {c.money(band['low'])} to {c.money(band['high'])}; {random}"


def audience_rows(art: store.Artifacts, rank_by: str, count: int) -> list[dict]:
    """The grid's rows: the columns it shows of ``store.audience``."""
    rows = store.audience(art, rank_by, count)
    return rows[[col["field"] for col in COLUMNS]].to_dict("records")


@callback(
    Output(ids.CAMPAIGN_DOWNLOAD, "data"),
    Input(ids.CAMPAIGN_DOWNLOAD_BUTTON, "n_clicks"),
    *[State(id_, "value") for id_ in PLAN_INPUTS],
    prevent_initial_call=True,
)
@c.version_callback
def download_audience(art: store.Artifacts, n_clicks, rank_by, *boxes):
    """The whole most profitable audience as CSV, every field."""
    if not n_clicks:
        return no_update
    try:
        assumptions = read_assumptions(*boxes)
    except campaign.InvalidAssumptions:
        return no_update
    rank_by = rank_by if rank_by in campaign.RANK_BY else "predicted_clv"
    count = store.campaign_plan(art, assumptions, rank_by).best_count
    return send_csv(
        store.audience(art, rank_by, count), f"campaign_{rank_by}_top_{count}_{art.version}.csv"
    )
