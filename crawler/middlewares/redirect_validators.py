"""Validators belong to the URL they were stored for: a redirected request drops ``If-None-Match`` and
``If-Modified-Since``.

Scrapy's RedirectMiddleware copies a request's headers to the URL a redirect names. A revisit's ETag
(or a feed's) sent on there is answered 304 wherever the server derives ETags from the content (a moved
article, byte for byte) or the other page is older: the move or the removal would pass for "not modified".
The target is asked in full instead.
"""

from __future__ import annotations

from scrapy import Request

VALIDATORS = (b"If-None-Match", b"If-Modified-Since")


class RedirectValidatorsMiddleware:
    def process_request(self, request: Request) -> None:
        if request.meta.get("redirect_urls"):
            for name in VALIDATORS:
                request.headers.pop(name, None)
