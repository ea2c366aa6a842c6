"""Settings come only from the environment, with quick-start defaults."""

import re
from pathlib import Path

from portal import _cache_config
from portal.config import Settings, code_fingerprint


def test_defaults_are_local_and_open():
    s = Settings.from_env({})
    assert (s.host, s.port, s.debug) == ("127.0.0.1", 8050, False)
    assert s.api_token is None and s.portal_users is None
    assert s.cache_dir == s.data_dir / "cache"


def test_environment_overrides():
    s = Settings.from_env(
        {
            "DATA_DIR": "/srv/clv",
            "PORT": "9000",
            "HOST": "0.0.0.0",
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "redis://r:6379/0",
            "LOG_LEVEL": "debug",
            "DASH_DEBUG": "1",
            "CLV_API_TOKEN": "t",
            "MAX_BODY_BYTES": "1024",
            "CLV_LOGIN_MAX_FAILURES": "5",
        }
    )
    assert s.final_dir == Path("/srv/clv/final") and s.port == 9000 and s.debug
    assert s.log_level == "DEBUG" and s.api_token == "t" and s.max_body_bytes == 1024
    assert s.login_max_failures == 5 and Settings.from_env({}).login_max_failures == 10
    config = _cache_config(s, testing=False)
    assert config["CACHE_TYPE"] == "RedisCache"
    assert config["CACHE_REDIS_URL"] == "redis://r:6379/0"
    assert "CACHE_DIR" not in config
    assert _cache_config(s, testing=True) == {"CACHE_TYPE": "NullCache"}


def test_the_figure_cache_is_a_folder_per_release_shared_by_the_workers(tmp_path):
    s = Settings.from_env({"DATA_DIR": str(tmp_path), "CACHE_DIR": str(tmp_path / "figures")})
    config = _cache_config(s, testing=False)
    assert config["CACHE_TYPE"] == "FileSystemCache"
    assert config["CACHE_DIR"] == str(tmp_path / "figures" / code_fingerprint())
    assert re.fullmatch(r"[0-9a-f]{12}", code_fingerprint())
    assert config["CACHE_KEY_PREFIX"] == f"clv-{code_fingerprint()}-"  # Redis keys, likewise


def test_a_figure_cache_folder_that_cannot_be_made_falls_back_to_one_per_worker(tmp_path, caplog):
    (tmp_path / "taken").write_text("a file where the folder would go")
    s = Settings(data_dir=tmp_path, cache_folder=tmp_path / "taken")
    assert _cache_config(s, testing=False)["CACHE_TYPE"] == "SimpleCache"
    assert "cannot write the figure cache" in caplog.text
