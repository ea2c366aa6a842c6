"""Dates read one way for a whole column: the convention comes from the evidence in every row.

A value is written year first (``2024-01-05``, ``20240105``), day or month first (``05/01/2024``,
``5.1.24``), or is an Excel serial number (``45296``). A written date may carry a time (``HH:MM``,
``HH:MM:SS``, fractions, AM/PM, after a space or ``T``) and an offset (``Z``, ``UTC``, ``+01:00``,
``-0500``). Two-digit years are 1969-2068, as in strftime's ``%y``.

The day/month order is decided once per column: a first field above 12 means day first, a second
field above 12 month first, dots (``05.01.2024``) day first. A column with both kinds of evidence is
refused naming rows of each; one where no value tells is refused with how to choose. An explicit
choice (``dayfirst``, ``monthfirst``, ``yearfirst``, ``excel`` or a strftime format) always wins.

Which day counts: a timestamp with an offset is converted to UTC and counts on its UTC calendar
day (``2024-01-05 22:30 -0500`` is 6 January); one without an offset counts on the day written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FIRST_YEAR, LAST_YEAR = 1900, 2200
CONVENTIONS = {
    "dayfirst": "day first",
    "monthfirst": "month first",
    "yearfirst": "year first",
    "excel": "Excel serial numbers",
}
CHOOSE = "choose the date format: dayfirst or monthfirst (or a strftime format such as %d/%m/%Y)"
EXAMPLES = 3
WRITTEN = (  # RE2 syntax (pyarrow): no back-references, so both separators are captured
    r"^(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P<sep2>[-/.])(?P<c>\d{1,4})"
    r"(?:(?:T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
COMPACT = r"\d{8}"
SERIAL = r"\d{5}(?:\.\d+)?"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass(frozen=True)
class DateReading:
    """How a column was read: its convention, a label for people, the days, or why not."""

    convention: str | None  # a CONVENTIONS key, "typed", a strftime format, or None
    label: str
    parsed: pd.Series  # datetime64[ns] days; NaT where unparsable (everywhere when refused)
    problem: str | None = None
    order_matters: pd.Series | None = None  # rows whose day differs between the two orders


def valid_format(date_format: str | None) -> bool:
    """A named convention, a strftime format, or None/"auto" (detect)."""
    return date_format in (None, "", "auto") or date_format in CONVENTIONS or "%" in date_format


def read_dates(values: pd.Series, date_format: str | None = None) -> DateReading:
    """Read a column as days, deciding its convention once (or using ``date_format``)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return DateReading("typed", "stored as dates in the file", _days(values))
    text = values.astype("string").str.strip()
    if not valid_format(date_format):
        return _refused(
            text, None, f"has an unknown date format {date_format!r}; " + CHOOSE.split(": ")[1]
        )
    if date_format and "%" in date_format:
        try:
            stamps = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
        except ValueError as exc:
            problem = f"cannot use the date format {date_format!r} ({exc})"
            return _refused(text, date_format, problem)
        return DateReading(date_format, f"as given: {date_format}", _days(stamps))
    shapes = _shapes(text)
    convention = date_format or None
    if convention in (None, "auto"):
        convention, problem = _decide(text, shapes)
        if problem:
            return _refused(text, convention, problem)
    return DateReading(
        convention,
        _label(convention, shapes),
        _days(_stamps(text, shapes, convention)),
        order_matters=shapes["dm"] & (shapes["a"] != shapes["b"]),
    )


