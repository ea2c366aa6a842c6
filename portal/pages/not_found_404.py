"""404 page."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from portal import ids

dash.register_page(__name__, path="/404", name="Not found", title="CLV portal: not found")

layout = dbc.Alert(
    [
        html.H4("Page not found", className="alert-heading"),
        html.P("There is no page at this address."),
        dbc.Button("Back to the overview", href="/", color="primary"),
    ],
    color="light",
    className="mt-4",
    id=ids.NOT_FOUND,
)
