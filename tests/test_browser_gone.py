"""Chromium killed while a tab opens. Playwright's ``new_page``, awaited as the browser went in the last part of the
tab's creation, never returned: the crawl's page, and every page opening a tab at that moment, stalled until its
deadline. Through :func:`crawler.browser_gone.unless_browser_gone` (as the crawl opens each tab) the call ends as the
browser goes; and a page's next try on the browser launched next waits a bounded time for the dead one to be let go
of."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from types import SimpleNamespace

import pytest
from playwright._impl._errors import TargetClosedError
from playwright.async_api import Browser, BrowserContext

from crawler.browser_gone import unless_browser_gone
from tests.test_browser import CHROMIUM, chromium_browsers, requires_chromium

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
FRACTIONS = (0.5, 0.6, 0.7, 0.8, 0.9)  # of a tab's opening time, when the browser is killed
ENDED_WITHIN_S = 10


def _kill_browsers() -> None:
    """SIGKILL this process's Chromium browser processes."""
    for pid in chromium_browsers(os.getpid()):
        os.kill(pid, signal.SIGKILL)


async def _tabs_opened_as_the_browser_is_killed() -> list[str]:
    """How each ``new_page`` call ended when its browser was killed at a fraction of a tab's opening time (measured
    first, on this machine): "tab", "closed" (``TargetClosedError``) or "waiting" (still, ``ENDED_WITHIN_S`` later)."""
    from playwright.async_api import async_playwright

    outcomes = []
    async with async_playwright() as playwright:
        async def fresh_context() -> tuple[Browser, BrowserContext]:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            return browser, await browser.new_context()

        browser, context = await fresh_context()
        started = time.monotonic()
        await context.new_page()
        opening_s = time.monotonic() - started
        await browser.close()
        for fraction in FRACTIONS:
            browser, context = await fresh_context()
            call = asyncio.ensure_future(unless_browser_gone(context.new_page(), browser))
            await asyncio.sleep(fraction * opening_s)
            _kill_browsers()
            done, _ = await asyncio.wait({call}, timeout=ENDED_WITHIN_S)
            if not done:
                call.cancel()
                outcomes.append("waiting")
            else:
                outcomes.append("closed" if isinstance(call.exception(), TargetClosedError) else "tab")
    return outcomes


@requires_chromium
@pytest.mark.e2e  # Chromium
def test_a_tab_opening_as_its_browser_is_killed_fails_at_once() -> None:
    outcomes = asyncio.run(_tabs_opened_as_the_browser_is_killed())
    assert "waiting" not in outcomes, outcomes
    assert "closed" in outcomes, outcomes  # the kills came while the tabs opened


class _DeadBrowser:
    """A browser that went down, which scrapy-playwright's disconnect listener never let go of."""

    @staticmethod
    def is_connected() -> bool:
        return False


def test_a_dead_browser_never_let_go_of_delays_a_page_s_next_try_a_bounded_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The next try of a page whose browser went down waits for scrapy-playwright to let go of that browser (a try on it
    would fail again at once), but not longer than ``BROWSER_DROP_WAIT_S``: a listener that never ends costs the page
    its tries, not its whole deadline."""
    from crawler import browser_handler

    monkeypatch.setattr(browser_handler, "BROWSER_DROP_WAIT_S", 0.3)
    # the handler's state the wait reads (a handler itself needs the crawl's reactor installed)
    handler = SimpleNamespace(config=SimpleNamespace(restart_disconnected_browser=True), browser=_DeadBrowser())

    async def waited() -> float:
        started = time.monotonic()
        await asyncio.wait_for(browser_handler.BrowserDownloadHandler._dead_browser_dropped(handler), 10)
        return time.monotonic() - started

    assert 0.3 <= asyncio.run(waited()) < 5
    del handler.browser  # let go of: the next try launches another at once
    assert asyncio.run(waited()) < 0.3
