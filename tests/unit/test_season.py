"""Season-aware modelling: the seasonal features, the business clock, the fallback without a season,
and no leakage from rows on or after the cutoff."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from portal import clock, season, synth
from portal.calibration import validation_correction, validation_window
from portal.features import build_features, daily
from portal.fitting import fit_model
from portal.season import season_summary
from portal.train import fit_and_score

CUTOFF = pd.Timestamp("2021-07-01")


@pytest.fixture
def two_year_log() -> pd.DataFrame:
    """Hand-made: the horizon after 2021-07-01 is Jul-Dec; the same months last year are
    [2020-07-01, 2021-01-01)."""
    rows = [
        ("A", "2019-09-01", 10.0),  # A: first purchase
        ("A", "2020-07-15", 20.0),  # in last year's horizon months
        ("A", "2020-12-31", 5.0),  # the window's last day
        ("A", "2021-01-01", 7.0),  # just after it
        ("B", "2019-10-01", 30.0),  # B's history ends before last year's horizon months
        ("B", "2020-03-01", 40.0),
        ("C", "2021-05-01", 8.0),  # C is new
        ("C", "2021-07-01", 99.0),  # on the cutoff: never a feature
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_spend_in_the_same_months_last_year(two_year_log):
    feats = build_features(daily(two_year_log), CUTOFF)
    assert feats["spend_same_months_last_year"].to_dict() == {"A": 25.0, "B": 0.0, "C": 0.0}


def test_repeat_spend_mean_leaves_out_the_first_purchase_day(two_year_log):
    feats = build_features(daily(two_year_log), CUTOFF)
    assert feats.loc["A", "repeat_spend_mean"] == pytest.approx((20 + 5 + 7) / 3)
    assert feats.loc["B", "repeat_spend_mean"] == 40.0
    assert math.isnan(feats.loc["C", "repeat_spend_mean"])


def test_same_months_unknown_when_the_log_starts_inside_them(two_year_log):
    late = two_year_log[two_year_log["date"] >= "2020-08-01"]
    feats = build_features(daily(late), CUTOFF)
    assert feats["spend_same_months_last_year"].isna().all()


def test_a_season_needs_thirteen_months():
    first = pd.Timestamp("2020-01-15")
    assert season.months_of_history(first, pd.Timestamp("2021-02-15")) == 13
    assert season.months_of_history(first, pd.Timestamp("2021-02-14")) == 12
    assert season.season_visible(first, pd.Timestamp("2021-02-15"))
    assert not season.season_visible(first, pd.Timestamp("2021-01-01"))


def test_context_from_a_known_clock():
    # December twice as busy, no trend: a horizon of Jul-Dec against Jan-Jun
    business = clock.BusinessClock("2020-01-01", tuple([1.0] * 11 + [2.0]), 0.0)
    ctx = season.context(business, pd.Timestamp("2021-07-01"))
    assert ctx["horizon_vs_recent"] == pytest.approx((184 + 31) / 181)
    assert ctx["horizon_vs_year"] == pytest.approx(2 * (184 + 31) / (365 + 31))


def test_clock_recovers_the_generators_season_and_growth():
    scenario = synth.grid_scenario("strong", 0.3)
    log, _ = synth.generate(8_000, seed=2, scenario=scenario)
    fitted = clock.fit(daily(log), pd.Timestamp("2023-07-01"))
    truth = 1 + scenario.seasonality * synth.RETAIL_MONTHS
    np.testing.assert_allclose(fitted.season, truth, atol=0.06)
    assert fitted.growth == pytest.approx(np.log(1.3), abs=0.06)


def test_short_log_falls_back_without_season():
    scenario = replace(synth.Scenario(), days=400, arrival_days=300)
    log, _ = synth.generate(800, seed=1, scenario=scenario)
    cutoff = pd.Timestamp("2021-12-01")  # 11 months of history
    model, _ = fit_model(daily(log), cutoff, seed=0)
    assert model.population.clock is None and model.population.context == {}
    assert "spend_same_months_last_year" not in model.raw_features
    summary = season_summary(model, log["date"].min())
    assert summary == {
        "visible": False,
        "months_of_history": 11,
        "note": "11 months of history before the cutoff: a season needs 13; "
        "the model uses no seasonal features",
    }


def test_rows_on_or_after_the_cutoff_change_nothing():
    scenario = replace(synth.grid_scenario("strong", 0.3), days=600)
    log, _ = synth.generate(600, seed=4, scenario=scenario)
    cutoff = pd.Timestamp("2022-04-01")  # 15 months: a clock; its validation check has none
    before = log[log["date"] < cutoff]
    future = before.drop_duplicates("customer_id").assign(date=cutoff, amount=500.0)
    scored = [
        fit_and_score(daily(frame), cutoff, seed=0)
        for frame in (log, pd.concat([before, future], ignore_index=True))
    ]
    first, second = scored
    assert first.model.population.clock == second.model.population.clock
    assert first.model.population.clock is not None
    assert first.model.validation["cutoff"] == second.model.validation["cutoff"] == "2021-10-01"
    assert first.model.validation["calibration"] == pytest.approx(
        second.model.validation["calibration"], rel=1e-6
    )
    # equal up to floating-point summation order (pandas sums each customer's day afresh)
    np.testing.assert_allclose(
        first.table["predicted_clv_6m"].to_numpy(),
        second.table["predicted_clv_6m"].to_numpy(),
        rtol=1e-5,
    )


def test_production_reuses_its_backtest_as_the_validation_model():
    scenario = replace(synth.grid_scenario("moderate", 0.0), days=600)
    log, _ = synth.generate(600, seed=6, scenario=scenario)
    days = daily(log)
    backtest, score = pd.Timestamp("2021-12-01"), pd.Timestamp("2022-06-01")
    back = fit_and_score(days, backtest, seed=0)
    first = days["date"].min()
    reused = validation_correction(validation_window(days, score, 0, earlier=back), first, score)
    fresh = validation_correction(validation_window(days, score, 0), first, score)
    assert reused["cutoff"] == fresh["cutoff"] == "2021-12-01"
    assert reused["calibration"] == pytest.approx(fresh["calibration"], rel=1e-9)
    assert reused["applied"] == fresh["applied"]
    # the production model's intervals are calibrated on that window, its backtest's predictions
    final = fit_and_score(days, score, seed=0, earlier=back)
    assert final.model.intervals.calibrated_on == "the validation window from 2021-12-01"


def test_clock_inverse_is_infinite_beyond_its_table():
    # a flat clock: C(day) = day; a century's wait from ten years after the origin runs past the
    # tabulated days, and must read as "never" rather than the table's last day
    flat = clock.BusinessClock("2020-01-01", tuple([1.0] * 12), 0.0)
    assert flat.day_at(flat.at(3650.0) + 100.0) == pytest.approx(3750.0)
    assert flat.day_at(flat.at(3650.0) + 36_525.0) == np.inf
    assert flat.day_at(-clock.TABLE_DAYS - 10.0) == -np.inf
