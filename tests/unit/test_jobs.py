"""Background training: the manager chosen by configuration, the CLI call, failure messages."""

import base64
import queue
import sys
import threading

import dash
import pytest

from portal import jobs, records, registry, uploads
from portal.__main__ import parser
from portal.config import Settings
from portal.ingest import ColumnMap
from portal.uploads import Upload


def test_diskcache_by_default_celery_when_a_broker_is_configured(tmp_path):
    local = jobs.background_manager(Settings(data_dir=tmp_path))
    assert isinstance(local, dash.DiskcacheManager) and (tmp_path / "jobs").is_dir()
    shared = jobs.background_manager(
        Settings(data_dir=tmp_path, celery_broker_url="redis://127.0.0.1:6379/0")
    )
    assert isinstance(shared, dash.CeleryManager)
    assert shared.handle.conf.broker_url == "redis://127.0.0.1:6379/0"


def test_train_command_maps_every_column(tmp_path):
    upload = Upload("a" * 32, tmp_path / "x.csv", "x.csv", 10, "ann", "2026-01-01T00:00:00+00:00")
    command = jobs.train_command(upload, ColumnMap("K", "D", "A", "Q", "O"))
    assert command[1:] == [
        "-m", "portal", "train", "--progress-format=json", f"--transactions={tmp_path / 'x.csv'}",
        "--customer-col=K", "--date-col=D", "--amount-col=A", "--trained-by=ann",
        "--quantity-col=Q", "--order-col=O",
    ]  # fmt: skip
    assert "--quantity-col" not in " ".join(jobs.train_command(upload, ColumnMap("K", "D", "A")))


def test_train_command_carries_the_price_and_the_chosen_formats(tmp_path):
    upload = Upload("a" * 32, tmp_path / "x.csv", "x.csv", 10, "ann", "2026-01-01T00:00:00+00:00")
    columns = ColumnMap(
        "K", "D", None, "Q", price="P", date_format="dayfirst", decimal=",", sheet="S"
    )
    assert jobs.train_command(upload, columns)[6:] == [
        "--customer-col=K", "--date-col=D", "--trained-by=ann", "--quantity-col=Q",
        "--price-col=P", "--date-format=dayfirst", "--decimal=,", "--sheet=S",
    ]  # fmt: skip


def test_names_starting_with_a_dash_reach_the_cli_as_values(tmp_path):
    upload = Upload("a" * 32, tmp_path / "-x.csv", "-x.csv", 10, "-ann", "2026-01-01T00:00:00Z")
    columns = ColumnMap("-id", "--date", "-amount", "-qty", "-order", sheet="-S")
    args = parser().parse_args(jobs.train_command(upload, columns)[3:])
    assert args.transactions == str(tmp_path / "-x.csv")
    assert (args.trained_by, args.sheet) == ("-ann", "-S")
    assert (args.customer_col, args.date_col, args.amount_col) == ("-id", "--date", "-amount")
    assert (args.quantity_col, args.order_col) == ("-qty", "-order")
    assert args.progress_format == "json"


def test_failure_message_prefers_the_cli_error_line():
    log = "INFO starting\nerror: need at least 6 months of history\n"
    assert jobs._failure(log, 2) == "need at least 6 months of history"
    assert jobs._failure("Traceback...\nMemoryError\n", 1) == "MemoryError"
    assert jobs._failure("", -9) == "the training process exited with code -9"


@pytest.fixture
def stored_upload(tmp_path):
    """A configured DATA_DIR holding one small upload."""
    settings = Settings(data_dir=tmp_path)
    rows = base64.b64encode(b"customer_id,date,amount\na,2021-01-05,1\n").decode()
    return uploads.save(settings.uploads_dir, "log.csv", f"data:text/csv;base64,{rows}", 99, "a")


def _second_request(
    settings: Settings, upload_id: str, seen: queue.Queue, outcome: list
) -> threading.Thread:
    """A data-page training request on its own thread: steps into ``seen``, its end in
    ``outcome``."""

    def run():
        try:
            jobs.train_upload(settings, upload_id, ColumnMap(), lambda *step: seen.put(step))
        except jobs.RunInProgress as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("started_after_the_check", [False, True])
def test_a_second_request_is_shown_the_running_runs_progress(
    tmp_path, stored_upload, monkeypatch, started_after_the_check
):
    """Whether the page sees the run before starting its CLI or its CLI finds the lock held
    (exit 75), it starts no training and follows the running one to its end."""
    monkeypatch.setattr(jobs, "FOLLOW_SECONDS", 0.01)
    probe = registry.running_progress
    if started_after_the_check:
        missed = [True]  # the first probe misses the run, as when it starts a moment later

        def late_probe(data_dir):
            if missed:
                missed.clear()
                return None
            return probe(data_dir)

        monkeypatch.setattr(registry, "running_progress", late_probe)
    seen, outcome = queue.Queue(), []
    with registry.training_lock(tmp_path):  # the first run
        registry.record_progress(tmp_path, 2, 5, "backtest")
        follower = _second_request(Settings(data_dir=tmp_path), stored_upload.id, seen, outcome)
        assert seen.get(timeout=120) == (2, 5, "backtest")
        registry.record_progress(tmp_path, 3, 5, "final fit")
        assert seen.get(timeout=60) == (3, 5, "final fit")
        assert probe(tmp_path) == (3, 5, "final fit")
    follower.join(timeout=60)
    assert not follower.is_alive() and seen.empty()
    assert outcome == [jobs.OTHER_RUN] and registry.versions(tmp_path) == []
    logs = list(stored_upload.folder.glob("train-*.log"))
    assert len(logs) == started_after_the_check  # the refused CLI's own log, or none
    assert probe(tmp_path) is None


def test_a_run_records_its_progress_from_the_start(tmp_path):
    assert registry.running_progress(tmp_path) is None
    (tmp_path / registry.TRAINING_PROGRESS).write_text('{"done": 5, "total": 5, "message": "done"}')
    with registry.training_lock(tmp_path):
        assert registry.running_progress(tmp_path) == (0, 1, "starting")  # not the last run's


def test_the_job_relays_the_records_and_ignores_other_output(tmp_path, stored_upload, monkeypatch):
    """The child's stdout carries JSON records (portal.records): progress is relayed in order, a
    stray printed line is skipped, and the error record is the failure's message."""
    lines = [
        records.line("progress", done=0, total=4, message="building daily activity"),
        "progress 1/4 a line of prose is not a record",
        records.line("progress", done=1, total=4, message="backtest"),
        records.line("error", message="need at least 6 months of history"),
    ]
    script = "import sys; print(sys.argv[1]); sys.exit(2)"
    monkeypatch.setattr(
        jobs, "train_command", lambda *_: [sys.executable, "-c", script, "\n".join(lines)]
    )
    seen = []
    with pytest.raises(jobs.TrainingFailed, match="^need at least 6 months of history$"):
        jobs.train_upload(
            Settings(data_dir=tmp_path), stored_upload.id, ColumnMap(), lambda *s: seen.append(s)
        )
    assert seen == [(0, 4, "building daily activity"), (1, 4, "backtest")]


def test_records_round_trip_and_anything_else_is_none():
    assert records.read(records.line("published", version="v1", seconds=2.5)) == {
        "event": "published",
        "version": "v1",
        "seconds": 2.5,
    }
    for other in ("published v1", "", "[1, 2]", '{"event": "shutdown"}', '{"version": "v1"}'):
        assert records.read(other) is None
    with pytest.raises(ValueError, match="unknown event"):
        records.line("shutdown")
