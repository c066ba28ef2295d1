"""Pages that claim to be what they are not, crawled end to end by the real ``scrapy crawl``: a soft 404 (an
error page served as 200 at an article's URL), articles redirected to the home page and to a login form, a
canonical link to another site's article, named outright or relative to a ``<base href>`` on that site (through the
generic spider, whose URL pattern takes any host), an image relative to the page's ``<base href>``, a 206
that is the whole page, a JSON-LD block over ``MAX_JSON_LD_CHARS``, a ``published`` meta of ``true``, and images
whose URLs are ``javascript:``, ``file:``, ``data:`` or a private address. None
of the impostors is stored, each is counted, and the real pages are stored under their own URLs."""

from __future__ import annotations

import json
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.bench.replica_server import running
from crawler.limits import MAX_JSON_LD_CHARS
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, crawl_site, handler_site, site_config

DOMAIN = "claim.kz"
CONFIG = site_config("claim", DOMAIN, "Asia/Almaty")
OTHER = "https://victim.uz/news/stolen-article-slug/"
BAD_IMAGES = ["javascript:alert(document.cookie)", "file:///etc/passwd", "data:image/svg+xml,<svg onload=alert(1)>",
              "http://169.254.169.254/latest/meta-data/", "http://[::1]/a.jpg", "http://[zz/a.jpg"]


