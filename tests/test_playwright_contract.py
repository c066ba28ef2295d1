"""What crawler.browser_handler takes from scrapy-playwright beyond its settings and request meta: its private launch
hook, the retry count of its config, how a context's tabs are counted (crawler.browser_tabs) and how it lets go of a
browser that went down. pyproject pins scrapy-playwright to the release these were read from; a new release that
changes them fails here, by name, instead of crawling with Playwright started for every site, a crashed tab tried
three more times, or tabs miscounted."""

from __future__ import annotations

import dataclasses
import inspect

from scrapy_playwright.handler import Config, ScrapyPlaywrightDownloadHandler

from crawler.browser_handler import BROWSER_GONE_RETRIES, TARGET_CLOSED_RETRIES, BrowserDownloadHandler


def test_the_launch_hook_is_what_engine_start_calls() -> None:
    """BrowserDownloadHandler overrides it so that Playwright starts only for a site whose pages all need it."""
    hook = ScrapyPlaywrightDownloadHandler._maybe_launch_in_thread
    assert inspect.iscoroutinefunction(hook) and list(inspect.signature(hook).parameters) == ["self"]
    assert "self._maybe_launch_in_thread, signals.engine_started" in inspect.getsource(
        ScrapyPlaywrightDownloadHandler.__init__)
    assert "_maybe_launch_in_thread" in vars(BrowserDownloadHandler)


def test_the_retries_of_a_closed_target_are_read_from_the_config() -> None:
    """BrowserDownloadHandler sets them to none (it tries a page again itself, telling a crashed tab from a browser
    gone down), and waits for scrapy-playwright to let go of a browser that disconnected before the next try."""
    assert "target_closed_max_retries" in {field.name for field in dataclasses.fields(Config)}
    assert "self.config.target_closed_max_retries" in inspect.getsource(
        ScrapyPlaywrightDownloadHandler._download_request)
    assert "self.config.target_closed_max_retries = 0" in inspect.getsource(BrowserDownloadHandler.__init__)
    assert (TARGET_CLOSED_RETRIES, BROWSER_GONE_RETRIES) == (1, 3)
    assert "restart_disconnected_browser" in {field.name for field in dataclasses.fields(Config)}
    disconnected = inspect.getsource(ScrapyPlaywrightDownloadHandler._browser_disconnected_callback)
    assert "if self.config.restart_disconnected_browser:\n            del self.browser" in disconnected


def test_a_context_s_tabs_are_its_wrapper_s_semaphore_taken_and_given_back_in_create_page() -> None:
    """crawler.browser_tabs replaces each context's semaphore (``_create_browser_context``) and gives a tab's place
    back through the callback ``_make_close_page_callback`` makes for it, as the tab opens in ``_create_page``: the
    place taken and given back by the calls read here, in the request's task."""
    create_page = inspect.getsource(ScrapyPlaywrightDownloadHandler._create_page)
    assert "await ctx_wrapper.semaphore.acquire()" in create_page
    assert "ctx_wrapper.semaphore.release()" in create_page  # its tab failed to open
    assert "close_page_callback = self._make_close_page_callback(context_name)" in create_page
    assert 'page.on("close", close_page_callback)' in create_page
    assert 'page.on("crash", close_page_callback)' in create_page
    assert "semaphore=asyncio.Semaphore(" in inspect.getsource(ScrapyPlaywrightDownloadHandler._create_browser_context)
    assert "self._maybe_future_from_coro(coro)" in inspect.getsource(ScrapyPlaywrightDownloadHandler.download_request)


def test_a_tab_opens_and_a_browser_launches_where_the_handler_guards_them() -> None:
    """A tab is opened by ``context.new_page()`` of the context's wrapper, which BrowserDownloadHandler makes close a
    tab that opens after its request gave up; the browser is launched only as a context is created, which the handler
    never lets a request's deadline cut off."""
    create_page = inspect.getsource(ScrapyPlaywrightDownloadHandler._create_page)
    assert "page = await ctx_wrapper.context.new_page()" in create_page
    assert "await self._maybe_launch_browser()" in inspect.getsource(
        ScrapyPlaywrightDownloadHandler._create_browser_context)
    callers = [name for name, member in inspect.getmembers(ScrapyPlaywrightDownloadHandler, inspect.isfunction)
               if "self._maybe_launch_browser()" in inspect.getsource(member)]
    assert callers == ["_create_browser_context"]
    assert list(inspect.signature(ScrapyPlaywrightDownloadHandler._create_browser_context).parameters) == [
        "self", "name", "context_kwargs", "spider"]


def test_no_other_private_method_is_overridden() -> None:
    """Contexts and pages are set up through scrapy-playwright's meta (playwright_context_kwargs,
    playwright_page_init_callback) and PLAYWRIGHT_CONTEXTS; of its private methods only the launch hook, the two
    that count a context's tabs (above) and the maker of a page's route handler (wrapped as it is made:
    crawler.browser_handler.quiet_when_closed) are overridden."""
    private = {name for name in vars(BrowserDownloadHandler) if name.startswith("_") and not name.startswith("__")}
    assert private & set(dir(ScrapyPlaywrightDownloadHandler)) - {"_abc_impl"} == {
        "_maybe_launch_in_thread", "_create_browser_context", "_make_close_page_callback", "_make_request_handler"}
    route_handler = inspect.getsource(ScrapyPlaywrightDownloadHandler._make_request_handler)
    assert "async def _request_handler(route: Route, playwright_request: PlaywrightRequest)" in route_handler
