"""A redirected request is sent without the validators stored for the URL that redirected: one line per case."""

from __future__ import annotations

import pytest
from scrapy import Request

from crawler.middlewares.redirect_validators import RedirectValidatorsMiddleware

VALIDATORS = {"If-None-Match": '"abc"', "If-Modified-Since": "Wed, 19 Oct 2022 09:55:00 GMT"}


@pytest.mark.parametrize(("meta", "kept"), [
    ({}, True),  # the URL they were stored for
    ({"redirect_urls": ["https://asiaplus.news/en/2022/10/19/story/"]}, False),
    ({"redirect_urls": []}, True),
])
def test_validators_go_only_to_the_url_they_were_stored_for(meta: dict[str, list[str]], kept: bool) -> None:
    request = Request("https://asiaplus.news/en/2022/10/21/story/", headers={**VALIDATORS, "Referer": "x"}, meta=meta)
    RedirectValidatorsMiddleware().process_request(request)
    assert all((name.encode() in request.headers) is kept for name in VALIDATORS)
    assert request.headers[b"Referer"] == b"x"  # nothing else touched
