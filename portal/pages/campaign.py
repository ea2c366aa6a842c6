"""Campaign planner: whom to contact, what it costs and returns; and the named groups."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from portal import campaign, figures, ids, marketing, store
from portal import components as c
from portal.export import send_csv
from portal.extensions import cache, final_dir

dash.register_page(
    __name__, path="/campaign", name="Campaign", order=2.5, title="CLV portal: campaign"
)

GRID_ROWS = 500
CURVE_POINTS = 400
RANK_BY_LABELS = {
    "predicted_clv": "Predicted 6-month CLV",
    "value_at_risk": "Value at risk",
    "p_purchase": "P(purchase in 6 months)",
}
DEFAULTS = {"cost": 1.0, "margin": 30.0, "uplift": 10.0, "response": 5.0, "discount": 0.0}
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


def number_input(id_: str, label: str, value, unit: str, prefix: bool = False, **options):
    """A labelled number box with its unit (no browser-side limits: out of range, the browser
    would send nothing, and the page names the problem instead)."""
    unit_text = dbc.InputGroupText(unit)
    box = dbc.Input(id=id_, type="number", value=value, debounce=True, **options)
    return html.Div(
        [
            dbc.Label(label, html_for=id_, className="small mb-1"),
            dbc.InputGroup([unit_text, box] if prefix else [box, unit_text], size="sm"),
        ],
        className="mb-2",
    )


def inputs_panel(art: store.Artifacts) -> html.Div:
    """Ranking, costs and the campaign's effect."""
    order_value = marketing.mean_order_value(art.table)
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Rank customers by", html_for=ids.CAMPAIGN_RANK_BY),
                            dbc.Select(
                                id=ids.CAMPAIGN_RANK_BY,
                                options=[
                                    {"label": v, "value": k} for k, v in RANK_BY_LABELS.items()
                                ],
                                value="predicted_clv",
                                size="sm",
                            ),
                        ],
                        md=4,
                        className="mb-2",
                    ),
                    dbc.Col(
                        number_input(
                            ids.CAMPAIGN_COST,
                            "Contact cost per customer",
                            DEFAULTS["cost"],
                            "$",
                            prefix=True,
                            step=0.01,
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        number_input(
                            ids.CAMPAIGN_MARGIN,
                            "Gross margin",
                            DEFAULTS["margin"],
                            "%",
                            step=0.1,
                        ),
                        md=4,
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Effect of the campaign", html_for=ids.CAMPAIGN_EFFECT),
                            dbc.RadioItems(
                                id=ids.CAMPAIGN_EFFECT,
                                options=[
                                    {
                                        "label": "Uplift: a share of predicted spend",
                                        "value": "uplift",
                                    },
                                    {
                                        "label": "Response: rate × P(active) × order value",
                                        "value": "response",
                                    },
                                ],
                                value="uplift",
                            ),
                        ],
                        md=4,
                        className="mb-2",
                    ),
                    dbc.Col(
                        [
                            number_input(
                                ids.CAMPAIGN_UPLIFT,
                                "Uplift on predicted 6-month spend",
                                DEFAULTS["uplift"],
                                "%",
                                step=0.1,
                            ),
                            number_input(
                                ids.CAMPAIGN_DISCOUNT,
                                "Discount on the extra revenue",
                                DEFAULTS["discount"],
                                "%",
                                step=0.1,
                            ),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            number_input(
                                ids.CAMPAIGN_RESPONSE,
                                "Response rate",
                                DEFAULTS["response"],
                                "%",
                                step=0.1,
                                disabled=True,
                            ),
                            number_input(
                                ids.CAMPAIGN_ORDER_VALUE,
                                f"Order value (empty: the mean, {c.money(order_value)})",
                                None,
                                "$",
                                prefix=True,
                                step=0.01,
                                disabled=True,
                            ),
                        ],
                        md=4,
                    ),
                ]
            ),
        ],
        className="panel",
    )


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


def layout(**_):
    """Inputs, the profit curve and its numbers, the audience, and the named groups."""
    art, alert = c.load_artifacts()
    if alert:
        return alert
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


