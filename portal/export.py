"""CSV exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd
from dash import dcc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas: a leading = + - @ tab or CR gets a '."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            continue
        text = out[column].astype(str)
        risky = text.str.startswith(FORMULA_STARTS)
        out[column] = text.where(~risky, "'" + text)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``spreadsheet_safe`` CSV with CRLF line ends (RFC 4180), so a CR inside a cell is quoted."""
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\r\n")


def send_csv(frame: pd.DataFrame, filename: str) -> dict:
    """A dcc.Download payload of ``csv_text``."""
    return dcc.send_string(csv_text(frame), filename)
