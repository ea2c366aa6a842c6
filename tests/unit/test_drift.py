"""Population stability index on hand-made distributions."""

import math

import numpy as np
import pandas as pd
import pytest

from portal import drift


def test_shares_by_bin_with_missing_values_last():
    values = [0.0, 0.0, 1.0, 2.0, 3.0, np.nan]
    # (-inf, 0]: 0, 0; (0, 2]: 1, 2; (2, inf): 3; missing: nan
    assert drift.shares(values, [0.0, 2.0]).tolist() == [2 / 6, 2 / 6, 1 / 6, 1 / 6]


def test_psi_by_hand():
    assert drift.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    # 0.25 ln(0.5/0.25) + 0.25 ln(0.75/0.5)
    assert drift.psi([0.5, 0.5], [0.75, 0.25]) == pytest.approx(
        0.25 * math.log(2) + 0.25 * math.log(1.5)
    )
    # an empty bin counts as 1e-4, not 0: finite
    assert drift.psi([1.0, 0.0], [0.0, 1.0]) == pytest.approx(2 * (1 - 1e-4) * math.log(1e4))


def test_deciles_of_the_reference_and_a_shifted_population_flagged():
    reference = pd.DataFrame({"x": np.arange(1.0, 101.0), "zeros": np.zeros(100)})
    bins = drift.reference_bins(reference, ["x", "zeros"])
    assert bins["x"]["shares"] == pytest.approx([0.1] * 10 + [0.0])
    assert bins["zeros"] == {"edges": [0.0], "shares": [1.0, 0.0, 0.0]}  # equal deciles merge
    same = drift.report(bins, reference)
    assert [f["psi"] for f in same["features"]] == [0.0, 0.0] and same["flagged"] == []
    # half the customers moved above every reference value: 0.5 in the top bin, 0.05 in the rest
    shifted = reference.assign(x=np.where(np.arange(100) % 2, reference["x"], 500.0))
    found = drift.report(bins, shifted)
    top = found["features"][0]
    assert top["feature"] == "x" and top["flagged"] and found["flagged"] == ["x"]
    by_hand = 9 * (0.05 - 0.1) * math.log(0.05 / 0.1) + (0.55 - 0.1) * math.log(0.55 / 0.1)
    assert top["psi"] == pytest.approx(by_hand)
    assert found["threshold"] == 0.2
