"""Prediction intervals: backtest coverage of the 80% interval, overall and per decile, and whether
the total's 80% interval held the actual total.

* CDNOW at 1998-01-01 (calibrated on held-out customers: the log is too short for a validation
  window);
* the original SYNTHETIC business at 2023-07-01 with 10 seeds (calibrated on the validation window);
* one SYNTHETIC business per cell of the scenario grid's seasonality x growth, at 2023-07-01.

"Strict" coverage is the share of customers whose actual spend lies in [P10, P90]; "PIT" shares
the mass at 0 out (``intervals.IntervalModel.pit_coverage``).

    python bench_intervals.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from bench_scenarios import GROWTH, SEASONALITY
from common import REPO_ROOT, SYNTH_CUTOFF, save

from portal import features, intervals, synth
from portal.config import CDNOW_CUTOFF
from portal.ingest import CDNOW_COLUMNS, load_transactions
from portal.train import fit_and_score

CUSTOMERS = 20_000


def backtest(transactions: pd.DataFrame, cutoff: str) -> tuple[dict, pd.DataFrame]:
    """Fit, score and judge the intervals at ``cutoff`` exactly as a training run does; returns
    the summary and the scored table with actuals."""
    days = features.daily(transactions)
    cut = pd.Timestamp(cutoff)
    scored = fit_and_score(days, cut, seed=0)
    table = scored.table
    table["actual_6m"] = features.build_labels(days, table["customer_id"], cut)[
        "actual_6m"
    ].to_numpy()
    return intervals.backtest_summary(scored.model.intervals, table), table


def conformal_comparison(table: pd.DataFrame, seed: int = 0) -> dict:
    """Ours against split conformal with one quantile of |actual - predicted| per decile
    (Mondrian), calibrated on a random half of the backtest's own customers and judged on the
    other half: a setting that favours conformal (same window, exchangeable customers)."""
    rng = np.random.default_rng(seed)
    calibrate = rng.random(len(table)) < 0.5
    judged = table[~calibrate]
    residual = (table["actual_6m"] - table["predicted_clv_6m"]).abs()
    radius = residual[calibrate].groupby(table["decile"][calibrate]).quantile(0.8)
    r = judged["decile"].map(radius).to_numpy()
    predicted, actual = judged["predicted_clv_6m"].to_numpy(), judged["actual_6m"].to_numpy()
    low, high = np.clip(predicted - r, 0, None), predicted + r
    ours_low, ours_high = judged["clv_p10"].to_numpy(), judged["clv_p90"].to_numpy()
    result = {}
    for name, (lo, hi) in {"ours": (ours_low, ours_high), "conformal": (low, high)}.items():
        inside = (actual >= lo) & (actual <= hi)
        buyers = actual > 0
        result[name] = {
            "coverage": float(inside.mean()),
            "coverage_of_buyers": float(inside[buyers].mean()),
            "mean_width": float((hi - lo).mean()),
            "top_decile_coverage": float(inside[judged["decile"].to_numpy() == 1].mean()),
        }
    return result


def cost_at_scale(customers: int = 1_000_000, seed: int = 0) -> dict:
    """Seconds the intervals add to a training run and to one prediction, on SYNTHETIC-sized
    arrays: calibration on a 1M-customer window, then quantiles and the total for 1M customers."""
    rng = np.random.default_rng(seed)
    p_purchase = rng.uniform(0.02, 0.98, customers)
    predicted = p_purchase * rng.lognormal(3, 1, customers)
    actual = np.where(rng.random(customers) < p_purchase, predicted / p_purchase, 0.0)
    started = time.perf_counter()
    model = intervals.fit(predicted, p_purchase, actual).with_edges(predicted)
    model.quantiles(predicted, p_purchase)
    model.total(predicted, p_purchase)
    training = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(1000):
        intervals.fields(model, 12.0, 0.3)
    return {"training_seconds": training, "per_prediction_ms": time.perf_counter() - started}


def line(name: str, s: dict) -> str:
    total = s["total"]
    deciles = s["deciles"]
    return (
        f"{name:<28} {s['coverage']:>6.1%} {s['pit_coverage']:>6.1%} "
        f"{min(d['coverage'] for d in deciles):>6.1%}-{max(d['coverage'] for d in deciles):<6.1%} "
        f"{min(d['pit_coverage'] for d in deciles):>6.1%}-{max(d['pit_coverage'] for d in deciles):<6.1%} "
        f"{total['actual'] / total['total']:>6.3f} {total['low'] / total['total']:>6.3f}-"
        f"{total['high'] / total['total']:<6.3f} {'held' if total['contains_actual'] else 'MISSED'}"
    )


def main(seeds: int = 10) -> dict:
    print(
        f"{'backtest':<28} {'strict':>6} {'PIT':>6} {'strict by decile':>15} "
        f"{'PIT by decile':>15} {'act/pr':>6} {'80% range/pred':>13}"
    )
    cost = cost_at_scale()
    print(
        f"cost: {cost['training_seconds']:.1f} s per 1M-customer training run, "
        f"{cost['per_prediction_ms']:.3f} ms per prediction",
        flush=True,
    )
    results = {}
    cdnow = load_transactions(REPO_ROOT / "data" / "raw" / "CDNOW_master.txt", CDNOW_COLUMNS)
    results["cdnow"], table = backtest(cdnow, CDNOW_CUTOFF)
    print(line(f"CDNOW {CDNOW_CUTOFF}", results["cdnow"]), flush=True)
    comparison = conformal_comparison(table)
    for name, c in comparison.items():
        print(
            f"  CDNOW, half the customers, {name:<9}: coverage {c['coverage']:.1%}, of buyers "
            f"{c['coverage_of_buyers']:.1%}, top decile {c['top_decile_coverage']:.1%}, "
            f"mean width ${c['mean_width']:.2f}",
            flush=True,
        )
    for seed in range(seeds):
        log, _ = synth.generate(CUSTOMERS, seed=seed, scenario=synth.LEGACY)
        results[f"synthetic_seed_{seed}"], _ = backtest(log, SYNTH_CUTOFF)
        print(line(f"SYNTHETIC seed {seed}", results[f"synthetic_seed_{seed}"]), flush=True)
    for season in SEASONALITY:
        for growth in GROWTH:
            log, _ = synth.generate(CUSTOMERS, 0, synth.grid_scenario(season, growth))
            name = f"grid {season} {growth:+.0%}"
            results[name], _ = backtest(log, SYNTH_CUTOFF)
            print(line(name, results[name]), flush=True)
    held = sum(r["total"]["contains_actual"] for r in results.values())
    print(f"the total's 80% interval held the actual total in {held}/{len(results)} backtests")
    save("intervals", {"backtests": results, "cdnow_vs_conformal": comparison, "cost": cost})
    return results


if __name__ == "__main__":
    np.seterr(all="ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    main(parser.parse_args().seeds)
