"""What of a response's ``ETag`` and ``Last-Modified`` is kept as a validator: real ones, not a hostile site's junk."""

from __future__ import annotations

import pytest
from scrapy.http import Response

from crawler.validators import conditional_headers, etag, last_modified


def response(**headers: str) -> Response:
    return Response("http://127.0.0.1/news/a/", headers={k.replace("_", "-"): v.encode("latin-1")
                                                          for k, v in headers.items()})


@pytest.mark.parametrize(("sent", "kept"), [
    ('"5f3a-1c2b-6d1e"', '"5f3a-1c2b-6d1e"'),
    ('W/"0815"', 'W/"0815"'),
    ('""', '""'),
    ("abc123", "abc123"),  # unquoted, as some servers send it
    (' "a1" ', '"a1"'),
    ('"\x1b]52;c;cm0gLXJmIH4=\x07"', None),  # a clipboard write
    ('"a\x9b31m"', None),  # a C1 control
    ('"' + "x" * 5000 + '"', None),  # padding
    ('"a" "b"', None),
    ("", None),
])
def test_etag(sent: str, kept: str | None) -> None:
    assert etag(response(ETag=sent)) == kept


@pytest.mark.parametrize(("sent", "kept"), [
    ("Sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT"),
    ("Sunday, 06-Nov-94 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"),
    ("\x1b]52;c;cm0gLXJmIH4=\x07", None),
    ("yesterday", None),
    ("Sun, 06 Nov 1994 08:49:37 GMT" + " " * 100 + "x", None),
])
def test_last_modified(sent: str, kept: str | None) -> None:
    assert last_modified(response(Last_Modified=sent)) == kept


def test_no_header_is_no_validator() -> None:
    assert etag(response()) is None and last_modified(response()) is None


@pytest.mark.parametrize(("stored", "sent"), [
    ({"etag": '"a1"', "last_modified": "Sun, 06 Nov 1994 08:49:37 GMT"},
     {"If-None-Match": '"a1"', "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}),
    ({"etag": '"a1"', "last_modified": None}, {"If-None-Match": '"a1"'}),
    ({"etag": '"a\r\nX-Injected: 1"', "last_modified": "soon"}, {}),  # stored before validators were checked
    ({}, {}),
])
def test_a_revisit_sends_back_only_stored_validators_that_are_ones(stored: dict[str, object],
                                                                   sent: dict[str, str]) -> None:
    assert conditional_headers(stored) == sent
