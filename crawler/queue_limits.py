"""Limits of a crawl's own request queue, here so that settings read their defaults without loading Scrapy's
scheduler (:mod:`crawler.scheduler` applies them)."""

# JOBDIR queue pops failing this many times in a row end the crawl (``SCHEDULER_DISK_POP_MAX_FAILURES``). An idle
# engine asks every 5 s, a busy one as each download ends (freeing its descriptor), so 60 is minutes of failures or as
# many downloads with no pop taken, not a passing ``EMFILE``.
MAX_DISK_POP_FAILURES = 60
