"""Fuzz the live API from its own OpenAPI document: no 5xx, no response outside the schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.serve import gunicorn  # noqa: E402

MAX_EXAMPLES = 200


def main() -> int:
    with gunicorn() as (url, _):
        binary = Path(sys.executable).with_name("schemathesis")
        result = subprocess.run(
            [
                str(binary),
                "run",
                f"{url}/api/openapi.json",
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,"
                "response_schema_conformance",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                "0",
            ]
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
