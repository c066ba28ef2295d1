"""Chromium under the egress filter: a site whose pages render in the browser and then try to
reach an "internal service" (another loopback port, standing in for 169.254.169.254 or an
intranet host) by every way a page has: fetch, XHR, ``<img>``, ``<iframe>``, ``<script src>``,
a stylesheet, a beacon, a WebSocket, a worker, redirect hops and main-frame navigations. The
service must never see a connection; the article itself must still be stored."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import socketserver
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from crawler.bench.replica_server import running, serve
from crawler.egress_proxy import NOT_ALLOWED, SUCCEEDED, EgressProxy
from crawler.middlewares.egress import EgressPolicy
from tests.conftest import free_port
from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import PARAGRAPHS, article
from tests.test_browser import requires_chromium

DOMAIN = "leaky.tj"
STORED = {"leaky", "quiet"}  # rendered articles; "js-escape", "hop-escape" and "http-escape" must not be stored


# -- the internal service: counts every connection, whatever is (or is not) said on it ------------------
class _Counting(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            said = self.request.recv(4096)
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret")
        except OSError:
            said = b""
        finally:  # the request line, or what little was said on the connection
            self.server.connections.append(said.split(b"\r\n")[0].decode("latin-1"))  # type: ignore[attr-defined]


@contextmanager
def internal_service() -> Iterator[socketserver.ThreadingTCPServer]:
    """TCP on a free port (``connections``), and UDP on the same port number (``udp``: WebRTC's STUN)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Counting)
    server.daemon_threads = True
    server.connections = []  # type: ignore[attr-defined]
    server.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # type: ignore[attr-defined]
    server.udp.bind(server.server_address)  # type: ignore[attr-defined]
    try:
        with running(server):
            yield server
    finally:
        server.udp.close()  # type: ignore[attr-defined]


def datagrams(udp: socket.socket) -> int:
    """How many datagrams wait on ``udp``."""
    udp.setblocking(False)
    count = 0
    with contextlib.suppress(BlockingIOError):
        while udp.recv(2048):
            count += 1
    return count


# -- the site ---------------------------------------------------------------------------------------------
CONFIG = """name = "leaky"
domains = ["{domain}"]
needs_browser = {needs_browser}
article_url = '^https://leaky\\.tj/news/[a-z0-9-]+/$'
[[editions]]
language = "ru"
timezone = "Asia/Dushanbe"
home = "https://{domain}/"
feeds = ["https://{domain}/feed/"]
[selectors]
title = ["h1.entry-title"]
body = [".entry-content"]
"""

# Renders the article from the site's own JSON API (allowed), then reaches for the internal service.
APP_JS = """
const internal = document.body.dataset.internal;
const slug = location.pathname.split("/")[2];
fetch(`/api/${slug}.json`).then(r => r.json()).then(data => {
  document.getElementById("app").innerHTML = data.html;
  const leak = document.body.dataset.leak;
  if (leak === "all") {
    fetch(internal + "/fetch").catch(() => {});
    fetch("/bounce-fetch/").catch(() => {});
    const xhr = new XMLHttpRequest(); xhr.open("GET", internal + "/xhr"); xhr.send();
    const add = (tag, attrs) => document.body.appendChild(Object.assign(document.createElement(tag), attrs));
    add("img", {src: internal + "/img.png"});
    add("img", {src: "/static/photo.png"});  // the site's own: still not fetched (heavy)
    add("iframe", {src: internal + "/frame"});
    add("iframe", {src: "/bounce-frame/"});
    add("script", {src: internal + "/dynamic.js"});
    add("link", {rel: "stylesheet", href: internal + "/style.css"});
    navigator.sendBeacon(internal + "/beacon", "x");
    try { new WebSocket(internal.replace("http", "ws") + "/ws"); } catch (e) {}
    new Worker("/static/worker.js").postMessage(internal);
    fetch("http://localhost:" + internal.split(":")[2] + "/by-name").catch(() => {});
    const peer = new RTCPeerConnection({iceServers: [{urls: "stun:" + internal.split("//")[1]}]});
    peer.createDataChannel("leak");
    peer.createOffer().then(offer => peer.setLocalDescription(offer));
  } else if (leak === "location") {
    location.href = internal + "/escape-js";
  } else if (leak === "hop") {
    location.href = "/bounce-main/";
  }
});
"""
WORKER_JS = "onmessage = e => { fetch(e.data + '/worker').catch(() => {}); };"


def shell(slug: str, internal: str, leak: str) -> str:
    """A script shell: the head says article, the body is empty until app.js renders it."""
    head = article(slug).split("<body>")[0]
    if leak == "all":  # resource hints: Chromium's DNS prefetch, preconnect, prefetch and prerender
        hints = "".join(f"<link rel='{rel}' href='{internal}/{rel}'>"
                        for rel in ("dns-prefetch", "preconnect", "prefetch", "prerender"))
        head = head.replace("</head>", f"{hints}</head>") if "</head>" in head else head + hints
    return (f"{head}<body data-internal='{internal}' data-leak='{leak}'><div id='app'></div>"
            f"<script src='/static/app.js'></script><script src='{internal}/static.js'></script></body></html>")


def rendered(slug: str) -> str:
    """What app.js puts into the shell: text that is nowhere in the served HTML."""
    body = "".join(f"<p>{p} Отрисовано в браузере.</p>" for p in PARAGRAPHS)
    return f"<article><h1 class='entry-title'>Совещание: {slug}</h1><div class='entry-content'>{body}</div></article>"


def write_shell_site(root: Path, shells: dict[str, str], app_js: str, title: str) -> None:
    """The replica of a site whose articles are script shells (``shells``: slug to page) that ``app_js``
    (``/static/app.js``) fills from the site's own API (``/api/<slug>.json``), and its feed."""
    for slug, page in shells.items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(page, encoding="utf-8")
        (root / "api").mkdir(exist_ok=True)
        (root / "api" / f"{slug}.json").write_text(json.dumps({"html": rendered(slug)}), encoding="utf-8")
    (root / "static").mkdir()
    (root / "static" / "app.js").write_text(app_js, encoding="utf-8")
    items = "".join(f"<item><title>{slug}</title><link>https://{DOMAIN}/news/{slug}/</link>"
                    f"<pubDate>Fri, 20 Nov 2026 10:{n:02d}:00 +0500</pubDate></item>" for n, slug in enumerate(shells))
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
                                             f"<title>{title}</title><link>https://{DOMAIN}/</link>{items}</channel></rss>")


