"""Pages rendered in Chromium that get no answer: the Playwright errors real Chromium raises against loopback are
the failure kinds Scrapy's own are (a refused port ``connection``, a name that resolves nowhere ``dns``, a server
that never answers ``timeout``), so ``download/failed/<kind>`` names them and a host down is noticed for a site
rendered in the browser too (a page whose document came and never settled is ``render_timeout``:
``tests/test_browser_traps.py``)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright._impl._errors import TargetClosedError
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError
from twisted.python.failure import Failure

from crawler.browser_handler import listener_failed, quiet_when_closed
from crawler.downloader import NotSent
from crawler.egress_proxy import EgressProxy
from crawler.failures import already_logged, error_kind
from tests.conftest import free_port
from tests.test_browser import CHROMIUM, requires_chromium
from tests.test_host_down_rules import middleware, sent

NOWHERE = "nowhere.invalid"  # mapped to "not found" inside Chromium: no DNS query leaves the machine


@contextmanager
def hanging_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


async def _goto(url: str, through_proxy: bool, timeout_ms: int) -> BaseException:
    """The error Chromium's navigation to ``url`` raises, launched directly or (as the crawl launches it) through
    the egress proxy."""
    from playwright.async_api import async_playwright

    proxy = EgressProxy(lambda: None, lambda *_: None)
    await proxy.start()
    options = ({"proxy": {"server": proxy.url}} if through_proxy
               else {"args": [f"--host-resolver-rules=MAP {NOWHERE} ~NOTFOUND"]})
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, **options)  # type: ignore[arg-type]
            try:
                page = await browser.new_page()
                await page.goto(url, timeout=timeout_ms)
            except Exception as error:
                return error
            finally:
                await browser.close()
    finally:
        await proxy.close()
    raise AssertionError(f"{url} answered")


def chromium_error(target: str, through_proxy: bool) -> BaseException:
    if target == "refused":  # a long timeout: on a loaded machine a short one could win over the refusal
        return asyncio.run(_goto(f"http://127.0.0.1:{free_port()}/", through_proxy, 20_000))
    if target == "hanging":
        with hanging_port() as port:
            return asyncio.run(_goto(f"http://127.0.0.1:{port}/", through_proxy, 1_500))
    return asyncio.run(_goto(f"http://{NOWHERE}/", through_proxy, 20_000))


@requires_chromium
@pytest.mark.e2e  # Chromium
@pytest.mark.parametrize(("target", "through_proxy", "kind"), [
    ("refused", False, "connection"),  # net::ERR_CONNECTION_REFUSED
    ("refused", True, "connection"),  # net::ERR_SOCKS_CONNECTION_FAILED
    ("hanging", False, "timeout"),  # Playwright's TimeoutError, no document came
    ("hanging", True, "timeout"),
    ("nowhere", False, "dns"),  # net::ERR_NAME_NOT_RESOLVED
])
def test_chromium_errors_are_failure_kinds(target: str, through_proxy: bool, kind: str) -> None:
    assert error_kind(chromium_error(target, through_proxy)) == kind


@requires_chromium
@pytest.mark.e2e  # Chromium
def test_a_host_refusing_chromium_is_down() -> None:
    error = chromium_error("refused", through_proxy=True)
    mw = middleware(HOST_DOWN_PROBE_SECONDS=60)
    assert [mw.process_exception(Request("https://news.example/a/"), error) for _ in range(2)] == [None, None]
    with pytest.raises(NotSent, match="answered none of the 2 attempts"):
        sent(mw, "https://news.example/b/")


@pytest.mark.parametrize(("message", "kind"), [
    ("Page.goto: net::ERR_CONNECTION_RESET at https://news.example/a/", "connection"),
    ("Page.goto: net::ERR_NAME_RESOLUTION_FAILED at https://news.example/a/", "dns"),
    ("Page.goto: net::ERR_CONNECTION_TIMED_OUT at https://news.example/a/", "timeout"),
    ("Page.goto: net::ERR_ABORTED at https://news.example/a.pdf", "other"),  # a download: the host answered
    ("Page.goto: net::ERR_CERT_DATE_INVALID at https://news.example/a/", "other"),
    ("Target page, context or browser has been closed", "browser_closed"),  # Chromium died or is relaunched
    ("BrowserType.launch: Target page, context or browser has been closed", "browser_closed"),
    ("Page.goto: Browser has been closed", "browser_closed"),
    ("Page.goto: Page crashed", "page_crashed"),
    ("Page.content: Target crashed", "page_crashed"),  # the memory bomb's renderer, as its content was read
])
def test_chromium_net_errors_by_their_code(message: str, kind: str) -> None:
    from playwright.async_api import Error

    assert error_kind(Error(message)) == kind


async def _after_a_failed_listener(listen_for_errors: bool) -> object:
    """What another page's next call gives after a listener of one page failed as its page had gone."""
    from playwright.async_api import async_playwright

    async def page_gone(_: object) -> None:
        raise TargetClosedError()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            failing, other = await browser.new_page(), await browser.new_page()
            failing.on("console", page_gone)
            if listen_for_errors:
                failing.on("error", listener_failed)
            await failing.evaluate("console.log('a message its listener fails on')")
            await asyncio.sleep(0.2)  # the listener ran
            try:
                return await other.evaluate("6 * 7")
            except TargetClosedError as error:
                return error
        finally:
            await browser.close()


