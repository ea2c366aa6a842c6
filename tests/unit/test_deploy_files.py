"""What the deploy files promise without a Docker engine: the build context (.dockerignore), a
non-root image whose DATA_DIR volume leaves the shipped log visible, one health check path for
Docker, Compose and Railway, the Compose stack's wiring, and Heroku's app.json."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import pytest
import yaml
from docker.utils.build import exclude_paths

from portal.config import Settings
from tests.conftest import fresh_app

REPO = Path(__file__).resolve().parents[2]


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def arguments(keyword: str) -> list[str]:
    return [args for key, args in dockerfile() if key == keyword]


def image_env() -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", " ".join(arguments("ENV"))))


def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def build_context(tmp_path: Path, files: list[str]) -> set[str]:
    """The files Docker would send from a tree holding ``files``, under the repository's
    .dockerignore (the Docker SDK's implementation of its rules)."""
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line for line in patterns if line.strip() and not line.startswith("#")]
    return {path for path in exclude_paths(str(tmp_path), patterns) if (tmp_path / path).is_file()}


KEPT = [
    "app.py",
    "gunicorn.conf.py",
    "requirements.txt",
    "portal/train.py",
    "portal/pages/home.py",
    "assets/style.css",
    "data/raw/CDNOW_master.txt",  # the image trains its baked version from it
]
LEFT_OUT = [
    ".git/HEAD",
    ".venv/bin/python",
    "venv/bin/python",
    "portal/__pycache__/train.cpython-311.pyc",
    ".pytest_cache/README.md",
    ".ruff_cache/CACHEDIR.TAG",
    ".env",
    "data/final/metrics.json",
    "data/models/20240101T000000Z-abc/model.joblib",
    "data/clv.db",
    "data/uploads/1/orders.csv",
    "data/jobs/cache.db",
    "data/.training.lock",
    "tests/unit/test_x.py",
    "shots/home.png",
]


def test_the_build_context_has_the_code_and_the_shipped_log_only(tmp_path):
    assert build_context(tmp_path, KEPT + LEFT_OUT) == set(KEPT)


def test_the_image_runs_as_a_user_with_a_uid():
    user = arguments("USER")[-1]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), user


def test_data_dir_is_the_volume_and_does_not_hide_the_shipped_log():
    volume = PurePosixPath(json.loads(arguments("VOLUME")[-1])[0])
    assert PurePosixPath(image_env()["DATA_DIR"]) == volume
    shipped = PurePosixPath(arguments("WORKDIR")[-1]) / "data" / "raw" / "CDNOW_master.txt"
    assert not shipped.is_relative_to(volume)
    # the baked version is trained before the VOLUME line (later writes to a volume are discarded)
    keywords = [key for key, _ in dockerfile()]
    train = next(i for i, (key, args) in enumerate(dockerfile()) if "portal train" in args)
    assert keywords[train] == "RUN" and train < keywords.index("VOLUME")


def health_paths() -> dict[str, str]:
    command = json.loads(arguments("HEALTHCHECK")[-1].split(" CMD ", 1)[1])
    docker = re.search(r"http://[^\"\s]+", " ".join(command)).group(0)
    web = compose()["services"]["web"]["healthcheck"]["test"]
    railway = json.loads((REPO / "railway.json").read_text())["deploy"]["healthcheckPath"]
    return {
        "Dockerfile": urlparse(docker).path,
        "compose.yaml": urlparse(next(arg for arg in web if "://" in arg)).path,
        "railway.json": railway,
    }


def test_one_health_check_path_everywhere_and_the_app_serves_it(empty_settings):
    paths = set(health_paths().values())
    assert paths == {"/api/health"}
    rules = {rule.rule for rule in fresh_app(empty_settings).server.url_map.iter_rules()}
    assert paths <= rules


def test_railway_builds_the_dockerfile_and_restarts_on_failure():
    config = json.loads((REPO / "railway.json").read_text())
    assert config["build"]["builder"] == "DOCKERFILE"
    assert (REPO / config["build"]["dockerfilePath"]).is_file()
    assert config["deploy"]["restartPolicyType"] == "ON_FAILURE"


def test_compose_waits_only_on_health_checks_that_exist():
    services = compose()["services"]
    for name, service in services.items():
        for needed, rule in service.get("depends_on", {}).items():
            assert rule["condition"] == "service_healthy", (name, needed)
            assert "healthcheck" in services[needed], needed
    assert all("healthcheck" in service for service in services.values())


def test_compose_web_and_worker_share_data_dir_and_run_the_readme_commands():
    services = compose()["services"]
    web, worker = services["web"], services["worker"]
    assert web["environment"] == worker["environment"]
    assert web["volumes"] == worker["volumes"] == [f"clv-data:{image_env()['DATA_DIR']}"]
    assert web["environment"]["DATA_DIR"] == image_env()["DATA_DIR"]
    assert "command" not in web  # the image's gunicorn
    assert worker["command"][:4] == ["celery", "-A", "app:celery_app", "worker"]
    broker = urlparse(worker["environment"]["CELERY_BROKER_URL"])
    database = urlparse(worker["environment"]["DATABASE_URL"])
    assert (broker.scheme, broker.hostname) == ("redis", "redis")
    assert (database.scheme, database.hostname) == ("postgresql", "postgres")
    assert {"redis", "postgres"} <= set(services)


def test_app_json_sets_only_real_settings_and_generates_the_api_token():
    app = json.loads((REPO / "app.json").read_text())
    env = app["env"]
    assert env["CLV_API_TOKEN"]["generator"] == "secret"
    assert all(entry["description"] for entry in env.values())
    readme = (REPO / "README.md").read_text()
    for name in env:
        assert f"| `{name}` |" in readme, f"{name} is not in the README's configuration table"
    procfile = dict(line.split(":", 1) for line in (REPO / "Procfile").read_text().splitlines())
    assert set(app["formation"]) <= set(procfile)


@pytest.mark.parametrize(
    "name", ["CLV_API_TOKEN", "CLV_PORTAL_USERS", "TRUSTED_PROXIES", "WEB_CONCURRENCY"]
)
def test_app_json_variables_change_the_running_app(name):
    """Each variable app.json asks for is one the app or gunicorn reads."""
    readers = (REPO / "gunicorn.conf.py").read_text() + (REPO / "portal" / "config.py").read_text()
    assert f'"{name}"' in readers
    if name != "WEB_CONCURRENCY":
        value = "1" if name == "TRUSTED_PROXIES" else "x"
        assert Settings.from_env({name: value}) != Settings.from_env({})


def test_heroku_bakes_the_same_version_as_the_image():
    hook = REPO / "bin" / "post_compile"
    baked = next(args for args in arguments("RUN") if "portal train" in args)
    assert baked in hook.read_text()
