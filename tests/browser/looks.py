"""Looking at a page the way the design promises it: no sideways scroll, no serious or
critical axe-core violation, no console error, and a screenshot under build/screenshots/
(kept by CI as artifacts) named <journey>-<width>-<step>.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
WIDTHS = [(360, 740), (1280, 800)]
#: axe-core's impacts that fail a page; "minor" and "moderate" ones are reported, not failed.
FAILING = {"serious", "critical"}

_axe = Axe()


def axe_failures(page: Any) -> list[str]:
    """The serious and critical violations on the page, one line each: rule, then targets."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in FAILING
    ]


class Journey:
    """One person's walk through the site at one width: `look` checks and photographs each
    page on the way; `errors` collects the console's errors and failed requests."""

    def __init__(self, browser: Any, name: str, width: int, height: int) -> None:
        self.name, self.width, self.step = name, width, 0
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{name}-{width}-*.png"):
            old.unlink()  # a walk that changed its steps leaves no stale picture behind

    def look(self, what: str) -> None:
        page = self.page
        # A click returns once the next page starts to load; measured before its stylesheet
        # applies, the unstyled page is wider than a phone.
        page.wait_for_load_state("load")
        self.step += 1
        shot = SCREENSHOTS / f"{self.name}-{self.width}-{self.step:02d}-{what}.png"
        page.screenshot(path=str(shot), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.width, f"{page.url} is {width}px wide at {self.width}px"
        failures = axe_failures(page)
        assert not failures, f"{page.url}:\n" + "\n".join(failures)

    def menu(self) -> None:
        """Opens the header's menu on a phone, where it is a closed disclosure."""
        if self.width < 768:
            self.page.get_by_text("Menu", exact=True).click()

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], self.errors  # no CSP violation, script error, failed request
