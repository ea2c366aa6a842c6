"""Single-customer predictions (stored, what-if, history) as plain dicts for the API and pages."""

from __future__ import annotations

import math

import numpy as np

from portal import analytics, db, intervals, registry, store
from portal.explain import explain_row
from portal.features import MAY_BE_MISSING
from portal.model import REQUIRED_INPUTS
from portal.store import Artifacts

MAX_DAYS = 36_525  # a century: the business clock is integrated day by day


class InvalidFeatures(ValueError):
    """What-if feature values that cannot be scored; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _clean(value):
    """JSON-safe number: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _finite_number(value) -> float | None:
    """A JSON number as a finite float, or None (booleans, non-numbers, huge integers, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) else None


def _shown(value, limit: int = 40) -> str:
    """A value's repr, shortened for an error message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def placement(art: Artifacts, predicted: float) -> dict:
    """Rank, decile and segment a prediction would take among the scored customers, by the same
    rule as theirs (``analytics.standing``)."""
    rank = analytics.rank_among(art.predicted, [predicted])
    decile, segment = analytics.standing(rank, art.n)
    return {"rank": int(rank[0]), "decile": int(decile[0]), "segment": str(segment[0])}


def customer_prediction(art: Artifacts, customer_id: str, explain: bool = True) -> dict:
    """The stored prediction of one customer with its features, past spend and explanation;
    raises UnknownCustomer."""
    position, stored_id = art.locate(customer_id)
    values, marketer = art.record(position)
    result = {
        "customer_id": stored_id,
        "predicted_clv_6m": values["predicted_clv_6m"],
        "p_purchase": values["p_purchase"],
        **intervals.stored_fields(art.model.intervals, values),
        "rank": int(values["rank"]),
        "decile": int(values["decile"]),
        "segment": art.label(position, "segment"),
        "customers": art.n,
        "features": {c: _clean(values[c]) for c in art.model.raw_features},
        "past": {c: _clean(values[c]) for c in ("spend_6m", "spend_12m", "monetary_total")},
        "actual_6m": _clean(values["actual_6m"]) if art.has_actuals else None,
        "marketer": store.marketer_fields(marketer, art.label(position, "group")),
        "model_version": art.version,
        "what_if": False,
    }
    if explain:
        result["explanation"] = art.explanation(position, values)
    return result


def validate_features(art: Artifacts, values: dict) -> tuple[dict, list[str]]:
    """Complete a what-if feature dict; returns (values, defaulted names) or raises."""
    known = art.model.raw_features
    problems = [f"unknown feature {k!r}" for k in values if k not in known]
    problems += [f"missing required feature {k!r}" for k in REQUIRED_INPUTS if k not in values]
    clean = {}
    for name, value in values.items():
        if name not in known:
            continue
        if value is None and name in MAY_BE_MISSING:
            clean[name] = float("nan")
            continue
        number = _finite_number(value)
        if number is None:
            problems.append(f"feature {name!r} must be a finite number, got {_shown(value)}")
            continue
        clean[name] = number
    if not problems:
        if clean["frequency"] < 1:
            problems.append("frequency must be at least 1 (a known customer bought once)")
        if not 0 <= clean["recency_days"] <= MAX_DAYS or not 0 <= clean["tenure_days"] <= MAX_DAYS:
            problems.append(f"recency_days and tenure_days must be between 0 and {MAX_DAYS:,}")
        if clean["recency_days"] > clean["tenure_days"]:
            problems.append("recency_days cannot exceed tenure_days")
    if problems:
        raise InvalidFeatures(problems)
    defaulted = [c for c in known if c not in clean]
    for name in defaulted:
        clean[name] = art.model.feature_defaults[name]
    return clean, defaulted


def whatif_prediction(art: Artifacts, values: dict, explain: bool = True) -> dict:
    """Score raw feature values; missing optional ones take the population median."""
    clean, defaulted = validate_features(art, values)
    matrix = np.array([[clean[c] for c in art.model.raw_features]], dtype=np.float64)
    prediction = art.model.predict(matrix)
    predicted = float(prediction.clv[0])
    result = {
        "customer_id": None,
        "predicted_clv_6m": predicted,
        "p_purchase": float(prediction.p_purchase[0]),
        **intervals.fields(art.model.intervals, predicted, float(prediction.p_purchase[0])),
        **placement(art, predicted),
        "customers": art.n,
        "features": {k: _clean(v) for k, v in clean.items()},
        "defaulted_features": defaulted,
        "model_version": art.version,
        "what_if": True,
    }
    if explain:
        result["explanation"] = explain_row(art.model, matrix)
    return result


def customer_history(settings, customer_id: str) -> dict:
    """A customer's prediction in every recorded run (oldest first), marking the current one.

    The id is matched as the current model would match it ('1' finds '00001').
    Raises UnknownCustomer when no run scored the customer.
    """
    key = str(customer_id).strip()
    try:
        art = store.current(settings.final_dir)
        key = art.locate(key)[1]
    except (store.UnknownCustomer, store.ArtifactsMissing):
        pass
    points = db.customer_history(settings.database_url, key)
    if not points:
        raise store.UnknownCustomer(key)
    current = registry.current_version(settings.data_dir)
    for point in points:
        point["current"] = point["version"] == current
    return {"customer_id": key, "points": points}
