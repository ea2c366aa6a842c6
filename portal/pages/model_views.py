"""The model page's views: backtest figures, interval coverage, season and the version's details."""

import dash_bootstrap_components as dbc
from dash import html

from portal import analytics, figures, ids
from portal import components as c
from portal.artifacts import backtest_available

METHODS = {
    "model": "Our model (LightGBM hurdle + classical)",
    "last_6m_repeated": "Last 6 months repeated",
    "half_last_12m": "Half of last 12 months",
    "bgnbd_gamma_gamma": "BG/NBD + Gamma-Gamma",
}


def metrics_table(backtest: dict) -> dbc.Table:
    """Backtest figures of the model and the naive baselines."""
    rows = [
        html.Tr(
            [html.Td(label)]
            + [
                html.Td(shown(backtest[key].get(m.name), m.fmt)) for m in analytics.BACKTEST_METRICS
            ],
            className="table-primary" if key == "model" else "",
        )
        for key, label in METHODS.items()
        if key in backtest
    ]
    return c.data_table(
        ["Method"] + [m.label for m in analytics.BACKTEST_METRICS], rows, ids.MODEL_METRICS_TABLE
    )


def shown(value: float | None, fmt: str) -> str:
    """A figure as the page shows it; '—' for one an older version did not record."""
    return "—" if value is None else fmt.format(value)


MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def season_text(season: dict | None) -> str:
    """What the model saw of the season and the trend (older versions: not recorded)."""
    if not season:
        return "not recorded for this version"
    if not season["visible"]:
        return season["note"]
    factors = season["season_by_month"]
    busiest, quietest = (
        max(range(12), key=factors.__getitem__),
        min(range(12), key=factors.__getitem__),
    )
    return (
        f"seen over {season['months_of_history']} months: busiest {MONTHS[busiest]} "
        f"×{factors[busiest]:.2f}, quietest {MONTHS[quietest]} ×{factors[quietest]:.2f}; "
        f"trend {season['growth_per_year']:+.0%} a year"
    )


def correction_text(correction: dict | None) -> str:
    """The total's check on the validation window, and the backtest calibration before and after."""
    if not correction:
        return "not recorded for this version"
    before = correction["backtest_calibration_before"]
    after = correction["backtest_calibration_after"]
    if "note" in correction:
        return f"{correction['note']}; backtest calibration {after:.3f} (uncorrected)"
    check = (
        f"validation window from {correction['cutoff']}: predicted/actual "
        f"{correction['calibration']:.3f}"
    )
    if correction["applied"]:
        return (
            f"{check}, total ×{correction['factor']:.3f}; backtest calibration {before:.3f} "
            f"before, {after:.3f} after the correction"
        )
    why = "within 0.8-1.25" if correction["comparable"] else "its model could not see the season"
    return f"{check} ({why}: not corrected); backtest calibration {after:.3f}"


def intervals_view(backtest_intervals: dict | None) -> html.Div:
    """Backtest coverage of the prediction intervals, overall, per decile and for the total."""
    if not backtest_intervals or not backtest_intervals.get("available"):
        note = (backtest_intervals or {}).get("note", "this version was trained before intervals")
        return html.P(
            f"No prediction intervals: {note}.", className="text-muted", id=ids.MODEL_COVERAGE
        )
    level, total = backtest_intervals["level"], backtest_intervals["total"]
    summary = (
        f"{level:.0%} intervals calibrated on {backtest_intervals['calibrated_on']}. "
        f"Backtest coverage: {backtest_intervals['coverage']:.1%} of customers spent within "
        f"[P10, P90]; PIT coverage {backtest_intervals['pit_coverage']:.1%}. The total's range "
        f"{c.money(total['low'])} – {c.money(total['high'])} "
        f"{'held' if total['contains_actual'] else 'missed'} the actual {c.money(total['actual'])}."
    )
    return html.Div(
        [
            html.H5("How sure: prediction intervals"),
            html.P(summary, id=ids.MODEL_COVERAGE),
            c.graph(
                ids.MODEL_COVERAGE_GRAPH,
                figures.make_coverage_figure(backtest_intervals["deciles"], level),
            ),
        ]
    )


def backtest_view(metrics: dict) -> list:
    """The backtest's heading, figures and interval coverage; a warning when there was none."""
    backtest = metrics["backtest"]
    if not backtest_available(metrics):
        return [html.H5("Backtest"), c.no_backtest_alert(backtest, ids.MODEL_NO_BACKTEST)]
    return [
        html.H5(
            f"Backtest on the 6 months after {backtest['cutoff']} "
            f"({backtest['customers']:,} customers)"
        ),
        metrics_table(backtest),
        intervals_view(backtest.get("intervals")),
    ]


def details(metrics: dict) -> dbc.Card:
    """Version, cutoff and training window as a definition list."""
    rows = [
        ("Version", metrics["version"]),
        ("Mode", metrics["mode"]),
        ("Trained at (UTC)", metrics["trained_at"]),
        ("Scoring cutoff", metrics["cutoff"]),
        ("Horizon", f"{metrics['horizon_months']} months"),
        (
            "Training cutoffs",
            f"{metrics['training_cutoffs'][0]} … "
            f"{metrics['training_cutoffs'][-1]} "
            f"({len(metrics['training_cutoffs'])} monthly snapshots)",
        ),
        ("Backtest cutoff", metrics["backtest"].get("cutoff", "none (history too short)")),
        ("Season", season_text(metrics.get("season"))),
        ("Total check", correction_text(metrics["backtest"].get("correction"))),
        (
            "Data",
            f"{metrics['data']['rows']:,} rows, {metrics['data']['customers']:,} "
            f"customers, {metrics['data']['first_date']} … {metrics['data']['last_date']}",
        ),
    ]
    return dbc.Card(
        dbc.CardBody(
            html.Dl(
                sum(
                    (
                        [html.Dt(k, className="col-sm-4"), html.Dd(v, className="col-sm-8")]
                        for k, v in rows
                    ),
                    [],
                ),
                className="row mb-0",
            )
        ),
        id=ids.MODEL_DETAILS,
        className="mb-3",
    )
