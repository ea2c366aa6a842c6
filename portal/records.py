"""What a training process tells its parent: one JSON object per stdout line (``python -m portal
train --progress-format json``), read back by ``portal.jobs``.

Events: ``progress`` (done, total, message), ``published`` (version, seconds), ``unchanged``
(version: ``retrain`` skipped the run) and ``error`` (message: the run ended without a version).
"""

from __future__ import annotations

import json

EVENTS = ("progress", "published", "unchanged", "error")


def line(event: str, **fields) -> str:
    """One record as a line of JSON (no newline)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    return json.dumps({"event": event, **fields})


def read(text: str) -> dict | None:
    """The record a line holds, or None for anything else (a stray print, a partial line)."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("event") in EVENTS else None