def read_assumptions(cost, margin, effect, uplift, response, order_value, discount):
    """Campaign assumptions from the page's boxes (percentages become shares).

    Raises:
        campaign.InvalidAssumptions: empty or out-of-range boxes, named in the page's units.
    """
    shares = {"gross margin": margin, "uplift": uplift, "response rate": response}
    shares["discount"] = discount
    empty = [name for name, v in {"contact cost": cost, **shares}.items() if v in (None, "")]
    if empty:
        raise campaign.InvalidAssumptions(f"enter a number for: {', '.join(empty)}")
    try:
        problems = [
            f"{name} must be between 0 and 100%"
            for name, v in shares.items()
            if not 0 <= float(v) <= 100
        ]
        if float(cost) < 0:
            problems.insert(0, "contact cost must be at least 0")
        order_value = None if order_value in (None, "") else float(order_value)
        if order_value is not None and order_value < 0:
            problems.append("order value must be at least 0")
        if problems:
            raise campaign.InvalidAssumptions("; ".join(problems))
        return campaign.Assumptions(
            contact_cost=float(cost),
            margin=float(margin) / 100,
            effect=effect,
            uplift=float(uplift) / 100,
            response_rate=float(response) / 100,
            order_value=order_value,
            discount=float(discount) / 100,
        )
    except (TypeError, ValueError) as exc:
        raise campaign.InvalidAssumptions(str(exc)) from None


PLAN_INPUTS = [
    ids.CAMPAIGN_RANK_BY,
    ids.CAMPAIGN_COST,
    ids.CAMPAIGN_MARGIN,
    ids.CAMPAIGN_EFFECT,
    ids.CAMPAIGN_UPLIFT,
    ids.CAMPAIGN_RESPONSE,
    ids.CAMPAIGN_ORDER_VALUE,
    ids.CAMPAIGN_DISCOUNT,
]


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
def update_plan(rank_by, *boxes):
    """Recompute the plan for the inputs (a named alert for an unusable one)."""
    try:
        assumptions = read_assumptions(*boxes)
    except campaign.InvalidAssumptions as exc:
        alert = dbc.Alert(f"Cannot plan: {exc}.", color="warning", id="campaign-invalid")
        return alert, no_update, no_update, no_update, no_update
    rank_by = rank_by if rank_by in campaign.RANK_BY else "predicted_clv"
    return None, *plan_view(store.current(final_dir()), assumptions, rank_by)


@cache.memoize()
def plan_view(art: store.Artifacts, assumptions: campaign.Assumptions, rank_by: str) -> tuple:
    """KPI cards, profit figure, the first grid rows and a note, for one version and plan."""
    plan = store.campaign_plan(art, assumptions, rank_by)
    curve = plan.curve(CURVE_POINTS)
    k = plan.best_count
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
            id_="campaign-best",
        ),
        c.kpi_card(
            "Expected profit there",
            c.money(curve["best_profit"]),
            profit_note(store.profit_range(art, plan, rank_by), curve["random_profit_at_best"]),
            id_="campaign-profit",
        ),
        c.kpi_card(
            "Budget and ROI",
            c.money(curve["best_budget"]),
            "ROI —" if curve["best_roi"] is None else f"ROI {curve['best_roi']:.0%}",
            id_="campaign-budget",
        ),
        c.kpi_card(
            "Contact everyone",
            c.money(curve["everyone_profit"]),
            "ROI —" if curve["everyone_roi"] is None else f"ROI {curve['everyone_roi']:.0%}",
            id_="campaign-everyone",
        ),
    ]
    rows = audience_rows(art, rank_by, min(k, GRID_ROWS))
    note = (
        f"Showing the first {GRID_ROWS:,} of {k:,}; the CSV has them all."
        if k > GRID_ROWS
        else f"All {k:,} customers shown; the CSV has the same rows and every field."
    )
    return c.kpi_row(cards), figures.make_profit_figure(curve).to_plotly_json(), rows, note


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
def download_audience(n_clicks, rank_by, *boxes):
    """The whole most profitable audience as CSV, every field."""
    if not n_clicks:
        return no_update
    try:
        assumptions = read_assumptions(*boxes)
    except campaign.InvalidAssumptions:
        return no_update
    rank_by = rank_by if rank_by in campaign.RANK_BY else "predicted_clv"
    art = store.current(final_dir())
    count = store.campaign_plan(art, assumptions, rank_by).best_count
    return send_csv(
        store.audience(art, rank_by, count), f"campaign_{rank_by}_top_{count}_{art.version}.csv"
    )
