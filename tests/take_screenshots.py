"""Save desktop and phone-width screenshots of every page to tests/screenshots/ (headless Chromium).

Usage: .venv/bin/python tests/take_screenshots.py   (or `make screenshots`)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.serve import gunicorn  # noqa: E402

OUT = Path(__file__).resolve().parent / "screenshots"
PAGES = {
    "overview": "/",
    "lift": "/lift",
    "segments": "/segments",
    "campaign": "/campaign",
    "customers": "/customers",
    "predict": "/predict?customer_id=14048",
    "model": "/model",
    "data": "/data",
}
SIZES = {"desktop": "1400,1000", "phone": "390,844"}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with gunicorn() as (url, _), tempfile.TemporaryDirectory() as profile:
        for name, path in PAGES.items():
            for label, size in SIZES.items():
                target = OUT / f"{name}-{label}.png"
                subprocess.run(
                    [
                        "chromium",
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        f"--user-data-dir={profile}",
                        "--virtual-time-budget=15000",
                        f"--window-size={size}",
                        f"--screenshot={target}",
                        url + path,
                    ],
                    check=True,
                    capture_output=True,
                )
                print(target)


if __name__ == "__main__":
    main()
