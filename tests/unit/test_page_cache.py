"""What the pages cache is data (dicts, lists, numbers, strings), never components or figures."""

import pytest
from dash.development.base_component import Component
from plotly.basedatatypes import BaseFigure

from portal import campaign, store
from portal.extensions import final_dir
from tests.unit.test_callbacks import request_ctx  # noqa: F401  (fixture)


def plain(value) -> bool:
    """True for JSON-like data all the way down."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


@pytest.mark.usefixtures("request_ctx")
def test_segments_and_campaign_cache_data_of_the_version_they_are_given():
    from portal.pages import campaign as campaign_page
    from portal.pages import segments

    art = store.current(final_dir())
    assumptions = campaign.Assumptions(
        contact_cost=1.0,
        margin=0.3,
        effect="uplift",
        uplift=0.1,
        response_rate=0.05,
        order_value=None,
        discount=0.0,
    )
    cached = [
        segments.segment_data(art, 5.0),
        campaign_page.plan_data(art, assumptions, "predicted_clv"),
    ]
    for data in cached:
        assert plain(data), data.keys()
    assert cached[0]["summary"]["version"] == art.version
    assert [r["rank"] for r in cached[0]["rows"]] == list(range(1, segments.GRID_ROWS + 1))


def test_the_check_rejects_a_component_and_a_figure():
    from dash import html
    from plotly import graph_objects as go

    assert isinstance(go.Figure(), BaseFigure) and not plain({"figure": go.Figure()})
    assert isinstance(html.Div(), Component) and not plain([html.Div()])
