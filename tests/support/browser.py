"""What every browser test checks on a page a person sees: no console error,
no serious accessibility problem, and a screenshot to look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Error, Page

# axe-core's impact levels that fail a test; "minor" and "moderate" are left
# to review, as axe-core itself suggests.
FAILING_IMPACTS = frozenset({"serious", "critical"})

_axe = Axe()


@dataclass
class ConsoleErrors:
    """Collects console errors and uncaught exceptions of every page of a
    browser context, with the page each came from."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page, *, document_status: int | None = None) -> Page:
        """Listen to `page`. `document_status`: the error status the page's own
        document is meant to have (a 404 page), which Chromium also logs."""

        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            expected = (
                document_status is not None
                and message.location.get("url") == page.url
                and message.text.endswith(
                    f"status of {document_status} ({_reason(document_status)})"
                )
            )
            if not expected:
                self.errors.append(f"{page.url}: {message.text}")

        def on_page_error(error: Error) -> None:
            self.errors.append(f"{page.url}: uncaught {error}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        return page

    def assert_none(self) -> None:
        assert self.errors == [], "browser console errors:\n" + "\n".join(self.errors)


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase


def axe_violations(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now.

    axe is evaluated through the DevTools protocol, so the site's strict
    Content Security Policy (no inline or injected scripts) stays on.
    """
    results = _axe.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


def look_at(page: Page, screenshots: Path, name: str) -> list[str]:
    """Screenshot the whole page as `name`.png and return what is wrong with
    it: serious and critical accessibility violations, and content wider than
    the window. Each names the page; a test gathers them over every page it
    visits and fails on any, showing them all."""
    window = page.viewport_size or {"width": 1280, "height": 720}
    problems = [f"{name} ({page.url}): {violation}" for violation in axe_violations(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth") - window["width"]
    if overflow > 0:
        problems.append(f"{name} ({page.url}): the page is {overflow}px wider than the window")
    # Sandboxed iframes are painted only inside the viewport: make it as tall
    # as the page instead of asking for a full-page capture.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": window["width"], "height": min(max(height, 1), 6000)})
    page.wait_for_timeout(100)
    page.screenshot(path=screenshots / f"{name}.png")
    page.set_viewport_size(window)
    return problems


def click_and_wait(page: Page, locator) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation(wait_until="load"):
        locator.click()


def switch_language(page: Page, language: str) -> None:
    page.select_option("#language-select", language)
    click_and_wait(page, page.locator(".language-form button"))
