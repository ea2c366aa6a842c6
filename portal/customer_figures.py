"""Pure figure builders of the predict page: one customer's spend, explanation and history."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from portal.figures import COLORS, _base


def make_customer_figure(
    past_6m: float,
    past_12m_half: float,
    predicted: float,
    actual: float | None = None,
    band: tuple[float | None, float | None, float | None] = (None, None, None),
) -> go.Figure:
    """The customer's past spend next to the predicted (and, in a backtest, actual) next 6 months;
    ``band`` (low, high, level) shades the prediction's interval where the version has one."""
    fig = _base("Past spend vs predicted next 6 months", "", "Spend ($)")
    labels = ["Last 6 months", "Half of last 12 months", "Predicted next 6 months"]
    values = [past_6m, past_12m_half, predicted]
    colors = [COLORS["random"], COLORS["random"], COLORS["model"]]
    if actual is not None:
        labels.append("Actual next 6 months")
        values.append(actual)
        colors.append(COLORS["actual"])
    fig.add_bar(
        x=labels,
        y=values,
        marker_color=colors,
        hovertemplate="%{x}: $%{y:,.2f}<extra></extra>",
        name="Spend",
    )
    low, high, level = band
    if level is not None:
        at = labels.index("Predicted next 6 months")
        fig.add_shape(
            type="rect",
            x0=at - 0.45,
            x1=at + 0.45,
            y0=low,
            y1=high,
            fillcolor=COLORS["model"],
            opacity=0.18,
            line={"color": COLORS["model"], "dash": "dot"},
        )
        fig.add_annotation(
            x=at, y=high, text=f"{level:.0%} range", showarrow=False, yshift=10, name="band"
        )
    fig.update_yaxes(tickprefix="$")
    fig.update_layout(showlegend=False)
    return fig


def make_waterfall_figure(explanation: dict, top: int = 8) -> go.Figure:
    """From the baseline to this prediction in log(CLV) steps, each labelled with its factor.

    The ``top`` largest contributions are shown one by one; the rest are summed into one step.
    """
    items = explanation["contributions"]
    shown, rest = items[:top], items[top:]
    labels = ["Baseline"] + [i["feature"] for i in shown]
    steps = [explanation["baseline_log"]] + [i["log_contribution"] for i in shown]
    texts = [f"${explanation['baseline_clv']:,.2f}"] + [f"×{i['factor']:.2f}" for i in shown]
    if rest:
        other = sum(i["log_contribution"] for i in rest)
        labels.append(f"{len(rest)} other features")
        steps.append(other)
        texts.append(f"×{np.exp(other):.2f}")
    total = explanation["baseline_log"] + sum(i["log_contribution"] for i in items)
    labels.append("Prediction")
    steps.append(total)
    texts.append(f"${np.exp(total):,.2f}")
    fig = _base(
        "Why this prediction: contributions to log(predicted CLV)",
        "",
        "log of predicted 6-month CLV ($)",
    )
    fig.add_trace(
        go.Waterfall(
            x=labels,
            y=steps,
            text=texts,
            textposition="outside",
            measure=["absolute"] + ["relative"] * (len(steps) - 2) + ["total"],
            increasing={"marker": {"color": COLORS["oracle"]}},
            decreasing={"marker": {"color": COLORS["accent"]}},
            totals={"marker": {"color": COLORS["model"]}},
            hovertemplate="%{x}: %{text}<extra></extra>",
            name="Contribution",
        )
    )
    fig.update_layout(showlegend=False)
    return fig


def make_history_figure(points: list[dict]) -> go.Figure:
    """Predicted 6-month CLV of one customer in every recorded run, by scoring date."""
    fig = _base("Predicted 6-month CLV across model runs", "Scored as of", "Predicted CLV ($)")
    fig.add_scatter(
        x=[p["cutoff"] for p in points],
        y=[p["predicted_clv_6m"] for p in points],
        customdata=[[p["version"], p["segment"]] for p in points],
        mode="lines+markers",
        marker={"size": 9, "color": COLORS["model"]},
        line={"color": COLORS["model"]},
        hovertemplate="%{x}: $%{y:,.2f} (%{customdata[1]})<br>%{customdata[0]}<extra></extra>",
        name="Predicted",
    )
    current = [p for p in points if p.get("current")]
    if current:
        fig.add_scatter(
            x=[current[0]["cutoff"]],
            y=[current[0]["predicted_clv_6m"]],
            mode="markers",
            marker={"size": 15, "color": COLORS["accent"], "symbol": "circle-open"},
            hoverinfo="skip",
            name="Current version",
        )
    fig.update_yaxes(tickprefix="$", rangemode="tozero")
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d")
    dates = sorted({p["cutoff"] for p in points})
    if len(dates) == 1:  # one scoring date: show a season around it, not milliseconds
        day = np.datetime64(dates[0])
        fig.update_xaxes(range=[str(day - 90), str(day + 90)])
    return fig
