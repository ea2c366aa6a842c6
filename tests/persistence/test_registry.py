"""The model registry: versions, the atomic current pointer, rollback, kills and failures."""

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from portal import db, registry, store
from portal.__main__ import main
from portal.artifacts import METRICS
from portal.config import REPO_ROOT
from portal.ingest import ColumnMap
from portal.pipeline import run


@pytest.fixture
def first_version(tmp_path, small_logs) -> str:
    return run(small_logs[0], tmp_path, ColumnMap())["version"]


def test_rollback_is_served_without_a_restart(tmp_path, small_logs, first_version):
    second = run(small_logs[1], tmp_path, ColumnMap())["version"]
    assert registry.versions(tmp_path) == [first_version, second]
    served = store.store_for(tmp_path / "final")
    assert served.current().version == second
    assert os.readlink(tmp_path / "final") == f"models/{second}"  # relative: DATA_DIR can move

    registry.activate(tmp_path, first_version)
    assert served.current().version == first_version
    assert registry.current_version(tmp_path) == first_version
    for bad in ("nope", "../models", ".staging-1-x", ""):
        with pytest.raises(registry.UnknownVersion):
            registry.activate(tmp_path, bad)
    assert served.current().version == first_version


def test_a_pre_registry_final_folder_is_kept_as_a_version(tmp_path, small_logs):
    old = tmp_path / "old"
    first_version = run(small_logs[0], old, ColumnMap())["version"]
    shutil.move(old / "models" / first_version, tmp_path / "final")  # the layout before
    assert registry.current_version(tmp_path) == first_version

    second = run(small_logs[1], tmp_path, ColumnMap())["version"]
    assert registry.versions(tmp_path) == [first_version, second]
    assert (tmp_path / "final").is_symlink()
    url = f"sqlite:///{tmp_path / 'clv.db'}"
    assert [v["version"] for v in db.list_versions(url)] == [second, first_version]
    assert len(db.customer_history(url, "S0000007")) == 2


def test_a_failed_database_record_leaves_the_current_version(tmp_path, small_logs, first_version):
    with pytest.raises(Exception, match="unable to open database"):
        run(small_logs[1], tmp_path, ColumnMap(), database_url="sqlite:////no/such/dir/clv.db")
    assert registry.versions(tmp_path) == [first_version]
    assert registry.current_version(tmp_path) == first_version
    assert [p.name for p in (tmp_path / "models").iterdir() if p.name != ".lock"] == [first_version]


def test_staging_of_a_dead_process_is_invisible_and_then_removed(tmp_path, first_version):
    dead = subprocess.Popen(["true"])
    dead.wait()
    half = tmp_path / "models" / f"{registry.STAGING_PREFIX}{dead.pid}-abc"
    half.mkdir()
    (half / METRICS).write_text("{}")  # even a complete-looking staging folder stays hidden
    mine = registry.staging_dir(tmp_path)  # this process is alive: kept
    assert registry.versions(tmp_path) == [first_version]
    assert registry.remove_abandoned_staging(tmp_path) == [half.name]
    assert mine.exists() and not half.exists()


def test_killing_a_training_run_halfway_leaves_the_current_version(
    tmp_path, small_logs, first_version
):
    training = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portal",
            "train",
            "--transactions",
            str(small_logs[1]),
            "--progress",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in training.stdout:
            if line.startswith("progress 2/5"):  # the final model is being fitted
                break
        else:
            pytest.fail("training ended before it reached its second step")
        training.send_signal(signal.SIGKILL)
    finally:
        training.wait(timeout=30)
    assert training.returncode == -signal.SIGKILL
    assert registry.versions(tmp_path) == [first_version]
    assert registry.current_version(tmp_path) == first_version
    assert store.store_for(tmp_path / "final").current().version == first_version


def _cli(monkeypatch, capsys, data_dir, *argv) -> tuple[int, str]:
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_retrain_skips_unchanged_data_and_models_roll_back(
    tmp_path, small_logs, monkeypatch, capsys
):
    log = str(small_logs[0])
    code, out = _cli(monkeypatch, capsys, tmp_path, "retrain", "--transactions", log)
    assert code == 0 and out.startswith("published ")
    first = out.split()[1]
    recorded = json.loads((tmp_path / registry.TRAINING_PROGRESS).read_text())
    assert recorded == {"done": 5, "total": 5, "message": "done"}  # the CLI recorded every step
    code, out = _cli(monkeypatch, capsys, tmp_path, "retrain", "--transactions", log)
    assert code == 0 and out.startswith(
        f"unchanged: the data fingerprint matches current version {first}"
    )
    assert registry.versions(tmp_path) == [first]
    code, out = _cli(monkeypatch, capsys, tmp_path, "retrain", "--transactions", log, "--force")
    assert code == 0 and out.startswith("published ")
    forced = out.split()[1]
    assert registry.versions(tmp_path) == [first, forced]
    assert registry.current_version(tmp_path) == forced

    code, out = _cli(monkeypatch, capsys, tmp_path, "retrain", "--transactions", str(small_logs[1]))
    second = out.split()[1]
    assert code == 0 and registry.versions(tmp_path) == [first, forced, second]

    code, out = _cli(monkeypatch, capsys, tmp_path, "models", "list")
    lines = out.splitlines()
    assert lines[0].startswith(f"* {second}") and lines[2].startswith(f"  {first}")
    assert "production" in lines[0] and "customers      300" in lines[0]

    code, out = _cli(monkeypatch, capsys, tmp_path, "models", "activate", first)
    assert code == 0 and registry.current_version(tmp_path) == first
    code, out = _cli(monkeypatch, capsys, tmp_path, "models", "activate", "bogus")
    assert code == 2 and "no complete version 'bogus'" in out
    assert registry.current_version(tmp_path) == first

    shutil.rmtree(tmp_path / "models" / second)  # recorded, but its folder is gone
    code, out = _cli(monkeypatch, capsys, tmp_path, "models", "list")
    assert [line[:1] for line in out.splitlines()] == ["-", " ", "*"]

    shutil.rmtree(tmp_path / "models" / first)  # the current version's folder is gone too
    code, out = _cli(monkeypatch, capsys, tmp_path, "models", "list")
    assert [line[:1] for line in out.splitlines()] == ["-", " ", "-"]
    code, out = _cli(monkeypatch, capsys, tmp_path, "retrain", "--transactions", log)
    assert code == 0 and out.startswith("published ")
    assert registry.current_version(tmp_path) == out.split()[1]


