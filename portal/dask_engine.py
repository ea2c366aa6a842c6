"""The Dask engine: train and score a log hash-partitioned by customer on a Dask cluster.

``python -m portal train --engine dask [--scheduler tcp://host:8786]``. The log's parts are read
and validated on the workers (``partitions.load_part``), shuffled so that each partition holds
whole customers (dask.dataframe's hash shuffle on ``customer_id``) and collapsed to daily rows
there (``features.daily``); the log never comes to one process. Every per-customer step runs the
pandas engine's own code on each partition:

* Training snapshots and the population models' samples: each partition keeps its customers whose
  ``sampling`` key is below a bound set from the number of customers known at each cutoff (with
  room to spare, checked, and widened if short); the client keeps the n smallest keys overall.
  These are exactly the customers the pandas engine samples, in the same (id) order, so the
  models (``fitting.assemble_model``) are fitted on the same rows.
* The business clock: the same, on ``clock.customer_design`` rows.
* Scoring: each partition predicts its customers; the client gathers one row per customer (id,
  prediction parts, the columns the backtest's baselines need, the label) and sorts it by id, the
  pandas engine's order, so ranks, deciles, the intervals' edges and every backtest figure
  (normalized Gini, deciles: a global order) are computed exactly, by the same functions. Each
  partition's features and prediction stay on the workers (``Held``), and the version's table is
  written by partition (``clv_prepared.parquet/part-*.parquet``) from them plus the global ranks
  and the final intervals, without building or scoring anything twice; drift counts are summed
  over partitions.

Monitoring older versions (it needs the whole log) is left to ``python -m portal monitor``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from portal import (
    backtest,
    calibration,
    cutoffs,
    dask_cluster,
    drift,
    explain,
    features,
    fitting,
    intervals,
    partitions,
    pipeline,
    publishing,
    sampling,
    season,
    train,
)
from portal import dask_tasks as tasks
from portal.clock import fit_design, sample_design
from portal.ingest import ColumnMap, IngestReport
from portal.model import ClvModel, add_population_features

if TYPE_CHECKING:
    from distributed import Future

log = logging.getLogger(__name__)

PARTITION_BYTES = 8 * 2**20  # input bytes per partition (at least 2 partitions per worker)
SPARE = 8.0  # a bound keeps n + SPARE * sqrt(n) + 64 customers on average
Report = Callable[[str], None]


@dataclass
class Held:
    """A scoring pass's parts (``tasks.scored_part`` futures, in partition order) on the workers,
    and the model they were scored with (held by a task): kept so that Dask recomputes a part lost with
    a worker from its lineage."""

    model: Future
    parts: list[Future]


@dataclass
class Scoring:
    """What writing a scored table needs: one row per customer (id, partition, rank, decile,
    segment) and the partitions' scored parts."""

    places: pd.DataFrame
    held: Held


