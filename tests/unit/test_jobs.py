"""Background training: the manager chosen by configuration, the CLI call, failure messages."""

import base64
import queue
import threading

import dash
import pytest

from portal import jobs, registry, uploads
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
        "-m", "portal", "train", "--progress", f"--transactions={tmp_path / 'x.csv'}",
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
    assert (args.quantity_col, args.order_col, args.progress) == ("-qty", "-order", True)


def test_failure_message_prefers_the_cli_error_line():
    log = "INFO starting\nerror: need at least 6 months of history\n"
    assert jobs._failure(log, 2) == "need at least 6 months of history"
    assert jobs._failure("Traceback...\nMemoryError\n", 1) == "MemoryError"
    assert jobs._failure("", -9) == "the training process exited with code -9"


@pytest.fixture
def stored_upload(tmp_path):
    """A configured DATA_DIR holding one small upload."""
    settings = Settings(data_dir=tmp_path)
    jobs.configure(settings)
    rows = base64.b64encode(b"customer_id,date,amount\na,2021-01-05,1\n").decode()
    return uploads.save(settings.uploads_dir, "log.csv", f"data:text/csv;base64,{rows}", 99, "a")


def test_a_run_started_after_the_check_makes_the_cli_refuse(tmp_path, stored_upload, monkeypatch):
    upload = stored_upload
    monkeypatch.setattr(registry, "running_progress", lambda data_dir: None)  # checked too early
    held = registry.training_lock(tmp_path)  # another run (the CLI's or the page's) holds it
    with held, pytest.raises(jobs.TrainingFailed, match="a training run is already in progress"):
        jobs.train_upload(upload.id, ColumnMap(), lambda *_: None)
    assert registry.versions(tmp_path) == []
    assert len(list(upload.folder.glob("train-*.log"))) == 1  # each run writes its own log


def test_a_second_request_is_shown_the_running_runs_progress(tmp_path, stored_upload, monkeypatch):
    monkeypatch.setattr(jobs, "FOLLOW_SECONDS", 0.01)
    seen, outcome = queue.Queue(), []

    def second_request():
        try:
            jobs.train_upload(stored_upload.id, ColumnMap(), lambda *step: seen.put(step))
        except jobs.RunInProgress as exc:
            outcome.append(str(exc))

    with registry.training_lock(tmp_path):  # the first run
        registry.record_progress(tmp_path, 2, 5, "backtest")
        follower = threading.Thread(target=second_request)
        follower.start()
        assert seen.get(timeout=60) == (2, 5, "backtest")
        registry.record_progress(tmp_path, 3, 5, "final fit")
        assert seen.get(timeout=60) == (3, 5, "final fit")
        assert registry.running_progress(tmp_path) == (3, 5, "final fit")
    follower.join(timeout=60)
    assert not follower.is_alive() and seen.empty()
    assert outcome[0].startswith("Another training run was in progress")
    assert list(stored_upload.folder.glob("train-*.log")) == []  # nothing was started
    assert registry.running_progress(tmp_path) is None


def test_a_run_records_its_progress_from_the_start(tmp_path):
    assert registry.running_progress(tmp_path) is None
    (tmp_path / registry.TRAINING_PROGRESS).write_text('{"done": 5, "total": 5, "message": "done"}')
    with registry.training_lock(tmp_path):
        assert registry.running_progress(tmp_path) == (0, 1, "starting")  # not the last run's
