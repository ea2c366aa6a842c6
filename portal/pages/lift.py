"""Lift: decile lift bars, the calibration view and the decile table."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from portal import components as c
from portal import figures, ids, store

dash.register_page(__name__, path="/lift", name="Lift", order=1, title="CLV portal: lift")


DECILE_HEADERS = ["Decile", "Customers", "Mean predicted", "Mean actual", "Share of actual", "Lift"]


def decile_table(deciles: list[dict]) -> dbc.Table:
    """The ten deciles as a table."""
    rows = [
        html.Tr(
            [
                html.Td(d["decile"]),
                html.Td(f"{d['customers']:,}"),
                html.Td(c.money(d["mean_predicted"])),
                html.Td(c.money(d["mean_actual"])),
                html.Td(c.pct(d["share_of_actual"])),
                html.Td(
                    f"{d['lift']:.2f}×"
                    if d["lift"] is not None
                    else f"{d['predicted_lift']:.2f}× (pred.)"
                ),
            ]
        )
        for d in deciles
    ]
    return c.data_table(DECILE_HEADERS, rows, ids.LIFT_TABLE)


@c.version_page
def layout(art: store.Artifacts, **_):
    """Lift and calibration by decile for the current model."""
    lift = store.decile_lift(art)
    note = (
        f"Decile MAPE (calibration error by decile): {lift['decile_mape']:.3f}"
        if art.has_actuals
        else "No actuals yet: lift shown on predictions."
    )
    return html.Div(
        [
            c.page_header(
                "Lift", "Customers ranked by predicted CLV and cut into ten equal deciles."
            ),
            dbc.Row(
                [
                    dbc.Col(
                        c.graph(ids.LIFT_GRAPH, figures.make_lift_figure(lift["deciles"])), lg=6
                    ),
                    dbc.Col(
                        c.graph(
                            ids.LIFT_CALIBRATION, figures.make_calibration_figure(lift["deciles"])
                        ),
                        lg=6,
                    ),
                ]
            ),
            html.P(note, className="text-muted"),
            decile_table(lift["deciles"]),
        ]
    )
