"""Versioned models on disk: ``DATA_DIR/models/<version>/`` and the ``DATA_DIR/final`` pointer.

A training run writes its three files into a hidden staging folder, renames it to
``models/<version>`` (one atomic rename, so a half-written version is never visible) carrying an
``.unrecorded`` marker, records it in the database, removes the marker, and only then switches
``DATA_DIR/final`` - a relative symlink - with one atomic rename. A folder still marked (its run was
killed during the database write) is no version: it cannot be activated and the next run removes
it. Readers resolve the pointer once per request and read every file from that one version.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

MODELS = "models"
POINTER = "final"
METRICS = "metrics.json"
STAGING_PREFIX = ".staging-"
UNRECORDED = ".unrecorded"
VERSION_MODE = 0o755
TRAINING_LOCK = ".training.lock"
TRAINING_PROGRESS = ".training.progress"
# the CLI's exit status when another run holds the training lock (EX_TEMPFAIL)
IN_PROGRESS_EXIT = 75


class UnknownVersion(KeyError):
    """No complete version of that name in the registry."""


class UnrecordedVersion(UnknownVersion):
    """A complete folder the database does not know: it cannot be made current."""


def models_dir(data_dir: Path) -> Path:
    """Where every version lives."""
    return Path(data_dir) / MODELS


def version_dir(data_dir: Path, version: str) -> Path:
    """The folder of one version; raises UnknownVersion unless it is complete."""
    if not version or "/" in version or version.startswith("."):
        raise UnknownVersion(version)
    folder = models_dir(data_dir) / version
    if not _complete(folder):
        raise UnknownVersion(version)
    return folder


def _complete(folder: Path) -> bool:
    """Its files are all written and its database record is made."""
    return (folder / METRICS).is_file() and not (folder / UNRECORDED).exists()


def current_version(data_dir: Path) -> str | None:
    """The version the pointer names, or None before the first training or when that version's
    folder is gone or incomplete (nothing can be served from it)."""
    pointer = Path(data_dir) / POINTER
    if not (pointer / METRICS).is_file():
        return None
    if pointer.is_symlink():
        return Path(os.readlink(pointer)).name
    return json.loads((pointer / METRICS).read_text())["version"]  # a pre-registry folder


def versions(data_dir: Path) -> list[str]:
    """Complete versions on disk, oldest first (names start with the UTC training time)."""
    folder = models_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and _complete(p))


def with_availability(data_dir: Path, recorded: list[dict]) -> list[dict]:
    """Recorded versions (as ``db.list_versions`` gives them), each flagged ``available`` when its
    folder is complete on disk, so it can be made current."""
    on_disk = set(versions(data_dir))
    return [{**row, "available": row["version"] in on_disk} for row in recorded]


@contextmanager
def publishing_lock(data_dir: Path) -> Iterator[None]:
    """Serialise publishing between processes (an flock on ``models/.lock``)."""
    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class TrainingInProgress(RuntimeError):
    """Another training run holds this DATA_DIR's training lock."""


@contextmanager
def training_lock(data_dir: Path) -> Iterator[None]:
    """One training run at a time per DATA_DIR: an flock on ``DATA_DIR/.training.lock``, taken
    without waiting (the CLI takes it, so the data page's runs, children of the CLI, do too).

    Raises:
        TrainingInProgress: another run holds it.
    """
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(data_dir) / TRAINING_LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainingInProgress(
                "a training run is already in progress for this data folder; wait for it to end"
            ) from None
        try:
            record_progress(data_dir, 0, 1, "starting")  # not the previous run's
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record_progress(data_dir: Path, done: int, total: int, message: str) -> None:
    """Record the running run's progress in ``DATA_DIR/.training.progress`` (replaced in one step)
    for other requests to show; call it holding ``training_lock``."""
    target = Path(data_dir) / TRAINING_PROGRESS
    temporary = target.with_name(f"{TRAINING_PROGRESS}.{uuid.uuid4().hex}")
    temporary.write_text(json.dumps({"done": done, "total": total, "message": message}))
    os.replace(temporary, target)


