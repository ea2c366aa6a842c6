"""Amounts as people write them, read one way for a whole column.

Accepted: currency symbols and codes before or after the number (``$1,234.50``, ``1.234,50 €``,
``EUR 12``), thousands separators (comma, dot, space, apostrophe), a decimal point or comma,
accounting negatives ``(12.00)`` and a leading or trailing minus. The decimal separator is decided
once per column from the values that tell (``12,5``, ``1.234,50``, ``1,234.5``); a column with
both is refused naming rows of each, and one whose only separated values are like ``1,234``
(a thousand, or one and a bit) is refused unless the decimal separator is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal.dates import example_rows, extract

DECIMALS = {".": "point", ",": "comma"}
CURRENCY = r"(?:[$€£¥₹₽₩₺]|[A-Z]{3}|[Kk]r\.?|Fr\.?)"
SPACES = "'\u00a0\u202f "  # thousands separators besides . and ,
WRITTEN = (  # RE2 syntax (pyarrow)
    rf"^(?P<lead>-)?\s*(?P<open>\()?\s*(?P<sign1>-)?\s*(?:{CURRENCY}\s*)?(?P<sign2>-)?\s*"
    rf"(?P<number>\d[\d.,{SPACES}]*\d|\d)"
    rf"\s*(?:{CURRENCY})?\s*(?P<close>\))?\s*(?P<trail>-)?$"
)


@dataclass(frozen=True)
class AmountReading:
    """How a column was read: its decimal separator, the numbers, or why not."""

    decimal: str | None
    parsed: pd.Series  # float; NaN where unreadable (everywhere when refused)
    problem: str | None = None


def read_amounts(values: pd.Series, decimal: str | None = None) -> AmountReading:
    """Read a column of amounts, deciding the decimal separator once (or using ``decimal``)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype(float)
        return AmountReading(".", numbers.where(np.isfinite(numbers)))
    text = values.astype("string").str.strip()
    parts = extract(text, WRITTEN).fillna("")
    number = parts["number"].str.replace(f"[{SPACES}]", "", regex=True)
    if decimal not in (None, "", "auto") and decimal not in DECIMALS:
        return _refused(text, f"has an unknown decimal separator {decimal!r}; use . or ,")
    if decimal in (None, "", "auto"):
        decimal, problem = _decide(text, number)
        if problem:
            return _refused(text, problem)
    thousands = "," if decimal == "." else "."
    grouped = rf"\d{{1,3}}(?:\{thousands}\d{{3}})+|\d+"
    valid = number.str.fullmatch(rf"(?:{grouped})(?:\{decimal}\d+)?")
    plain = number.str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
    magnitude = pd.to_numeric(plain.where(valid), errors="coerce").astype("Float64")
    negative = (
        parts["lead"].ne("")
        | parts["sign1"].ne("")
        | parts["sign2"].ne("")
        | parts["trail"].ne("")
        | (parts["open"].ne("") & parts["close"].ne(""))
    )
    unbalanced = parts["open"].ne("") != parts["close"].ne("")
    signed = magnitude.where(~unbalanced) * np.where(negative, -1.0, 1.0)
    return AmountReading(
        decimal, pd.Series(signed.to_numpy(dtype=float, na_value=np.nan), index=values.index)
    )


def _decide(text: pd.Series, number: pd.Series) -> tuple[str | None, str | None]:
    """The column's decimal separator from the evidence, or the problem that prevents one."""
    last = extract(number, r"(?P<sep>[.,])(?P<tail>\d+)$").fillna("")
    head = extract(number, r"^(?P<head>\d+)")["head"].fillna("")
    both = number.str.contains(".", regex=False) & number.str.contains(",", regex=False)
    count = {sep: number.str.count(re.escape(sep)) for sep in DECIMALS}
    evidence = {}
    for sep, other in ((".", ","), (",", ".")):
        single = count[sep].eq(1) & ~both
        tells = single & (last["tail"].str.len().ne(3) | head.eq("0") | head.str.len().gt(3))
        repeated_other = count[other].gt(1) & ~both
        evidence[sep] = (both & last["sep"].eq(sep)) | tells | repeated_other
    if evidence["."].any() and evidence[","].any():
        return None, (
            f"mixes a decimal point ({example_rows(text, evidence['.'])}) and a decimal comma "
            f"({example_rows(text, evidence[','])}); fix the file, or choose the decimal separator"
        )
    for sep in DECIMALS:
        if evidence[sep].any():
            return sep, None
    unclear = number.str.fullmatch(r"\d{1,3}[.,]\d{3}")
    if unclear.any():
        return None, (
            f"is ambiguous: values such as {example_rows(text, unclear)} could be thousands or "
            "decimals; choose the decimal separator: . or ,"
        )
    return ".", None


def _refused(text: pd.Series, problem: str) -> AmountReading:
    return AmountReading(None, pd.Series(np.nan, index=text.index), problem)