def _page(slug: str) -> str:
    page = article(slug)
    if slug in ("offsite-canonical", "offsite-canonical-claim"):
        return page.replace("<title>", f"<link rel='canonical' href='{OTHER}'><title>", 1)
    if slug == "offsite-base-claim-page":  # a relative canonical that its base puts on another site
        base = OTHER.rsplit("/", 2)[0] + "/"
        return page.replace("<title>", f"<base href='{base}'><link rel='canonical' href='{OTHER.rsplit('/', 2)[1]}/'>"
                            "<title>", 1)
    if slug == "relative-base":  # images resolve against the base, as a browser loads them
        page = page.replace("</p></div>", "</p><figure><img src='photo.jpg'></figure></div>", 1)
        return page.replace("<title>", "<base href='/media/'><title>", 1)
    if slug == "jsonld-over-cap":
        block = json.dumps({"@type": "NewsArticle", "keywords": ["x" * 100] * (MAX_JSON_LD_CHARS // 100)})
        return page.replace("<title>", f"<script type='application/ld+json'>{block}</script><title>", 1)
    if slug == "meta-true":
        page = page.replace('"datePublished": "2026-11-20T10:00:00+05:00"', '"x": 1')
        page = page.replace("<time datetime='2026-11-20T10:00:00+05:00'></time>", "")
        return page.replace("<title>", "<meta name='published' content='true'><title>", 1)
    if slug == "bad-images":
        images = "".join(f"<figure><img src='{src}'><figcaption>Фото: ТАСС</figcaption></figure>" for src in BAD_IMAGES)
        page = page.replace("</p></div>", f"</p>{images}<figure><img src='/photo.jpg'></figure></div>", 1)
        return page.replace("<title>", "<meta property='og:image' content='javascript:alert(1)'><title>", 1)
    if slug == "soft-404":
        return ("<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Страница не найдена</title></head>"
                "<body><h1>Ошибка 404: страница не найдена</h1><p>К сожалению, запрашиваемая вами страница не "
                "существует, была удалена или перемещена. Проверьте правильность адреса или вернитесь на главную "
                "страницу сайта.</p></body></html>")
    if slug == "home":
        items = "".join(f"<li><a href='/news/{slug}/'>Новость о событиях в регионе: {slug}</a></li>"
                        for slug in GENERIC_SLUGS)
        items = "<li><a href='http://[::1'>Сломанная ссылка</a></li>" + items  # urljoin refuses it
        return ("<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Главная - Claim</title></head>"
                f"<body><h1>Claim: новости</h1><p>{article('x').split('<p>')[1].split('</p>')[0]}</p>"
                f"<ul>{items}</ul></body></html>")
    if slug == "login":
        return ("<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Вход</title></head>"
                "<body><h1>Вход на сайт</h1><p>Чтобы прочитать статью целиком, войдите в личный кабинет или "
                "зарегистрируйтесь: подписка открывает доступ ко всем материалам сайта.</p><form><input name=l>"
                "</form></body></html>")
    return page


# long slugs: the generic spider's article URLs
GENERIC_SLUGS = ["offsite-canonical-claim", "own-canonical-page", "offsite-base-claim-page"]
SLUGS = ["good", "bad-images", "relative-base", "offsite-canonical", "whole-206", "jsonld-over-cap", "meta-true",
         "soft-404", "moved-home", "moved-login"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: str, body: bytes, *headers: str) -> None:
        head = "".join(f"{h}\r\n" for h in headers)
        self.wfile.write(f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        html = "Content-Type: text/html; charset=utf-8"
        if self.path == "/feed/":
            items = "".join(f"<item><link>https://{DOMAIN}/news/{s}/</link></item>" for s in SLUGS)
            self._send("200 OK", f"<rss><channel>{items}</channel></rss>".encode(), "Content-Type: application/rss+xml")
        elif self.path == "/":
            self._send("200 OK", _page("home").encode(), html)
        elif self.path == "/login/":
            self._send("200 OK", _page("login").encode(), html)
        elif self.path == "/news/moved-home/":
            self._send("302 Found", b"", "Location: /")
        elif self.path == "/news/moved-login/":
            self._send("302 Found", b"", "Location: /login/")
        elif not self.path.startswith("/news/"):
            self._send("404 Not Found", b"", html)
        else:
            slug = self.path.strip("/").rsplit("/", 1)[-1]
            page = _page(slug).encode()
            if slug == "whole-206":
                self._send("206 Partial Content", page, html, f"Content-Range: bytes 0-{len(page) - 1}/{len(page)}")
            else:
                self._send("200 OK", page, html)
        self.close_connection = True


def test_pages_that_claim_to_be_what_they_are_not(mongo: MongoTarget, tmp_path: Path,
                                                   crawl_into_store: StoreCrawl) -> None:
    site = handler_site(Handler)
    result = crawl_site(site, CONFIG, tmp_path / "claim.toml", crawl_into_store,
                        settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=120)
    stats = result.stats
    stored = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in mongo.db.articles.find()}
    assert set(stored) == {"good", "bad-images", "relative-base", "offsite-canonical", "whole-206",
                           "jsonld-over-cap", "meta-true"}, stats
    assert stats["articles/skipped/error_page"] == 1  # the soft 404
    assert stats["articles/skipped/redirected"] == 2  # to the home page and to a login form
    assert "articles/skipped/partial" not in stats  # a 206 of the whole page is the page
    assert stats["extract/skipped/json_ld/too_large"] == 1
    assert stored["jsonld-over-cap"]["title"] == "Совещание по энергетике: jsonld-over-cap"
    assert stored["meta-true"]["published_raw"] is None and stored["meta-true"]["published"] is None
    assert stored["good"]["published_raw"] == "2026-11-20T10:00:00+05:00"
    # image URLs no reader's browser may load are no images of the article: not stored, counted
    assert [image["url"] for image in stored["bad-images"]["images"]] == [f"https://{DOMAIN}/photo.jpg"]
    # the og:image and four of the six (a data: src is a lazy-load placeholder, and "http://[zz" names no URL)
    assert stats["cleaning/removed/image_url"] == 5
    assert [image["url"] for image in stored["relative-base"]["images"]] == [f"https://{DOMAIN}/media/photo.jpg"]


def test_a_canonical_link_to_another_site_is_not_the_stored_url(mongo: MongoTarget,
                                                                crawl_into_store: StoreCrawl) -> None:
    """The generic spider's article pattern takes any host: a page naming another site's article as its canonical
    would be stored under that URL, over that site's record."""
    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.requests = Counter()  # type: ignore[attr-defined]
    with running(site):
        result = crawl_into_store("news", f"url=https://{DOMAIN}/", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=120)
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    stored = {doc["url"] for doc in mongo.db.articles.find()}
    assert stored == {f"https://{DOMAIN}/news/{slug}/" for slug in GENERIC_SLUGS}, result.stats
    assert result.stats["articles/canonical_ignored"] == 2  # named outright, and through a base on that site
