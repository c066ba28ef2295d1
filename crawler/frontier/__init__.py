"""One crawl of a site shared by many workers through Redis (``REDIS_URL``); without it, nothing here runs.

``addon`` switches the scheduler when ``REDIS_URL`` is set, ``connection`` reaches Redis, ``shared``
holds the crawl's keys (queue, seen set, workers' in-flight requests, heartbeats), ``extension``
joins the crawl, beats and ends it when the whole cluster is idle, ``scheduler`` queues through it,
``seeding`` lets one worker of the crawl run the spider's ``start()``, ``sameness`` fingerprints the site
config and code its workers must share, and ``politeness`` holds a site's concurrency and delay across all
workers. The only package that imports redis.
"""