def build(root: Path, internal: str, needs_browser: bool) -> Path:
    """Write the site under ``root`` and its config next to it; the config's path."""
    pages = {"leaky": "all", "quiet": "none", "js-escape": "location", "hop-escape": "hop", "http-escape": "none"}
    write_shell_site(root, {slug: shell(slug, internal, leak) for slug, leak in pages.items()}, APP_JS, "Leaky")
    (root / "static" / "worker.js").write_text(WORKER_JS, encoding="utf-8")
    (root / "_server.json").write_text(json.dumps({"redirects": {
        "/bounce-fetch/": f"{internal}/fetch-redirect", "/bounce-frame/": f"{internal}/frame-redirect",
        "/bounce-main/": f"{internal}/escape-hop", "/news/http-escape/": f"{internal}/escape-http"}}))
    config = root.parent / "leaky.toml"
    config.write_text(CONFIG.format(domain=DOMAIN, needs_browser=str(needs_browser).lower()), encoding="utf-8")
    return config


@requires_chromium
@pytest.mark.parametrize("needs_browser", [False, True], ids=["shell-switched", "needs-browser"])
def test_chromium_never_reaches_the_internal_service(tmp_path: Path, mongo: MongoTarget, crawl_into_store: StoreCrawl,
                                                     needs_browser: bool) -> None:
    with internal_service() as service:
        config = build(tmp_path / "site", f"http://127.0.0.1:{service.server_address[1]}", needs_browser)
        result = crawl_into_store("news", f"config={config}", replica=tmp_path / "site",
                                  settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=120)
        site_requests = result.requests
        connections = list(service.connections)  # type: ignore[attr-defined]
        stun = datagrams(service.udp)  # type: ignore[attr-defined]
        internal = f"127.0.0.1:{service.server_address[1]}"
    docs = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in mongo.db.articles.find()}
    stats = result.stats
    assert result.returncode in (0, 3), result.stderr[-3000:]  # degraded: three of five pages refused
    assert not connections, sorted(connections)
    assert stun == 0  # WebRTC sends no UDP around the proxy
    assert "/api/leaky.json" in site_requests and "/static/photo.png" not in site_requests  # images stay blocked
    assert set(docs) == STORED, {k: v for k, v in stats.items() if "refused" in k or "failed" in k}
    assert all("Отрисовано в браузере" in p for p in docs["leaky"]["paragraphs"])  # rendered, from the site's API
    assert stats["browser/rendered"] == len(STORED)
    # 3 script tags, fetch, XHR, img, iframe, script, stylesheet, beacon, WebSocket, worker, by name,
    # and the redirect hops of a fetch, a frame and a main frame (resource hints may be refused, or never tried)
    assert stats["browser/refused/offsite"] >= 16
    assert stats["download/failed/egress_refused"] == 3  # js-escape, hop-escape, http-escape
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    logged = [line for line in result.stderr.splitlines() if "Browser refused" in line and internal in line]
    assert len(logged) == 1 and "INFO: Browser refused offsite" in logged[0], logged  # once per host
    # each dropped page in one line (without a browser, Scrapy's own redirect of http-escape is refused)
    assert result.stderr.count("WARNING: Dropped http://") == (3 if needs_browser else 2)


