"""Egress by resolved address, through the real ``scrapy crawl`` in a network namespace: a site's host
names resolve to loopback there (``/etc/netns/<ns>/hosts``, or a DNS server that rebinds), and the
site is served on loopback inside the namespace too. Nothing leaves the namespace."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import run_crawl, store_env
from tests.netns import Netns, needs_netns, network_namespace

pytestmark = [needs_netns, pytest.mark.e2e]

ARTICLE = "/2025/01/02/parliament-passes-the-budget/"
SITE_FILES = {
    "robots.txt": "User-agent: *\nAllow: /\n",
    "index.html": f'<html><body><a href="{ARTICLE}">Budget</a></body></html>',
    f"{ARTICLE.strip('/')}/index.html": (
        '<html><head><meta property="og:type" content="article"><title>Budget</title></head>'
        "<body><h1>Parliament passes the budget</h1><p>" + "The budget passed. " * 40 + "</p></body></html>"),
    "feed/index.xml": "<rss version='2.0'><channel><title>News</title></channel></rss>",
}


def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    for name, text in SITE_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def site_config(tmp_path: Path, port: int) -> Path:
    """A site whose domains are names that resolve only inside the namespace."""
    config = tmp_path / "example-kg.toml"
    config.write_text(f"""
name = "example-kg"
domains = ["news.example.kg", "cdn.news.example.kg"]
article_url = '^http://news\\.example\\.kg(?::\\d+)?/\\d{{4}}/\\d{{2}}/\\d{{2}}/[^/?#]+/$'

[[editions]]
language = "ru"
timezone = "Asia/Bishkek"
home = "http://news.example.kg:{port}/"
feeds = ["http://cdn.news.example.kg:{port}/feed/"]
""")
    return config


def crawl(netns: Netns, config: Path, data_dir: Path, *settings: str) -> tuple[str, dict[str, int]]:
    """``scrapy crawl news -a config=...`` inside the namespace; its log and the run's stats."""
    result = run_crawl("news", f"config={config}", env=store_env(data_dir=data_dir),
                       settings=["BROWSER_ENABLED=0", "RETRY_TIMES=1", "DNS_TIMEOUT=3", *settings],
                       prefix=netns.exec, timeout=90)
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data_dir)))
    try:
        runs = store.latest_runs(1)
    finally:
        store.close()
    assert runs, result.stderr[-3000:]
    return result.stderr, runs[0]["stats"]


def test_site_names_that_resolve_to_loopback_are_refused(tmp_path: Path) -> None:
    hosts = "127.0.0.1 localhost\n127.0.0.1 news.example.kg cdn.news.example.kg\n"
    with network_namespace(hosts) as netns:
        assert netns.run("getent", "hosts", "cdn.news.example.kg").split()[0] == "127.0.0.1"
        with netns.serve(site(tmp_path)) as server:
            config = site_config(tmp_path, server.server_port)
            log, stats = crawl(netns, config, tmp_path / "data")
            assert server.requests == []  # type: ignore[attr-defined]
            assert stats["egress/refused/private_resolved"] >= 2  # both hosts' robots.txt at least
            assert stats["download/failed/egress_refused"] >= 1
            assert "offsite" not in str(stats)
            assert (f"Refused private_resolved request to http://news.example.kg:{server.server_port}/"
                    f"robots.txt (news.example.kg resolves to 127.0.0.1)") in log

            # The same crawl with Scrapy's own resolver reaches the loopback server: the setup is sound.
            _, stats = crawl(netns, config, tmp_path / "data-control",
                             "TWISTED_DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver")
            assert "/feed/" in server.requests  # type: ignore[attr-defined]


PUBLIC = "11.1.2.3"  # a public-looking address, put on the namespace's own loopback interface


@contextmanager
def rebinding_dns(netns: Netns) -> Iterator[list[tuple[str, str]]]:
    """A DNS server on 127.0.0.1:53 in the namespace answering A queries for each ``*.example.kg`` name
    alternately with ``PUBLIC`` and 127.0.0.1 (public first), TTL 0; yields the (name, address) answers given."""
    sock = netns.call(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    netns.call(lambda: sock.bind(("127.0.0.1", 53)))
    sock.settimeout(0.2)
    answers: list[tuple[str, str]] = []
    asked: dict[str, int] = {}
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text()
            if question.rdtype == dns.rdatatype.A and name.endswith("example.kg."):
                asked[name] = asked.get(name, 0) + 1
                address = PUBLIC if asked[name] % 2 else "127.0.0.1"
                answers.append((name.rstrip("."), address))
                response.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield answers
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_a_name_rebinding_to_loopback_between_check_and_connect_never_reaches_loopback(tmp_path: Path) -> None:
    with network_namespace() as netns:
        netns.run("ip", "addr", "add", f"{PUBLIC}/32", "dev", "lo")
        root = site(tmp_path)
        with netns.serve(root, host=PUBLIC) as public, netns.serve(root, port=public.server_port) as loopback, \
                rebinding_dns(netns) as answers:
            config = site_config(tmp_path, public.server_port)
            # Scrapy's DNS cache would pin the first answer; without it every lookup asks the server again.
            # Without ROBOTSTXT_OBEY each host has one request: its check, then the connection's lookup.
            log, stats = crawl(netns, config, tmp_path / "data", "DNSCACHE_ENABLED=0", "ROBOTSTXT_OBEY=0")
        # The egress filter's check got the public answer, the connection's own lookup got loopback.
        for host in ("cdn.news.example.kg", "news.example.kg"):  # the feed, and robots.txt for its sitemaps
            assert [address for name, address in answers if name == host] == [PUBLIC, "127.0.0.1"]
            assert f"Refused to connect to {host}: it resolves to 127.0.0.1, a private address" in log
        assert loopback.requests == []  # type: ignore[attr-defined]
        # Once seen resolving to loopback, a name stays refused: the retry is refused, counted, in one line.
        assert stats["egress/refused/private_resolved"] == 2
        assert f"Refused private_resolved request to http://cdn.news.example.kg:{public.server_port}/feed/" in log


def test_a_public_site_named_with_a_port_is_crawled_on_that_port(tmp_path: Path) -> None:
    """``-a url=http://host:PORT/`` keeps its port; a name with a public answer passes the resolver."""
    with network_namespace(f"127.0.0.1 localhost\n{PUBLIC} news.example.kg\n") as netns:
        netns.run("ip", "addr", "add", f"{PUBLIC}/32", "dev", "lo")
        with netns.serve(site(tmp_path), host=PUBLIC) as server:
            result = run_crawl("news", f"url=http://news.example.kg:{server.server_port}/",
                               env=store_env(data_dir=tmp_path / "data"), settings=["BROWSER_ENABLED=0"],
                               prefix=netns.exec, timeout=90)
    assert "/" in server.requests, result.stderr[-3000:]  # type: ignore[attr-defined]
    assert ARTICLE in server.requests  # type: ignore[attr-defined]
    assert "egress/refused" not in result.stderr
