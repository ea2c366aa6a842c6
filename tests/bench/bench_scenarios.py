"""Model quality over a grid of SYNTHETIC businesses (seasonality x growth x cutoff month).

Every cell is a backtest judged against the outcome and the generator's true expectation:
* our model (``train.fit_and_score``, exactly what a training run does at that cutoff);
* plain BG/NBD + Gamma-Gamma in calendar weeks;
* informed BG/NBD + Gamma-Gamma, fitted in the generator's true business clock (it knows the
  season's shape and the trend, not the customers): close to the best a model of the history can do;
* the true expectation (it knows who is still alive): the ceiling no model reaches.

Targets in every cell: calibration (predicted total / true expected total) within 0.95-1.05,
normalized Gini >= 0.99 x the informed reference's and above plain BG/NBD + Gamma-Gamma's.

    python bench_scenarios.py [--seasonality strong] [--growth 0.3] [--cutoff 2023-07-01]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from common import save

from portal import analytics, classical, features, synth
from portal.train import fit_and_score

CUSTOMERS = 20_000
SEASONALITY = ("none", "moderate", "strong")
GROWTH = (-0.2, 0.0, 0.3)
CUTOFFS = ("2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01")
CALIBRATION_RANGE = (0.95, 1.05)
GINI_VS_INFORMED = 0.99


def informed_reference(table: pd.DataFrame, scenario: synth.Scenario, cutoff_day, horizon_days):
    """BG/NBD + Gamma-Gamma with every time measured on the true business clock (in weeks)."""
    clock = scenario.business_clock
    first = cutoff_day - table["tenure_days"].to_numpy()
    last = cutoff_day - table["recency_days"].to_numpy()
    x = np.clip(table["frequency"].to_numpy() - 1, 0, None)
    T = (clock(cutoff_day) - clock(first)) / 7
    t_x = np.where(x > 0, (clock(last) - clock(first)) / 7, 0.0)
    horizon = (clock(cutoff_day + horizon_days) - clock(cutoff_day)) / 7
    zbar = table["repeat_spend_mean"].fillna(0.0).to_numpy()
    return classical.expected_spend(x, t_x, T, horizon, zbar)


def cell(log, people, days, scenario, cutoff: str, seed: int = 0) -> dict:
    """Every method's metrics at one cutoff of one synthetic business."""
    cut = pd.Timestamp(cutoff)
    started = time.perf_counter()
    scored = fit_and_score(days, cut, seed)
    seconds = time.perf_counter() - started
    table = scored.table
    y = features.build_labels(days, table["customer_id"], cut)["actual_6m"].to_numpy()
    ids = table["customer_id"].to_numpy()
    cutoff_day = scenario.day_of(cut)
    horizon_days = scenario.day_of(features.add_months(cut, features.HORIZON_MONTHS)) - cutoff_day
    truth = (
        pd.Series(
            synth.true_expected_spend(people, cutoff_day, horizon_days, scenario),
            index=people["customer_id"],
        )
        .reindex(table["customer_id"])
        .to_numpy()
    )
    predictions = {
        "model": table["predicted_clv_6m"].to_numpy(),
        "bgnbd_gg_plain": classical.from_features(table, horizon_days / 7),
        "bgnbd_gg_informed": informed_reference(table, scenario, cutoff_day, horizon_days),
        "true_expectation": truth,
    }
    methods = {}
    for name, predicted in predictions.items():
        metrics = analytics.point_metrics(y, predicted, ids)
        metrics["calibration_vs_truth"] = float(predicted.sum() / truth.sum())
        methods[name] = metrics
    validation = scored.model.validation or {}
    return {
        "customers": len(table),
        "train_seconds": seconds,
        "season_features": scored.model.population.clock is not None,
        "correction": scored.model.total_correction,
        "validation_calibration": validation.get("calibration"),
        "methods": methods,
    }


def verdict(result: dict) -> tuple[bool, bool]:
    """(calibration target met, Gini target met) for one cell."""
    m = result["methods"]
    low, high = CALIBRATION_RANGE
    calibrated = low <= m["model"]["calibration_vs_truth"] <= high
    gini = m["model"]["normalized_gini"]
    ranked = (
        gini >= GINI_VS_INFORMED * m["bgnbd_gg_informed"]["normalized_gini"]
        and gini > m["bgnbd_gg_plain"]["normalized_gini"]
    )
    return calibrated, ranked


def main(seasonality=SEASONALITY, growth=GROWTH, cutoffs=CUTOFFS, customers=CUSTOMERS) -> dict:
    print(
        f"{'season':>8} {'growth':>6} {'cutoff':>10} {'n':>6} {'model':>6} {'plain':>6} "
        f"{'inform':>6} {'truth':>6} | {'cal':>5} {'raw':>5} {'plain':>5} {'inform':>6} | ok"
    )
    cells, met = [], [0, 0]
    for s in seasonality:
        for g in growth:
            scenario = synth.grid_scenario(s, g)
            log, people = synth.generate(customers, seed=0, scenario=scenario)
            days = features.daily(log)
            for cutoff in cutoffs:
                result = cell(log, people, days, scenario, cutoff)
                result.update(seasonality=s, growth=g, cutoff=cutoff)
                calibrated, ranked = verdict(result)
                met[0] += calibrated
                met[1] += ranked
                cells.append(result)
                m = result["methods"]
                raw = m["model"]["calibration_vs_truth"] / result["correction"]
                print(
                    f"{s:>8} {g:>+6.0%} {cutoff:>10} {result['customers']:>6} "
                    f"{m['model']['normalized_gini']:>6.3f} "
                    f"{m['bgnbd_gg_plain']['normalized_gini']:>6.3f} "
                    f"{m['bgnbd_gg_informed']['normalized_gini']:>6.3f} "
                    f"{m['true_expectation']['normalized_gini']:>6.3f} | "
                    f"{m['model']['calibration_vs_truth']:>5.3f} {raw:>5.3f} "
                    f"{m['bgnbd_gg_plain']['calibration_vs_truth']:>5.3f} "
                    f"{m['bgnbd_gg_informed']['calibration_vs_truth']:>6.3f} | "
                    f"{'cal' if calibrated else '---'} {'gini' if ranked else '----'} "
                    f"({result['train_seconds']:.0f} s)",
                    flush=True,
                )
    print(
        f"targets met: calibration in {met[0]}/{len(cells)} cells, "
        f"Gini in {met[1]}/{len(cells)} cells"
    )
    result = {"customers": customers, "cells": cells, "calibration_met": met[0], "gini_met": met[1]}
    if len(cells) == len(SEASONALITY) * len(GROWTH) * len(CUTOFFS):
        save("scenarios", result)
    return result


if __name__ == "__main__":
    np.seterr(all="ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seasonality", nargs="*", default=SEASONALITY)
    parser.add_argument("--growth", nargs="*", type=float, default=GROWTH)
    parser.add_argument("--cutoff", nargs="*", default=CUTOFFS)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    args = parser.parse_args()
    main(args.seasonality, args.growth, args.cutoff, args.customers)