@requires_chromium
@pytest.mark.e2e  # Chromium
def test_a_listener_failing_as_its_page_went_fails_no_call_of_another_page(caplog: pytest.LogCaptureFixture) -> None:
    """scrapy-playwright's response listener fails whenever its page, context or browser has gone (Chromium killed
    under the crawl, a tab closed at its deadline). Playwright logged that with a traceback at error and raised it from
    its next call of any page: another request's page failed for it. Every page now listens for its listeners' errors
    (``listener_failed``): one debug line, and the other page's call answers."""
    assert isinstance(asyncio.run(_after_a_failed_listener(listen_for_errors=False)), TargetClosedError)  # Playwright's
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(_after_a_failed_listener(listen_for_errors=True)) == 42
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "found its page gone" in caplog.text


async def _a_route_whose_page_went(quiet: bool) -> tuple[object, int]:
    """A page loaded through a route handler that fails as scrapy-playwright's did when its page went while it read
    the request's headers (Chromium killed, a tab closed at its deadline): what the page shows, and how many times
    ``quiet_when_closed`` counted it."""
    from playwright.async_api import async_playwright

    gone: list[None] = []

    async def reading_headers_of_a_page_gone(route: object, request: object) -> None:
        raise TargetClosedError()

    handler = quiet_when_closed(reading_headers_of_a_page_gone, lambda: gone.append(None)) if quiet \
        else reading_headers_of_a_page_gone
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = await browser.new_page()
            await page.route("**/*", handler)
            await page.goto("data:text/html,<p>x</p>")  # a data: URL is never routed: the route is the fetch's
            shown = await page.evaluate("Promise.race([fetch('http://127.0.0.1:9/').then(() => 'answered', () => "
                                        "'failed'), new Promise(done => setTimeout(() => done('pending'), 3000))])")
            await asyncio.sleep(0.2)  # Playwright's logging of the handler's error, if any
            return shown, len(gone)
        finally:
            await browser.close()


@requires_chromium
@pytest.mark.e2e  # Chromium
def test_a_route_whose_page_went_meanwhile_ends_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """Chromium killed under a crawl while scrapy-playwright's route handler read a request's headers: Playwright
    logged the handler's TargetClosedError with a traceback at error (test_chromium_killed_mid_crawl_leaves_nothing_in
    _tmpdir failed in CI for it). The handler is wrapped now: counted, the route ended, nothing logged."""
    with caplog.at_level(logging.DEBUG):
        shown, _ = asyncio.run(_a_route_whose_page_went(quiet=False))
    assert shown == "pending" and "Error occurred in event listener" in caplog.text  # Playwright's, unwrapped
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        shown, counted = asyncio.run(_a_route_whose_page_went(quiet=True))
    assert counted == 1 and shown == "failed"  # nothing listens on port 9: the route went on to the network
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_a_page_that_got_no_answer_in_chromium_is_logged_by_the_errback() -> None:
    """Scrapy's own download of a page that got no answer was logged where it failed (RetryMiddleware giving up); a
    page rendered in Chromium was not (scrapy-playwright's traceback is dropped to debug): its errback's line is
    its one."""
    from playwright.async_api import Error

    browser = Failure(Error("Page.goto: net::ERR_CONNECTION_REFUSED at https://news.example/a/\nCall log:\n  - x"))
    assert [already_logged(failure) for failure in (browser, Failure(DownloadTimeoutError()))] == [False, True]