def test_the_app_adopts_a_pre_registry_folder_when_it_starts(tmp_path, small_logs):
    from portal.config import Settings
    from tests.conftest import fresh_app

    old = tmp_path / "old"
    version = run(small_logs[0], old, ColumnMap())["version"]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.move(old / "models" / version, data_dir / "final")
    settings = Settings(data_dir=data_dir)
    client = fresh_app(settings).server.test_client()
    assert (data_dir / "final").is_symlink() and registry.versions(data_dir) == [version]
    assert client.get("/api/models").get_json()["current"] == version
    history = client.get("/api/customers/S0000007/history").get_json()
    assert [p["version"] for p in history["points"]] == [version]


def fake_versions(data_dir, *names):
    """Complete-looking version folders (a metrics.json each) without training."""
    for name in names:
        folder = data_dir / "models" / name
        folder.mkdir(parents=True)
        (folder / METRICS).write_text(f'{{"version": "{name}"}}')


def test_concurrent_rollbacks_in_one_process_do_not_collide(tmp_path, monkeypatch):
    import threading

    fake_versions(tmp_path, "a", "b")
    both_linked = threading.Barrier(2, timeout=10)  # a guard against a hang, not a timing
    real_symlink = os.symlink

    def symlink_then_wait(source, target):
        real_symlink(source, target)
        both_linked.wait()  # both threads hold their temporary link before either renames

    monkeypatch.setattr(registry.os, "symlink", symlink_then_wait)
    errors = []

    def roll_to(version):
        try:
            registry.activate(tmp_path, version)
        except Exception as exc:  # noqa: BLE001 - any failure of a thread fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=roll_to, args=(v,)) for v in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert registry.current_version(tmp_path) in {"a", "b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final", "models"]  # no temp left


def test_a_run_killed_while_recording_leaves_nothing_to_activate(
    tmp_path, small_logs, first_version, monkeypatch
):
    from portal import publishing

    def killed(*_args):
        raise KeyboardInterrupt  # like a kill: no exception handler of the run gets to clean up

    monkeypatch.setattr(publishing.db, "record_version", killed)
    with pytest.raises(KeyboardInterrupt):
        run(small_logs[1], tmp_path, ColumnMap())
    monkeypatch.undo()
    (stray,) = [
        p.name for p in (tmp_path / "models").iterdir() if p.name not in (".lock", first_version)
    ]
    assert (tmp_path / "models" / stray / METRICS).is_file()  # complete, but never recorded
    assert registry.versions(tmp_path) == [first_version]
    with pytest.raises(registry.UnknownVersion):
        registry.activate(tmp_path, stray)
    assert registry.current_version(tmp_path) == first_version

    second = run(small_logs[1], tmp_path, ColumnMap())["version"]  # the next run cleans up
    assert not (tmp_path / "models" / stray).exists()
    assert registry.versions(tmp_path) == [first_version, second]


def test_models_activate_refuses_a_folder_the_database_does_not_record(
    tmp_path, monkeypatch, capsys
):
    fake_versions(tmp_path, "copied-in")
    code, out = _cli(monkeypatch, capsys, tmp_path, "models", "activate", "copied-in")
    assert code == 2 and "the database does not record version 'copied-in'" in out
    assert registry.current_version(tmp_path) is None


def test_a_second_training_of_one_data_dir_is_told_a_run_is_in_progress(
    tmp_path, small_logs, monkeypatch, capsys
):
    with registry.training_lock(tmp_path):  # a run in progress
        code, out = _cli(
            monkeypatch, capsys, tmp_path, "train", "--transactions", str(small_logs[0])
        )
        with pytest.raises(registry.TrainingInProgress), registry.training_lock(tmp_path):
            pass
    assert code == registry.IN_PROGRESS_EXIT == 75
    assert "a training run is already in progress" in out
    assert registry.versions(tmp_path) == []


def test_version_folders_are_readable_by_other_users(data_dir, tmp_path):
    """A version trained by a cron job's user must be readable by the server's user."""
    assert registry.staging_dir(tmp_path).stat().st_mode & 0o777 == 0o755
    assert (data_dir / registry.POINTER).resolve().stat().st_mode & 0o777 == 0o755