class Run:
    """One training run's cluster, partitioned daily log and progress reporting."""

    def __init__(self, client, seed: int, report: Report | None = None):
        self.client, self.seed = client, seed
        self.report = report or (lambda message: None)
        self.days: list = []  # futures: one daily frame per partition (whole customers)
        self._partitioning: list = []  # futures: ``days`` while ``read`` computes them
        self._summaries: list = []  # futures: each part's counts and row hashes
        self.first_day = self.last_day = None
        self.first_seen: pd.Series | None = None  # customers by the day of their first row

    def release(self) -> None:
        """Drop the run's data on the workers (the partitions' daily rows and their summaries) and
        hand their freed heap back to the system, before the client publishes."""
        self.days, self._partitioning, self._summaries = [], [], []
        self.client.run(tasks.trim_memory)

    # -- running tasks -----------------------------------------------------------------------
    def gather(self, futures: list, label: str, unit: str = "partitions") -> list:
        """Results of ``futures`` in order, reporting tasks done / total as they finish."""
        from distributed import as_completed

        total, done, step = len(futures), 0, max(1, len(futures) // 10)
        for _ in as_completed(futures):
            done += 1
            if done == total or done % step == 0:
                self.report(f"  {label}: {done}/{total} {unit}")
        return self.client.gather(futures)

    def each(self, function, label: str, *args) -> list:
        """``function(days, *args)`` on every partition; the results in partition order."""
        shared = [self.share(a) if tasks.big(a) else a for a in args]
        return self.gather([self.client.submit(function, d, *shared) for d in self.days], label)

    def share(self, value):
        """A future of ``value`` for many tasks, sent once. A task holds it, so the cluster
        rebuilds it if every worker holding a copy dies (scattered data cannot be rebuilt)."""
        return self.client.submit(tasks.held, value, pure=False)

    # -- the log -----------------------------------------------------------------------------
    def read(self, source, columns: ColumnMap, npartitions: int | None = None) -> str:
        """Start reading, validating and partitioning the log; returns its fingerprint as soon
        as every part is read (``partition`` waits for the rest)."""
        import dask
        import dask.dataframe as dd
        from dask import delayed

        parts = partitions.source_parts(source)
        columns = partitions.one_way(columns, parts[0])
        meta = self.client.submit(partitions.load_part, parts[0], 0, columns).result().iloc[:0]
        with dask.config.set({"dataframe.convert-string": False}):  # keep ingest's dtypes
            frames = dd.from_map(
                functools.partial(tasks.load_part, columns=columns),
                list(enumerate(parts)),
                meta=meta,
            )
        threads = sum(self.client.nthreads().values())
        size = sum(p.stat().st_size for p in parts)
        npartitions = npartitions or max(2 * threads, math.ceil(size / PARTITION_BYTES))
        with dask.config.set({"dataframe.convert-string": False}):
            shuffled = frames.shuffle(on="customer_id", npartitions=npartitions)
            days = shuffled.map_partitions(
                tasks.partition_days, meta=tasks.days_meta(meta)
            ).to_delayed()
        summaries = [delayed(tasks.part_summary)(f) for f in frames.to_delayed()]
        futures = self.client.compute(days + summaries)
        self.report(f"reading {len(parts)} part(s) into {npartitions} customer partitions")
        self._partitioning, self._summaries = futures[: len(days)], futures[len(days) :]
        return self._fingerprint(self._summaries)

    def partition(self) -> IngestReport:
        """Wait for the customer partitions that ``read`` started; returns the log's report."""
        self.gather(self._partitioning, "partitioned")
        stats = self.gather(
            [self.client.submit(tasks.days_stats, d) for d in self._partitioning], "indexed"
        )
        self.days = [d for d, s in zip(self._partitioning, stats) if s["rows"]]
        self.first_seen = pd.concat([s["first_seen"] for s in stats]).groupby(level=0).sum()
        summary = self._report(
            self.gather(
                [self.client.submit(lambda s: s["stats"], f) for f in self._summaries], "read"
            ),
            sum(s["customers"] for s in stats),
        )
        self.first_day = pd.Timestamp(summary.first_date)
        self.last_day = pd.Timestamp(summary.last_date)
        return summary

    def _report(self, stats: list[dict], customers: int) -> IngestReport:
        """``ingest.report`` of the whole log from its parts' counts."""
        returns = sum(s["returns"] for s in stats)
        notes = [f"{returns} negative amount(s) treated as returns: netted against spend"]
        return IngestReport(
            rows=sum(s["rows"] for s in stats),
            customers=customers,
            first_date=str(min(s["first"] for s in stats).date()),
            last_date=str(max(s["last"] for s in stats).date()),
            returns=returns,
            zero_amount=sum(s["zero_amount"] for s in stats),
            notes=notes if returns else [],
        )

    def _fingerprint(self, summary_futures: list) -> str:
        """``ingest.fingerprint``: SHA-256 of every row's hash in sorted order, sorted slice by
        slice (the slices are ranges of hash values, so their concatenation is sorted)."""
        digest = hashlib.sha256()
        for bucket in range(tasks.HASH_BUCKETS):
            pieces = self.client.gather(
                [self.client.submit(tasks.bucket, f, bucket) for f in summary_futures]
            )
            digest.update(np.sort(np.concatenate(pieces)).tobytes())
        return digest.hexdigest()[:16]

    # -- samples -----------------------------------------------------------------------------
    def known(self, cutoff: pd.Timestamp) -> int:
        """Customers with a row before ``cutoff``."""
        return int(self.first_seen[self.first_seen.index < cutoff].sum())

    def smallest(self, rows, cutoffs: list[pd.Timestamp], n: int, prefix: str = "") -> dict:
        """Per cutoff, the rows of the n customers with the smallest ``sampling`` keys (all of them
        when there are at most n), sorted by id. ``rows(days, cutoff, log_start)`` gives a
        partition's candidate rows (indexed by customer id)."""
        spare = SPARE
        chosen: dict = {}
        pending = list(cutoffs)
        while pending:
            bounds = {c: tasks.bound(n, self.known(c), spare) for c in pending}
            salts = {c: prefix + sampling.salt(c, self.seed) for c in pending}
            label = f"sampling {len(pending)} cutoff(s)"
            found = self.each(tasks.below, label, rows, bounds, salts, self.first_day)
            for cut in list(pending):
                frame = pd.concat([f[cut] for f in found])
                total = self.known(cut)
                if len(frame) < min(n, total) and bounds[cut] < 2**64 - 1:
                    continue  # unlucky: too few below the bound; widen it
                chosen[cut] = sampling.sample(frame.sort_index(), n, salts[cut])
                pending.remove(cut)
            spare *= 4
        return chosen

    # -- the pandas engine's steps, by partition ---------------------------------------------
    def fit_clock(self, cutoff: pd.Timestamp):
        """``clock.fit`` on the same customers."""
        from portal.clock import MAX_FIT_CUSTOMERS

        design = self.smallest(tasks.design_rows, [cutoff], MAX_FIT_CUSTOMERS, "clock:")[cutoff]
        return fit_design(sample_design(design, cutoff, self.seed), self.first_day, cutoff)

    def fit_model(self, cutoff: pd.Timestamp, holdout_intervals: bool = False) -> ClvModel:
        """``fitting.fit_model``: the same snapshots, population samples and model."""
        cuts = cutoffs.training_cutoffs(self.first_day, cutoff)
        visible = season.season_visible(self.first_day, cutoff)
        business = self.fit_clock(cutoff) if visible else None
        self.report(f"building {len(cuts)} training snapshots {cuts[0].date()}..{cuts[-1].date()}")
        per_snapshot = fitting.MAX_TRAINING_ROWS // len(cuts)
        wanted = max(per_snapshot, sampling.POPULATION_CUSTOMERS)
        samples = self.smallest(tasks.labelled_features, cuts, wanted)
        populations = self.populations(samples, business)
        snapshots = [
            sampling.sample(
                add_population_features(samples[cut], populations[cut]),
                per_snapshot,
                sampling.salt(cut, self.seed),
            )
            for cut in cuts
        ]
        current = self.smallest(tasks.customer_features, [cutoff], sampling.POPULATION_CUSTOMERS)[
            cutoff
        ]
        return fitting.assemble_model(
            snapshots, current, cuts, cutoff, business, self.seed, holdout_intervals
        )

    def populations(self, samples: dict, business) -> dict:
        """``fitting.population_at`` on each cutoff's sample, fitted on the workers in parallel
        (a task per cutoff; the columns the population models read travel inside it, so a lost
        worker loses nothing)."""
        cuts = list(samples)
        futures = [
            self.client.submit(
                fitting.population_at, tasks.population_rows(samples[c]), c, business, self.seed
            )
            for c in cuts
        ]
        label = f"population models at {len(cuts)} cutoff(s)"
        return dict(zip(cuts, self.gather(futures, label, "cutoffs")))

    def predictions(
        self, model: ClvModel, cutoff: pd.Timestamp, labels: bool
    ) -> tuple[pd.DataFrame, Held]:
        """One row per customer known at ``cutoff``, sorted by id: the prediction's parts, the
        baselines' columns, the label (``labels``) and the partition it came from; and the
        partitions' scored parts, held on the workers."""
        held = Held(self.share(model), [])
        for days in self.days:
            held.parts.append(
                self.client.submit(
                    tasks.scored_part, days, held.model, cutoff, labels, self.first_day
                )
            )
        label = f"scoring at {cutoff.date()}"
        columns = [self.client.submit(tasks.ranking_columns, part) for part in held.parts]
        parts = self.gather(columns, label)
        for index, part in enumerate(parts):
            part["partition"] = index
        return pd.concat(parts).sort_index(), held

    def validation_window(self, cutoff, earlier: fitting.Scored | None):
        """``calibration.validation_window``."""
        start = features.add_months(cutoff, -features.HORIZON_MONTHS)
        if earlier is not None:
            model, table = earlier.model, earlier.table
            predicted = table["predicted_clv_6m"].to_numpy() / model.total_correction
            return calibration.ValidationWindow(
                start,
                model,
                predicted,
                table["p_purchase"].to_numpy(),
                table["actual_6m"].to_numpy(),
            )
        try:
            model = self.fit_model(start)
        except cutoffs.TrainError:
            return None
        known, _ = self.predictions(model, start, labels=True)
        prediction = tasks.prediction(known)
        actual = known["actual_6m"].to_numpy()
        return calibration.ValidationWindow(
            start, model, prediction.clv, prediction.p_purchase, actual
        )

    def fit_and_score(
        self, cutoff: pd.Timestamp, labels: bool, earlier: fitting.Scored | None = None
    ) -> tuple[fitting.Scored, Scoring]:
        """``train.fit_and_score``; returns the scored table's per-customer columns (sorted by
        id, as the pandas engine's table) and what writing the table needs."""
        window = self.validation_window(cutoff, earlier)
        validation = calibration.validation_correction(window, self.first_day, cutoff)
        correction = validation["factor"] if validation and validation["applied"] else 1.0
        calibrated = calibration.interval_model(window, correction)
        model = self.fit_model(cutoff, holdout_intervals=calibrated is None)
        model.validation, model.total_correction = validation, correction
        known, held = self.predictions(model, cutoff, labels)
        prediction = tasks.prediction(known)
        calibrated = calibrated or model.intervals
        model.intervals = calibrated.with_edges(prediction.clv) if calibrated else None
        table = train.score_table(model, known[tasks.BASELINE_COLUMNS], prediction)
        if labels:
            table["actual_6m"] = known["actual_6m"].to_numpy()
        places = table[["customer_id", "rank", "decile", "segment"]].assign(
            partition=known["partition"].to_numpy()
        )
        return fitting.Scored(model=model, table=table), Scoring(places, held)

    def write_table(self, model: ClvModel, scoring: Scoring, folder: Path) -> dict:
        """Write the scored table by partition from the scoring pass's held parts (each released
        once written); returns the drift report and the feature importance (``global_importance``:
        its rows explained by their partitions' tasks)."""
        held = scoring.held
        table = partitions.PartitionedTable(folder)
        places = scoring.places.assign(
            explained=sampling.smallest(
                scoring.places["customer_id"], train.IMPORTANCE_ROWS, f"{self.seed}"
            )
        )
        by_partition = dict(tuple(places.groupby("partition", sort=True)))
        model_future = self.share(model)
        present = [i for i in range(len(held.parts)) if i in by_partition]
        ranks = [by_partition[i] for i in present]  # in the tasks: they survive a lost worker
        futures = [
            self.client.submit(tasks.final_part, held.parts[i], model_future, r)
            for i, r in zip(present, ranks)
        ]
        from distributed import as_completed

        counts, explained, done = {}, [], 0
        position = {f.key: i for i, f in enumerate(futures)}
        for future, (part, part_counts, rows) in as_completed(futures, with_results=True):
            table.write(position[future.key], part)
            if rows[1] is not None:
                explained.append(rows)
            for column, values in part_counts.items():
                counts[column] = counts.get(column, 0) + values
            done += 1
            if done == len(futures) or done % max(1, len(futures) // 10) == 0:
                self.report(f"  writing the scored table: {done}/{len(futures)} partitions")
            future.release()
            held.parts[present[position[future.key]]].release()
        n = len(places)
        shares = {c: v / max(n, 1) for c, v in counts.items()}
        ids = pd.Series(np.concatenate([part_ids for part_ids, _ in explained]))
        order = ids.sort_values(kind="stable").index.to_numpy()  # the pandas engine's, id order
        absolute = np.concatenate([rows for _, rows in explained])[order]
        return {
            "table": table,
            "drift": drift.report_shares(model.feature_bins, shares),
            "importance": explain.ranked_importance(model, absolute),
        }


def train_source(
    source,
    data_dir: str | Path,
    columns: ColumnMap = ColumnMap(),
    cutoff: str | None = None,
    seed: int = 0,
    *,
    client,
    database_url: str | None = None,
    trained_by: str = "cli",
    progress: pipeline.Progress | None = None,
    report: Report | None = None,
    npartitions: int | None = None,
    skip_if_unchanged: bool = False,
) -> dict | str:
    """``pipeline.train_frame`` on the Dask engine, from a file, folder or glob of parts.

    Returns the new version's metrics, or with ``skip_if_unchanged`` the current version's name
    when it was trained on the same data the same way (nothing is trained then).
    """
    started = time.perf_counter()
    production = cutoff is None
    step = pipeline._Steps(progress, total=5 if production else 4)
    run = Run(client, seed, report or log.info)
    if client.dashboard_link:
        run.report(f"Dask dashboard: {client.dashboard_link}")
    step("reading and partitioning the log by customer")
    data_hash = run.read(source, columns, npartitions)
    if skip_if_unchanged:  # decided on the parts as read, before the shuffle's end or any fit
        same = publishing.unchanged_fingerprint(Path(data_dir), data_hash, cutoff)
        if same:
            return same  # the partitioning's futures are released with the run
    summary = run.partition()
    score_cutoff, backtest_cutoff = cutoffs.run_cutoffs(run.first_day, run.last_day, cutoff)
    if backtest_cutoff is None:
        step.total -= 1
        metrics_backtest = cutoffs.no_backtest(run.first_day, score_cutoff)
        back = scoring = None
    else:
        step(f"backtest: training on the past, scoring at {backtest_cutoff.date()}")
        back, scoring = run.fit_and_score(backtest_cutoff, labels=True)
        metrics_backtest = backtest.judge(back, backtest_cutoff, run.first_day)
    if production:
        scoring = None  # the backtest's parts are not written: free the workers' memory
        step(f"final model: training on all history, scoring at {score_cutoff.date()}")
        final, scoring = run.fit_and_score(score_cutoff, labels=False, earlier=back)
    else:
        final = back

    step("writing the scored table by partition, explaining the model")
    model = final.model
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".dask-") as work:
        written = run.write_table(model, scoring, Path(work) / "t")
        document = pipeline.describe(model, production, summary, data_hash, Path(source).name)
        document.update(
            customers=len(final.table),
            feature_importance=written["importance"],
            backtest=metrics_backtest,
            correction=calibration.correction_summary(model),
            season=season.season_summary(model, run.first_day),
            intervals=intervals.summary(model.intervals, final.table),
            drift=written["drift"],
            seed=seed,
            trained_by=trained_by,
            engine="dask",
            partitions=len(run.days),
        )
        step("saving the version and its predictions")
        run.report(f"  saving the version: {len(final.table):,} predictions into the database")
        del final, back, scoring  # the client's and the workers' copies, before publishing
        run.release()
        document["seconds"] = round(time.perf_counter() - started, 2)
        publishing.publish(Path(data_dir), written["table"], model, document, database_url)
    step.done()
    log.info("published version %s in %.1fs", document["version"], document["seconds"])
    return document


def train_cli(args, source, columns: ColumnMap, settings, progress, say: Report) -> dict | str:
    """``python -m portal train|retrain --engine dask``: the run on the cluster the options name;
    the current version's name when ``retrain`` finds the data unchanged."""
    with dask_cluster.connect(args.scheduler, args.workers, args.worker_memory) as client:
        return train_source(
            source,
            settings.data_dir,
            columns,
            args.cutoff,
            args.seed,
            client=client,
            database_url=settings.database_url,
            trained_by=args.trained_by,
            progress=progress,
            report=say,
            npartitions=args.partitions,
            skip_if_unchanged=args.command == "retrain" and not args.force,
        )
