"""The data page's views: the validation report, how the dates were read, a new version."""

import dash_bootstrap_components as dbc
from dash import html

from portal import components as c
from portal import figures, ids
from portal.artifacts import backtest_available


def report_view(result) -> html.Div:
    """KPI cards, the verdict, the treatments and the row-numbered problems."""
    parts = []
    if result.first_date:
        amount = result.amount
        parts.append(
            c.kpi_row(
                [
                    c.kpi_card("Rows", f"{result.rows:,}", id_=ids.DATA_KPI_ROWS),
                    c.kpi_card("Customers", f"{result.customers:,}", id_=ids.DATA_KPI_CUSTOMERS),
                    c.kpi_card(
                        "Date range",
                        f"{result.first_date} … {result.last_date}",
                        id_=ids.DATA_KPI_DATES,
                    ),
                    c.kpi_card(
                        "Amount per row",
                        f"median {c.money(amount.get('median'))}",
                        f"middle half {c.money(amount.get('p25'))} … "
                        f"{c.money(amount.get('p75'))}; all {c.money(amount.get('min'))} … "
                        f"{c.money(amount.get('max'))}; mean {c.money(amount.get('mean'))}",
                        id_=ids.DATA_KPI_AMOUNT,
                    ),
                ]
            )
        )
    if result.amount_histogram:
        figure = figures.make_amount_figure(result.amount_histogram)
        parts.append(c.graph(ids.DATA_AMOUNT_GRAPH, figure, height="320px"))
    if result.date_label:
        parts.append(dates_view(result))
    blocking = [p for p in result.problems if p.blocking]
    if result.can_train:
        verdict = dbc.Alert(
            "Ready to train." + (" See the notes below." if result.notes else ""),
            color="success",
            id=ids.DATA_VERDICT,
        )
    else:
        reasons = result.errors + [
            f"{n:,} row(s) with a {kind}"
            for kind, n in result.counts.items()
            if any(p.problem == kind for p in blocking)
        ]
        verdict = dbc.Alert(
            [
                html.Strong("Cannot train on this file yet. "),
                (
                    "Fix the file and upload it again, or choose a format above where asked; "
                    "the current model keeps serving."
                ),
                html.Ul([html.Li(r) for r in reasons], className="mb-0 mt-2"),
            ],
            color="danger",
            id=ids.DATA_VERDICT,
        )
    parts.append(verdict)
    if result.notes:
        parts.append(html.Ul([html.Li(n) for n in result.notes], id=ids.DATA_NOTES))
    if result.problems:
        parts.append(
            c.data_table(
                ["Row", "Column", "Value", "Problem", "Blocks training"],
                [
                    html.Tr(
                        [
                            html.Td(p.row),
                            html.Td(p.column),
                            html.Td(p.value),
                            html.Td(p.problem),
                            html.Td("yes" if p.blocking else "no"),
                        ],
                        className="table-danger" if p.blocking else "",
                    )
                    for p in result.problems
                ],
                ids.DATA_PROBLEMS,
            )
        )
        parts.append(
            html.P(
                "Row 1 is the first row after the header; at most 100 rows are listed.",
                className="small text-muted",
            )
        )
    return html.Div(parts)


def dates_view(result) -> html.Div:
    """How the dates were read, with a few rows raw -> parsed."""
    return html.Div(
        [
            html.P(
                ["Dates read as ", html.Strong(result.date_label), "; for example:"],
                id=ids.DATA_DATE_DETECTED,
                className="mb-1",
            ),
            c.data_table(
                ["Row", "In the file", "Read as"],
                [
                    html.Tr([html.Td(row), html.Td(raw), html.Td(parsed)])
                    for row, raw, parsed in result.date_samples
                ],
                ids.DATA_DATE_SAMPLES,
            ),
        ]
    )


def backtest_kpis(model: dict) -> dbc.Row:
    """A new version's headline backtest figures."""
    return c.kpi_row(
        [
            c.kpi_card("Normalized Gini", f"{model['normalized_gini']:.3f}", id_=ids.DATA_NEW_GINI),
            c.kpi_card("Top-decile capture", c.pct(model["top_decile_capture"])),
            c.kpi_card("MAE", c.money(model["mae"])),
            c.kpi_card("Calibration (Σp/Σy)", f"{model['calibration']:.3f}"),
        ]
    )


def result_view(document: dict) -> dbc.Card:
    """The new version's backtest figures and where to look next."""
    backtest = document["backtest"]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(
                    ["New version ", html.Code(document["version"], id=ids.DATA_NEW_VERSION)],
                    className="card-title",
                ),
                html.P(
                    f"Now current: {document['customers']:,} customers scored as of "
                    f"{document['cutoff']}; "
                    + (
                        f"backtest on the 6 months after {backtest['cutoff']}."
                        if backtest_available(document)
                        else "no backtest."
                    )
                ),
                (
                    backtest_kpis(backtest["model"])
                    if backtest_available(document)
                    else c.no_backtest_alert(backtest, ids.DATA_NO_BACKTEST)
                ),
                dbc.Button("Open the overview", href="/", color="primary", className="me-2"),
                dbc.Button("Model page", href="/model", color="secondary", outline=True),
            ]
        ),
        id=ids.DATA_NEW_VERSION_CARD,
        color="success",
        outline=True,
    )
