"""Pure figure builders: data in, go.Figure out. One template for every chart."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "clv"
COLORS = {
    "model": "#2563eb",
    "random": "#9ca3af",
    "oracle": "#16a34a",
    "actual": "#f97316",
    "accent": "#dc2626",
}

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        colorway=list(COLORS.values()),
        margin={"l": 60, "r": 20, "t": 60, "b": 55},
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        plot_bgcolor="white",
        xaxis={"gridcolor": "#e5e7eb", "zeroline": False},
        yaxis={"gridcolor": "#e5e7eb", "zeroline": False},
    )
)


def _base(title: str, x_title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return fig


def _mark(
    fig: go.Figure, x: float, y: float, name: str, text: str, position: str, hover: str
) -> None:
    """A labelled marker on a 0-100% by 0-100% chart, and those axis ranges."""
    fig.add_scatter(
        x=[x],
        y=[y],
        mode="markers+text",
        name=name,
        text=[text],
        marker={"size": 11, "color": COLORS["accent"]},
        textposition=position,
        hovertemplate=hover + "<extra></extra>",
    )
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_yaxes(range=[0, 102], ticksuffix="%")


def make_gain_figure(curve: dict) -> go.Figure:
    """Cumulative gains: model vs random vs oracle, with the top-decile capture marked.

    Args:
        curve: the /api/gain_curve document (x, model, random, oracle, top_decile_capture).
    """
    fig = _base(
        "Cumulative gain: share of actual 6-month spend captured",
        "Customers ranked by predicted CLV (% of customers)",
        "Share of actual spend (%)",
    )
    x = [v * 100 for v in curve["x"]]
    for name, label, dash in (
        ("oracle", "Oracle (perfect ranking)", "dot"),
        ("model", "Model", "solid"),
        ("random", "Random", "dash"),
    ):
        fig.add_scatter(
            x=x,
            y=[v * 100 for v in curve[name]],
            name=label,
            mode="lines",
            line={"color": COLORS[name], "dash": dash, "width": 3 if name == "model" else 2},
            hovertemplate=f"%{{x:.1f}}% of customers → %{{y:.1f}}% of spend<extra>{label}</extra>",
        )
    capture = curve["top_decile_capture"] * 100
    _mark(
        fig,
        10,
        capture,
        "Top-decile capture",
        f"top 10% → {capture:.1f}%",
        "middle right",
        "Top 10% of customers capture %{y:.1f}% of spend",
    )
    return fig


def make_lift_figure(deciles: list[dict]) -> go.Figure:
    """Lift per decile (actual when known, otherwise predicted) with the baseline at 1."""
    has_actual = deciles and deciles[0]["lift"] is not None
    key = "lift" if has_actual else "predicted_lift"
    fig = _base(
        "Decile lift: mean spend per decile ÷ overall mean",
        "Decile (1 = highest predicted CLV)",
        "Lift (×)",
    )
    fig.add_bar(
        x=[d["decile"] for d in deciles],
        y=[d[key] for d in deciles],
        name="Actual lift" if has_actual else "Predicted lift",
        marker_color=COLORS["model"],
        hovertemplate="Decile %{x}: lift %{y:.2f}×<extra></extra>",
    )
    fig.add_hline(
        y=1,
        line_dash="dash",
        line_color=COLORS["random"],
        annotation_text="random = 1×",
        annotation_position="top right",
    )
    fig.update_xaxes(tickmode="linear", dtick=1)
    return fig


def make_calibration_figure(
    deciles: list[dict],
    title: str = "Calibration: predicted vs actual mean spend per decile",
    actual_name: str = "Actual",
) -> go.Figure:
    """Mean predicted vs mean actual 6-month spend per decile (no actual bars without actuals)."""
    fig = _base(title, "Decile (1 = highest predicted CLV)", "Mean 6-month spend ($)")
    x = [d["decile"] for d in deciles]
    fig.add_bar(
        x=x,
        y=[d["mean_predicted"] for d in deciles],
        name="Predicted",
        marker_color=COLORS["model"],
        hovertemplate="Decile %{x}: predicted $%{y:,.2f}<extra></extra>",
    )
    if deciles and deciles[0]["mean_actual"] is not None:
        fig.add_bar(
            x=x,
            y=[d["mean_actual"] for d in deciles],
            name=actual_name,
            marker_color=COLORS["actual"],
            hovertemplate=f"Decile %{{x}}: {actual_name.lower()} $%{{y:,.2f}}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickmode="linear", dtick=1)
    fig.update_yaxes(tickprefix="$")
    return fig


def make_pareto_figure(
    share_x: list[float], share_value: list[float], top_pct: float, segment_share: float
) -> go.Figure:
    """Value concentration: cumulative share of predicted value vs share of customers.

    Args:
        share_x: customer shares (0..1) in rank order.
        share_value: cumulative share of predicted value at each share_x.
        top_pct: the selected top X%.
        segment_share: predicted-value share of that top X% (0..1).
    """
    fig = _base(
        "Value concentration: predicted 6-month CLV",
        "Top customers by predicted CLV (% of customers)",
        "Share of predicted value (%)",
    )
    fig.add_scatter(
        x=[v * 100 for v in share_x],
        y=[v * 100 for v in share_value],
        mode="lines",
        name="Cumulative predicted value",
        fill="tozeroy",
        line={"color": COLORS["model"], "width": 3},
        hovertemplate="Top %{x:.1f}% hold %{y:.1f}% of predicted value<extra></extra>",
    )
    fig.add_vline(x=top_pct, line_dash="dash", line_color=COLORS["accent"])
    _mark(
        fig,
        top_pct,
        segment_share * 100,
        f"Top {top_pct:g}%",
        f"top {top_pct:g}% → {segment_share * 100:.1f}%",
        "bottom right",
        "Top %{x:g}%: %{y:.1f}% of value",
    )
    return fig


def make_importance_figure(importance: dict[str, float], top: int = 15) -> go.Figure:
    """Horizontal bars of each model input's mean |TreeSHAP contribution|, largest on top."""
    items = list(importance.items())[:top][::-1]
    fig = _base(
        "Feature importance: mean |contribution to log CLV| (TreeSHAP)",
        "Mean |log contribution| (0.1 ≈ ×1.1 on the prediction)",
        "",
    )
    fig.add_bar(
        x=[v for _, v in items],
        y=[k for k, _ in items],
        orientation="h",
        marker_color=COLORS["model"],
        hovertemplate="%{y}: mean |contribution| %{x:.3f}<extra></extra>",
    )
    fig.update_layout(height=max(320, 26 * len(items) + 120), margin={"l": 190})
    return fig


