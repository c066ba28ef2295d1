"""Private hosts in every spelling: the egress filter's host tables, operator-named hosts of the news
spider (``-a url=``, through the real ``scrapy crawl``), and the monitor webhook's redirects (two
loopback servers: the webhook redirects, the other must receive nothing)."""

from __future__ import annotations

import ipaddress
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy import Request

from crawler.bench.replica_server import serve
from crawler.hosts import ip_literal
from crawler.middlewares.egress import is_private_host, refusal
from crawler.notify import post_health
from crawler.sites import SiteConfigError, parse_site
from crawler.spiders.args import SpiderArgumentError
from crawler.spiders.news import generic_site
from crawler.storage.store import ArticleStore, StoreTarget
from tests.conftest import free_port
from tests.crawling import ROOT, run_crawl, store_env
from tests.netns import Netns, needs_netns, network_namespace
from tests.replicas import REPLICAS

# Spellings that browsers (WHATWG URL) or inet_aton/getaddrinfo read as these addresses.
PRIVATE_SPELLINGS = [
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0X7F000001", "127.0.0.1"),
    ("017700000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0177.0000.0000.0001", "127.0.0.1"),
    ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0x7f.0.0.0x1", "127.0.0.1"),
    ("0x7f.0x0.0x0.0x1", "127.0.0.1"), ("0177.1", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"),
    ("127.1.", "127.0.0.1"), ("0x7f.", "0.0.0.127"), ("%31%32%37.0.0.1", "127.0.0.1"),
    ("１２７.０.０.１", "127.0.0.1"), ("127。0。0。1", "127.0.0.1"), ("0", "0.0.0.0"), ("0x0", "0.0.0.0"),
    ("0xa9fea9fe", "169.254.169.254"), ("2852039166", "169.254.169.254"), ("169.254.43518", "169.254.169.254"),
    ("0251.0376.0251.0376", "169.254.169.254"), ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("3232235777", "192.168.1.1"), ("192.168.257", "192.168.1.1"), ("10.1", "10.0.0.1"), ("012.1", "10.0.0.1"),
    ("167772161", "10.0.0.1"), ("172.16.1", "172.16.0.1"), ("100.64.0.1", "100.64.0.1"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("[::ffff:7f00:1]", "::ffff:7f00:1"),
    ("::ffff:169.254.169.254", "::ffff:a9fe:a9fe"), ("[0:0:0:0:0:ffff:7f00:1]", "::ffff:7f00:1"),
    ("[::1]", "::1"), ("[0:0:0:0:0:0:0:1]", "::1"), ("::1%25lo", "::1%lo"), ("[::]", "::"),
    ("fe80::1", "fe80::1"), ("[fe80::1%eth0]", "fe80::1%eth0"), ("fd00::1", "fd00::1"), ("fc00::5", "fc00::5"),
    ("::127.0.0.1", "::7f00:1"), ("2002:7f00:1::", "2002:7f00:1::"), ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe"),
    ("ff02::1", "ff02::1"), ("224.0.0.1", "224.0.0.1"), ("255.255.255.255", "255.255.255.255"),
]
PUBLIC_SPELLINGS = [
    ("93.184.216.34", "93.184.216.34"), ("1572395042", "93.184.216.34"), ("0x5db8d822", "93.184.216.34"),
    ("93.184.55330", "93.184.216.34"), ("0135.0270.0330.042", "93.184.216.34"),
    ("[2606:4700::1111]", "2606:4700::1111"), ("::ffff:93.184.216.34", "::ffff:5db8:d822"),
    ("2002:5db8:d822::", "2002:5db8:d822::"),
]
NOT_LITERALS = ["asiaplus.news", "127.0.0.1.example.kg", "0x7f.example.kg", "2130706433.kg", "10.kg",
                "4294967296", "08.0.0.1", "0x1g.0.0.1", "127..0.1", "1.2.3.4.5", "1e1", "-1", "+1", "1_0"]


@pytest.mark.parametrize(("host", "address"), PRIVATE_SPELLINGS)
def test_private_spellings_are_read_as_their_address(host: str, address: str) -> None:
    assert ip_literal(host) == ipaddress.ip_address(address)
    assert is_private_host(host)


@pytest.mark.parametrize(("host", "address"), PUBLIC_SPELLINGS)
def test_public_addresses_in_any_spelling_are_not_private(host: str, address: str) -> None:
    assert ip_literal(host) == ipaddress.ip_address(address)
    assert not is_private_host(host)


@pytest.mark.parametrize("host", NOT_LITERALS)
def test_host_names_and_malformed_numbers_are_no_literals(host: str) -> None:
    assert ip_literal(host) is None
    assert not is_private_host(host)


def _inet_aton(host: str) -> str | None:
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


@pytest.mark.parametrize("host", [h for h, _ in PRIVATE_SPELLINGS + PUBLIC_SPELLINGS if _inet_aton(h)])
def test_ipv4_spellings_agree_with_inet_aton(host: str) -> None:
    """Whatever the C library reads as an address (and so connects to), ip_literal reads the same."""
    assert str(ip_literal(host)) == _inet_aton(host)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0xa9fea9fe", "[::ffff:7f00:1]"])
def test_a_site_whose_domain_is_a_private_literal_is_refused(host: str) -> None:
    name = host.strip("[]")
    assert refusal(f"[{name}]:80" if ":" in name else f"{name}:80", [name], None) == "private"


def test_generic_site_keeps_the_port() -> None:
    site = generic_site("http://news.example.kg:8080/ru/")
    assert site.editions[0].home == "http://news.example.kg:8080/ru/"
    assert site.domains == ("news.example.kg", "www.news.example.kg")
    assert generic_site("https://user:pw@[2606:4700::1111]:8443/").editions[0].home == "https://[2606:4700::1111]:8443/"


@pytest.mark.parametrize(("url", "name"), [
    ("https://user:pw@[2606:4700::1111]:8443/", "ip6-2606-4700--1111"),  # ':' separates Redis key parts
    ("https://[2606:4700:0::1111]/", "ip6-2606-4700--1111"),  # one address, one name
    ("https://[::ffff:8.8.8.8]/", "ip6---ffff-808-808"),
    ("https://www.хабар.тж/ru/", "xn--80aac5dva.xn--f1ax"),  # an internationalised domain as requests carry it
    ("https://उदाहरण.भारत/", "xn--p1b6ci4b4b3a.xn--h2brj9c"),
    ("https://a" + "b" * 150 + ".kz/", "a" + "b" * 150 + ".kz"),  # a long host (DNS allows 253)
])
def test_a_generic_site_is_named_after_its_host(url: str, name: str) -> None:
    assert generic_site(url).name == name


def test_a_generic_site_on_an_internationalised_domain_takes_its_requests() -> None:
    """Its domains and home are the IDNA form Scrapy requests (the Unicode form refused every request as offsite)."""
    site = generic_site("https://www.сайт.қаз/ru/")
    request = Request(site.editions[0].home)
    assert request.url == "https://www.xn--80aswg.xn--80ao21a/ru/"
    assert urlsplit(Request("https://сайт.қаз/news/1/").url).hostname in site.domains
    assert urlsplit(request.url).hostname in site.domains


def test_a_site_config_with_an_internationalised_domain_says_how_to_write_it() -> None:
    config = {"name": "kaz", "domains": ["сайт.қаз"], "article_url": "^https://", "editions": [
        {"language": "kk", "timezone": "Asia/Almaty", "home": "https://сайт.қаз/"}]}
    with pytest.raises(SiteConfigError, match=r"xn--80aswg\.xn--80ao21a"):
        parse_site(config, "kaz.toml")


def test_a_bad_generic_url_is_refused_without_its_password() -> None:
    with pytest.raises(SpiderArgumentError) as refused:
        generic_site("ftp://user:s3cret-pw@example.kg/")
    assert "s3cret-pw" not in str(refused.value) and "user:***@" in str(refused.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost/", "https://10.0.0.5/",
                                 "http://2130706433/", "http://0x7f.1:81/", "http://[::ffff:127.0.0.1]:81/",
                                 "http://169.254.169.254/latest/", "http://[fd00::1]/", "http://127.0.0.1./"])
def test_generic_site_refuses_private_hosts(url: str) -> None:
    with pytest.raises(SpiderArgumentError, match=r"-a url=https://real-site\.kg/\S* -a base_url=http"):
        generic_site(url)


@pytest.mark.e2e
@pytest.mark.parametrize("spelling", ["127.0.0.1", "localhost", "2130706433", "127.1", "[::ffff:127.0.0.1]"])
def test_crawl_of_a_private_url_is_a_usage_error_that_says_how_to_crawl_a_mirror(
        spelling: str, tmp_path: Path) -> None:
    with serve(REPLICAS / "asiaplus") as server:
        port = server.server_port
        result = run_crawl("news", f"url=http://{spelling}:{port}/", env=store_env(data_dir=tmp_path),
                           settings=["BROWSER_ENABLED=0", "RETRY_TIMES=0"], timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"-a url=https://real-site.kg/ -a base_url=http://{spelling}:{port}" in result.stderr
    assert server.requests == []  # type: ignore[attr-defined]


@pytest.mark.e2e
def test_the_mirror_the_usage_error_suggests_crawls(tmp_path: Path) -> None:
    """The suggested ``-a base_url=http://localhost:PORT`` (a name resolving to loopback) works."""
    with serve(REPLICAS / "asiaplus") as server:
        refused = run_crawl("news", f"url=http://localhost:{server.server_port}/", env=store_env(data_dir=tmp_path))
        base_url = refused.stderr.rsplit("-a base_url=", 1)[1].split()[0]
        assert base_url == f"http://localhost:{server.server_port}"
        result = run_crawl("news", "url=https://asiaplus.news/en/", f"base_url={base_url}",
                           env=store_env(data_dir=tmp_path), settings=["BROWSER_ENABLED=0"])
    assert result.returncode in (0, 3), result.stderr[-3000:]
    assert "egress/refused" not in result.stderr
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:
        assert store.count_articles() > 0
    finally:
        store.close()


# -- the monitor webhook ----------------------------------------------------------------------------


@dataclass
class Hook:
    """A loopback HTTP endpoint recording (method, path) of what it receives."""

    redirect_to: str | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def listen(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                hook.seen.append((self.command, self.path))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(302 if hook.redirect_to else 204)
                if hook.redirect_to:
                    self.send_header("Location", hook.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@contextmanager
def hooks(netns: Netns | None = None) -> Iterator[tuple[Hook, Hook]]:
    """The operator's webhook and another endpoint (the webhook may be set to redirect to it)."""
    webhook, other = Hook(), Hook()
    for hook in (webhook, other):
        netns.call(hook.listen) if netns else hook.listen()
    try:
        yield webhook, other
    finally:
        for hook in (webhook, other):
            assert hook.server is not None
            hook.server.shutdown()
            hook.server.server_close()


@pytest.mark.e2e
def test_the_configured_loopback_webhook_is_posted_to() -> None:
    with hooks() as (webhook, _):
        assert post_health(f"http://127.0.0.1:{webhook.port}/hook", {"status": "failed"})
    assert webhook.seen == [("POST", "/hook")]


@pytest.mark.e2e
@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/steal", "http://localhost:{port}/steal",
                                    "http://2130706433:{port}/steal", "http://127.1:{port}/steal",
                                    "http://[::ffff:127.0.0.1]:{port}/steal"])
def test_a_webhook_redirect_to_another_private_endpoint_is_refused(
        target: str, caplog: pytest.LogCaptureFixture) -> None:
    with hooks() as (webhook, other):
        webhook.redirect_to = target.format(port=other.port)
        with caplog.at_level(logging.WARNING, logger="crawler.notify"):
            sent = post_health(f"http://127.0.0.1:{webhook.port}/hook?token=SECRET", {"status": "failed"})
    assert not sent
    assert webhook.seen == [("POST", "/hook?token=SECRET")]
    assert other.seen == []
    assert "Health webhook not sent: refused a redirect to the private host" in caplog.text
    assert "SECRET" not in caplog.text


@pytest.mark.e2e
def test_a_webhook_redirect_within_the_configured_host_and_port_is_followed() -> None:
    with hooks() as (webhook, _):
        webhook.redirect_to = f"http://127.0.0.1:{webhook.port}/moved"
        post_health(f"http://127.0.0.1:{webhook.port}/hook", {"status": "failed"})
    assert webhook.seen[:2] == [("POST", "/hook"), ("GET", "/moved")]


@pytest.mark.e2e
@pytest.mark.parametrize("url", ["file:///tmp/hook?token=SECRET", "hooks.example.kg/T0/SECRET", "http://h:SECRET/"])
def test_a_webhook_url_that_is_not_http_fails_the_crawl_at_start(url: str, tmp_path: Path) -> None:
    result = run_crawl("asiaplus", f"base_url=http://127.0.0.1:{free_port()}",
                       env={**store_env(data_dir=tmp_path), "MONITOR_WEBHOOK_URL": url},
                       settings=["BROWSER_ENABLED=0", "RETRY_TIMES=0"], timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "MONITOR_WEBHOOK_URL must be an http:// or https:// URL" in result.stderr
    assert "SECRET" not in result.stderr + result.stdout
    assert "Spider opened" not in result.stderr


@needs_netns
@pytest.mark.e2e
def test_a_webhook_redirect_to_a_name_that_resolves_to_loopback_is_refused() -> None:
    """A public-looking name, mapped to 127.0.0.1 in a namespace: refused by the address it resolves to."""
    with network_namespace("127.0.0.1 localhost\n127.0.0.1 hooks.example.kg\n") as netns, \
            hooks(netns) as (webhook, other):
        webhook.redirect_to = f"http://hooks.example.kg:{other.port}/steal"
        script = ("import logging, sys; logging.basicConfig(); from crawler.notify import post_health; "
                  "print(post_health(sys.argv[1], {'status': 'failed'}))")
        result = subprocess.run([*netns.exec, sys.executable, "-c", script, f"http://127.0.0.1:{webhook.port}/hook"],
                                cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "False", result.stderr
    assert webhook.seen == [("POST", "/hook")]
    assert other.seen == []
    assert "Health webhook not sent: hooks.example.kg resolves to 127.0.0.1, a private address" in result.stderr
