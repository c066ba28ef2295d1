"""A replica of hostile pages and servers, written into a directory at test time (so the
repository holds no binary, bomb or megabyte fixtures): one feed of a Russian-language
outlet, ``hostile.tj``, whose items each hit one fault.

``CASES`` maps each article slug to what the crawl must do with it: ``"stored"``, or
the stats key that counts it instead.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.bench.hostile_shapes import CONFIG as CONFIG
from crawler.bench.hostile_shapes import DOMAIN as DOMAIN
from crawler.bench.hostile_shapes import site_config as site_config
from crawler.bench.replica_server import running, serve
from tests.crawling import CrawlResult, StoreCrawl

MAX_SIZE = 4 * 1024 * 1024  # DOWNLOAD_MAXSIZE for the crawl of this replica
TITLE_LIMIT = 500  # CLEANING_MAX_TITLE_CHARS for it

STORED = "stored"
CASES: dict[str, str] = {
    "good": STORED,
    "tag-soup": STORED,
    "charset-1251": STORED,  # and articles/charset_fixed
    "charset-koi8": STORED,  # and articles/charset_fixed
    "charset-detected": STORED,  # windows-1251 with no meta charset under a UTF-8 header; articles/charset_fixed
    "utf8-bom": STORED,
    # UTF-8 pages that declare windows-1251 (a header and meta a migrated CMS kept; a meta alone): read as UTF-8,
    # articles/charset_fixed (they were stored as mojibake, "РЎРѕРІРµС‰Р°РЅРёРµ")
    "utf8-under-1251": STORED,
    "utf8-meta-1251": STORED,
    # a charset naming a codec that decodes no text (zlib, base64) or always fails (idna with "replace", undefined)
    # is ignored, as an unknown name is
    "charset-zlib": STORED,
    "meta-base64": STORED,
    "charset-idna": STORED,
    "meta-undefined-1251": STORED,  # and articles/charset_fixed: windows-1251 under a UTF-8 header
    "truncated-html": STORED,  # and articles/truncated_html
    "active-content": STORED,  # stored with its scripts, frames and handlers removed
    "absurd-date": STORED,  # and validation/cleared/published/future
    "giant-title": STORED,  # and cleaning/truncated/title
    "throttled-429": STORED,  # and retry_after/waited
    "unavailable-503": STORED,  # and retry_after/waited
    "binary": "articles/skipped/binary",
    "empty": "articles/skipped/empty",
    "json-body": "articles/skipped/json",  # an API's answer at an article's URL
    "pdf-body": "articles/skipped/binary",  # a PDF whose start is text (Scrapy makes a text response of it)
    "feed-body": "articles/skipped/xml",
    "plain-text": "articles/skipped/text",
    "xhtml": STORED,  # an XHTML page behind an XML declaration
    "jsonld-null-type": STORED,  # a JSON-LD block of "@type": null (then 5, {}) beside the article's
    "html-as-text": STORED,  # a page served as text/plain
    "too-large": "download/failed/too_large",
    "gzip-bomb": "download/failed/decompression_bomb",
    "loop-a": "download/failed/redirect_loop",
    "cut-short": "download/failed/data_loss",
    "missing-404": "download/failed/http_404",
    "gone-410": "download/failed/http_410",
    "escape": "download/failed/egress_refused",
}



PARAGRAPHS = [
    "Министерство энергетики и водных ресурсов Таджикистана провело совещание о ходе строительства "
    "Рогунской ГЭС и модернизации Нурекской станции.",
    "По словам министра, первый агрегат после реконструкции будет запущен до конца года, а экспорт "
    "электроэнергии в соседние страны вырастет на треть.",
    "Участники обсудили также подготовку к осенне-зимнему периоду и ремонт линий электропередачи в "
    "Хатлонской и Согдийской областях.",
    "В министерстве напомнили, что в прошлом году из-за маловодья в стране вводились ограничения подачи "
    "электричества, и пообещали, что этой зимой графиков отключений не будет.",
]


def article(slug: str, *, charset: str = "utf-8", title: str | None = None, date: str = "2026-11-20T10:00:00+05:00",
            extra: str = "", close: bool = True) -> str:
    title = title or f"Совещание по энергетике: {slug}"
    json_ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                          "datePublished": date}, ensure_ascii=False)
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    page = (f"<!DOCTYPE html><html lang='ru'><head><meta charset='{charset}'><title>{title}</title>"
            f"<meta property='og:type' content='article'><script type='application/ld+json'>{json_ld}</script>"
            f"</head><body><article><h1 class='entry-title'>{title}</h1>"
            f"<time datetime='{date}'></time><div class='entry-content'>{body}{extra}</div></article>")
    return page + "</body></html>" if close else page[:-len(PARAGRAPHS[-1]) // 2 - 4]


def _pages() -> dict[str, bytes]:
    """Page bytes by slug, for the cases that have a page."""
    soup = ("<div><p>Сообщает <b><i>наш корреспондент</b></i><p>Без закрытых тегов<span>"
            "<table><tr><td>ячейка</div></span></p>")
    scripts = ("<script>document.location='https://evil.example/'</script><iframe src='https://evil.example/'>"
               "</iframe><img src='x.jpg' onerror=\"alert(1)\"><a href=\"javascript:alert(2)\">ссылка</a>")
    return {
        "good": article("good").encode(),
        "tag-soup": article("tag-soup", extra=soup).encode(),
        "charset-1251": article("charset-1251", charset="windows-1251").encode("windows-1251"),
        "charset-koi8": article("charset-koi8", charset="koi8-r").encode("koi8-r"),
        "charset-detected": article("charset-detected").replace("<meta charset='utf-8'>", "").encode("windows-1251"),
        "utf8-bom": b"\xef\xbb\xbf" + article("utf8-bom").encode(),
        # each "И" (0xD0 0x98) is a U+FFFD in windows-1251: 25 of them took the page down the other repairs' path
        "utf8-under-1251": article("utf8-under-1251", charset="windows-1251", extra=f"<p>{'ИНН ' * 25}</p>").encode(),
        "utf8-meta-1251": article("utf8-meta-1251", charset="windows-1251").encode(),
        "charset-zlib": article("charset-zlib").encode(),
        "meta-base64": article("meta-base64", charset="base64").encode(),
        "charset-idna": article("charset-idna").replace("<meta charset='utf-8'>", "").encode(),
        "meta-undefined-1251": article("meta-undefined-1251", charset="undefined").encode("windows-1251"),
        "truncated-html": article("truncated-html", close=False).encode(),
        "active-content": article("active-content", extra=scripts).encode(),
        "absurd-date": article("absurd-date", date="2099-01-01T10:00:00+05:00").encode(),
        "giant-title": article("giant-title", title="Очень длинный заголовок " * 25_000).encode(),
        "throttled-429": article("throttled-429").encode(),
        "unavailable-503": article("unavailable-503").encode(),
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64,
        "empty": b"",
        "too-large": article("too-large", extra="<!--" + "x" * (MAX_SIZE + 1) + "-->").encode(),
        "gzip-bomb": gzip.compress(article("gzip-bomb", extra=" " * (MAX_SIZE * 16)).encode(), 9),
        "cut-short": article("cut-short").encode(),
        "gone-410": b"<html><body><h1>Gone</h1></body></html>",
        "json-body": json.dumps({"id": 1, "title": "json-body", "content": "".join(PARAGRAPHS)}).encode(),
        "pdf-body": pdf(),
        "feed-body": (f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Hostile</title>"
                      f"<item><title>feed-body</title><description>{PARAGRAPHS[0]}</description></item>"
                      "</channel></rss>").encode(),
        "plain-text": "\n\n".join(PARAGRAPHS).encode(),
        "xhtml": ("<?xml version='1.0' encoding='utf-8'?>\n"
                  + article("xhtml").replace("<html ", "<html xmlns='http://www.w3.org/1999/xhtml' ")).encode(),
        "html-as-text": article("html-as-text").encode(),
        "jsonld-null-type": article("jsonld-null-type").replace("<title>", "".join(
            f"<script type='application/ld+json'>{{\"@type\": {kind}, \"name\": \"Хлебные крошки\"}}</script>"
            for kind in ("null", "5", "{}")) + "<title>").encode(),
    }


def pdf() -> bytes:
    """A PDF as writers lay one out: a text header, a page and its fonts as text objects, then compressed
    streams (bytes of every value) past Scrapy's and the crawl's first looks at a body."""
    text = "".join(f"BT /F1 12 Tf 72 {700 - 14 * n} Td (Line {n} of the report) Tj ET\n" for n in range(200))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(text)} >>\nstream\n{text}endstream".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    image = zlib.compress(bytes(range(256)) * 64)
    objects.append(b"<< /Type /XObject /Subtype /Image /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                   % (len(image), image))
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (n, obj) for n, obj in enumerate(objects, 1))
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def server_settings(escape_to: str) -> dict[str, object]:
    """The replica server's ``_server.json``: the faults that need a server's help."""
    return {
        "redirects": {"/news/loop-a/": "/news/loop-b/", "/news/loop-b/": "/news/loop-a/",
                      "/news/escape/": f"{escape_to}/news/good/"},
        "throttle": {"/news/throttled-429/": 1},
        "paths": {
            "/news/unavailable-503/": {"status": 503, "times": 1, "headers": {"Retry-After": "1"}},
            "/news/gone-410/": {"status": 410},
            "/news/gzip-bomb/": {"headers": {"Content-Encoding": "gzip"}},
            "/news/cut-short/": {"declare_length": 200_000},
            # the header says UTF-8; the pages are windows-1251 and KOI8-R (their meta says so)
            "/news/charset-1251/": {"headers": {"Content-Type": "text/html; charset=utf-8"}},
            "/news/charset-koi8/": {"headers": {"Content-Type": "text/html; charset=utf-8"}},
            "/news/charset-detected/": {"headers": {"Content-Type": "text/html; charset=utf-8"}},
            "/news/utf8-bom/": {"headers": {"Content-Type": "text/html"}},
            "/news/utf8-under-1251/": {"headers": {"Content-Type": "text/html; charset=windows-1251"}},
            "/news/utf8-meta-1251/": {"headers": {"Content-Type": "text/html"}},
            "/news/charset-zlib/": {"headers": {"Content-Type": "text/html; charset=zlib"}},
            "/news/meta-base64/": {"headers": {"Content-Type": "text/html"}},
            "/news/charset-idna/": {"headers": {"Content-Type": "text/html; charset=idna"}},
            "/news/meta-undefined-1251/": {"headers": {"Content-Type": "text/html; charset=utf-8"}},
            "/news/binary/": {"headers": {"Content-Type": "text/html; charset=utf-8"}},
            "/news/json-body/": {"headers": {"Content-Type": "application/json"}},
            "/news/pdf-body/": {"headers": {"Content-Type": "application/pdf"}},
            "/news/feed-body/": {"headers": {"Content-Type": "application/rss+xml; charset=utf-8"}},
            "/news/plain-text/": {"headers": {"Content-Type": "text/plain; charset=utf-8"}},
            "/news/html-as-text/": {"headers": {"Content-Type": "text/plain; charset=utf-8"}},
        },
    }


def feed() -> str:
    items = "".join(f"<item><title>{slug}</title><link>https://{DOMAIN}/news/{slug}/</link>"
                    f"<pubDate>Fri, 20 Nov 2026 10:{n:02d}:00 +0500</pubDate></item>"
                    for n, slug in enumerate(CASES))
    return (f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Hostile</title>"
            f"<link>https://{DOMAIN}/</link>{items}</channel></rss>")


def build(root: Path, escape_to: str) -> Path:
    """Write the replica under ``root`` (redirecting ``/news/escape/`` to ``escape_to``, another
    loopback origin) and return the site config's path."""
    for slug, body in _pages().items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_bytes(body)
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(feed(), encoding="utf-8")
    (root / "_server.json").write_text(json.dumps(server_settings(escape_to)))
    config = root.parent / "hostile.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


