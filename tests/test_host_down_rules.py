"""HostDownMiddleware's rules on a real crawler's settings and stats, its failures real Twisted/Scrapy exceptions
(the crawls themselves: ``tests/test_host_down.py``): when a host is down, which request waits, which goes through
as a probe, which fails unsent, and that an answer brings the host back, even after the outage was given up."""

from __future__ import annotations

import asyncio
import time

import pytest
from scrapy import Request
from scrapy.core.engine import ExecutionEngine
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.http import Response
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.downloader import NotSent, NotSentWhileStopping
from crawler.middlewares.host_down import HostDownMiddleware

URL = "https://news.example/a/"


def middleware(**settings: object) -> HostDownMiddleware:
    crawler = get_crawler(Spider, settings_dict={"HOST_DOWN_AFTER": 2, "HOST_DOWN_PROBE_SECONDS": 60,
                                                 "HOST_DOWN_GIVE_UP_SECONDS": 300, **settings,
                                                 "DOWNLOADER": "crawler.downloader.StoppingDownloader"})
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    crawler.crawling = True
    return HostDownMiddleware.from_crawler(crawler)


def fail(mw: HostDownMiddleware, times: int, url: str = URL) -> list[Request | None]:
    return [mw.process_exception(Request(url), DownloadConnectionRefusedError("refused")) for _ in range(times)]


def answer(mw: HostDownMiddleware, url: str = URL) -> None:
    mw.process_response(Request(url), Response(url, status=503))  # any answer, whatever its status


def sent(mw: HostDownMiddleware, url: str = URL, timeout: float = 0.3) -> bool:
    """Whether ``url`` goes through (True) or waits (False, still waiting after ``timeout``); raises when refused."""
    async def attempt() -> bool:
        try:
            await asyncio.wait_for(mw.process_request(Request(url)), timeout)
        except TimeoutError:
            return False
        return True
    return asyncio.run(attempt())


def test_a_host_that_never_answered_is_refused_at_once_and_its_failures_not_retried() -> None:
    mw = middleware(HOST_DOWN_PROBE_SECONDS=60)
    request = Request(URL)
    assert fail(mw, 1) == [None] and sent(mw)  # one failure: nothing yet
    assert mw.process_exception(request, DownloadTimeoutError("timed out")) is None
    assert request.meta.get("dont_retry") is True
    with pytest.raises(NotSent, match="answered none of the 2 attempts of this run"):
        sent(mw)
    assert sent(mw, "https://other.example/b/")  # another host is no concern of this one's
    assert mw.stats.get_value("download/host_down") == 1
    assert mw.stats.get_value("downloader/not_sent_stopping") is None


def test_an_outage_after_answers_holds_the_requests_and_queues_the_failed_again() -> None:
    mw = middleware()
    answer(mw)
    again = fail(mw, 2)
    assert again[0] is None and isinstance(again[1], Request) and again[1].dont_filter  # queued again to wait
    assert not sent(mw)  # waits for the host
    answer(mw)  # a probe's answer: the host is back
    assert sent(mw)
    assert mw.stats.get_value("download/host_down/waited") == 1


@pytest.mark.e2e  # seconds of waiting; intervals wide enough for a loaded machine
def test_one_request_every_probe_interval_goes_through_while_the_others_wait() -> None:
    mw = middleware(HOST_DOWN_PROBE_SECONDS=1.5)
    answer(mw)
    fail(mw, 2)
    assert not sent(mw, timeout=0.1)
    assert sent(mw, timeout=3.0)  # the probe, once the interval is up
    assert not sent(mw, timeout=0.1)


@pytest.mark.e2e  # seconds of waiting; intervals wide enough for a loaded machine
def test_an_outage_given_up_refuses_but_still_probes_and_an_answer_brings_the_host_back() -> None:
    mw = middleware(HOST_DOWN_PROBE_SECONDS=1.5, HOST_DOWN_GIVE_UP_SECONDS=0.1)
    answer(mw)
    fail(mw, 2)
    time.sleep(0.2)
    with pytest.raises(NotSent, match="answered none of the last 2 attempts"):
        sent(mw)
    time.sleep(1.5)
    assert sent(mw)  # a probe
    answer(mw)
    assert sent(mw) and sent(mw)


def test_a_stop_ends_the_wait() -> None:
    mw = middleware()
    answer(mw)
    fail(mw, 2)
    mw.crawler.crawling = False
    with pytest.raises(NotSentWhileStopping):
        sent(mw)
    assert mw.stats.get_value("downloader/not_sent_stopping") == 1  # counted by the downloader, as its own are


def test_zero_turns_it_off() -> None:
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        middleware(HOST_DOWN_AFTER=0)
