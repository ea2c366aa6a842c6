"""Overview: KPI cards and the gain curve."""

import dash
from dash import html

from portal import components as c
from portal import figures, ids, store
from portal.artifacts import backtest_available

dash.register_page(__name__, path="/", name="Overview", order=0, title="CLV portal: overview")

TOP_PCT = 5.0


def layout(**_):
    """KPI cards for the current model and its gain curve."""
    art, alert = c.load_artifacts()
    if alert:
        return alert
    elite = store.elite(art, TOP_PCT)
    backtest = art.metrics["backtest"]
    tested = backtest_available(art.metrics)
    revenue = store.revenue_range(art)
    revenue_note = c.money_range(
        revenue["predicted_low"], revenue["predicted_high"], revenue["interval_level"]
    )
    cards = [
        c.kpi_card("Customers", f"{art.n:,}", "scored", id_="home-kpi-customers"),
        c.kpi_card(
            "Predicted 6-month revenue",
            c.money(float(art.predicted.sum())),
            ", ".join(filter(None, [revenue_note, f"from {art.metrics['cutoff']}"])),
            id_="home-kpi-revenue",
        ),
        c.kpi_card(
            f"Top {TOP_PCT:g}% share of value",
            c.pct(elite["share_of_predicted"]),
            f"{elite['count']:,} customers",
            id_="home-kpi-top-share",
        ),
        c.kpi_card(
            "Backtest normalized Gini",
            f"{backtest['model']['normalized_gini']:.3f}" if tested else "—",
            f"cutoff {backtest['cutoff']}" if tested else "no backtest possible",
            id_="home-kpi-gini",
        ),
        c.kpi_card(
            "Data as of",
            art.metrics["cutoff"],
            f"{art.metrics['mode']} model {art.version}",
            id_="home-kpi-asof",
        ),
    ]
    if art.has_actuals:
        graph = c.graph(ids.HOME_GAIN, figures.make_gain_figure(store.gain_curve(art, 200)))
    else:
        graph = html.P(
            "The gain curve needs actual spend: it appears for backtest models.",
            className="text-muted",
        )
    return html.Div(
        [
            c.page_header(
                "Overview",
                "Predicted spend over the next 6 months for every customer, "
                "and how well the ranking held up on data the model never saw.",
            ),
            c.monitoring_banner(art.version),
            c.no_backtest_alert(backtest, ids.HOME_NO_BACKTEST),
            c.kpi_row(cards),
            graph,
        ]
    )
