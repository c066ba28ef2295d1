"""A Playwright call for a page that ends when its browser does. ``BrowserContext.new_page`` awaited while Chromium is
killed (the OOM killer, a crash) in the last part of the tab's creation never returns (Playwright 1.65: the browser's
``disconnected`` event comes, the call stays pending): the page's request waited for its deadline and failed as
"browser stalled", and so did every page opening a tab at that moment, though a new browser was up in a second."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from playwright._impl._errors import TargetClosedError  # not exported; scrapy-playwright imports it so too
from playwright.async_api import Browser

T = TypeVar("T")


async def unless_browser_gone(call: Awaitable[T], browser: Browser | None) -> T:
    """``call``'s result; ``TargetClosedError`` as soon as ``browser`` has disconnected first (``call`` is then
    cancelled). Without a browser (a persistent context) ``call`` alone."""
    if browser is None:
        return await call
    running = asyncio.ensure_future(call)
    gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def disconnected(*_: Any) -> None:
        if not gone.done():
            gone.set_result(None)

    browser.on("disconnected", disconnected)
    if not browser.is_connected():
        disconnected()
    try:
        await asyncio.wait((running, gone), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        running.cancel()
        raise
    finally:
        browser.remove_listener("disconnected", disconnected)
    if running.done():
        return running.result()
    running.cancel()
    raise TargetClosedError("the browser disconnected while the call waited for it")
