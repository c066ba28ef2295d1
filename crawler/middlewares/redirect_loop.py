"""Stop redirect loops where they close.

A redirect back to a URL already in the request's redirect chain would otherwise be
dropped by the duplicate filter without a word (or, for requests that skip the filter,
followed until ``REDIRECT_MAX_TIMES``). Sitting inside Scrapy's RedirectMiddleware, this
raises ``IgnoreRequest("redirect loop …")``, which the spider's errback counts under
``download/failed/redirect_loop``. A ``Location`` no URL can be made of (``http://[::1``, a port past
65535) raises ``IgnoreRequest("unusable redirect …")`` instead (``download/failed/bad_redirect``).
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from w3lib.url import safe_url_string


class RedirectLoopMiddleware:
    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        try:
            target = safe_url_string(urljoin(request.url, location.decode("latin-1")))
        except ValueError as exc:  # urljoin and safe_url_string parse the host and port
            raise IgnoreRequest(f"unusable redirect Location {location[:200]!r}: {exc}") from None
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        return response