def make_coverage_figure(deciles: list[dict], level: float) -> go.Figure:
    """Backtest coverage of the interval per decile: strict (actual inside [P10, P90]) and PIT
    (the mass at 0 shared out), against the nominal level."""
    fig = _base(
        f"Coverage of the {level:.0%} interval in the backtest", "Decile", "Share of customers"
    )
    for key, name, color in (
        ("coverage", "actual inside [P10, P90]", COLORS["random"]),
        ("pit_coverage", "PIT coverage", COLORS["model"]),
    ):
        fig.add_bar(
            x=[d["decile"] for d in deciles],
            y=[d[key] for d in deciles],
            name=name,
            marker_color=color,
            hovertemplate=f"decile %{{x}}: %{{y:.1%}}<extra>{name}</extra>",
        )
    fig.add_hline(
        y=level,
        line_dash="dash",
        line_color=COLORS["actual"],
        annotation_text=f"nominal {level:.0%}",
        annotation_position="top left",
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_xaxes(dtick=1)
    fig.update_layout(barmode="group", height=360)
    return fig


def make_dependence_figure(values: list, contributions: list, feature: str) -> go.Figure:
    """Feature value vs its contribution to log CLV over a sample of customers."""
    fig = _base(
        f"Dependence: {feature}", f"{feature} (value at the cutoff)", "Contribution to log(CLV)"
    )
    fig.add_scatter(
        x=values,
        y=contributions,
        mode="markers",
        name=feature,
        marker={"size": 5, "opacity": 0.45, "color": COLORS["model"]},
        hovertemplate=f"{feature} %{{x:,.2f}} → %{{y:+.3f}}<extra></extra>",
    )
    fig.add_hline(y=0, line_color=COLORS["random"], line_dash="dash")
    return fig


def make_amount_figure(histogram: dict[str, list]) -> go.Figure:
    """Distribution of amounts per row (end bins hold the 1% tails)."""
    edges = np.asarray(histogram["edges"])
    fig = _base("Amount per row", "Amount ($)", "Rows")
    fig.add_bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=histogram["counts"],
        width=np.diff(edges),
        marker_color=COLORS["model"],
        customdata=np.column_stack([edges[:-1], edges[1:]]),
        hovertemplate="$%{customdata[0]:,.2f} … $%{customdata[1]:,.2f}: %{y:,} rows<extra></extra>",
        name="Rows",
    )
    fig.update_xaxes(tickprefix="$")
    fig.update_layout(showlegend=False, bargap=0.05)
    return fig


def make_profit_figure(curve: dict) -> go.Figure:
    """Expected campaign profit over "contact the top X%", against random contact, with the
    optimum and the break-even point marked.

    Args:
        curve: x (% contacted), profit, random (profit of a random audience of the same size),
            best_pct, best_profit and break_even_pct (None when no cut pays).
    """
    fig = _base(
        "Expected campaign profit by audience size",
        "Customers contacted, best first (% of customers)",
        "Expected profit",
    )
    fig.add_scatter(
        x=curve["x"],
        y=curve["profit"],
        name="Ranked audience",
        mode="lines",
        line={"color": COLORS["model"], "width": 3},
        hovertemplate="Top %{x:.1f}% → %{y:$,.2f}<extra></extra>",
    )
    fig.add_scatter(
        x=curve["x"],
        y=curve["random"],
        name="Random audience",
        mode="lines",
        line={"color": COLORS["random"], "dash": "dash", "width": 2},
        hovertemplate="Random %{x:.1f}% → %{y:$,.2f}<extra></extra>",
    )
    fig.add_hline(y=0, line_color="#6b7280", line_width=1)
    fig.add_scatter(
        x=[curve["best_pct"]],
        y=[curve["best_profit"]],
        mode="markers+text",
        name="Most profitable",
        text=[f"best: top {curve['best_pct']:.1f}%"],
        textposition="top right",
        marker={"size": 11, "color": COLORS["accent"]},
        hovertemplate="Best: top %{x:.2f}% → %{y:$,.2f}<extra></extra>",
    )
    if curve["break_even_pct"] is not None:
        fig.add_vline(
            x=curve["break_even_pct"],
            line_dash="dot",
            line_color=COLORS["actual"],
            annotation_text=f"break-even {curve['break_even_pct']:.1f}%",
            annotation_position="bottom left",
        )
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_yaxes(tickprefix="$")
    return fig
