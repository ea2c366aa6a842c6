"""Overview: KPI cards and the gain curve."""

import dash
from dash import Input, Output, callback, html
from sqlalchemy.exc import SQLAlchemyError

from portal import components as c
from portal import figures, ids, monitoring, registry, store
from portal.artifacts import backtest_available
from portal.extensions import settings

dash.register_page(__name__, path="/", name="Overview", order=0, title="CLV portal: overview")

TOP_PCT = 5.0


@c.version_page
def layout(art: store.Artifacts, **_):
    """KPI cards for the current model and its gain curve."""
    elite = store.elite(art, TOP_PCT)
    backtest = art.metrics["backtest"]
    tested = backtest_available(art.metrics)
    revenue = store.total_revenue_range(art)
    revenue_note = c.money_range(
        revenue["predicted_low"], revenue["predicted_high"], revenue["interval_level"]
    )
    cards = [
        c.kpi_card("Customers", f"{art.n:,}", "scored", id_=ids.HOME_KPI_CUSTOMERS),
        c.kpi_card(
            "Predicted 6-month revenue",
            c.money(store.predicted_total(art)),
            ", ".join(filter(None, [revenue_note, f"from {art.metrics['cutoff']}"])),
            id_=ids.HOME_KPI_REVENUE,
        ),
        c.kpi_card(
            f"Top {TOP_PCT:g}% share of value",
            c.pct(elite["share_of_predicted"]),
            f"{elite['count']:,} customers",
            id_=ids.HOME_KPI_TOP_SHARE,
        ),
        c.kpi_card(
            "Backtest normalized Gini",
            f"{backtest['model']['normalized_gini']:.3f}" if tested else "—",
            f"cutoff {backtest['cutoff']}" if tested else "no backtest possible",
            id_=ids.HOME_KPI_GINI,
        ),
        c.kpi_card(
            "Data as of",
            art.metrics["cutoff"],
            f"{art.metrics['mode']} model {art.version}",
            id_=ids.HOME_KPI_ASOF,
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
            html.Div(id=ids.HOME_MONITORING_BANNER),
            c.no_backtest_alert(backtest, ids.HOME_NO_BACKTEST),
            c.kpi_row(cards),
            graph,
        ]
    )


@callback(
    Output(ids.HOME_MONITORING_BANNER, "children"),
    Input(ids.HOME_MONITORING_BANNER, "id"),
)
@c.version_callback
def show_monitoring_warning(art: store.Artifacts, _id):
    """The serving version's monitoring warnings, read after the page is shown."""
    config = settings()
    try:
        found = monitoring.detail(config.data_dir, config.database_url, art.version)["warnings"]
    except (SQLAlchemyError, registry.UnknownVersion):
        return None
    return c.monitoring_warning(found)
