"""Start-up work is one explicit step (``portal.startup.prepare``), not a side effect of building
the app: the database migrated, a pre-registry folder adopted and recorded."""

import json
import shutil
import sys

import dash._pages
import joblib
import pandas as pd
import sqlalchemy

from portal import create_app, db, registry, serving_files, startup
from portal.__main__ import main
from portal.artifacts import METRICS, MODEL, PREPARED
from portal.config import Settings
from portal.publishing import publish


def legacy_layout(data_dir):
    """Turn a registry data folder into the pre-registry layout: one real ``final`` folder."""
    version = registry.current_version(data_dir)
    (data_dir / "final").unlink()
    shutil.move(data_dir / "models" / version, data_dir / "final")
    shutil.rmtree(data_dir / "models")
    return version


def tables(url: str) -> set[str]:
    engine = sqlalchemy.create_engine(url)
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_building_the_app_touches_neither_the_folder_nor_the_database(copied_data_dir, tmp_path):
    legacy_layout(copied_data_dir)
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    dash._pages.PAGE_REGISTRY.clear()
    create_app(Settings(data_dir=copied_data_dir, database=url), testing=True)
    assert not (copied_data_dir / "final").is_symlink() and registry.versions(copied_data_dir) == []
    assert not (tmp_path / "fresh.db").exists()


def test_prepare_migrates_and_adopts_the_old_folder(copied_data_dir, tmp_path):
    version = legacy_layout(copied_data_dir)
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert startup.prepare(Settings(data_dir=copied_data_dir, database=url)) is True
    assert {"model_versions", "predictions", "monitoring"} <= tables(url)
    assert (copied_data_dir / "final").is_symlink()
    assert registry.versions(copied_data_dir) == [version]
    assert [row["version"] for row in db.list_versions(url)] == [version]
    assert startup.prepare(Settings(data_dir=copied_data_dir, database=url)) is True  # idempotent
    assert [row["version"] for row in db.list_versions(url)] == [version]


def test_an_unusable_database_is_reported_not_raised(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the database's folder should be")
    settings = Settings(data_dir=tmp_path, database=f"sqlite:///{blocked / 'clv.db'}")
    assert startup.prepare(settings) is False


def test_the_setup_command_runs_it(copied_data_dir, tmp_path, monkeypatch, capsys):
    version = legacy_layout(copied_data_dir)
    shutil.rmtree(serving_files.folder_of(copied_data_dir / "final"))  # from before them
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATA_DIR", str(copied_data_dir))
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["setup"]) == 0
    assert capsys.readouterr().out.startswith("database ready")
    assert [row["version"] for row in db.list_versions(url)] == [version]
    assert registry.current_version(copied_data_dir) == version
    assert serving_files.current((copied_data_dir / "final").resolve())


def test_setup_builds_the_serving_files_of_every_version(copied_data_dir, monkeypatch, capsys):
    first = registry.current_version(copied_data_dir)
    final = copied_data_dir / "final"
    table = pd.read_parquet(final / PREPARED).head(50)
    metrics = {**json.loads((final / METRICS).read_text()), "version": "second"}
    publish(copied_data_dir, table, joblib.load(final / MODEL), metrics)
    second = registry.current_version(copied_data_dir)
    registry.activate(copied_data_dir, first)  # the second is now a rollback target
    folders = [registry.version_dir(copied_data_dir, v) for v in (first, second)]
    for folder in folders:
        shutil.rmtree(serving_files.folder_of(folder))  # files from an older release
    monkeypatch.setenv("DATA_DIR", str(copied_data_dir))
    assert main(["setup"]) == 0
    assert all(serving_files.current(folder) for folder in folders)


def test_a_start_removes_other_releases_figures_only(tmp_path):
    settings = Settings(data_dir=tmp_path)
    old_release = settings.cache_dir / "0123456789ab"
    for folder in (old_release, settings.figure_cache_dir, settings.cache_dir / "notes"):
        folder.mkdir(parents=True)
    startup.forget_other_releases_figures(settings)
    assert sorted(p.name for p in settings.cache_dir.iterdir()) == sorted(
        [settings.figure_cache_dir.name, "notes"]
    )


def test_serving_files_older_than_the_code_are_built_in_a_child_before_workers_start(
    copied_data_dir, monkeypatch
):
    final = copied_data_dir / "final"
    (serving_files.folder_of(final) / "meta.json").unlink()  # as if built by an older release
    assert not serving_files.current(final)
    children = []
    run = startup.subprocess.run
    monkeypatch.setattr(
        startup.subprocess,
        "run",
        lambda command, **kw: children.append(command) or run(command, **kw),
    )
    settings = Settings(data_dir=copied_data_dir)
    startup.ensure_serving_files(settings)
    assert serving_files.current(final)
    assert len(children) == 1 and children[0][0] == sys.executable  # not in this process
    startup.ensure_serving_files(settings)  # current now: nothing to run
    assert len(children) == 1
