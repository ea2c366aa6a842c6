"""Background training: the manager chosen by configuration, the CLI call, failure messages."""

import dash
import pytest

from portal import jobs
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


def test_the_data_page_is_told_when_a_training_run_is_in_progress(tmp_path):
    import base64

    from portal import registry, uploads

    settings = Settings(data_dir=tmp_path)
    jobs.configure(settings)
    rows = base64.b64encode(b"customer_id,date,amount\na,2021-01-05,1\n").decode()
    upload = uploads.save(settings.uploads_dir, "log.csv", f"data:text/csv;base64,{rows}", 99, "a")
    held = registry.training_lock(tmp_path)  # another run (the CLI's or the page's) holds it
    with held, pytest.raises(jobs.TrainingFailed, match="a training run is already in progress"):
        jobs.train_upload(upload.id, ColumnMap(), lambda *_: None)
    assert registry.versions(tmp_path) == []
    assert len(list(upload.folder.glob("train-*.log"))) == 1  # each run writes its own log
