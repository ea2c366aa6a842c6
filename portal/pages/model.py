"""Model: backtest metrics vs baselines, feature importance, training window, version."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html
from sqlalchemy.exc import SQLAlchemyError

from portal import components as c
from portal import db, figures, ids, registry, store
from portal.extensions import settings
from portal.pages.model_views import backtest_view, details, shown

dash.register_page(__name__, path="/model", name="Model", order=5, title="CLV portal: model")


@c.version_page
def layout(art: store.Artifacts, **_):
    """The model card."""
    m = art.metrics
    return html.Div(
        [
            c.page_header(
                "Model",
                "P(purchase) × expected spend if buying (two LightGBM models on RFM, window, "
                "season and BG/NBD features), averaged with BG/NBD + Gamma-Gamma.",
            ),
            *backtest_view(m),
            dbc.Row(
                [
                    dbc.Col(details(m), lg=5),
                    dbc.Col(
                        c.graph(
                            ids.MODEL_IMPORTANCE_GRAPH,
                            figures.make_importance_figure(m["feature_importance"]),
                        ),
                        lg=7,
                    ),
                ]
            ),
            html.Div(
                [
                    dbc.Label("Dependence plot for", html_for=ids.MODEL_DEPENDENCE_FEATURE),
                    dbc.Select(
                        id=ids.MODEL_DEPENDENCE_FEATURE,
                        options=list(m["feature_importance"]),
                        value=next(iter(m["feature_importance"])),
                    ),
                ],
                className="panel",
            ),
            c.graph(ids.MODEL_DEPENDENCE_GRAPH, {}),
            html.Div(id=ids.MODEL_VERSIONS_CARD),
        ]
    )


def versions_card(current: str) -> dbc.Card:
    """Every recorded version, and a control to make an older one current again."""
    config = settings()
    try:
        recorded = registry.with_availability(
            config.data_dir, db.list_versions(config.database_url)
        )
    except SQLAlchemyError:
        body = dbc.Alert(
            "The database cannot be reached: versions are not listed.", color="warning"
        )
        return dbc.Card([dbc.CardHeader("Versions"), dbc.CardBody(body)], className="mt-3")
    rows = [
        html.Tr(
            [
                html.Td(html.Code(v["version"])),
                html.Td(v["trained_at"][:16].replace("T", " ")),
                html.Td(v["trained_by"]),
                html.Td(v["source"]),
                html.Td(v["mode"]),
                html.Td(v["cutoff"]),
                html.Td(f"{v['customers']:,}"),
                html.Td(shown(v["normalized_gini"], "{:.3f}")),
                html.Td("current" if v["version"] == current else ""),
            ],
            className="table-primary" if v["version"] == current else "",
        )
        for v in recorded
    ]
    table = c.data_table(
        ["Version", "Trained (UTC)", "By", "Data", "Mode", "Scored at", "Customers", "Gini", ""],
        rows,
        ids.MODEL_VERSIONS,
    )
    picker = dbc.InputGroup(
        [
            dbc.Select(
                id=ids.MODEL_VERSION_PICK,
                options=[v["version"] for v in recorded if v["available"]],
                value=current,
            ),
            dbc.Button("Make current", id=ids.MODEL_ACTIVATE, color="primary"),
        ],
        className="mt-2",
    )
    return dbc.Card(
        [
            dbc.CardHeader("Versions"),
            dbc.CardBody(
                [
                    html.P(
                        "Every training run is kept. Making an older version current serves "
                        "it at once, without a restart (a rollback).",
                        className="text-muted",
                    ),
                    table,
                    picker,
                    html.Div(id=ids.MODEL_ACTIVATE_RESULT, className="mt-2"),
                ]
            ),
        ],
        className="mt-3",
    )


@callback(
    Output(ids.MODEL_ACTIVATE_RESULT, "children"),
    Input(ids.MODEL_ACTIVATE, "n_clicks"),
    State(ids.MODEL_VERSION_PICK, "value"),
    prevent_initial_call=True,
)
def activate_version(_clicks, version):
    """Switch the current pointer to the chosen version."""
    config = settings()
    try:
        registry.activate_recorded(config.data_dir, config.database_url, version)
    except registry.UnrecordedVersion:
        return dbc.Alert(f"Version {version!r} is not recorded in the database.", color="danger")
    except SQLAlchemyError:
        return dbc.Alert("The database cannot be reached: try again later.", color="danger")
    except registry.UnknownVersion:
        return dbc.Alert(f"No complete version {version!r}.", color="danger")
    return dbc.Alert(
        [f"Version {version} is now current. ", html.A("Reload", href="/model"), " to see it."],
        color="success",
        id=ids.MODEL_ACTIVATE_DONE,
    )


@callback(
    Output(ids.MODEL_VERSIONS_CARD, "children"),
    Input(ids.MODEL_VERSIONS_CARD, "id"),
)
@c.version_callback
def show_versions(art: store.Artifacts, _id):
    """The versions card, read from the database after the page is shown."""
    return versions_card(art.version)


@callback(
    Output(ids.MODEL_DEPENDENCE_GRAPH, "figure"),
    Input(ids.MODEL_DEPENDENCE_FEATURE, "value"),
)
@c.version_callback
def update_dependence(art: store.Artifacts, feature):
    """Value vs contribution of the chosen feature over 2,000 customers."""
    data = store.dependence(art, feature)
    return figures.make_dependence_figure(data["values"], data["contributions"], feature)
