"""Project commands for ``scrapy``: ``crawl`` (exit code follows the run's health),
``crawlall``, ``articles`` and ``report``."""
