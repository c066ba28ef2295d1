"""Log lines that name their site in a process crawling several (``scrapy crawlall``): each crawl starts
in a context of its own whose :data:`SITE` every task and callback of that crawl inherits, and a log
record factory puts ``[site] `` in front of each message logged within it. What a thread answers comes back
outside that context (Twisted's ``callFromThread`` runs in the thread's own): :func:`in_caller_context` hands
such an answer on in the context that asked for it. A thread starts in an empty context: work a crawl sends to
one runs in a copy of the crawl's (``asyncio.to_thread``, ``contextvars.copy_context().run``)."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from twisted.internet.defer import Deferred

T = TypeVar("T")
SITE: contextvars.ContextVar[str | None] = contextvars.ContextVar("crawl_site", default=None)
_installed = False


def named(site: str, start: Callable[[], T]) -> T:
    """``start()`` run in a fresh context where the site is ``site`` (the crawl's tasks copy it)."""
    context = contextvars.copy_context()

    def run() -> T:
        SITE.set(site)
        return start()

    return context.run(run)


def in_caller_context(answer: Deferred[T]) -> Deferred[T]:
    """``answer``'s result, delivered in the context of this call: the callbacks added to the result (and the
    connection a resolved address opens, its reads and its log lines) belong to the site that asked."""
    context = contextvars.copy_context()
    delivered: Deferred[T] = Deferred(lambda _: answer.cancel())

    def deliver(result: Any) -> None:
        if not delivered.called:  # not cancelled meanwhile
            context.run(delivered.callback, result)

    answer.addBoth(deliver)
    return delivered


def install() -> None:
    """Prefix every log record made while a site is set (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        site = SITE.get()
        if site and isinstance(record.msg, str) and not record.msg.startswith(f"[{site}] "):
            record.msg = f"[{site}] {record.msg}"
        return record

    logging.setLogRecordFactory(factory)
