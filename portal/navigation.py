"""The navbar's collapse toggle on narrow screens (a clientside callback)."""

from dash import Input, Output, State, clientside_callback

clientside_callback(
    "function(n, open) { return n ? !open : open; }",
    Output("shell-navbar-collapse", "is_open"),
    Input("shell-navbar-toggler", "n_clicks"),
    State("shell-navbar-collapse", "is_open"),
)
