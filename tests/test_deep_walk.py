"""The block walk reads an element 300 or 2,000 levels deep (a broken page's unclosed ``<div>`` tags) exactly as it
reads one 10 levels deep: a comment's tail, ``<br>`` spacing, a "Read also" list's link density and a hidden block
are kept at any depth. Elements below depth 200 were read by a separate loop that lost comment tails, glued lines
at ``<br>``, and put a deep link list in the body and a deep ``display:none`` block in view."""

from __future__ import annotations

import threading

import pytest

from crawler.extract.article import extract_article
from crawler.extract.blocks import segment
from crawler.htmltree import html_selector
from crawler.sites import GENERIC
from tests.hostile_site import PARAGRAPHS

RELATED = "".join(
    f"<li><a href='/news/{n}'>Читайте также: новость номер {n} о событиях недели</a></li>" for n in range(8)
)
CONTENT = (
    "<h1>Совещание по энергетике в Душанбе</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    + "<font>Сообщила пресс-служба.<br><br>Документ опубликован<!-- /banner --> на сайте министерства сегодня.</font>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    + f"<div class='related'><b>Читайте также</b><ul>{RELATED}</ul></div>"
    + "<div style='display:none'>Скрытый текст для поисковых систем, которого читатель не видит на странице.</div>"
)


def page(depth: int) -> str:
    return f"<html><body><div class='header'>Главная</div>{'<div>' * depth}{CONTENT}</body></html>"


def blocks_of(depth: int) -> list[tuple[str, int, bool, int, str]]:
    blocks, _ = segment(html_selector(page(depth)).root)
    return [(b.text, b.link_chars, b.hidden, b.context, b.tag) for b in blocks]


@pytest.mark.parametrize("depth", [300, 2000])
def test_deep_blocks_are_the_shallow_blocks(depth: int) -> None:
    shallow = blocks_of(10)
    assert "Сообщила пресс-служба. Документ опубликован на сайте министерства сегодня." in [b[0] for b in shallow]
    assert blocks_of(depth) == shallow


@pytest.mark.parametrize("depth", [300, 2000])
def test_deep_article_is_the_shallow_article(depth: int) -> None:
    url = "https://deep.tj/news/1/"
    shallow = extract_article(page(10), url, GENERIC).paragraphs
    assert PARAGRAPHS[0] in shallow
    assert extract_article(page(depth), url, GENERIC).paragraphs == shallow


def test_deep_page_in_a_thread() -> None:
    """A worker thread reads a 2,000-deep page as the main thread does (the recursion limit is the process's)."""
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(blocks_of(2000)))
    thread.start()
    thread.join()
    assert found == [blocks_of(10)]
