"""The campaign planner against what happened: on backtests (CDNOW and SYNTHETIC businesses), the
profit the planner expects at the audience it chooses, and the profit realised on the held-out
6 months with the same assumptions, ranking by the model, by last-6-months spend and at random.

Assumptions (the uplift effect, which a backtest can realise): the campaign adds UPLIFT of each
contacted customer's 6-month spend at MARGIN gross margin, no discount; the contact cost is set per
data set so that contacting the average customer breaks even (MARGIN x UPLIFT x mean predicted
spend), so contacting everyone is worth about nothing and the ranking decides the profit.
Realised profit of the top k = sum over them of MARGIN x UPLIFT x actual spend - k x cost.

    python bench_campaign.py [--customers 20000]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from common import REPO_ROOT, SYNTH_CUTOFF, save

from portal import campaign, features, synth
from portal.config import CDNOW_CUTOFF
from portal.ingest import CDNOW_COLUMNS, load_transactions
from portal.train import fit_and_score

MARGIN = 0.3
UPLIFT = 0.1
CUSTOMERS = 20_000
SCENARIOS = (  # (name, scenario) on the SYNTHETIC generator, backtested at SYNTH_CUTOFF
    ("SYNTHETIC original (one cohort, sine season)", synth.LEGACY),
    ("SYNTHETIC grid: no season, flat", synth.grid_scenario("none", 0.0)),
    ("SYNTHETIC grid: strong season, +30%/yr", synth.grid_scenario("strong", 0.3)),
    ("SYNTHETIC grid: moderate season, -20%/yr", synth.grid_scenario("moderate", -0.2)),
)


def judge(table: pd.DataFrame, actual: np.ndarray) -> dict:
    """The planner's choice on one scored backtest table, and the realised profits."""
    predicted = table["predicted_clv_6m"].to_numpy(dtype=float)
    ids = table["customer_id"].astype(str).to_numpy()
    cost = MARGIN * UPLIFT * predicted.mean()
    assumptions = campaign.Assumptions(contact_cost=cost, margin=MARGIN, uplift=UPLIFT)
    model_order = campaign.ranked(predicted, ids)
    expected = campaign.plan(assumptions, UPLIFT * predicted, model_order)
    k = expected.best_count

    def realised(order) -> campaign.Plan:
        return campaign.plan(assumptions, UPLIFT * actual, order)

    by_model = realised(model_order)
    by_last_6m = realised(campaign.ranked(table["spend_6m"].to_numpy(dtype=float), ids))
    hindsight = realised(campaign.ranked(actual, ids))
    return {
        "customers": len(table),
        "contact_cost": cost,
        "chosen_count": k,
        "chosen_pct": expected.pct(k),
        "expected_profit": float(expected.profit[k]),
        "realised_profit_model": float(by_model.profit[k]),
        "realised_profit_last_6m": float(by_last_6m.profit[k]),
        "realised_profit_random": by_model.random(k),
        "realised_profit_everyone": by_model.everyone,
        "realised_best_model": float(by_model.profit.max()),
        "realised_best_count_model": int(by_model.best_count),
        "realised_best_last_6m": float(by_last_6m.profit.max()),
        "realised_best_count_last_6m": int(by_last_6m.best_count),
        "hindsight_best": float(hindsight.profit.max()),
    }


def backtest(days: pd.DataFrame, cutoff: str) -> dict:
    cut = pd.Timestamp(cutoff)
    table = fit_and_score(days, cut, seed=0).table
    actual = features.build_labels(days, table["customer_id"], cut)["actual_6m"].to_numpy()
    return {"cutoff": cutoff, **judge(table, actual)}


def show(name: str, r: dict) -> None:
    print(
        f"{name}: {r['customers']:,} customers, cutoff {r['cutoff']}, cost {r['contact_cost']:.2f}"
        f"\n  planner's audience: top {r['chosen_pct']:.1f}% ({r['chosen_count']:,}); expected "
        f"profit {r['expected_profit']:,.0f}, realised {r['realised_profit_model']:,.0f} "
        f"({r['realised_profit_model'] / r['expected_profit']:.2f} of expected)"
        f"\n  realised at that size: model {r['realised_profit_model']:,.0f}, last-6-months "
        f"spend {r['realised_profit_last_6m']:,.0f}, random {r['realised_profit_random']:,.0f}; "
        f"everyone {r['realised_profit_everyone']:,.0f}"
        f"\n  best realised cut: model {r['realised_best_model']:,.0f} at "
        f"{r['realised_best_count_model']:,}, last-6-months {r['realised_best_last_6m']:,.0f} at "
        f"{r['realised_best_count_last_6m']:,}; hindsight (ranked by actual) "
        f"{r['hindsight_best']:,.0f}",
        flush=True,
    )


def main(customers: int = CUSTOMERS) -> dict:
    results = {}
    cdnow = load_transactions(REPO_ROOT / "data" / "raw" / "CDNOW_master.txt", CDNOW_COLUMNS)
    results["CDNOW"] = backtest(features.daily(cdnow), CDNOW_CUTOFF)
    show("CDNOW", results["CDNOW"])
    for name, scenario in SCENARIOS:
        log, _ = synth.generate(customers, 0, scenario)
        results[name] = backtest(features.daily(log), SYNTH_CUTOFF)
        show(name, results[name])
    result = {"margin": MARGIN, "uplift": UPLIFT, "backtests": results}
    save("campaign", result)
    return result


if __name__ == "__main__":
    np.seterr(all="ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    main(parser.parse_args().customers)
