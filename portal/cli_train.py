"""``python -m portal train | retrain``: one training run under the DATA_DIR's training lock.

It reports as human text (default; ``--progress`` adds the steps) or, with ``--progress-format
json``, as records on stdout (``portal.records``), which the data page's jobs read.
"""

from __future__ import annotations

import argparse
import sys

from portal import records, registry
from portal.config import Settings


class Report:
    """Where a run says what happens: every step into the registry (for other requests to show),
    and to the caller as text or as JSON records."""

    def __init__(self, settings: Settings, form: str, steps: bool):
        self.settings, self.json, self.steps = settings, form == "json", steps

    def _record(self, event: str, **fields) -> None:
        if self.json:
            print(records.line(event, **fields), flush=True)

    @property
    def _text(self):
        """Human text goes to stderr when stdout carries records."""
        return sys.stderr if self.json else sys.stdout

    def progress(self, done: int, total: int, message: str) -> None:
        registry.record_progress(self.settings.data_dir, done, total, message)
        self._record("progress", done=done, total=total, message=message)
        if self.steps and not self.json:
            print(f"progress {done}/{total} {message}", flush=True)

    def say(self, line: str) -> None:
        """A line of human text (the Dask engine's steps and dashboard link)."""
        print(line, file=self._text, flush=True)

    def error(self, message: str) -> None:
        print(f"error: {message}", file=sys.stderr, flush=True)
        self._record("error", message=message)

    def unchanged(self, version: str) -> None:
        self._record("unchanged", version=version)
        print(
            f"unchanged: the data fingerprint matches current version {version}; skipped",
            file=self._text,
        )

    def published(self, document: dict) -> None:
        from portal.artifacts import backtest_available

        self._record("published", version=document["version"], seconds=document["seconds"])
        out = self._text
        print(f"published {document['version']}", file=out, flush=True)
        print(
            f"cutoff {document['cutoff']}  customers {document['customers']}  "
            f"{document['seconds']}s",
            file=out,
        )
        backtest = document["backtest"]
        if not backtest_available(document):
            print(f"warning: {backtest['note']}", file=out, flush=True)
            return
        print(
            f"backtest at {backtest['cutoff']} ({backtest['customers']} customers, "
            "6-month horizon):",
            file=out,
        )
        print(metrics_table(backtest), file=out)


def train_command(args: argparse.Namespace, columns) -> int:
    """train / retrain on ``args.transactions`` read with ``columns`` (the shipped CDNOW log when
    no file is given); exit status 0, 2 (bad data) or ``registry.IN_PROGRESS_EXIT``."""
    settings = Settings.from_env()
    report = Report(settings, args.progress_format, args.progress)
    try:
        with registry.training_lock(settings.data_dir):
            return _train(args, columns, settings, report)
    except registry.TrainingInProgress as exc:
        report.error(str(exc))
        return registry.IN_PROGRESS_EXIT


def _train(args: argparse.Namespace, columns, settings: Settings, report: Report) -> int:
    from pathlib import Path

    from portal.cutoffs import TrainError
    from portal.ingest import CDNOW_COLUMNS, IngestError, load_transactions
    from portal.pipeline import train_frame
    from portal.publishing import unchanged

    if args.transactions is None:
        path, columns = settings.transactions_path, CDNOW_COLUMNS
    else:
        path = Path(args.transactions)
    try:
        if args.engine == "dask":
            from portal.dask_engine import train_cli

            document = train_cli(args, path, columns, settings, report.progress, report.say)
        else:
            transactions = load_transactions(path, columns)
            retrain = args.command == "retrain" and not args.force
            document = (retrain and unchanged(settings.data_dir, transactions, args.cutoff)) or (
                train_frame(
                    transactions,
                    path.name,
                    settings.data_dir,
                    args.cutoff,
                    args.seed,
                    database_url=settings.database_url,
                    trained_by=args.trained_by,
                    progress=report.progress,
                )
            )
        if isinstance(document, str):  # the current version's name: the data is unchanged
            report.unchanged(document)
            return 0
    except (IngestError, TrainError) as exc:
        report.error(str(exc))
        return 2
    report.published(document)
    return 0


def metrics_table(backtest: dict) -> str:
    """The backtest figures of the model and baselines as a fixed-width text table."""
    from portal.analytics import BACKTEST_METRICS

    methods = [k for k, v in backtest.items() if isinstance(v, dict) and "mae" in v]
    head = f"{'method':<20}" + "".join(f"{m.name[:12]:>13}" for m in BACKTEST_METRICS)
    lines = [head, "-" * len(head)]
    for method in methods:
        values = backtest[method]
        cells = (values.get(m.name) for m in BACKTEST_METRICS)
        lines.append(
            f"{method:<20}"
            + "".join("            —" if v is None else f"{v:>13.3f}" for v in cells)
        )
    return "\n".join(lines)
