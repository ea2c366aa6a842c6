"""`make lint` passes on the repository's workflows, Dockerfile, compose file and CI scripts, and
fails, naming the fault, on a copy broken on purpose (actionlint, hadolint, the Compose schema)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)  # the tools come with the dev requirements, beside this Python


def make(target: str, **files: Path) -> subprocess.CompletedProcess:
    """Run a lint target of the Makefile with this venv's tools and any file variable overridden."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), target, f"VENV={VENV}"]
        + ["-o", f"{VENV}/.dev-installed", "-o", f"{VENV}/.run-installed"]
        + [f"{name}={path}" for name, path in files.items()],
        capture_output=True,
        text=True,
        check=False,
    )


def broken_copy(tmp_path: Path, source: str, old: str, new: str) -> Path:
    """``source`` with ``old`` (which must occur) replaced by ``new``, written under tmp_path."""
    text = (REPO / source).read_text()
    assert old in text, f"{old!r} not in {source}: update the test"
    target = tmp_path / source
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(old, new))
    return target


@pytest.mark.parametrize("target", ["lint-workflows", "lint-docker", "lint-compose", "lint-shell"])
def test_the_repository_passes(target):
    result = make(target)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        # a misspelt matrix property: actionlint types every expression
        (
            "matrix.python-version }}-bookworm",
            "matrix.pyhton-version }}-bookworm",
            "pyhton-version",
        ),
        # an unquoted command substitution in a run: step: shellcheck, through actionlint
        (
            'test "$(docker exec clv-portal id -u)" != 0',
            "test $(docker exec clv-portal id -u) != 0",
            "SC2046",
        ),
        # a job waiting for a job that does not exist
        (
            "    name: Docker image healthy\n",
            "    name: Docker image healthy\n    needs: no-such-job\n",
            "no-such-job",
        ),
    ],
)
def test_a_broken_workflow_fails(tmp_path, old, new, finding):
    result = make(
        "lint-workflows", WORKFLOWS=broken_copy(tmp_path, ".github/workflows/ci.yml", old, new)
    )
    assert result.returncode != 0
    assert finding in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        ("USER 1000:1000", "USER root", "DL3002"),  # the image would run as root
        (
            "# hadolint ignore=DL3008\n",
            "",
            "DL3008",
        ),  # the one ignored rule is ignored where explained
        ('CMD ["gunicorn", "app:server"]', "CMD gunicorn app:server", "DL3025"),
    ],
)
def test_a_broken_dockerfile_fails(tmp_path, old, new, finding):
    result = make("lint-docker", DOCKERFILE=broken_copy(tmp_path, "Dockerfile", old, new))
    assert result.returncode != 0
    assert finding in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        ("condition: service_healthy", "condition: service_ready", "service_ready"),
        (
            '    healthcheck:\n      test: ["CMD", "pg_isready"',
            '    healthchek:\n      test: ["CMD", "pg_isready"',
            "healthchek",
        ),
        ('      - "127.0.0.1:8050:8050"', "      - [8050]", "services.web.ports"),
    ],
)
def test_a_broken_compose_file_fails(tmp_path, old, new, finding):
    result = make("lint-compose", COMPOSE_FILE=broken_copy(tmp_path, "compose.yaml", old, new))
    assert result.returncode != 0
    assert finding in result.stdout


def test_a_broken_ci_script_fails(tmp_path):
    script = broken_copy(
        tmp_path, ".ci/wait-healthy.sh", 'docker logs "$container"', "docker logs $container"
    )
    result = make("lint-shell", SHELL_SCRIPTS=script)
    assert result.returncode != 0
    assert "SC2086" in result.stdout


def test_pre_commit_runs_the_lint_targets():
    """Each pre-commit hook is one of `make lint`'s targets, and together they are all of them."""
    config = REPO / ".pre-commit-config.yaml"
    check = subprocess.run(
        [VENV / "bin" / "pre-commit", "validate-config", config], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    hooks = [hook for repo in yaml.safe_load(config.read_text())["repos"] for hook in repo["hooks"]]
    targets = [hook["entry"].removeprefix("make --no-print-directory ") for hook in hooks]
    lint_line = re.search(r"^lint:([^#\n]*)", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert sorted(targets) == sorted(lint_line.group(1).split())
