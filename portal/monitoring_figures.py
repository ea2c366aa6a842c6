"""Pure figure builders of the monitoring page (``portal.monitoring.overview`` rows in)."""

from __future__ import annotations

import plotly.graph_objects as go

from portal.figures import COLORS, _base, make_calibration_figure


def _judged(versions: list[dict]) -> list[dict]:
    return [v for v in versions if v["evaluation"]]


def make_totals_figure(versions: list[dict]) -> go.Figure:
    """Per version (by scoring cutoff): the predicted total of the observed part, with its
    interval where the version has one, next to the realised total."""
    judged = _judged(versions)
    fig = _base("Predicted vs realised total", "Scoring cutoff (version)", "Spend ($)")
    x = [f"{v['cutoff']}<br>{v['evaluation']['fraction_observed']:.0%} seen" for v in judged]
    predicted = [v["evaluation"]["predicted_total"] for v in judged]
    error = {
        "type": "data",
        "symmetric": False,
        "array": [
            None if e["predicted_high"] is None else e["predicted_high"] - e["predicted_total"]
            for e in (v["evaluation"] for v in judged)
        ],
        "arrayminus": [
            None if e["predicted_low"] is None else e["predicted_total"] - e["predicted_low"]
            for e in (v["evaluation"] for v in judged)
        ],
    }
    fig.add_bar(
        x=x, y=predicted, name="Predicted (pro-rated)", marker_color=COLORS["model"], error_y=error
    )
    fig.add_bar(
        x=x,
        y=[v["evaluation"]["realised_total"] for v in judged],
        name="Realised",
        marker_color=COLORS["actual"],
    )
    fig.update_layout(barmode="group")
    return fig


def make_quality_figure(versions: list[dict]) -> go.Figure:
    """Realised normalized Gini and calibration by scoring cutoff; backtest Gini for reference."""
    judged = _judged(versions)
    fig = _base("Realised Gini and calibration over time", "Scoring cutoff (version)", "")
    x = [v["cutoff"] for v in judged]
    fig.add_scatter(
        x=x,
        y=[v["evaluation"]["normalized_gini"] for v in judged],
        mode="lines+markers",
        name="Realised Gini",
        marker_color=COLORS["model"],
    )
    fig.add_scatter(
        x=x,
        y=[v["backtest_gini"] for v in judged],
        mode="markers",
        name="Backtest Gini",
        marker={"color": COLORS["random"], "symbol": "diamond", "size": 10},
    )
    fig.add_scatter(
        x=x,
        y=[v["evaluation"]["calibration"] for v in judged],
        mode="lines+markers",
        name="Calibration (Σp/Σy)",
        marker_color=COLORS["actual"],
    )
    for level in (0.9, 1.1):
        fig.add_hline(y=level, line_dash="dot", line_color=COLORS["random"])
    fig.update_xaxes(type="category")
    return fig


def make_decile_figure(deciles: list[dict], version: str) -> go.Figure:
    """Mean predicted (pro-rated) vs mean realised spend by decile of one version."""
    return make_calibration_figure(deciles, f"Deciles of {version}", actual_name="Realised")
