"""Which gradient-boosting library: the same hurdle (classifier x gamma regressor on buyers), the same
CDNOW snapshots and features, fitted with LightGBM, scikit-learn's HistGradientBoosting and XGBoost
(when installed; it is not a project dependency)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from common import REPO_ROOT, save

from portal import analytics, features
from portal.config import CDNOW_CUTOFF
from portal.cutoffs import training_cutoffs
from portal.fitting import population_at, snapshot
from portal.ingest import CDNOW_COLUMNS, load_transactions
from portal.model import BOOSTER_PARAMS, add_population_features, model_inputs

SEED = 0


def boosters():
    """name -> (classifier factory, regressor factory), matched in trees, depth and rate."""
    import lightgbm as lgb
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    common = dict(
        max_iter=300, learning_rate=0.03, max_leaf_nodes=15, min_samples_leaf=50, random_state=SEED
    )
    found = {
        "lightgbm": (
            lambda: lgb.LGBMClassifier(random_state=SEED, **BOOSTER_PARAMS),
            lambda: lgb.LGBMRegressor(objective="gamma", random_state=SEED, **BOOSTER_PARAMS),
        ),
        "sklearn_hist_gb": (
            lambda: HistGradientBoostingClassifier(**common),
            lambda: HistGradientBoostingRegressor(loss="gamma", **common),
        ),
    }
    try:
        import xgboost as xgb

        params = dict(
            n_estimators=300,
            learning_rate=0.03,
            max_leaves=15,
            grow_policy="lossguide",
            min_child_weight=5,
            subsample=0.8,
            colsample_bytree=0.8,
            tree_method="hist",
            random_state=SEED,
            n_jobs=2,
        )
        found["xgboost"] = (
            lambda: xgb.XGBClassifier(**params),
            lambda: xgb.XGBRegressor(objective="reg:gamma", **params),
        )
    except ImportError:
        pass
    return found


def main() -> dict:
    days = features.daily(load_transactions(REPO_ROOT / "data/raw/CDNOW_master.txt", CDNOW_COLUMNS))
    cutoff = pd.Timestamp(CDNOW_CUTOFF)
    cuts = training_cutoffs(days["date"].min(), cutoff)  # CDNOW: too short for a season clock
    train = pd.concat([snapshot(days, c, None, len(days), SEED) for c in cuts])
    test = features.build_features(days, cutoff)
    y = features.build_labels(days, test.index, cutoff)["actual_6m"].to_numpy()
    raw = [c for c in features.feature_columns(test) if c not in features.SEASONAL_FEATURES]
    population = population_at(test, cutoff, None, 0)
    test = add_population_features(test, population)
    inputs = model_inputs(raw)
    bought = train["actual_6m"].to_numpy() > 0
    results = {}
    for name, (make_classifier, make_regressor) in boosters().items():
        started = time.perf_counter()
        classifier = make_classifier().fit(train[inputs], bought)
        regressor = make_regressor().fit(train[inputs][bought], train["actual_6m"][bought])
        seconds = time.perf_counter() - started
        p = classifier.predict_proba(test[inputs])[:, 1] * regressor.predict(test[inputs])
        results[name] = {
            "fit_seconds": seconds,
            **analytics.point_metrics(y, p, test.index.to_numpy()),
        }
        r = results[name]
        print(
            f"  {name:<16} fit {seconds:5.1f} s  Gini {r['normalized_gini']:.3f}  top-decile "
            f"{r['top_decile_capture']:.3f}  MAE {r['mae']:.2f}  calibration "
            f"{r['calibration']:.3f}",
            flush=True,
        )
    save("libraries", results)
    return results


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
