"""The download handler for pages rendered in Chromium: scrapy-playwright's, with the egress
policy (:class:`~crawler.middlewares.egress.EgressPolicy`) applied to everything the page fetches.

Three checks, because ``page.route`` does not see them all: each routed request (subresources,
fetch/XHR, frames, the page's own navigations) is checked by URL and aborted when refused; every
connection Chromium opens goes through :class:`~crawler.egress_proxy.EgressProxy`, which also
catches what routing misses (redirect hops, WebSockets, service workers, Chromium's own update
checks) and names that resolve to private addresses; and a main-frame
navigation to a refused URL (an HTTP or a script redirect) fails the page with ``IgnoreRequest("egress
refused …")``, counted by the spider as ``download/failed/egress_refused``. Images, media and fonts
stay blocked by ``PLAYWRIGHT_ABORT_REQUEST``. A remote browser (``PLAYWRIGHT_CDP_URL``,
``PLAYWRIGHT_CONNECT_URL``) is not pointed at the proxy: only the URL checks apply to it.

Playwright (its driver process, then Chromium) starts only when a page is to be rendered: at engine
start for a site that ``needs_browser``, else on the first page that needs it (a site found serving
script shells); a plain-HTTP site never starts it. A ``CHROMIUM_PATH`` that is not an executable file
is one error naming the setting; every page that needed the browser is then dropped with
``IgnoreRequest("browser unavailable …")`` (``download/failed/browser_unavailable``).

A rendered page (Chromium's serialized DOM, which Scrapy never measured: Chromium decompressed what it fetched,
scripts built the rest) over ``DOWNLOAD_MAXSIZE`` is dropped as Scrapy drops a download over it
(``download/failed/too_large``), before the spider, the extraction worker and the store get it.

Settings: ``CHROMIUM_PATH`` (empty: Playwright's own Chromium), ``PLAYWRIGHT_ABORT_REQUEST``,
``DOWNLOAD_TIMEOUT`` (connections through the proxy), ``DOWNLOAD_MAXSIZE``.
Stats: ``browser/stalled``, ``browser/refused/offsite``, ``browser/refused/private``, ``browser/refused/download``,
``browser/popups_closed``, ``browser/unavailable``, ``browser/deadline_exceeded``, ``browser/late_tabs_closed``.

A page works against the crawl only inside its own tab: every context refuses downloads (Playwright's default
accepts them, writing each to disk in full; a page that starts one while it loads fails with
``IgnoreRequest("browser download refused …")``), Chromium's popup blocker is kept on (a popup that still opens
is closed as it opens), service workers are blocked (pages share the context: one page's worker would answer
the next pages of its site, unseen by ``page.route``), ``alert``/``confirm``/``prompt``/``print`` return at once in
every page of a context, popups included (Playwright would dismiss each, one driver round trip apiece: a loop of them
holds the page to its timeout, a popup's its opener too), and
a main frame that navigates more than ``REDIRECT_MAX_TIMES`` + 2 times is dropped as a redirect loop. A page whose
document came but that did not settle before the navigation timeout (an endless script) fails as
``IgnoreRequest("browser render timeout …")``: the host answered, so ``HostDownMiddleware`` does not count it.
A page whose tab crashed is tried once more, not three times; a page whose browser went down (killed, or its
relaunch killed as it starts) is tried again up to three times, each on the browser launched next, one whose tab was
opening as it went too (Playwright left that tab's call waiting for ever: :mod:`crawler.browser_gone`).
Every page has a deadline (:mod:`crawler.browser_deadline`), twice the navigation timeout, from the request's start
(a new context, the tab opening) and again from the moment its tab opens, the wait for a free tab not counted
(:mod:`crawler.browser_tabs`), past which its tab is closed, its place among the context's tabs given back, and it
fails (``browser/deadline_exceeded``); a page over its navigations or sent to a refused URL fails at once. A tab that
Chromium opens only after its request gave up is closed as it opens (``browser/late_tabs_closed``); a browser context
(and the browser launched for it) is never cut off by a request's deadline, but left for the next request to use.
A page that failed before Chromium sent its request (a browser that stopped answering) fails as
``IgnoreRequest("browser stalled …")``: its host got no request, so ``HostDownMiddleware`` does not count it.
A failed page is one line (the spider's errback's, or this handler's): scrapy-playwright's own line for each try,
with a traceback, drops to debug when its error is Playwright's (no answer, a timeout, a tab or browser gone); a bug
keeps its traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from playwright._impl._errors import TargetClosedError  # not exported; scrapy-playwright imports it so too
from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Response as PlaywrightResponse
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.browser_deadline import PageDeadline, close_stuck_page, closed_if_late
from crawler.browser_gone import unless_browser_gone
from crawler.browser_tabs import Tabs
from crawler.egress_proxy import EgressProxy
from crawler.middlewares.egress import EgressPolicy

logger = logging.getLogger(__name__)
_EVENT_HANDLERS = "playwright_page_event_handlers"
_CONTEXT_KWARGS = "playwright_context_kwargs"
_INIT_CALLBACK = "playwright_page_init_callback"
_PAGE_META = (_CONTEXT_KWARGS, _INIT_CALLBACK)
# Every browser context: downloads refused (Playwright's default writes each to disk in full), service workers blocked.
CONTEXT_OPTIONS = {"accept_downloads": False, "service_workers": "block"}
# Run in every frame of every page of a context (popups included) before the page's scripts: dialogs that block
# nothing, answered as a dismissal would be.
NO_DIALOGS = ("window.alert = () => {}; window.confirm = () => false; window.prompt = () => null;"
              " window.print = () => {};")
# Each browser context's NO_DIALOGS, added once (by its first page; the others wait for it): the context's pages
# that exist and every one it opens later, a popup too, get it before their scripts run.
_NO_DIALOG_CONTEXTS: weakref.WeakKeyDictionary[BrowserContext, asyncio.Future[Any]] = weakref.WeakKeyDictionary()
DOWNLOAD_REFUSED = "browser download refused"
DEFAULT_NAVIGATION_TIMEOUT_MS = 30_000  # Playwright's, when PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT is not set
RENDER_TIMEOUT = "browser render timeout"
BROWSER_STALLED = "browser stalled"
TARGET_CLOSED_RETRIES = 1  # a page whose tab crashed is tried once more
BROWSER_GONE_RETRIES = 3  # a page whose browser went down (before or after its tab opened): up to this many times
BROWSER_DROP_WAIT_S = 5  # for scrapy-playwright to let go of a browser that went down, before a page's next try
_LOGGED_HOSTS = 1000  # refusals logged above debug once per (reason, host), for up to this many hosts


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]  # scrapy-playwright has no type hints
    abort_request: Callable[[PlaywrightRequest], Any] | None  # set by scrapy-playwright from PLAYWRIGHT_ABORT_REQUEST

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self._abort_heavy = self.abort_request
        self.abort_request = self._abort
        self.proxy = EgressProxy(self._policy, self._refused,
                                 connect_timeout=crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 30))
        if "proxy" in self.config.launch_options:
            logger.warning("PLAYWRIGHT_LAUNCH_OPTIONS proxy replaced by the egress proxy")
        # A signal to the crawl's process group (Ctrl-C, `kill -- -PGID`) stops the crawl gracefully, finishing its
        # pages in flight: Playwright's driver, in a session of its own, does not get it and close Chromium under them.
        start_driver_in_own_session()
        self.config.launch_options = {"handle_sigint": False, **self.config.launch_options,
                                      "proxy": {"server": self.proxy.url}}
        self._block_popups()
        self.config.startup_context_kwargs = {name: {**(kwargs or {}), **CONTEXT_OPTIONS}  # PLAYWRIGHT_CONTEXTS
                                              for name, kwargs in self.config.startup_context_kwargs.items()}
        # A closed target is mostly a crashed tab (a memory bomb crashes it on every load, its renderer grown to
        # BROWSER_JS_HEAP_MB each time) or Chromium gone (restarted): tried again by _tries, which tells them apart.
        self.config.target_closed_max_retries = 0
        crawler.signals.connect(self.proxy.start, signals.engine_started)
        self.chromium = crawler.settings.get("CHROMIUM_PATH") or ""
        if self.chromium:
            self.config.launch_options = {**self.config.launch_options, "executable_path": self.chromium}
        self._start_lock = asyncio.Lock()
        self._contexts_opening: dict[str, asyncio.Future[Any]] = {}  # by name, each created once (not cut off)
        self._started = False
        self._unavailable: str | None = None  # why the browser cannot start, once known
        self._browser_tmp: str | None = None  # Chromium's TMPDIR, removed when the browser has closed
        self._logged: set[tuple[str, str]] = set()
        self._refused_pages: set[str] = set()  # URLs of Scrapy requests whose page navigated to a refused URL
        # a page's main frame may navigate (the first load, redirect hops, a script's redirect) this many times
        self._max_navigations = crawler.settings.getint("REDIRECT_MAX_TIMES", 20) + 2
        self._looping: weakref.WeakSet[Page] = weakref.WeakSet()  # pages over it: their navigations are aborted
        self._max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        # A page's deadline: its navigation's timeout, then as long again to read and close it (a loaded machine).
        navigation = (self.config.navigation_timeout_ms or DEFAULT_NAVIGATION_TIMEOUT_MS) / 1000
        self._page_seconds, self._close_seconds = 2 * navigation, navigation
        logging.getLogger("scrapy-playwright").addFilter(self._demote_page_failures)

    def _block_popups(self) -> None:
        """Keep Chromium's popup blocker, which Playwright switches off: a popup a page's script opens without a
        user's click (all of them, here) is refused, and a flood of hundreds leaves one tab."""
        ignored = self.config.launch_options.get("ignore_default_args")
        if ignored is not True:  # True: no default argument at all, the blocker already on
            self.config.launch_options["ignore_default_args"] = [*(ignored or []), "--disable-popup-blocking"]

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start (scrapy-playwright connects this): Playwright starts only for a site whose
        pages are all rendered; another starts it on its first page that needs rendering."""
        if getattr(self.crawler.spider, "use_browser", False):
            with contextlib.suppress(IgnoreRequest):  # said once, in one line, by _start
                await self._start()

    async def _create_browser_context(self, name: str, context_kwargs: dict[str, Any] | None,
                                      spider: Any = None) -> Any:
        """scrapy-playwright's context ``name`` (launching the browser first, if need be), created once however many
        requests wait for it, and never cut off: a request that gives up meanwhile (its page's deadline) leaves it to
        the next. Cut off, the context (and a browser launched for it) still opened in Playwright's driver, unseen
        until the crawl ended, and its place among ``PLAYWRIGHT_MAX_CONTEXTS`` was never given back."""
        opening = self._contexts_opening.get(name)
        if opening is None or opening.done():  # done: a context since closed, or a creation that failed
            opening = asyncio.ensure_future(self._open_context(name, context_kwargs, spider))
            self._contexts_opening[name] = opening
            opening.add_done_callback(partial(self._context_opened, name))
        return await asyncio.shield(opening)

    async def _open_context(self, name: str, context_kwargs: dict[str, Any] | None, spider: Any) -> Any:
        """scrapy-playwright's context, its tabs counted by :class:`~crawler.browser_tabs.Tabs` and opened by
        :meth:`_open_tab`."""
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        wrapper.semaphore = Tabs(self.config.max_pages_per_context)  # no page has taken one yet: nothing awaited since
        context = wrapper.context
        # scrapy-playwright's one call that opens a tab
        context.new_page = partial(self._open_tab, context.new_page, context.browser)
        return wrapper

    def _context_opened(self, name: str, opening: asyncio.Future[Any]) -> None:
        if self._contexts_opening.get(name) is opening:
            del self._contexts_opening[name]
        if not opening.cancelled():
            opening.exception()  # every request that waited for it has it; none left: no "never retrieved" log

    async def _open_tab(self, new_page: Callable[[], Awaitable[Page]], browser: Browser | None) -> Page:
        """A tab for the request whose task opens it: its page's deadline starts and closes it when it passes. A tab
        that opens after the request gave up (its deadline) is closed at once: nobody else would before the crawl
        ends, one tab over ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` (its place was given back as the request gave up).
        A browser that goes while the tab opens fails it at once (:mod:`crawler.browser_gone`)."""
        page = await closed_if_late(unless_browser_gone(new_page(), browser), self._close_late_tab)
        deadline = PageDeadline.current()
        if deadline is not None:
            deadline.opened(page)
        return page

    async def _close_late_tab(self, page: Page) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("browser/late_tabs_closed")
        logger.info("Closing a tab that opened after its page's deadline")
        with contextlib.suppress(TimeoutError, PlaywrightError):
            await asyncio.wait_for(page.close(), self._close_seconds)

    def _make_close_page_callback(self, context_name: str) -> Callable[[], None]:
        """What a tab's close and crash events call (made as the tab opens, in its request's task): its place given
        back, once, to the context that it was taken from."""
        deadline = PageDeadline.current()
        if deadline is not None and deadline.slot is not None:
            return deadline.slot.release
        given_back: Callable[[], None] = super()._make_close_page_callback(context_name)
        return given_back

    async def _start(self) -> None:
        """Start Playwright once; raise ``IgnoreRequest("browser unavailable …")`` when it cannot be."""
        async with self._start_lock:
            if not self._started and self._unavailable is None:
                self._unavailable = chromium_problem(self.chromium)
                if self._unavailable is None:
                    self._give_chromium_its_own_tmpdir()
                    await super()._maybe_launch_in_thread()
                    self._started = True
                else:
                    assert self.crawler.stats is not None
                    # One line per crawl: the http and the https handler each find the problem.
                    if not self.crawler.stats.get_value("browser/unavailable"):
                        logger.error("Pages that need a browser cannot be rendered: %(problem)s",
                                     {"problem": self._unavailable})
                    self.crawler.stats.set_value("browser/unavailable", 1)
        if self._unavailable is not None:
            raise IgnoreRequest(f"browser unavailable: {self._unavailable}")

    def _give_chromium_its_own_tmpdir(self) -> None:
        """Chromium writes temporary files (a download's first bytes, its singleton socket) to ``TMPDIR`` and
        removes them as it closes; a browser killed (the OOM killer, a crash: scrapy-playwright launches another)
        or closed in the middle of one leaves them there, run after run. In a directory of the crawl's own, removed
        once the browser has closed, nothing outlives the crawl."""
        if self.config.cdp_url or self.config.connect_url:  # a remote browser: its files are on its machine
            return
        self._browser_tmp = tempfile.mkdtemp(prefix="crawl-chromium-")
        env = self.config.launch_options.get("env") or dict(os.environ)
        self.config.launch_options = {**self.config.launch_options, "env": {**env, "TMPDIR": self._browser_tmp}}

    async def close(self) -> None:
        try:  # contexts, then the browser, then the driver: each a Playwright call without a timeout
            await asyncio.wait_for(super().close(), 2 * self._page_seconds)
        except TimeoutError:
            logger.error("The browser did not close within %(s).0f s; it ends with the crawl",
                         {"s": 2 * self._page_seconds})
        await self.proxy.close()
        if self._browser_tmp is not None:
            shutil.rmtree(self._browser_tmp, ignore_errors=True)
        logging.getLogger("scrapy-playwright").removeFilter(self._demote_page_failures)

    async def download_request(self, request: Request) -> Response:
        """Scrapy's or Chromium's download; a page whose main frame was sent to a refused URL fails."""
        if not request.meta.get("playwright"):
            plain: Response = await super().download_request(request)
            return plain
        await self._start()
        refused: list[str] = []
        handlers = request.meta.get(_EVENT_HANDLERS)
        given = {key: request.meta.get(key) for key in _PAGE_META}
        # Through scrapy-playwright's own meta: the context a page opens in (created by the first page that names it)
        # refuses downloads and service workers whatever the request asked, and each page's dialogs block nothing.
        request.meta[_CONTEXT_KWARGS] = {**(given[_CONTEXT_KWARGS] or {}), **CONTEXT_OPTIONS}
        deadline = PageDeadline(self._page_seconds)  # armed as each tab opens (_open_tab), off as it closes
        request.meta[_INIT_CALLBACK] = partial(_page_init, given[_INIT_CALLBACK])
        answered: list[int] = []  # statuses of the main frame's documents
        navigated: list[str] = []  # URLs of the main frame's navigations (each a request Chromium sent)
        watch = partial(self._watch_navigation, request.url, refused, navigated, deadline)
        request.meta[_EVENT_HANDLERS] = {**(handlers or {}), "request": watch, "popup": self._close_popup,
                                         "response": partial(_note_document, answered),
                                         "close": deadline.tab_closed, "error": listener_failed}
        try:
            response = await deadline.run(self._tries(request, deadline))
        except Exception as error:
            failure = error
            if deadline.expired():  # scrapy-playwright, stopped, left the tab open
                await self._close_stopped_page(request, deadline, overdue=not refused)
                failure = error if refused else PlaywrightTimeoutError(
                    f"page not done within its deadline ({self._page_seconds:.0f} s)")
            if refused:
                raise self._page_refused(request, refused[0]) from error
            if _is_refused_download(failure):
                raise self._download_refused(request) from error
            if answered and isinstance(failure, PlaywrightTimeoutError):
                raise self._render_timeout(request) from failure
            if not navigated and isinstance(failure, PlaywrightTimeoutError):
                raise self._stalled(request) from failure
            if failure is error:
                raise
            raise failure from error
        finally:  # no callable left in meta: a retried request may be pickled into a JOBDIR queue
            self._refused_pages.discard(request.url)
            for key, value in {**given, _EVENT_HANDLERS: handlers}.items():
                if value is None:
                    request.meta.pop(key, None)
                else:
                    request.meta[key] = value
        if refused:
            raise self._page_refused(request, refused[0])
        return self._within_max_size(request, response)

    async def _tries(self, request: Request, deadline: PageDeadline) -> Response:
        """scrapy-playwright's download of the page (its own tries after a closed target are off), tried again after a
        closed target: once after its tab crashed (a memory bomb crashes it on every load), and up to
        ``BROWSER_GONE_RETRIES`` times after its browser went down (killed by the OOM killer or by hand, or its relaunch
        killed as it starts: no page's doing, since Chromium's renderers, not the browser, are what a page grows)."""
        crashed = gone = 0
        while True:
            opened = deadline.page
            try:
                response: Response = await super().download_request(request)
                return response
            except TargetClosedError:
                if deadline.page is opened or self._browser_down():
                    gone += 1
                    if gone > BROWSER_GONE_RETRIES:
                        raise
                else:
                    crashed += 1
                    if crashed > TARGET_CLOSED_RETRIES:
                        raise
                logger.debug("Trying %(url)s again: its tab or its browser closed", {"url": request.url})
                await self._dead_browser_dropped()

    def _browser_down(self) -> bool:
        """Whether the browser went down (scrapy-playwright let go of it, or is about to)."""
        browser: Browser | None = getattr(self, "browser", None)
        return browser is None or not browser.is_connected()

    async def _dead_browser_dropped(self) -> None:
        """Until scrapy-playwright has let go of a browser that disconnected (its listener closes the browser's
        contexts, then forgets it, and the next context launches another): a try made before would fail on it again
        at once. At most ``BROWSER_DROP_WAIT_S``: a listener that never ends costs the page its tries, not its
        deadline."""
        loop = asyncio.get_running_loop()
        until = loop.time() + BROWSER_DROP_WAIT_S
        while (self.config.restart_disconnected_browser and (browser := getattr(self, "browser", None)) is not None
               and not browser.is_connected() and loop.time() < until):
            await asyncio.sleep(0.05)

    async def _close_stopped_page(self, request: Request, deadline: PageDeadline, overdue: bool) -> None:
        """Close the tab of a request stopped at its deadline (``overdue``, counted ``browser/deadline_exceeded``) or
        cut short (its main frame went where it may not); its place among the context's tabs is given back, closed or
        not (a tab that will not close, or that never opened, would keep it for good)."""
        assert self.crawler.stats is not None
        page = deadline.page
        if overdue:
            self.crawler.stats.inc_value("browser/deadline_exceeded")
            # the page's one line is its failure's (the errback's, or "browser stalled")
            logger.debug("%(what)s %(url)s: its page was not done within its deadline (%(s).0f s)",
                        {"what": "No tab opened for" if page is None else "Closing the tab of", "url": request.url,
                         "s": self._page_seconds})
        if page is not None and not page.is_closed() and await close_stuck_page(page, self._close_seconds):
            self.crawler.stats.inc_value("playwright/page_count/closed")  # as scrapy-playwright counts its own
        if deadline.slot is not None:
            deadline.slot.release()

    async def _close_popup(self, popup: Page) -> None:
        """Close a popup or tab a rendered page opened (and, first, any it opens itself): no page outlives its
        request, and none is kept open by a page that opens hundreds."""
        popup.on("popup", self._close_popup)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("browser/popups_closed")
        with contextlib.suppress(PlaywrightError):
            await popup.close()

    def _download_refused(self, request: Request) -> IgnoreRequest:
        """The error that drops a page that started a download (counted ``browser/refused/download``)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("browser/refused/download")
        logger.warning("Dropped %(url)s: it started a download in the browser", {"url": request.url})
        return IgnoreRequest(f"{DOWNLOAD_REFUSED}: {request.url}")

    def _stalled(self, request: Request) -> IgnoreRequest:
        """The error for a page that timed out before Chromium sent its request (a browser that stopped answering, a
        context or tab that never opened): its host got no request, so this is no sign of it down
        (``download/failed/browser_stalled``, ``browser/stalled``)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("browser/stalled")
        logger.warning("Dropped %(url)s: the browser did not send its request within the page's deadline",
                       {"url": request.url})
        return IgnoreRequest(f"{BROWSER_STALLED}: {request.url}")

    @staticmethod
    def _render_timeout(request: Request) -> IgnoreRequest:
        """The error for a page whose document came but whose scripts never let it settle (an endless loop, requests
        that never end): the host answered, so this is no sign of it down (``download/failed/render_timeout``)."""
        logger.warning("Dropped %(url)s: its document came but the page did not settle before the timeout",
                       {"url": request.url})
        return IgnoreRequest(f"{RENDER_TIMEOUT}: {request.url}")

    def _within_max_size(self, request: Request, response: Response) -> Response:
        """``response``, unless its page is over ``DOWNLOAD_MAXSIZE`` (the request's ``download_maxsize``)."""
        limit = int(request.meta.get("download_maxsize", self._max_size))
        size = len(response.body)
        if not limit or size <= limit:
            return response
        logger.warning("Dropped %(url)s: its rendered page is %(size)d B, over DOWNLOAD_MAXSIZE (%(limit)d B)",
                       {"url": request.url, "size": size, "limit": limit})
        raise IgnoreRequest(f"rendered page of {size} B over DOWNLOAD_MAXSIZE ({limit} B)")

    @staticmethod
    def _page_refused(request: Request, why: str) -> IgnoreRequest:
        """The error that drops a page whose main frame went to a refused URL, logged once (the spider's
        errback counts it as ``egress_refused``)."""
        logger.warning("Dropped %(url)s: %(why)s", {"url": request.url, "why": why})
        return IgnoreRequest(why)

    def _policy(self) -> EgressPolicy | None:
        return EgressPolicy.for_spider(self.crawler.spider)

    def _url_refusal(self, url: str) -> str | None:
        policy = self._policy()
        return policy.url_refusal(url, browser=True) if policy else None

    def _make_request_handler(self, *args: Any, **kwargs: Any) -> RouteHandler:
        """scrapy-playwright's route handler of a page, quiet when its page goes (:func:`quiet_when_closed`)."""
        return quiet_when_closed(super()._make_request_handler(*args, **kwargs), self._route_found_page_gone)

    def _route_found_page_gone(self) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("browser/route_page_gone")

    async def _abort(self, request: PlaywrightRequest) -> bool:
        """Abort a request the egress policy refuses (counted), or a heavy resource."""
        reason = self._url_refusal(request.url)
        if reason:
            self._refused(reason, request.url)
            return True
        if request.is_navigation_request() and _page_of(request) in self._looping:
            return True
        if self._abort_heavy is None:
            return False
        result: Any = self._abort_heavy(request)
        return bool(await result if inspect.isawaitable(result) else result)

    def _watch_navigation(self, page_url: str, refused: list[str], navigated: list[str],
                          deadline: PageDeadline, request: PlaywrightRequest) -> None:
        """Note a main-frame navigation (redirect hops included, which routing never sees) to a refused URL, or one
        too many, and end the page's download at once: a page whose script navigates it again and again would hold its
        tab to the timeout (a hundred navigations a second, each a route call and a driver round trip, were enough
        to starve the crawl on a loaded machine), and one sent to a refused URL waited for a download."""
        if refused or not request.is_navigation_request():
            return
        try:
            if request.frame.parent_frame is not None:
                return
        except PlaywrightError:  # a frame not attached yet: not this page's main frame
            return
        navigated.append(request.url)
        if len(navigated) > self._max_navigations:
            self._looping.add(request.frame.page)
            refused.append(f"max redirections ({self._max_navigations - 2}) exceeded in the browser: the page "
                           f"navigated more than {self._max_navigations} times")
            self._refused_pages.add(page_url)
            deadline.end_now()
            return
        reason = self._url_refusal(request.url)
        if reason:  # the request itself is stopped (and counted) by the route or the proxy
            refused.append(f"egress refused ({reason}): browser navigation to {request.url}")
            self._refused_pages.add(page_url)
            deadline.end_now()

    def _demote_page_failures(self, record: logging.LogRecord) -> bool:
        """scrapy-playwright logs each failed page (each try of it) with a traceback, at warning: a site that is down
        filled the log. A Playwright error (no answer, a timeout, a tab or browser gone) is the page's fate, not a bug:
        the spider's errback tells it in one line (a page the egress policy stopped, this handler), so the record
        drops to debug, without its traceback. Another error (a bug) keeps it."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, PlaywrightError) or getattr(record, "scrapy_request_url", None) in self._refused_pages:
            record.levelno, record.levelname, record.exc_info, record.exc_text = logging.DEBUG, "DEBUG", None, None
        return True

    def _refused(self, reason: str, target: str) -> None:
        """Count a refusal of a request (``target`` a URL) or a connection (``host:port``); log it the first
        time for its host, at warning for a private address and at info for another site (third-party
        scripts and Chromium's own update checks are routine), and at debug after."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"browser/refused/{reason}")
        is_url = "//" in target
        key = (reason, urlsplit(target if is_url else f"//{target}").netloc)
        first = key not in self._logged and len(self._logged) < _LOGGED_HOSTS
        if first:
            self._logged.add(key)
        level = (logging.WARNING if reason == "private" else logging.INFO) if first else logging.DEBUG
        logger.log(level, "Browser refused %(reason)s %(what)s to %(target)s",
                   {"reason": reason, "what": "request" if is_url else "connection", "target": target})


async def _page_init(given: Any, page: Page, request: Request) -> None:
    """scrapy-playwright's page init callback, as the tab opens: dialogs that block nothing in every frame of every
    page of the page's context (a popup it opens too: a page's own init script a popup does not get), before their
    scripts run; then the request's own callback (``given``), if any."""
    await _no_dialogs(page.context)
    if given:
        await load_object(given)(page, request)


async def _no_dialogs(context: BrowserContext) -> None:
    """Add NO_DIALOGS to ``context`` once (Playwright's ``BrowserContext.add_init_script``: its pages and popups)."""
    added = _NO_DIALOG_CONTEXTS.get(context)
    if added is None:
        added = _NO_DIALOG_CONTEXTS[context] = asyncio.ensure_future(context.add_init_script(NO_DIALOGS))
    try:
        await asyncio.shield(added)  # a page cancelled while it waits does not cancel the context's script
    except PlaywrightError:  # the context closed meanwhile: its next page, in a new context, adds it again
        _NO_DIALOG_CONTEXTS.pop(context, None)
        raise


def _note_document(answered: list[int], response: PlaywrightResponse) -> None:
    """Note an answer to the page's main-frame navigation: the host is up, whatever the page's scripts do next."""
    with contextlib.suppress(PlaywrightError):
        if response.request.is_navigation_request() and response.frame.parent_frame is None:
            answered.append(response.status)


RouteHandler = Callable[[Any, PlaywrightRequest], Awaitable[None]]


def quiet_when_closed(handle: RouteHandler, page_gone: Callable[[], None]) -> RouteHandler:
    """``handle`` (a route handler), ending the route quietly when its page, context or browser went meanwhile.
    scrapy-playwright's handler reads the request's headers (a driver round trip) outside its own guard for closed
    targets: when Chromium was killed or a tab closed during that read, Playwright logged the error with a traceback
    at error level. The page's own request fails for it already; ``page_gone`` counts it."""
    async def handle_unless_gone(route: Any, request: PlaywrightRequest) -> None:
        try:
            await handle(route, request)
        except TargetClosedError:
            page_gone()
            with contextlib.suppress(PlaywrightError):  # handled by now: nothing left to end
                await route.fallback()  # Playwright ends a route no handler took, silencing a closed target's error
    return handle_unless_gone


def listener_failed(error: BaseException) -> None:
    """A page's event listener failed (Playwright's ``error`` event). Without a listener for it, Playwright logs the
    error with a traceback and raises it from its next call, on any page: another request failed for it.
    scrapy-playwright's response listener fails so whenever its page, context or browser has gone (Chromium crashed or
    killed, a tab closed at its deadline), which the request's own failure already tells: one debug line."""
    if isinstance(error, TargetClosedError):
        logger.debug("A page's event listener found its page gone: %(error)s", {"error": error})
    else:
        logger.error("A page's event listener failed", exc_info=error)


def _page_of(request: PlaywrightRequest) -> Page | None:
    try:
        return request.frame.page
    except PlaywrightError:  # a frame not attached yet
        return None


def _is_refused_download(error: BaseException) -> bool:
    """Whether ``error`` is scrapy-playwright's for a download the context refused (a navigation to an attachment,
    or a page whose script started one while it loaded)."""
    message = str(error)
    return message.startswith("Failed to download") and "accept_downloads" in message


class _AsyncioStartingSessions:
    """``asyncio`` as Playwright's transport module sees it: the subprocess it starts (the driver) leads a session."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def create_subprocess_exec(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(*args, start_new_session=True, **kwargs)


def start_driver_in_own_session() -> None:
    """Start Playwright's driver in a session (so a process group) of its own. A SIGTERM or SIGINT to the crawl's
    process group (``kill -- -PGID``, ``timeout``, Ctrl-C) stops the crawl gracefully, finishing the
    pages in flight; the driver, which got it too, closed Chromium under them. The driver still ends with the crawl,
    however it ends: it exits, closing Chromium, when the crawl's end of its stdin closes. Playwright has no option
    for it, so only its transport module's view of ``asyncio`` is changed."""
    from playwright._impl import transport

    if not isinstance(getattr(transport, "asyncio"), _AsyncioStartingSessions):  # noqa: B009 (not exported)
        setattr(transport, "asyncio", _AsyncioStartingSessions())  # noqa: B010 (not exported)


def chromium_problem(path: str) -> str | None:
    """What is wrong with ``CHROMIUM_PATH`` (None: usable, or empty for Playwright's own Chromium)."""
    if not path or (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None
    what = "is not executable" if os.path.isfile(path) else "does not exist"
    return (f"CHROMIUM_PATH={path} {what}; set CHROMIUM_PATH to the Chromium binary (Debian: /usr/bin/chromium, "
            "from apt-get install chromium), or BROWSER_ENABLED=0 to crawl without a browser")
