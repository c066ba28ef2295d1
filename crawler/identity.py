"""Who the crawler says it is: its User-Agent with a contact address (``CONTACT_URL`` in the environment).

Apart from ``crawler.settings`` so that ``python -m crawler.extract URL`` fetches as the crawl does without
importing Scrapy.
"""

from __future__ import annotations

from crawler.env import env_str

CONTACT_URL = env_str("CONTACT_URL", "https://github.com/centralasia-news/crawler")
USER_AGENT = f"Mozilla/5.0 (compatible; CentralAsiaNewsBot/0.1; +{CONTACT_URL})"
