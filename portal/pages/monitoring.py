"""Monitoring: every version's predictions against what its customers then spent."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html
from sqlalchemy.exc import SQLAlchemyError

from portal import components as c
from portal import ids, monitoring, registry
from portal import monitoring_figures as figures
from portal.extensions import settings

dash.register_page(
    __name__, path="/monitoring", name="Monitoring", order=7, title="CLV portal: monitoring"
)

HEADERS = [
    "Version",
    "Scored at",
    "Horizon seen",
    "Predicted (pro-rated)",
    "Realised",
    "Calibration",
    "Gini",
    "Backtest Gini",
    "Top-decile",
    "Decile MAPE",
    "Coverage",
    "Drift",
    "",
]
DRIFT_HEADERS = ["Feature", "PSI", ""]
SHOWN_FLAGS = 3  # the most drifted inputs named in the table; the version's drift table has all


def _cell(value, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def version_row(v: dict, current: str | None) -> html.Tr:
    """One version's line of the monitoring table."""
    e = v["evaluation"]
    status = []
    if v["version"] == current:
        status.append(dbc.Badge("serving", color="primary", className="me-1"))
    if v["warnings"]:
        status.append(dbc.Badge("warning", color="danger", title=" ".join(v["warnings"])))
    if e is None:
        cells = [html.Td("not yet observed", colSpan=9, className="text-muted")]
    else:
        predicted = c.money(e["predicted_total"])
        if e["predicted_low"] is not None:
            predicted += f" ({c.money(e['predicted_low'])} – {c.money(e['predicted_high'])})"
        cells = [
            html.Td(f"{e['fraction_observed']:.0%} (to {e['observed_to']})"),
            html.Td(predicted),
            html.Td(c.money(e["realised_total"])),
            html.Td(f"{e['calibration']:.3f}"),
            html.Td(f"{e['normalized_gini']:.3f}"),
            html.Td(_cell(v["backtest_gini"], "{:.3f}")),
            html.Td(c.pct(e["top_decile_capture"])),
            html.Td(_cell(e["decile_mape"], "{:.3f}")),
            html.Td(_cell(e["coverage"], "{:.1%}")),
        ]
    return html.Tr(
        [
            html.Td(html.Code(v["version"])),
            html.Td(v["cutoff"]),
            *cells,
            html.Td(drift_text(v["drift"])),
            html.Td(status),
        ],
        className="table-danger" if v["warnings"] else "",
    )


def drift_text(found: dict | None) -> str:
    """The drift column: which inputs moved (PSI above the threshold) since training."""
    if found is None:
        return "not recorded"
    if not found["flagged"]:
        return f"none above {found['threshold']}"
    flagged = found["flagged"]
    more = f" and {len(flagged) - SHOWN_FLAGS} more" if len(flagged) > SHOWN_FLAGS else ""
    return f"{len(flagged)} above {found['threshold']}: {', '.join(flagged[:SHOWN_FLAGS])}{more}"


def drift_table(found: dict | None) -> html.Div:
    """Every input's PSI between the training snapshots and the scored population."""
    if found is None:
        return html.P("Drift was not recorded for this version.", className="text-muted")
    rows = [
        html.Tr(
            [
                html.Td(f["feature"]),
                html.Td(f"{f['psi']:.3f}"),
                html.Td(dbc.Badge("drifted", color="danger") if f["flagged"] else ""),
            ],
            className="table-danger" if f["flagged"] else "",
        )
        for f in found["features"]
    ]
    return html.Div(
        [
            html.H5("Drift: inputs at scoring vs the training snapshots"),
            html.P(
                f"Population stability index per input; above {found['threshold']} is flagged.",
                className="text-muted",
            ),
            c.data_table(DRIFT_HEADERS, rows, ids.MONITORING_DRIFT_TABLE),
        ]
    )


def layout(**_):
    """The header, the no-model alert when no version is served, and the monitoring body (read
    from the database by a callback)."""
    return html.Div(
        [
            c.page_header(
                "Monitoring",
                "Each version's predictions against what its customers spent after its cutoff. A "
                "partly observed horizon is compared with the prediction pro-rated by the "
                "version's own BG/NBD timing.",
            ),
            c.version_alert(),
            html.Div(id=ids.MONITORING_BODY),
        ]
    )


@callback(Output(ids.MONITORING_BODY, "children"), Input(ids.MONITORING_BODY, "id"))
def show_versions(_id):
    """The monitoring table, totals and quality over time, and the decile picker."""
    config = settings()
    try:
        versions = monitoring.overview(config.data_dir, config.database_url)
    except SQLAlchemyError:
        return dbc.Alert("The database cannot be reached: nothing to monitor.", color="warning")
    judged = [v for v in versions if v["evaluation"]]
    if not judged:
        return dbc.Alert(
            "No version has an observed horizon yet: monitoring runs after each training on the "
            "newer log, or with `python -m portal monitor --transactions FILE`.",
            color="info",
            id=ids.MONITORING_EMPTY,
        )
    current = registry.current_version(config.data_dir)
    chosen = next((v["version"] for v in judged if v["version"] == current), judged[-1]["version"])
    return [
        c.data_table(HEADERS, [version_row(v, current) for v in versions], ids.MONITORING_TABLE),
        dbc.Row(
            [
                dbc.Col(c.graph(ids.MONITORING_TOTALS, figures.make_totals_figure(versions)), lg=6),
                dbc.Col(
                    c.graph(ids.MONITORING_QUALITY, figures.make_quality_figure(versions)), lg=6
                ),
            ]
        ),
        html.Div(
            [
                dbc.Label("Deciles of", html_for=ids.MONITORING_VERSION),
                dbc.Select(
                    id=ids.MONITORING_VERSION,
                    options=[v["version"] for v in judged],
                    value=chosen,
                ),
            ],
            className="panel",
        ),
        c.graph(ids.MONITORING_DECILES, {}),
        html.Div(id=ids.MONITORING_DRIFT),
    ]


@callback(
    Output(ids.MONITORING_DECILES, "figure"),
    Output(ids.MONITORING_DRIFT, "children"),
    Input(ids.MONITORING_VERSION, "value"),
)
def update_version(version):
    """Predicted vs realised by decile, and drift, for the chosen version."""
    config = settings()
    try:
        detail = monitoring.detail(config.data_dir, config.database_url, version)
    except registry.UnknownVersion:
        raise dash.exceptions.PreventUpdate from None
    if detail["evaluation"] is None:
        raise dash.exceptions.PreventUpdate
    deciles = figures.make_decile_figure(detail["evaluation"]["deciles"], version)
    return deciles, drift_table(detail["drift"])
