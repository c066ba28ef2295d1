"""How much of a page's markup is there to read: a page cut short in transfer (:func:`is_truncated`), and one
that extraction reads only in part because it holds ``MAX_TAGS`` "<" or more (:func:`is_cut`)."""

from __future__ import annotations

import pytest

from crawler.htmltree import MAX_TAGS, is_cut, is_truncated

PAGE = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Text</p>"


@pytest.mark.parametrize(("body", "truncated"), [
    (PAGE + b"</body></html>", False),
    (PAGE + b"</BODY>\n", False),  # </html> is optional
    (PAGE + b"</body></html>\n<!-- served in 12 ms -->\n", False),
    (PAGE, True),
    (PAGE[:40], True),
    (b"", True),
])
def test_a_page_is_truncated_when_no_closing_body_or_html_ends_it(body: bytes, truncated: bool) -> None:
    assert is_truncated(body) is truncated


@pytest.mark.parametrize(("body", "cut"), [
    (PAGE + b"</body></html>", False),
    (PAGE, False),  # a minified page without its optional end tags is read whole
    (b"<p>" + b"<br>" * (MAX_TAGS - 2), False),  # one "<" short
    (b"<p>" + b"<br>" * (MAX_TAGS - 1), True),
    (b"<script>" + b"if (a<b) a++;" * MAX_TAGS + b"</script>", True),  # any "<" counts, in a script's text too
])
def test_a_page_is_cut_from_its_max_tags_th_less_than_sign(body: bytes, cut: bool) -> None:
    assert is_cut(body) is cut