def running_progress(data_dir: Path) -> tuple[int, int, str] | None:
    """(steps done, steps in total, what comes next) of the run holding ``training_lock``, or None
    when no run holds it (probed with a shared lock, released at once)."""
    lock = Path(data_dir) / TRAINING_LOCK
    if not lock.exists():
        return None
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        else:
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None
    try:
        recorded = json.loads((Path(data_dir) / TRAINING_PROGRESS).read_text())
        return recorded["done"], recorded["total"], recorded["message"]
    except (OSError, ValueError, KeyError):
        return 0, 1, "starting"


def staging_dir(data_dir: Path) -> Path:
    """A fresh hidden folder to write a version into; its name carries this process id. It is
    readable by all (mkdtemp makes it 0700), so a server running as another user than the
    training run (a cron retrain) can read the version."""
    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=folder))
    staging.chmod(VERSION_MODE)
    return staging


def remove_abandoned_staging(data_dir: Path) -> list[str]:
    """Delete staging folders whose writing process has died (a killed training run)."""
    folder = models_dir(data_dir)
    removed = []
    for path in folder.glob(f"{STAGING_PREFIX}*") if folder.is_dir() else []:
        pid = int(path.name[len(STAGING_PREFIX) :].split("-")[0])
        if not _alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unique_name(data_dir: Path, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... if a version of that name exists."""
    name, n = wanted, 1
    while (models_dir(data_dir) / name).exists():
        n += 1
        name = f"{wanted}-{n}"
    return name


def place(data_dir: Path, staging: Path, version: str) -> Path:
    """Rename a finished staging folder to ``models/<version>`` (atomic), marked unrecorded."""
    (staging / UNRECORDED).touch()
    target = models_dir(data_dir) / version
    os.rename(staging, target)
    return target


def mark_recorded(folder: Path) -> None:
    """The database knows this version now: it may be made current."""
    (folder / UNRECORDED).unlink()


def remove_unrecorded(data_dir: Path) -> list[str]:
    """Delete placed versions still marked unrecorded (a run killed while writing the database).

    Call it holding ``publishing_lock``, so no live run's folder is taken."""
    folder = models_dir(data_dir)
    removed = []
    for marker in folder.glob(f"*/{UNRECORDED}") if folder.is_dir() else []:
        shutil.rmtree(marker.parent, ignore_errors=True)
        removed.append(marker.parent.name)
        log.warning("removed %s: its run ended before the database recorded it", marker.parent)
    return removed


def activate(data_dir: Path, version: str) -> None:
    """Point ``DATA_DIR/final`` at ``version`` with one atomic rename of a new symlink."""
    version_dir(data_dir, version)
    data_dir = Path(data_dir)
    pointer = data_dir / POINTER
    adopt_legacy_folder(data_dir)
    temp = data_dir / f".{POINTER}.{uuid.uuid4().hex}.tmp"  # one per call: threads share a pid
    os.symlink(Path(MODELS) / version, temp)
    try:
        os.replace(temp, pointer)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
    log.info("current version is now %s", version)


def activate_recorded(data_dir: Path, database_url: str, version: str) -> None:
    """A rollback: activate ``version`` only if it is complete and the database records it.

    Raises:
        UnknownVersion: no complete folder; UnrecordedVersion: the database does not know it.
    """
    from portal import db

    version_dir(data_dir, version)
    if version not in {row["version"] for row in db.list_versions(database_url)}:
        raise UnrecordedVersion(version)
    activate(data_dir, version)


def adopt_legacy_folder(data_dir: Path) -> str | None:
    """Move a pre-registry ``DATA_DIR/final`` folder into ``models/`` so nothing is lost.

    Returns:
        The adopted version's name, or None when there was nothing to adopt.
    """
    pointer = Path(data_dir) / POINTER
    if pointer.is_symlink() or not pointer.is_dir():
        return None
    if not (pointer / METRICS).is_file():
        shutil.rmtree(pointer)  # an empty or half-written folder holds nothing to keep
        return None
    version = json.loads((pointer / METRICS).read_text())["version"]
    models_dir(data_dir).mkdir(parents=True, exist_ok=True)
    target = models_dir(data_dir) / unique_name(data_dir, version)
    os.rename(pointer, target)
    os.symlink(Path(MODELS) / target.name, pointer)
    log.warning("moved the old %s folder to %s", pointer, target)
    return target.name
