"""A site mirrored on 127.0.0.1 cannot lead the crawler to another loopback address or port: the real
``scrapy crawl`` of a feed whose items point at 127.0.0.2 and at another port of 127.0.0.1, and an
article whose meta refresh and canonical link point there too; the other servers see no request."""

from __future__ import annotations

from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.bench.replica_server import running
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "loop.kg"
CONFIG = site_config("loop", DOMAIN, "Asia/Bishkek", article_url="^https?://[^/]+/news/[a-z0-9-]+/$")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1  # type: ignore[attr-defined]
        others = self.server.others  # type: ignore[attr-defined]
        if self.path == "/feed/":
            links = [f"https://{DOMAIN}/news/good/", f"https://{DOMAIN}/news/refresh/", *others]
            items = "".join(f"<item><link>{u}</link></item>" for u in links)
            kind, body = "application/rss+xml", f"<rss><channel>{items}</channel></rss>"
        elif self.path == "/news/refresh/":
            kind, body = "text/html; charset=utf-8", (
                f"<html><head><meta http-equiv='refresh' content='0; url={others[0]}'>"
                f"<link rel='canonical' href='{others[1]}'></head><body></body></html>")
        else:
            kind, body = "text/html; charset=utf-8", article(self.path)
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def server(host: str, others: list[str]) -> ThreadingHTTPServer:
    made = ThreadingHTTPServer((host, 0), Handler)
    made.requests = Counter()  # type: ignore[attr-defined]
    made.others = others  # type: ignore[attr-defined]
    return made


def test_links_to_other_loopback_addresses_and_ports_are_never_fetched(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    other_host, other_port = server("127.0.0.2", []), server("127.0.0.1", [])
    others = [f"http://127.0.0.2:{other_host.server_port}/news/a/",
              f"http://127.0.0.1:{other_port.server_port}/news/b/"]
    site = server("127.0.0.1", others)
    config = tmp_path / "loop.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with running(other_host), running(other_port), running(site):
        result = crawl_into_store("news", f"config={config}", f"base_url=http://127.0.0.1:{site.server_port}",
                                  settings=["ROBOTSTXT_OBEY=0"], timeout=60)
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert other_host.requests == other_port.requests == Counter()  # type: ignore[attr-defined]
    assert site.requests["/news/good/"] == 1  # type: ignore[attr-defined]
    # the two feed items and the meta refresh (the canonical link is never a request)
    assert result.stats["egress/refused/offsite"] == result.stats["download/failed/egress_refused"] == 3
    assert mongo.db.articles.count_documents({"url": f"https://{DOMAIN}/news/good/"}) == 1
