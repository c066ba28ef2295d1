"""The egress filter: decided from host names alone (no packet leaves 127.0.0.0/8 here),
then end to end with a replica page that redirects to another loopback port."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crawler.middlewares.egress import is_private_host, refusal
from tests.conftest import MongoTarget, free_port, run_crawl
from tests.replica.server import serve
from tests.replicas import REPLICAS, expected_articles

ALLOWED = ["asiaplus.news", "www.asiaplus.news"]


@pytest.mark.parametrize(("host", "private"), [
    ("169.254.169.254", True), ("169.254.1.1", True), ("10.0.0.5", True), ("172.16.3.4", True),
    ("192.168.1.1", True), ("127.0.0.1", True), ("127.5.6.7", True), ("0.0.0.0", True), ("::1", True),
    ("[::1]", True), ("fe80::1", True), ("fd00::1", True), ("::ffff:169.254.169.254", True),
    ("localhost", True), ("api.localhost", True), ("224.0.0.1", True),
    ("93.184.216.34", False), ("asiaplus.news", False), ("2606:4700::1111", False),
])
def test_private_hosts(host: str, private: bool) -> None:
    assert is_private_host(host) is private


@pytest.mark.parametrize(("netloc", "mirror", "reason"), [
    ("asiaplus.news", None, None),
    ("cdn.asiaplus.news", None, None),
    ("ASIAPLUS.NEWS:443", None, None),
    ("evil.example", None, "offsite"),
    ("asiaplus.news.evil.example", None, "offsite"),
    ("169.254.169.254", None, "offsite"),
    ("127.0.0.1:8800", "127.0.0.1:8800", None),  # the mirror an operator named
    ("127.0.0.1:9999", "127.0.0.1:8800", "offsite"),  # same host, another port: not the mirror
    ("localhost:8800", "127.0.0.1:8800", "offsite"),
])
def test_refusal(netloc: str, mirror: str | None, reason: str | None) -> None:
    allowed = [*ALLOWED, *([mirror.split(":")[0]] if mirror else [])]
    assert refusal(netloc, allowed, mirror) == reason


def test_private_address_inside_allowed_domains_is_refused() -> None:
    assert refusal("169.254.169.254", ["169.254.169.254"], None) == "private"
    assert refusal("10.1.2.3", ["10.1.2.3", "asiaplus.news"], "127.0.0.1") == "private"


def test_redirect_to_another_loopback_port_is_refused_while_the_mirror_works(
    tmp_path: Path, mongo: MongoTarget
) -> None:
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    csto = next(u for u in expected_articles("asiaplus") if "csto" in u)
    hijacked = csto.replace("https://asiaplus.news", "")
    (replica / "_server.json").write_text(json.dumps(
        {"redirects": {hijacked: f"http://127.0.0.1:{free_port()}/admin/"}}))
    env = {"MONGO_URI": mongo.uri, "MONGO_DATABASE": mongo.database}
    with serve(replica) as server:
        result = run_crawl("asiaplus", f"base_url=http://127.0.0.1:{server.server_port}", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {doc["url"] for doc in mongo.db.articles.find()}
    assert stored == set(expected_articles("asiaplus")) - {csto}
    stats = mongo.db.crawl_runs.find_one()["stats"]
    assert stats["egress/refused/offsite"] == 1