@contextmanager
def outside_origin(root: Path, slug: str = "elsewhere", page: str | None = None) -> Iterator[ThreadingHTTPServer]:
    """Another loopback origin, serving ``page`` (by default an article) at ``/news/<slug>/`` from ``root``: a
    crawl of the site must never ask it (``server.requests`` stays empty)."""
    (root / "news" / slug).mkdir(parents=True)
    (root / "news" / slug / "index.html").write_text(article(slug) if page is None else page, encoding="utf-8")
    with serve(root) as server:
        yield server


def handler_site(handler: type[BaseHTTPRequestHandler], counter: str = "requests") -> ThreadingHTTPServer:
    """A server on a free loopback port answering with ``handler``, its ``counter`` attribute a ``Counter``."""
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    setattr(site, counter, Counter())
    return site


def crawl_site(site: ThreadingHTTPServer, config: str, config_path: Path, crawl_into_store: StoreCrawl,
               settings: Sequence[str], timeout: float) -> CrawlResult:
    """``scrapy crawl news`` of ``site`` under the site config ``config`` (written to ``config_path``) into the test's
    store, the server running for the crawl alone; its result, checked free of tracebacks."""
    config_path.write_text(config, encoding="utf-8")
    with running(site):
        result = crawl_into_store("news", f"config={config_path}", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=settings, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    return result
