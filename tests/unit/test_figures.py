"""Figure builders: traces, titles, axis titles and units, without a browser."""

import pytest

from portal import customer_figures, figures


@pytest.fixture
def curve():
    return {
        "x": [0, 0.5, 1],
        "model": [0, 0.8, 1],
        "random": [0, 0.5, 1],
        "oracle": [0, 1, 1],
        "top_decile_capture": 0.42,
    }


@pytest.fixture
def deciles():
    return [
        {
            "decile": d,
            "customers": 10,
            "mean_predicted": 11.0 - d,
            "mean_actual": 12.0 - d,
            "share_of_actual": 0.1,
            "lift": (12.0 - d) / 6.5,
            "predicted_lift": 1.0,
        }
        for d in range(1, 11)
    ]


def titles(fig):
    return fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text


def test_gain_figure(curve):
    fig = figures.make_gain_figure(curve)
    assert [t.name for t in fig.data] == [
        "Oracle (perfect ranking)",
        "Model",
        "Random",
        "Top-decile capture",
    ]
    assert list(fig.data[1].y) == [0, 80, 100]  # shares shown in %
    assert fig.data[3].x == (10,) and fig.data[3].y == (42,)
    title, x, y = titles(fig)
    assert "gain" in title.lower() and "% of customers" in x and "(%)" in y
    assert all(t.hovertemplate for t in fig.data)


def test_lift_figure_uses_actual_lift_when_known(deciles):
    fig = figures.make_lift_figure(deciles)
    assert fig.data[0].name == "Actual lift"
    assert list(fig.data[0].y) == pytest.approx([d["lift"] for d in deciles])
    assert "Decile" in fig.layout.xaxis.title.text and "×" in fig.layout.yaxis.title.text
    no_actuals = [dict(d, lift=None, mean_actual=None) for d in deciles]
    assert figures.make_lift_figure(no_actuals).data[0].name == "Predicted lift"


def test_calibration_figure(deciles):
    fig = figures.make_calibration_figure(deciles)
    assert [t.name for t in fig.data] == ["Predicted", "Actual"]
    assert fig.data[1].y[0] == 11.0
    assert "($)" in fig.layout.yaxis.title.text
    only_predicted = [dict(d, mean_actual=None) for d in deciles]
    assert len(figures.make_calibration_figure(only_predicted).data) == 1


def test_pareto_figure():
    fig = figures.make_pareto_figure([0, 0.5, 1], [0, 0.9, 1], 5.0, 0.4)
    assert list(fig.data[0].y) == [0, 90, 100]
    assert fig.data[1].x == (5.0,) and fig.data[1].y == (40.0,)
    assert "% of customers" in fig.layout.xaxis.title.text


def test_importance_figure_sorted_top_first():
    fig = figures.make_importance_figure({"a": 0.6, "b": 0.3, "c": 0.1})
    assert list(fig.data[0].y) == ["c", "b", "a"]  # horizontal bars: biggest at the top
    assert list(fig.data[0].x) == pytest.approx([0.1, 0.3, 0.6])


def test_customer_figure_adds_actual_in_backtest():
    fig = customer_figures.make_customer_figure(10.0, 6.0, 8.0, 12.0)
    assert list(fig.data[0].x)[-1] == "Actual next 6 months"
    assert list(fig.data[0].y) == [10.0, 6.0, 8.0, 12.0]
    assert len(customer_figures.make_customer_figure(10.0, 6.0, 8.0).data[0].y) == 3
    assert fig.layout.yaxis.title.text == "Spend ($)"


def test_history_figure_plots_each_run_and_rings_the_current_one():
    points = [
        {"cutoff": "1998-01-01", "predicted_clv_6m": 10.0, "version": "a", "segment": "Low"},
        {"cutoff": "1998-07-01", "predicted_clv_6m": 25.5, "version": "b", "segment": "High"},
    ]
    points[1]["current"] = True
    fig = customer_figures.make_history_figure(points)
    line, ring = fig.data
    assert list(line.x) == ["1998-01-01", "1998-07-01"] and list(line.y) == [10.0, 25.5]
    assert [list(c) for c in line.customdata] == [["a", "Low"], ["b", "High"]]
    assert list(ring.x) == ["1998-07-01"] and list(ring.y) == [25.5]
    single = customer_figures.make_history_figure(points[:1])
    assert len(single.data) == 1  # no current run among them
    assert list(single.layout.xaxis.range) == ["1997-10-03", "1998-04-01"]  # ±90 days, not ms


def test_amount_figure_draws_one_bar_per_bin():
    fig = figures.make_amount_figure({"edges": [0.0, 10.0, 30.0], "counts": [4, 2]})
    (bars,) = fig.data
    assert list(bars.x) == [5.0, 20.0] and list(bars.y) == [4, 2] and list(bars.width) == [10, 20]