# -- the proxy alone, through a SOCKS5 client as Chromium speaks it (host names as names) -----------------
async def _socks_connect(proxy: EgressProxy, host: str, port: int) -> tuple[int, bytes]:
    """CONNECT through ``proxy``; the reply code and, when connected, what an HTTP GET brings back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(b"\x05\x01\x00")
        assert await reader.readexactly(2) == b"\x05\x00"
        writer.write(b"\x05\x01\x00\x03" + bytes([len(host)]) + host.encode() + struct.pack("!H", port))
        code = (await reader.readexactly(10))[1]
        if code != SUCCEEDED:
            return code, await reader.read()
        writer.write(b"GET /news/quiet/ HTTP/1.0\r\nHost: leaky.tj\r\n\r\n")
        return code, await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def _through_proxy(mirror_port: int | None, host: str, port: int, dns: dict[str, list[str]]
                         ) -> tuple[int, bytes, list[tuple[str, str]]]:
    """A SOCKS connection through the proxy of a crawl of the mirror on ``mirror_port`` (None: of the real site)."""
    mirror = f"127.0.0.1:{mirror_port}" if mirror_port else None
    policy = EgressPolicy(allowed=(DOMAIN, "127.0.0.1"), mirror=mirror)
    refused: list[tuple[str, str]] = []

    async def resolver(name: str, _: int) -> list[str]:  # stands in for DNS: no packet leaves loopback
        return dns[name]

    proxy = EgressProxy(lambda: policy, lambda reason, target: refused.append((reason, target)), resolver=resolver)
    await proxy.start()
    try:
        code, answer = await _socks_connect(proxy, host, port)
    finally:
        await proxy.close()
    return code, answer, refused


@pytest.mark.parametrize(("mirrored", "target", "dns", "reason"), [
    (True, "127.0.0.1:{internal}", {}, "offsite"),  # the mirror's host on another port
    (True, "localhost:{internal}", {}, "offsite"),
    # names of the site that resolve to the internal service (DNS rebinding, a hijacked record)
    (False, "intranet.leaky.tj:{internal}", {"intranet.leaky.tj": ["127.0.0.1"]}, "private"),
    (False, "mapped.leaky.tj:{internal}", {"mapped.leaky.tj": ["::ffff:127.0.0.1"]}, "private"),
    # in a mirror's crawl, the real site the mirror stands in for: refused by name, its name never resolved (an
    # empty answer would be refused as "private" after the lookup)
    (True, "leaky.tj:443", {"leaky.tj": []}, "offsite"),
    (True, "cdn.leaky.tj:443", {"cdn.leaky.tj": []}, "offsite"),
    (True, "intranet.leaky.tj:{internal}", {"intranet.leaky.tj": ["127.0.0.1"]}, "offsite"),
])
def test_the_proxy_refuses_what_the_policy_refuses(mirrored: bool, target: str, dns: dict[str, list[str]],
                                                    reason: str) -> None:
    with internal_service() as service:
        host, port = target.format(internal=service.server_address[1]).rsplit(":", 1)
        code, _, refused = asyncio.run(_through_proxy(free_port() if mirrored else None, host, int(port), dns))
        assert service.connections == []  # type: ignore[attr-defined]
    assert code == NOT_ALLOWED
    assert refused == [(reason, f"{host}:{port}")]


def test_the_proxy_tunnels_to_the_mirror(tmp_path: Path) -> None:
    build(tmp_path / "site", "http://127.0.0.1:9", needs_browser=True)
    with serve(tmp_path / "site") as site:
        code, answer, refused = asyncio.run(_through_proxy(site.server_port, "127.0.0.1", site.server_port, {}))
    assert (code, refused) == (SUCCEEDED, [])
    assert answer.startswith(b"HTTP/1.0 200") and b"data-leak='none'" in answer


@pytest.mark.parametrize("garbage", [
    b"GET http://169.254.169.254/ HTTP/1.1\r\n\r\n",  # an HTTP proxy request
    b"\x04\x01\x00\x50\x7f\x00\x00\x01\x00",  # SOCKS4 to 127.0.0.1:80
    b"\x05",  # cut short
    b"\x05\x01\x00\x05\x01\x00\x03\xff" + b"a" * 255 + b"\x00\x50",  # the longest name, to port 80
    b"\x05\x01\x00\x05\x01\x00\x09" + b"\x00" * 20,  # an unknown address type
    b"\x05\xff" + b"\x00" * 255,  # every method
])
def test_the_proxy_survives_nonsense_and_still_refuses(garbage: bytes) -> None:
    """Whatever a page's connection sends, the proxy connects nowhere and keeps serving."""
    async def scenario() -> tuple[bytes, int]:
        policy = EgressPolicy(allowed=(DOMAIN,), mirror=None)
        proxy = EgressProxy(lambda: policy, lambda reason, target: None, resolver=lambda *_: _no_dns())
        await proxy.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            writer.write(garbage)
            writer.write_eof()  # all it will ever say
            await writer.drain()
            answer = b""
            with contextlib.suppress(ConnectionError):
                answer = await asyncio.wait_for(reader.read(64), 15)
            writer.close()
            code, _ = await _socks_connect(proxy, "127.0.0.1", 80)  # still answering, still refusing
        finally:
            await proxy.close()
        return answer, code

    answer, code = asyncio.run(scenario())
    assert answer[2:4] != b"\x05\x00"  # after the method choice, never a "succeeded" reply
    assert code == NOT_ALLOWED


async def _no_dns() -> list[str]:
    raise AssertionError("nothing may be resolved for nonsense")
