"""Customers: the scored table paged, sorted and filtered on the server."""

from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from portal import components as c
from portal import ids, store
from portal.analytics import SEGMENTS
from portal.marketing import GROUPS

dash.register_page(
    __name__, path="/customers", name="Customers", order=3, title="CLV portal: customers"
)

PAGE_SIZE = 50
ALL_SEGMENTS = "all"
ALL_GROUPS = "all"
MONEY = {"function": "params.value == null ? '' : d3.format('$,.2f')(params.value)"}
COLUMNS = [
    {"field": "rank", "headerName": "Rank", "maxWidth": 110},
    {
        "field": "customer_id",
        "headerName": "Customer",
        "cellDataType": "text",
        "cellClass": "link-cell",
    },
    {"field": "predicted_clv_6m", "headerName": "Predicted 6m", "valueFormatter": MONEY},
    *c.INTERVAL_COLUMNS,
    {
        "field": "p_purchase",
        "headerName": "P(purchase)",
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('.1%')(params.value)"
        },
    },
    {"field": "segment", "headerName": "Segment", "sortable": False},
    {"field": "frequency", "headerName": "Purchases"},
    {"field": "recency_days", "headerName": "Days since last"},
    {"field": "monetary_total", "headerName": "Spend to date", "valueFormatter": MONEY},
    {
        "field": "churn_risk",
        "headerName": "Churn risk",
        "sortable": False,
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('.1%')(params.value)"
        },
    },
    {"field": "next_order_date", "headerName": "Next order (if active)", "sortable": False},
    {"field": "group", "headerName": "Group", "sortable": False},
]
MARKETER_COLUMNS = ["churn_risk", "next_order_date", "group"]
TABLE_FIELDS = [col["field"] for col in COLUMNS if col["field"] not in MARKETER_COLUMNS]


def make_grid() -> dag.AgGrid:
    """A fresh grid on the infinite row model (each new one asks for its rows again)."""
    return dag.AgGrid(
        id=ids.CUSTOMERS_GRID,
        columnDefs=COLUMNS,
        rowModelType="infinite",
        getRowId="params.data.customer_id",
        defaultColDef={"sortable": True, "resizable": True, "minWidth": 110},
        columnSize="responsiveSizeToFit",
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 4,
            "rowBuffer": 0,
            "paginationPageSizeSelector": False,
        },
        style={"height": "560px"},
    )


@c.version_page
def layout(_art: store.Artifacts, **_):
    """Search box, segment and group filters and the server-side grid."""
    return html.Div(
        [
            c.page_header(
                "Customers", "Every scored customer. Click a customer id to open its prediction."
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.InputGroup(
                            [
                                dbc.InputGroupText(html.I(className="bi bi-search")),
                                dbc.Input(
                                    id=ids.CUSTOMERS_SEARCH,
                                    type="search",
                                    placeholder="Customer id starts with…",
                                    debounce=True,
                                ),
                            ]
                        ),
                        md=5,
                        className="mb-2",
                    ),
                    dbc.Col(
                        dbc.Select(
                            id=ids.CUSTOMERS_SEGMENT,
                            options=[{"label": "All segments", "value": ALL_SEGMENTS}]
                            + [{"label": s, "value": s} for s, _ in SEGMENTS],
                            value=ALL_SEGMENTS,
                        ),
                        md=2,
                        className="mb-2",
                    ),
                    dbc.Col(
                        dbc.Select(
                            id=ids.CUSTOMERS_GROUP,
                            options=[{"label": "All groups", "value": ALL_GROUPS}]
                            + [{"label": g.name, "value": g.name} for g in GROUPS],
                            value=ALL_GROUPS,
                        ),
                        md=2,
                        className="mb-2",
                    ),
                    dbc.Col(html.Div(id=ids.CUSTOMERS_TOTAL, className="text-muted pt-2"), md=3),
                ]
            ),
            html.Div(make_grid(), id=ids.CUSTOMERS_GRID_BOX, className="panel"),
            dcc.Location(id=ids.CUSTOMERS_LOCATION, refresh=True),
        ]
    )


@callback(
    Output(ids.CUSTOMERS_GRID_BOX, "children"),
    Input(ids.CUSTOMERS_SEARCH, "value"),
    Input(ids.CUSTOMERS_SEGMENT, "value"),
    Input(ids.CUSTOMERS_GROUP, "value"),
    prevent_initial_call=True,
)
def update_grid_box(_search, _segment, _group):
    """New filters: replace the grid so it pages from the first row again."""
    return make_grid()


def rows_for(
    art: store.Artifacts,
    request: dict,
    search: str | None,
    segment: str | None,
    group: str | None = None,
) -> tuple[list[dict], int]:
    """Answer one getRowsRequest: sort model, filters, [startRow, endRow)."""
    sort = (request.get("sortModel") or [{"colId": "rank", "sort": "asc"}])[0]
    column = sort["colId"] if sort["colId"] in art.sortable else "rank"
    start = int(request.get("startRow") or 0)
    end = int(request.get("endRow") or start + PAGE_SIZE)
    page, total = store.table_page(
        art,
        limit=end - start,
        offset=start,
        sort=column,
        descending=sort["sort"] == "desc",
        query=search or "",
        segment=None if segment in (None, "", ALL_SEGMENTS) else segment,
        group=None if group in (None, "", ALL_GROUPS) else group,
        columns=TABLE_FIELDS,
        marketer=MARKETER_COLUMNS,
    )
    page["next_order_date"] = page["next_order_date"].dt.strftime("%Y-%m-%d")
    return page[[col["field"] for col in COLUMNS]].to_dict("records"), total


@callback(
    Output(ids.CUSTOMERS_GRID, "getRowsResponse"),
    Output(ids.CUSTOMERS_TOTAL, "children"),
    Input(ids.CUSTOMERS_GRID, "getRowsRequest"),
    State(ids.CUSTOMERS_SEARCH, "value"),
    State(ids.CUSTOMERS_SEGMENT, "value"),
    State(ids.CUSTOMERS_GROUP, "value"),
)
@c.version_callback
def update_rows(art: store.Artifacts, request, search, segment, group=None):
    """Serve the block of rows the grid asks for."""
    if not request:
        raise PreventUpdate
    rows, total = rows_for(art, request, search, segment, group)
    return {"rowData": rows, "rowCount": total}, f"{total:,} customers match"


@callback(
    Output(ids.CUSTOMERS_LOCATION, "href"),
    Input(ids.CUSTOMERS_GRID, "cellClicked"),
    prevent_initial_call=True,
)
def open_customer(cell):
    """Clicking a row opens that customer on the predict page."""
    if not cell or not cell.get("rowId"):
        return no_update
    return f"/predict?{urlencode({'customer_id': cell['rowId']})}"
