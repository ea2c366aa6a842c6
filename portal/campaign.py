"""The campaign planner: expected profit of contacting the top X% of customers, for every cut.

Each contacted customer i brings extra revenue r_i (the campaign's effect) and costs the contact;
the extra orders carry the gross margin and pay the discount:

    profit_i = (margin - discount) * r_i - contact_cost
    r_i = uplift * predicted 6-month spend_i                    (effect "uplift")
    r_i = response_rate * P(active)_i * order_value             (effect "response")

Contacting the top k by ``rank_by`` earns the sum of profit_i over them. Customers are ranked
descending, ties in customer-id order (``analytics.rank_order``), and the top X% is the first
ceil(n X / 100) of them, as everywhere in the portal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from portal import analytics

EFFECTS = ("uplift", "response")
RANK_BY = {  # name -> the column it ranks by
    "predicted_clv": "predicted_clv_6m",
    "value_at_risk": "value_at_risk",
    "p_purchase": "p_purchase",
}


class InvalidAssumptions(ValueError):
    """Campaign inputs that cannot be planned with; the message names each problem."""


@dataclass(frozen=True)
class Assumptions:
    """What the campaign costs and does (money in the data's currency, shares in 0..1)."""

    contact_cost: float = 1.0
    margin: float = 0.3
    effect: str = "uplift"
    uplift: float = 0.1
    response_rate: float = 0.05
    order_value: float | None = None  # response effect; None: the customers' mean order value
    discount: float = 0.0

    def __post_init__(self):
        problems = []
        for name in ("contact_cost", "margin", "uplift", "response_rate", "discount"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{name} must be a number")
            elif not math.isfinite(value) or value < 0:
                problems.append(f"{name} must be a finite number >= 0")
        for name in ("margin", "response_rate", "discount"):
            value = getattr(self, name)
            if isinstance(value, (int, float)) and value > 1:
                problems.append(f"{name} is a share: at most 1")
        if self.order_value is not None and not (
            isinstance(self.order_value, (int, float))
            and math.isfinite(self.order_value)
            and self.order_value >= 0
        ):
            problems.append("order_value must be a finite number >= 0")
        if self.effect not in EFFECTS:
            problems.append(f"effect must be one of {', '.join(EFFECTS)}")
        if problems:
            raise InvalidAssumptions("; ".join(problems))


def extra_revenue(assumptions: Assumptions, predicted, p_active, mean_order_value: float):
    """r_i: the campaign's expected extra revenue from each customer if contacted."""
    if assumptions.effect == "uplift":
        return assumptions.uplift * np.asarray(predicted, dtype=float)
    value = mean_order_value if assumptions.order_value is None else assumptions.order_value
    return assumptions.response_rate * np.asarray(p_active, dtype=float) * value


def customer_profit(assumptions: Assumptions, revenue) -> np.ndarray:
    """profit_i = (margin - discount) r_i - contact cost."""
    margin = assumptions.margin - assumptions.discount
    return margin * np.asarray(revenue, dtype=float) - assumptions.contact_cost


@dataclass
class Plan:
    """The profit curve over k = 0..n contacted customers and the figures at its optimum."""

    customers: int
    profit: np.ndarray  # k = 0..n: expected profit of contacting the top k
    revenue: np.ndarray  # k = 0..n: expected extra revenue of the top k
    best_count: int
    break_even_count: int | None  # the largest k >= 1 with profit >= 0 (None: no such k)
    assumptions: Assumptions

    def budget(self, k: int) -> float:
        """What contacting the top k costs: contacts plus discounts."""
        return k * self.assumptions.contact_cost + self.assumptions.discount * self.revenue[k]

    def roi(self, k: int) -> float | None:
        """Profit / budget of contacting the top k (None when nothing is spent)."""
        budget = self.budget(k)
        return float(self.profit[k] / budget) if budget > 0 else None

    def pct(self, k: int | None) -> float | None:
        """k as a percentage of the customers."""
        return None if k is None else 100.0 * k / self.customers if self.customers else 0.0

    @property
    def everyone(self) -> float:
        """Expected profit of contacting every customer."""
        return float(self.profit[-1])

    def random(self, k: int) -> float:
        """Expected profit of contacting k customers drawn at random."""
        return self.everyone * k / self.customers if self.customers else 0.0

    def curve(self, points: int) -> dict:
        """The curve at about ``points`` evenly spaced cuts (always the optimum and break-even),
        in % contacted, with a random audience's profit beside it; and the summary."""
        cuts = np.round(np.linspace(0, self.customers, points + 1)).astype(int)
        marked = [k for k in (self.best_count, self.break_even_count) if k is not None]
        cuts = np.unique(np.concatenate([cuts, marked]))
        return {
            "x": [self.pct(int(k)) for k in cuts],
            "profit": self.profit[cuts].tolist(),
            "random": [self.random(int(k)) for k in cuts],
            **self.summary(),
        }

    def summary(self) -> dict:
        """The optimum (count, %, profit, ROI, budget), break-even and the comparisons."""
        k = self.best_count
        return {
            "customers": self.customers,
            "best_count": k,
            "best_pct": self.pct(k),
            "best_profit": float(self.profit[k]),
            "best_revenue": float(self.revenue[k]),
            "best_budget": self.budget(k),
            "best_roi": self.roi(k),
            "break_even_count": self.break_even_count,
            "break_even_pct": self.pct(self.break_even_count),
            "everyone_profit": self.everyone,
            "everyone_roi": self.roi(self.customers),
            "random_profit_at_best": self.random(k),
        }


def plan(assumptions: Assumptions, revenue, order) -> Plan:
    """The profit curve of contacting the first k customers of ``order``, for k = 0..n.

    Args:
        revenue: r_i (``extra_revenue``) per customer.
        order: positions in contact order (``ranked``).
    """
    ranked_revenue = np.asarray(revenue, dtype=float)[order]
    profit = np.concatenate([[0.0], np.cumsum(customer_profit(assumptions, ranked_revenue))])
    cumulative_revenue = np.concatenate([[0.0], np.cumsum(ranked_revenue)])
    best = int(np.argmax(profit))  # the first maximum: the smallest audience earning it
    paying = np.flatnonzero(profit[1:] >= 0)
    return Plan(
        customers=len(ranked_revenue),
        profit=profit,
        revenue=cumulative_revenue,
        best_count=best,
        break_even_count=int(paying[-1] + 1) if len(paying) else None,
        assumptions=assumptions,
    )


def ranked(ranking, ids) -> np.ndarray:
    """Contact order: ``ranking`` descending, ties in customer-id order."""
    return analytics.rank_order(ranking, ids)


def audience_size(n: int, top_pct: float | None = None, count: int | None = None) -> int:
    """How many customers an audience holds: ceil(n X / 100) for the top X%, or ``count``
    (at most n)."""
    if count is not None:
        return min(int(count), n)
    return analytics.elite_size(n, top_pct)