def looks_like_dates(values: pd.Series, share: float = 0.9) -> bool:
    """Typed dates, or text of which ``share`` is written dates (never bare numbers)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    text = values.astype("string").str.strip().dropna()
    dated = extract(text, WRITTEN)["a"].notna() | text.str.fullmatch(COMPACT)
    return len(text) > 0 and dated.mean() >= share


def extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """The named groups of a regex (RE2 syntax) in each value, by pyarrow (fast on millions of
    rows); None for a value that does not match, "" for a group that took no part."""
    values = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    found = pc.extract_regex(values, pattern)
    return pd.DataFrame(
        {field.name: column.to_pandas() for field, column in zip(found.type, found.flatten())},
        index=text.index,
    )


def _shapes(text: pd.Series) -> pd.DataFrame:
    """Each value's fields and shape: ymd, dm (day/month first), compact, serial."""
    parts = extract(text, WRITTEN)
    width_a, width_c = parts["a"].str.len(), parts["c"].str.len()
    same_separator = parts["sep"].eq(parts["sep2"]) & parts["sep"].notna()
    width_a, width_c = width_a.where(same_separator), width_c.where(same_separator)
    shapes = parts.copy()
    for name in ("a", "b", "c", "hour", "minute", "second"):
        shapes[name] = _numbers(parts[name])
    shapes["ymd"] = (width_a == 4) & (width_c <= 2)
    shapes["dm"] = (width_a <= 2) & width_c.isin([2, 4])
    shapes["compact"] = text.str.fullmatch(COMPACT)
    shapes["serial"] = text.str.fullmatch(SERIAL)
    for name in ("ymd", "dm", "compact", "serial"):
        shapes[name] = shapes[name].fillna(False).astype(bool)
    return shapes


def _decide(text: pd.Series, shapes: pd.DataFrame) -> tuple[str | None, str | None]:
    """The column's convention from the evidence, or the problem that prevents one."""
    written = shapes["ymd"] | shapes["dm"] | shapes["compact"]
    if shapes["serial"].any() and written.any():
        return None, (
            f"mixes Excel serial numbers ({example_rows(text, shapes['serial'])}) with written "
            f"dates ({example_rows(text, written)}); write the column in one form"
        )
    if shapes["serial"].any():
        return "excel", None
    dm = shapes["dm"]
    dotted = shapes["sep"].fillna("").eq(".")
    day_first = dm & ((shapes["a"] > 12) | (dotted & (shapes["b"] <= 12)))
    month_first = dm & (shapes["b"] > 12) & (shapes["a"] <= 12)
    if day_first.any() and month_first.any():
        return None, (
            f"mixes day-first dates ({example_rows(text, day_first)}) and month-first dates "
            f"({example_rows(text, month_first)}); fix the file, or {CHOOSE}"
        )
    if day_first.any():
        return "dayfirst", None
    if month_first.any():
        return "monthfirst", None
    telling = dm & (shapes["a"] != shapes["b"])
    if telling.any():
        return None, (
            f"is ambiguous: no date has a day above 12, so each could be day first or month "
            f"first ({example_rows(text, telling)}); {CHOOSE}"
        )
    return ("dayfirst" if dm.any() else "yearfirst"), None


def _stamps(text: pd.Series, shapes: pd.DataFrame, convention: str | None) -> pd.Series:
    """UTC timestamps under one convention; NaT for rows of another shape."""
    if convention == "excel":
        days = _numbers(text.where(shapes["serial"]))
        return EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    a, b, c = shapes["a"], shapes["b"], shapes["c"]
    year = pd.Series(np.nan, index=text.index)
    month, day = year.copy(), year.copy()
    ymd = shapes["ymd"]
    year[ymd], month[ymd], day[ymd] = a[ymd], b[ymd], c[ymd]
    compact = shapes["compact"]
    digits = text.where(compact)
    year[compact] = _numbers(digits.str[:4])[compact]
    month[compact] = _numbers(digits.str[4:6])[compact]
    day[compact] = _numbers(digits.str[6:8])[compact]
    if convention in ("dayfirst", "monthfirst"):
        dm = shapes["dm"]
        year[dm] = c[dm].where(c[dm] >= 100, c[dm] + np.where(c[dm] < 69, 2000, 1900))
        first, second = (a, b) if convention == "dayfirst" else (b, a)
        day[dm], month[dm] = first[dm], second[dm]
    year = year.where(year.between(FIRST_YEAR, LAST_YEAR))
    hour = _hours(shapes)
    parts = pd.DataFrame(
        {
            "year": year,
            "month": month,
            "day": day,
            "hour": hour,
            "minute": shapes["minute"].fillna(0),
            "second": shapes["second"].fillna(0),
        }
    )
    stamps = pd.to_datetime(parts, errors="coerce")
    return stamps - pd.to_timedelta(_offset_minutes(shapes["tz"]), unit="min")


