"""The campaign page's assumptions: the input panel and how its boxes are read."""

import dash_bootstrap_components as dbc
from dash import html

from portal import campaign, ids, marketing, store
from portal import components as c

RANK_BY_LABELS = {
    "predicted_clv": "Predicted 6-month CLV",
    "value_at_risk": "Value at risk",
    "p_purchase": "P(purchase in 6 months)",
}
DEFAULTS = {"cost": 1.0, "margin": 30.0, "uplift": 10.0, "response": 5.0, "discount": 0.0}
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
