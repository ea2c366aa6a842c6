"""A what-if of a stored customer's own features gets its stored prediction, rank, decile and
segment: training's scoring (``train.score_table``) and the what-if (``scoring.placement``) place a
prediction by the same rule (``analytics.standing``)."""

import numpy as np
import pytest

from portal import analytics, scoring, store
from portal.features import MAY_BE_MISSING
from portal.loaded import Artifacts
from portal.train import score_table
from tests.conftest import served_version

CDNOW_CUSTOMERS = 23_570


@pytest.fixture(scope="module")
def cdnow(data_dir) -> Artifacts:
    """The session's CDNOW backtest as served."""
    return store.store_for(data_dir / "final").current()


def population_of(art: Artifacts, n: int, seed: int, folder) -> Artifacts:
    """n of the version's customers, scored as a population of their own by training's scoring."""
    chosen = art.table.sample(n, random_state=seed).set_index("customer_id")
    current = chosen[art.model.raw_features]
    table = score_table(art.model, current, art.model.predict(current))
    table = table.sort_values("rank").reset_index(drop=True)
    return served_version(folder, f"{art.version}-{n}", table, art.model, art.metrics)


@pytest.fixture(params=[1_005, CDNOW_CUSTOMERS])
def population(request, cdnow, tmp_path) -> Artifacts:
    n = request.param
    art = cdnow if n == CDNOW_CUSTOMERS else population_of(cdnow, n, 0, tmp_path / "version")
    assert art.n == n  # 1,005: deciles of unequal sizes (101 x 5, then 100 x 5)
    return art


def first_of_equals(art: Artifacts) -> np.ndarray:
    """Each stored customer's position among those with its prediction taken first: a what-if has
    no id to break a tie, so it is placed there (its own position for an untied prediction)."""
    ranked = art.predicted
    starts = np.r_[True, ranked[1:] != ranked[:-1]]
    return np.maximum.accumulate(np.where(starts, np.arange(art.n), 0))


def test_every_customer_what_if_gets_its_stored_standing(population):
    art = population
    matrix = art.table[art.model.raw_features].to_numpy(dtype=np.float64)
    predicted = art.model.predict(matrix).clv  # the what-if's model call, for all rows at once
    np.testing.assert_array_equal(predicted, art.predicted)
    rank = analytics.rank_among(art.predicted, predicted)
    decile, segment = analytics.standing(rank, art.n)
    first = first_of_equals(art)
    np.testing.assert_array_equal(rank, first + 1)
    np.testing.assert_array_equal(decile, art.table["decile"].to_numpy()[first])
    np.testing.assert_array_equal(segment, art.table["segment"].to_numpy()[first])
    untied = first == np.arange(art.n)
    assert untied.mean() > 0.5  # most predictions are unique: the checks below see them
    np.testing.assert_array_equal(decile[untied], art.table["decile"].to_numpy()[untied])
    np.testing.assert_array_equal(segment[untied], art.table["segment"].to_numpy()[untied])
    np.testing.assert_array_equal(rank[untied], art.table["rank"].to_numpy()[untied])


def boundary_positions(art: Artifacts) -> list[int]:
    """The first and last customer of every decile and segment (where an off-by-one shows)."""
    edges = {p for start, stop in analytics.decile_bounds(art.n) for p in (start, stop - 1)}
    for _, upper in analytics.SEGMENTS:
        size = analytics.elite_size(art.n, upper)
        edges |= {size - 1, min(size, art.n - 1)}
    return sorted(edges)


def test_the_what_if_endpoint_places_boundary_customers_as_stored(population):
    art = population
    first = first_of_equals(art)
    for position in boundary_positions(art):
        row = art.table.iloc[position]
        values = {c: row[c] for c in art.model.raw_features}
        values = {c: None if c in MAY_BE_MISSING and np.isnan(v) else v for c, v in values.items()}
        result = scoring.whatif_prediction(art, values, explain=False)
        assert result["predicted_clv_6m"] == row["predicted_clv_6m"]
        placed = art.table.iloc[first[position]]
        assert (result["rank"], result["decile"], result["segment"]) == (
            placed["rank"],
            placed["decile"],
            placed["segment"],
        )
        if first[position] == position:
            assert (result["decile"], result["segment"]) == (row["decile"], row["segment"])
