"""Generated hostile article pages, one per shape that once made extraction superlinear or a
record huge: many paragraphs, deep nesting, many links, one giant text node, many dates, many
or giant JSON-LD blocks, a huge table. Written at test time, so the repository holds none. Also the site config of
their outlet, ``hostile.tj`` (:data:`CONFIG`), and of the replicas' shape (:func:`site_config`)."""

from __future__ import annotations

import json
from collections.abc import Callable

DOMAIN = "hostile.tj"
URL = f"https://{DOMAIN}/news/shape/"
TITLE = "Совещание по энергетике"
SENTENCE = ("Министерство энергетики и водных ресурсов Таджикистана провело совещание о ходе строительства "
            "Рогунской ГЭС и модернизации Нурекской станции.")


def article_data(**extra: object) -> dict[str, object]:
    return {"@context": "https://schema.org", "@type": "NewsArticle", "headline": TITLE,
            "datePublished": "2026-11-20T10:00:00+05:00", **extra}


def page(inside: str = "", *, head: str = "", outside: str = "", data: dict[str, object] | None = None) -> str:
    """An article page whose body container (``.entry-content``) holds a real paragraph and ``inside``."""
    json_ld = json.dumps(data or article_data(), ensure_ascii=False)
    return (f"<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>{TITLE}</title>"
            f"<meta property='og:type' content='article'><script type='application/ld+json'>{json_ld}</script>"
            f"{head}</head><body><article><h1 class='entry-title'>{TITLE}</h1>"
            f"<time datetime='2026-11-20T10:00:00+05:00'></time><div class='entry-content'><p>{SENTENCE}</p>"
            f"{inside}</div></article>{outside}</body></html>")


def paragraphs(n: int) -> str:
    return page("".join(f"<p>Абзац номер {i} текста.</p>" for i in range(n)))


def nested(n: int) -> str:
    return page("<div>" * n + f"<p>{SENTENCE}</p>" + "</div>" * n)


def links(n: int) -> str:
    return page(outside="<ul>" + "".join(f"<li><a href='/news/l{i}/'>Ссылка {i}</a></li>" for i in range(n)) + "</ul>")


def text_node(chars: int) -> str:
    words = ("слово " * (chars // 6 + 1))[:chars]
    return page(f"<p>{words}</p>")


def dates(n: int) -> str:
    times = "".join(f"<time datetime='2026-11-{1 + i % 28:02d}T10:00'>{1 + i % 28} ноября 2026, 10:{i % 60:02d}"
                    f"</time> " for i in range(n))
    return page(f"<p>{times}</p>", outside=f"<div class='date'>{times}</div>")


def undated(n: int) -> str:
    """A page with no machine-readable date and ``n`` different dates in its text: the generic date search
    (htmldate, then dateparser on each candidate) reads them all."""
    divs = "".join(f"<div class='x'>{1 + i % 28} марта 20{10 + i % 15}, {i % 24}:{i % 60:02d} текст {i}</div>"
                   for i in range(n))
    head = f"<head><title>{TITLE}</title></head>"
    return f"<html lang='ru'>{head}<body><h1>{TITLE}</h1><p>{SENTENCE}</p>{divs}</body></html>"


def jsonld_blocks(n: int) -> str:
    block = "<script type='application/ld+json'>{\"@type\": \"Thing\", \"name\": \"x%d\"}</script>"
    return page(head="".join(block % i for i in range(n)))


def jsonld_keywords(n: int) -> str:
    """A NewsArticle whose JSON-LD lists ``n`` keywords and authors (the first JSON-LD article wins)."""
    return page(data=article_data(keywords=[f"тег{i}" for i in range(n)],
                                  author=[{"@type": "Person", "name": f"Анна Каримова{i}"} for i in range(n // 10)]))


def table(rows: int, cols: int = 20) -> str:
    row = "<tr>" + "".join(f"<td>ячейка {c}</td>" for c in range(cols)) + "</tr>"
    return page(f"<table>{row * rows}</table>")


# shape -> (page builder, the size that reproduced the problem)
SHAPES: dict[str, tuple[Callable[[int], str], int]] = {
    "paragraphs": (paragraphs, 150_000),
    "nested": (nested, 5_000),
    "links": (links, 100_000),
    "text_node": (text_node, 5_000_000),
    "dates": (dates, 20_000),
    "undated": (undated, 20_000),
    "jsonld_blocks": (jsonld_blocks, 50_000),
    "jsonld_keywords": (jsonld_keywords, 1_000_000),
    "table": (table, 20_000),
}


def site_config(name: str, domain: str, timezone: str, *, article_url: str | None = None,
                source: str = "feeds", sources: dict[str, list[str] | int] | None = None,
                language: str = "ru", body: str = ".entry-content") -> str:
    """A one-edition site config of the replicas' shape (Russian unless ``language`` says otherwise): articles
    under ``/news/<slug>/`` unless ``article_url`` says otherwise, read from the site's ``/feed/``
    (``source="feeds"``), from its home page as a listing (``source="listings"``), or from ``sources`` (edition
    keys and their values: ``{"sitemaps": [URL, ...], "listing_pages": 4}``); ``h1.entry-title`` is the title and
    ``body`` the body container."""
    pattern = article_url or "^https://" + domain.replace(".", "\\.") + "/news/[a-z0-9-]+/$"
    start = f"https://{domain}/feed/" if source == "feeds" else f"https://{domain}/"
    lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in (sources or {source: [start]}).items())
    return f"""name = "{name}"
domains = ["{domain}"]
article_url = '{pattern}'
[[editions]]
language = "{language}"
timezone = "{timezone}"
home = "https://{domain}/"
{lines}
[selectors]
title = ["h1.entry-title"]
body = ["{body}"]
"""


CONFIG = site_config("hostile", DOMAIN, "Asia/Dushanbe")
