"""Project commands for ``scrapy``: ``crawl`` (with a meaningful exit code) and ``articles``."""
