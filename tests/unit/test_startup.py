"""Start-up work is one explicit step (``portal.startup.prepare``), not a side effect of building
the app: the database migrated, a pre-registry folder adopted and recorded."""

import shutil

import dash._pages
import sqlalchemy

from portal import create_app, db, registry, serving_files, startup
from portal.__main__ import main
from portal.config import Settings


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
