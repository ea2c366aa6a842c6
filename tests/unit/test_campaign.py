"""The campaign planner on the 10 hand-made customers of test_marketing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from portal import campaign
from portal.campaign import Assumptions
from tests.unit.test_marketing import ROWS

IDS = np.array([row[0] for row in ROWS])
PREDICTED = np.array([row[5] for row in ROWS])  # 90 20 10 15 150 70 5 8 60 60


def uplift_plan(**kwargs) -> campaign.Plan:
    assumptions = Assumptions(**{"effect": "uplift", "uplift": 0.1, "margin": 0.5, **kwargs})
    revenue = campaign.extra_revenue(assumptions, PREDICTED, None, 0.0)
    return campaign.plan(assumptions, revenue, campaign.ranked(PREDICTED, IDS))


def test_hand_computed_curve():
    """profit_i = 0.5 x 0.1 x predicted - 2, in the order 150 90 70 60 (C08) 60 (C09) 20 15 10 8
    5: 5.5 2.5 1.5 1 1 -1 -1.25 -1.5 -1.6 -1.75."""
    plan = uplift_plan(contact_cost=2.0)
    assert plan.profit == pytest.approx([0, 5.5, 8, 9.5, 10.5, 11.5, 10.5, 9.25, 7.75, 6.15, 4.4])
    summary = plan.summary()
    assert summary["best_count"] == 5 and summary["best_pct"] == 50.0
    assert summary["best_profit"] == pytest.approx(11.5)
    assert summary["best_revenue"] == pytest.approx(0.1 * (150 + 90 + 70 + 60 + 60))
    assert summary["best_budget"] == 10.0 and summary["best_roi"] == pytest.approx(1.15)
    assert summary["break_even_count"] == 10 and summary["break_even_pct"] == 100.0
    assert summary["everyone_profit"] == pytest.approx(4.4)
    assert summary["everyone_roi"] == pytest.approx(4.4 / 20)
    assert summary["random_profit_at_best"] == pytest.approx(2.2)


def test_a_dearer_contact_moves_the_optimum_and_break_even():
    """Contact cost 5: 2.5 -0.5 -1.5 -2 ... cumulative 2.5 2 0.5 -1.5: the best is the top
    customer alone, break-even at 3 (30%)."""
    summary = uplift_plan(contact_cost=5.0).summary()
    assert summary["best_count"] == 1 and summary["best_profit"] == pytest.approx(2.5)
    assert summary["break_even_count"] == 3 and summary["break_even_pct"] == 30.0


def test_nothing_pays():
    summary = uplift_plan(contact_cost=100.0).summary()
    assert summary["best_count"] == 0 and summary["best_profit"] == 0.0
    assert summary["best_roi"] is None and summary["break_even_count"] is None


def test_discount_is_paid_on_the_extra_revenue():
    """Margin 0.5, discount 0.1: profit_i = 0.4 x r_i - 1; the budget adds 0.1 x revenue."""
    plan = uplift_plan(contact_cost=1.0, discount=0.1)
    assert plan.profit[1] == pytest.approx(0.4 * 15 - 1)
    assert plan.budget(1) == pytest.approx(1 + 0.1 * 15)
    assert plan.roi(1) == pytest.approx(5 / 2.5)


def test_response_effect():
    """r_i = response rate x P(active)_i x order value (the customers' mean when not given)."""
    p_active = np.linspace(0.1, 1.0, 10)
    assumptions = Assumptions(effect="response", response_rate=0.2, margin=0.5, contact_cost=1)
    revenue = campaign.extra_revenue(assumptions, PREDICTED, p_active, 50.0)
    assert revenue == pytest.approx(0.2 * p_active * 50.0)
    given = Assumptions(effect="response", response_rate=0.2, order_value=10.0)
    assert campaign.extra_revenue(given, PREDICTED, p_active, 50.0) == pytest.approx(2 * p_active)


@pytest.mark.parametrize("rank_by", ["predicted", "reversed", "p_active"])
@pytest.mark.parametrize("cost", [0.0, 1.0, 3.0, 7.5, 20.0])
def test_optimum_is_the_brute_force_best_cut(rank_by, cost):
    rng = np.random.default_rng(0)
    ranking = {"predicted": PREDICTED, "reversed": -PREDICTED, "p_active": rng.random(10)}[rank_by]
    assumptions = Assumptions(contact_cost=cost, margin=0.4, discount=0.05, uplift=0.3)
    revenue = campaign.extra_revenue(assumptions, PREDICTED, None, 0.0)
    plan = campaign.plan(assumptions, revenue, campaign.ranked(ranking, IDS))
    ranked = sorted(range(10), key=lambda i: (-ranking[i], IDS[i]))
    brute = [sum((0.4 - 0.05) * revenue[i] - cost for i in ranked[:k]) for k in range(11)]
    assert plan.profit == pytest.approx(brute)
    assert plan.best_count == int(np.argmax(brute))
    assert plan.profit[plan.best_count] == pytest.approx(max(brute))
    assert plan.profit[0] == 0.0
    everyone = sum((0.4 - 0.05) * r - cost for r in revenue)
    assert plan.profit[10] == pytest.approx(everyone) == plan.everyone


def test_optimum_over_every_subset_when_ranked_by_profit():
    """Ranked by the customer's own profit, the best prefix is the best of all 2^10 subsets."""
    assumptions = Assumptions(contact_cost=4.0, margin=0.5, uplift=0.1)
    revenue = campaign.extra_revenue(assumptions, PREDICTED, None, 0.0)
    plan = campaign.plan(assumptions, revenue, campaign.ranked(revenue, IDS))
    profit = campaign.customer_profit(assumptions, revenue)
    best = max(
        sum(profit[list(subset)])
        for k in range(11)
        for subset in itertools.combinations(range(10), k)
    )
    assert plan.profit[plan.best_count] == pytest.approx(best)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"contact_cost": -1}, "contact_cost must be a finite number >= 0"),
        ({"margin": 1.5}, "margin is a share"),
        ({"margin": float("nan")}, "margin must be a finite number"),
        ({"effect": "magic"}, "effect must be one of uplift, response"),
        ({"order_value": -3.0}, "order_value must be"),
        ({"uplift": "0.1"}, "uplift must be a number"),
    ],
)
def test_invalid_assumptions(kwargs, message):
    with pytest.raises(campaign.InvalidAssumptions, match=message):
        Assumptions(**kwargs)


def test_audience_size():
    assert campaign.audience_size(23570, top_pct=5) == 1179
    assert campaign.audience_size(10, count=3) == 3
    assert campaign.audience_size(10, count=30) == 10


def test_sampled_curve_keeps_the_optimum_and_break_even():
    plan = uplift_plan(contact_cost=5.0)  # best 1 (10%), break-even 3 (30%)
    curve = plan.curve(2)  # cuts 0, 5, 10 plus 1 and 3
    assert curve["x"] == [0.0, 10.0, 30.0, 50.0, 100.0]
    assert curve["profit"] == pytest.approx([0, 2.5, 0.5, -3.5, plan.everyone])
    assert curve["random"] == pytest.approx([0, 0.1, 0.3, 0.5, 1.0] * np.array(plan.everyone))
    assert curve["best_pct"] == 10.0 and curve["break_even_pct"] == 30.0
