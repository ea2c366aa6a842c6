"""Reusable layout builders (shell, navbar, KPI cards, alerts, formatting) and the guard that shows
the no-model alert when a page or callback finds no readable version."""

from __future__ import annotations

import functools
from collections.abc import Callable

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from portal import ids, store
from portal.extensions import final_dir


def money(value: float | None) -> str:
    """$1,234.56 (-$1,234.56) for display only (values stay floats everywhere else)."""
    if value is None:
        return "—"
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


# a customer's central 80% interval, as AG Grid columns (blank for a version without intervals)
INTERVAL_COLUMNS = [
    {
        "field": field,
        "headerName": name,
        "headerTooltip": tip,
        "sortable": False,
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('$,.2f')(params.value)"
        },
    }
    for field, name, tip in (
        ("clv_p10", "P10", "10% chance of spending less"),
        ("clv_p90", "P90", "10% chance of spending more"),
    )
]


def money_range(low: float | None, high: float | None, level: float | None) -> str:
    """'80% range $1.00 – $2.00', or '' where the version has no intervals."""
    if low is None or high is None or level is None:
        return ""
    return f"{level:.0%} range {money(low)} – {money(high)}"


def pct(value: float | None, digits: int = 1) -> str:
    """A 0..1 share as a percentage string."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def navbar() -> dbc.Navbar:
    """Top navigation built from the page registry (pages with an order)."""
    pages = [p for p in dash.page_registry.values() if p.get("order") is not None]
    links = [
        dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], active="exact"))
        for p in sorted(pages, key=lambda p: p["order"])
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.I(className="bi bi-graph-up-arrow me-2"), "CLV portal"], href="/"
                ),
                dbc.NavbarToggler(id=ids.SHELL_NAVBAR_TOGGLER),
                dbc.Collapse(
                    dbc.Nav(links, navbar=True, className="ms-auto"),
                    id=ids.SHELL_NAVBAR_COLLAPSE,
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )


def shell() -> html.Div:
    """The app layout: navbar and the current page."""
    return html.Div(
        [
            navbar(),
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )


def kpi_card(label: str, value: str, note: str = "", id_: str | None = None) -> dbc.Card:
    """A small card with a big number."""
    body = [html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value")]
    if note:
        body.append(html.Div(note, className="kpi-note"))
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100", **({"id": id_} if id_ else {}))


def kpi_row(cards: list) -> dbc.Row:
    """Cards in a responsive row (stacked on phones)."""
    return dbc.Row([dbc.Col(c, xs=12, sm=6, lg=True, className="mb-3") for c in cards])


def no_backtest_alert(backtest: dict, id_: str) -> dbc.Alert | None:
    """A warning when a version has no backtest (its history was too short); None when it has."""
    if backtest.get("available", True):  # versions before the flag always had one
        return None
    return dbc.Alert(
        [html.I(className="bi bi-exclamation-triangle me-2"), backtest["note"] + "."],
        color="warning",
        id=id_,
    )


def monitoring_warning(found: list[str]) -> dbc.Alert | None:
    """The overview's warning when the serving version's realised figures leave their bounds."""
    if not found:
        return None
    return dbc.Alert(
        [
            html.I(className="bi bi-exclamation-octagon me-2"),
            f"The serving version's realised figures: {'; '.join(found)}. ",
            html.A("See monitoring", href="/monitoring"),
        ],
        color="danger",
        id=ids.HOME_MONITORING_WARNING,
    )


REASON_CHARS = 200  # the alert quotes this much of why the version cannot be read


def not_ready(problem: Exception | str) -> dbc.Alert:
    """Shown instead of a page when no version is served or its files cannot be read."""
    text = str(problem).strip()
    reason = text.splitlines()[0] if text else type(problem).__name__
    if len(reason) > REASON_CHARS:
        reason = reason[: REASON_CHARS - 1] + "…"
    return dbc.Alert(
        [
            html.H4("No model yet", className="alert-heading"),
            html.P(reason, id=ids.NO_MODEL_REASON),
            html.P(
                [
                    "Train one with ",
                    html.Code("make train"),
                    ", or from your own file on the ",
                    html.A("Your data", href="/data"),
                    " page, then reload.",
                ]
            ),
        ],
        color="warning",
        className="mt-3",
        id=ids.NO_MODEL,
    )


def served() -> store.Artifacts:
    """The version being served.

    Raises:
        store.ArtifactsMissing: there is none, or its files cannot be read.
    """
    return store.current(final_dir())


def version_alert() -> dbc.Alert | None:
    """For pages that work without a model: the no-model alert, or None when one is served."""
    try:
        served()
    except store.ArtifactsMissing as exc:
        return not_ready(exc)
    return None


def version_page(layout: Callable) -> Callable:
    """Decorate a page layout taking the served version first: without a readable version the
    page is the no-model alert; with one, its content sits in the page body."""

    @functools.wraps(layout)
    def page(**kwargs):
        try:
            art = served()
        except store.ArtifactsMissing as exc:
            return not_ready(exc)
        return html.Div(layout(art, **kwargs), id=ids.PAGE_BODY)

    return page


def version_callback(callback: Callable) -> Callable:
    """Decorate a page callback taking the served version first: when the version is gone or
    broken, the page body becomes the no-model alert and no output changes."""

    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            art = served()
        except store.ArtifactsMissing as exc:
            dash.set_props(ids.PAGE_BODY, {"children": not_ready(exc)})
            return dash.no_update
        return callback(art, *args, **kwargs)

    return run


def page_header(title: str, subtitle: str) -> html.Div:
    """Page title and a one-line explanation."""
    return html.Div(
        [html.H2(title, className="mb-1"), html.P(subtitle, className="text-muted")],
        className="mb-3",
    )


def graph(id_: str, figure, height: str = "440px") -> dcc.Graph:
    """A chart that resizes with its container (laptop and phone widths)."""
    return dcc.Graph(
        id=id_,
        figure=figure,
        responsive=True,
        className="chart",
        style={"height": height},
        config={"displaylogo": False},
    )


def data_table(headers: list[str], rows: list, id_: str) -> dbc.Table:
    """A compact, responsive table: header labels and a list of html.Tr rows."""
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(rows)],
        id=id_,
        striped=True,
        hover=True,
        responsive=True,
        size="sm",
        className="bg-white",
    )


def grid_panel(title: str, button_id: str, grid_id: str, columns: list, note_id: str) -> html.Div:
    """A titled, paginated AG Grid with a "Download CSV" button and a note below it."""
    return html.Div(
        [
            html.Div(
                [
                    html.H5(title, className="mb-0"),
                    dbc.Button(
                        [html.I(className="bi bi-download me-2"), "Download CSV"],
                        id=button_id,
                        color="primary",
                        size="sm",
                    ),
                ],
                className="d-flex justify-content-between align-items-center mb-2",
            ),
            dag.AgGrid(
                id=grid_id,
                columnDefs=columns,
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True, "minWidth": 110},
                columnSize="responsiveSizeToFit",
                dashGridOptions={"pagination": True, "paginationPageSize": 20},
                style={"height": "480px"},
            ),
            html.Small(id=note_id, className="text-muted"),
        ],
        className="panel",
    )