def _hours(shapes: pd.DataFrame) -> pd.Series:
    """Hours on the 24-hour clock; NaN for an impossible 12-hour value (13 PM)."""
    hour = shapes["hour"].fillna(0)
    marker = shapes["ampm"].fillna("").str[:1].str.lower()
    twelve = marker != ""
    hour = hour.where(~twelve | hour.between(1, 12))
    return hour.where(~twelve, (hour % 12) + np.where(marker == "p", 12, 0))


def _offset_minutes(tz: pd.Series) -> pd.Series:
    """Minutes east of UTC of each value's offset (0 for none, Z, UTC, GMT)."""
    signed = tz.fillna("").str.replace(":", "", regex=False)
    numeric = signed.str.fullmatch(r"[+-]\d{4}")
    sign = np.where(signed.str[:1] == "-", -1, 1)
    hours = _numbers(signed.str[1:3].where(numeric))
    minutes = _numbers(signed.str[3:5].where(numeric))
    return ((hours * 60 + minutes) * sign).fillna(0)


def _numbers(text: pd.Series) -> pd.Series:
    """Digit groups as float64 (pyarrow's cast is fast), NaN where empty or missing."""
    values = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    values = pc.if_else(pc.equal(values, ""), None, values)
    try:
        numbers = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # not digits: the slower, forgiving parser
        numbers = pd.to_numeric(pd.Series(values.to_pandas()), errors="coerce").to_numpy(float)
    return pd.Series(numbers, index=text.index)


def _days(stamps: pd.Series) -> pd.Series:
    """UTC-naive days within FIRST_YEAR..LAST_YEAR, NaT elsewhere."""
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    stamps = stamps.where(stamps.dt.year.between(FIRST_YEAR, LAST_YEAR))
    return stamps.astype("datetime64[ns]").dt.normalize()


def _refused(text: pd.Series, convention: str | None, problem: str) -> DateReading:
    nothing = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    return DateReading(convention, "not decided", nothing, problem)


def example_rows(text: pd.Series, mask: pd.Series) -> str:
    """'row N: value' for the first few rows of a mask (row 1 is the first data row)."""
    rows = np.flatnonzero(mask.to_numpy())[:EXAMPLES]
    return ", ".join(f"row {i + 1}: {text.iloc[i]!r}" for i in rows)


def _label(convention: str | None, shapes: pd.DataFrame) -> str:
    """The convention and the layout of its first value, e.g. 'day first (DD/MM/YYYY HH:MM)'."""
    if convention is None:
        return "no date recognised"
    if convention == "excel":
        return CONVENTIONS["excel"] + " (days since 1899-12-30)"
    kind = "dm" if convention in ("dayfirst", "monthfirst") and shapes["dm"].any() else "ymd"
    rows = shapes[shapes[kind]]
    if rows.empty:
        return CONVENTIONS[convention] + (" (YYYYMMDD)" if shapes["compact"].any() else "")
    first = rows.iloc[0]
    sep = first["sep"]
    year = "YYYY" if len(str(int(first["c" if kind == "dm" else "a"]))) > 2 else "YY"
    if kind == "ymd":
        layout = f"{year}{sep}MM{sep}DD"
    elif convention == "dayfirst":
        layout = f"DD{sep}MM{sep}{year}"
    else:
        layout = f"MM{sep}DD{sep}{year}"
    if pd.notna(first["hour"]):
        layout += " HH:MM" + (":SS" if pd.notna(first["second"]) else "")
        layout += " AM/PM" if first["ampm"] else ""
    if first["tz"]:
        layout += " +offset"
    return f"{CONVENTIONS[convention]} ({layout})"
