import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in the test thread from
    its start until the end of the session, so Django's async-safety guard would
    refuse the (synchronous, same-thread) database setup and flushes of the
    browser tests. Lift the guard for exactly that stretch."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    """The system Chromium, headless, with nothing that reaches the network."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where browser tests save screenshots: var/screenshots, or SCREENSHOT_DIR.

    The pictures in docs/ are refreshed on purpose, with
    `SCREENSHOT_DIR=docs/screenshots make test PYTEST_ARGS="-m browser"`.
    """
    path = Path(os.environ.get("SCREENSHOT_DIR", BASE_DIR / "var" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path
