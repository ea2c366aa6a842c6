"""Settings from the environment, with defaults for the local quick start."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_TRANSACTIONS = REPO_ROOT / "data" / "raw" / "CDNOW_master.txt"
CDNOW_CUTOFF = "1998-01-01"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@functools.cache
def code_fingerprint() -> str:
    """A short hash of the portal package's source: it changes with any release."""
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Settings:
    """Every setting the product reads; see the README's configuration table."""

    data_dir: Path = REPO_ROOT / "data"
    host: str = "127.0.0.1"
    port: int = 8050
    log_level: str = "INFO"
    cache_type: str = "FileSystemCache"  # shared by the workers of one machine
    cache_redis_url: str | None = None
    cache_folder: Path | None = None  # the FileSystemCache's folder; DATA_DIR/cache by default
    cache_timeout: int = 600
    max_body_bytes: int = 64 * 1024
    debug: bool = False
    api_token: str | None = None
    portal_users: str | None = None
    login_max_failures: int = 10
    trusted_proxies: int = 0
    portal_open: bool = False
    database: str | None = None
    max_upload_bytes: int = 50 * 1024 * 1024
    max_upload_rows: int = 5_000_000
    max_upload_decoded_bytes: int = 1024 * 1024 * 1024
    celery_broker_url: str | None = None

    @property
    def final_dir(self) -> Path:
        """Where the scored artifacts live."""
        return self.data_dir / "final"

    @property
    def database_url(self) -> str:
        """DATABASE_URL, or a SQLite file in the data folder."""
        return self.database or f"sqlite:///{(self.data_dir / 'clv.db').resolve()}"

    @property
    def uploads_dir(self) -> Path:
        """Where the data page keeps uploaded files."""
        return self.data_dir / "uploads"

    @property
    def upload_limits(self):
        """What an uploaded file may expand to when the portal reads it (a readers.Limits)."""
        from portal.readers import Limits

        return Limits(rows=self.max_upload_rows, decoded_bytes=self.max_upload_decoded_bytes)

    @property
    def cache_dir(self) -> Path:
        """The FileSystemCache's folder: memoized figures shared by every worker."""
        return self.cache_folder or self.data_dir / "cache"

    @property
    def figure_cache_dir(self) -> Path:
        """This release's folder inside ``cache_dir`` (``code_fingerprint``)."""
        return self.cache_dir / code_fingerprint()

    @property
    def jobs_dir(self) -> Path:
        """The diskcache of background training jobs."""
        return self.data_dir / "jobs"

    @property
    def transactions_path(self) -> Path:
        """The shipped CDNOW log (part of the code, wherever DATA_DIR points)."""
        return SHIPPED_TRANSACTIONS

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: os.environ)."""
        env = os.environ if env is None else env
        default = cls()
        return cls(
            data_dir=Path(env.get("DATA_DIR", default.data_dir)),
            host=env.get("HOST", default.host),
            port=int(env.get("PORT", default.port)),
            log_level=env.get("LOG_LEVEL", default.log_level).upper(),
            cache_type=env.get("CACHE_TYPE", default.cache_type),
            cache_redis_url=env.get("CACHE_REDIS_URL"),
            cache_folder=Path(env["CACHE_DIR"]) if env.get("CACHE_DIR") else None,
            cache_timeout=int(env.get("CACHE_DEFAULT_TIMEOUT", default.cache_timeout)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", default.max_body_bytes)),
            debug=_flag(env.get("DASH_DEBUG")),
            api_token=env.get("CLV_API_TOKEN") or None,
            portal_users=env.get("CLV_PORTAL_USERS") or None,
            login_max_failures=int(env.get("CLV_LOGIN_MAX_FAILURES", default.login_max_failures)),
            trusted_proxies=int(env.get("TRUSTED_PROXIES", default.trusted_proxies)),
            portal_open=_flag(env.get("CLV_PORTAL_OPEN")),
            database=env.get("DATABASE_URL") or None,
            max_upload_bytes=int(env.get("MAX_UPLOAD_BYTES", default.max_upload_bytes)),
            max_upload_rows=int(env.get("MAX_UPLOAD_ROWS", default.max_upload_rows)),
            max_upload_decoded_bytes=int(
                env.get("MAX_UPLOAD_DECODED_BYTES", default.max_upload_decoded_bytes)
            ),
            celery_broker_url=env.get("CELERY_BROKER_URL") or None,
        )
