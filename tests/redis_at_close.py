"""A test extension that takes Redis away as the spider closes, while run health asks it whether this worker was
the last of the shared crawl to record its part: ``REDIS_AT_CLOSE`` is ``PID pause`` (the redis-server SIGSTOPped
for good; the test's fixture kills it), ``PID pause SECONDS`` (SIGSTOPped, then resumed by the crawl's own
reactor SECONDS later: only a reactor that is not waiting on Redis can) or ``PID kill``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)
TAKEN = "Redis taken away at spider_closed"


class RedisAtClose:
    def __init__(self, pid: int, how: str, resume: float) -> None:
        self.pid = pid
        self.how = how
        self.resume = resume  # seconds until the reactor resumes a paused Redis (0: never)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisAtClose:
        words = (crawler.settings.get("REDIS_AT_CLOSE") or "").split()
        if not words:
            raise NotConfigured
        extension = cls(int(words[0]), words[1], float(words[2]) if len(words) > 2 else 0.0)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self) -> None:
        os.kill(self.pid, signal.SIGKILL if self.how == "kill" else signal.SIGSTOP)
        logger.info("%(taken)s: %(how)s", {"taken": TAKEN, "how": self.how})
        if self.how == "pause" and self.resume:
            asyncio.get_running_loop().call_later(self.resume, os.kill, self.pid, signal.SIGCONT)


def redis_at_close(pid: int, how: str, resume: float = 0.0) -> list[str]:
    """The ``-s`` settings of a worker whose Redis goes ``how`` as its spider closes: the project's extensions and
    this one."""
    import json

    from crawler import settings

    extensions = {**settings.EXTENSIONS, f"{__name__}.RedisAtClose": 900}
    return [f"EXTENSIONS={json.dumps(extensions)}", f"REDIS_AT_CLOSE={pid} {how} {resume:g}"]
