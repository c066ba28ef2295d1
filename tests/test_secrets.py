"""Credentials never shown: the URI masker from a table, then the real ``scrapy crawl``,
``scrapy articles``/``report`` and ``deploy/schedule-all`` with passwords holding ``/``, ``@``, ``:``."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.secrets import carries_secret, install_log_masking, mask_uri, redact, register, uri_password
from tests.conftest import free_port
from tests.crawling import ROOT, MongoTarget, run_crawl, site_held, store_env


@pytest.mark.parametrize(("text", "expected"), [
    ("mongodb://crawler:p%2Fa%40ss@db:27017/", "mongodb://crawler:***@db:27017/"),
    ("mongodb://crawler:p@ss:w/rd@db:27017/?authSource=admin", "mongodb://crawler:***@db:27017/?authSource=admin"),
    ("mongodb+srv://u:s3cr/t@cluster/", "mongodb+srv://u:***@cluster/"),
    ("mongodb://user:p%2F%40:ss@127.0.0.1:1/", "mongodb://user:***@127.0.0.1:1/"),
    ("mongodb://u:pa#ss?w@db/news?w=1", "mongodb://u:***@db/news?w=1"),
    ("mongodb://u@db:27017/", "mongodb://u@db:27017/"),  # a user name alone is no secret
    ("mongodb://u:p@h1,h2/", "mongodb://u:***@h1,h2/"),
    ("mongodb://u:p@h1:27017,h2:27018/?replicaSet=rs", "mongodb://u:***@h1:27017,h2:27018/?replicaSet=rs"),
    ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
    ("mongodb://db:27017", "mongodb://db:27017"),
    # In free text a URI ends at whitespace, a quote or an angle bracket.
    ("{'MONGO_URI': 'mongodb://a:b/c@h/', 'X': 'redis://:d@e/'}", "{'MONGO_URI': 'mongodb://a:***@h/', 'X': 'redis://:***@e/'}"),
    ("error talking to mongodb://a:b@h1,h2/x: refused", "error talking to mongodb://a:***@h1,h2/x: refused"),
    ("<GET https://u:p@ss@site.example/a>", "<GET https://u:***@site.example/a>"),
    ("https://medium.com/@user/post and https://site.example/a:b@c", "https://medium.com/@user/post and https://site.example/a:b@c"),
])
def test_mask_uri(text: str, expected: str) -> None:
    assert mask_uri(text) == expected


def test_masking_formats_only_the_records_a_handler_shows() -> None:
    """A DEBUG record under an INFO handler (Scrapy logs each scraped item so) is never formatted to be
    redacted: formatting the item cost more than extracting it. A record a handler shows is masked."""
    formatted: list[str] = []

    class Item:
        def __repr__(self) -> str:
            formatted.append("item")
            return "{'source': 'mongodb://crawler:hunter22@db:27017/'}"

    logger = logging.getLogger("tests.secrets.quiet")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    factory = logging.getLogRecordFactory()
    install_log_masking()
    try:
        logger.debug("Scraped %r", Item())
        assert formatted == []
        logger.info("Scraped %r", Item())
        assert formatted == ["item"]
        assert "crawler:***@db" in stream.getvalue() and "hunter22" not in stream.getvalue()
    finally:
        logging.setLogRecordFactory(factory)
        logger.removeHandler(handler)


@pytest.mark.parametrize(("uri", "password"), [
    ("mongodb://crawler:p@ss:w/rd@db:27017/?authSource=admin", "p@ss:w/rd"),
    ("mongodb://crawler:pass word@db/", "pass word"),
    ("mongodb+srv://u:s3cr/t@cluster/", "s3cr/t"),
    ("mongodb://u@db/", None),
    ("mongodb://db/", None),
])
def test_uri_password(uri: str, password: str | None) -> None:
    assert uri_password(uri) == password


def test_registered_secrets_are_masked_in_every_form() -> None:
    register("Hook/T0ken@x")
    assert redact("post to https://hooks.example/Hook/T0ken@x failed") == "post to https://hooks.example/*** failed"
    assert redact("encoded Hook%2FT0ken%40x here") == "encoded *** here"
    register("ab")  # too short to hide in free text: it would mask ordinary words
    assert redact("about") == "about"


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("MONGO_URI", "mongodb://u:p@ss@h/", True),
    ("MONGO_URI", "mongodb://h:27017/", False),
    ("MONITOR_WEBHOOK_URL", "https://hooks.example/T0KEN", True),
    ("SCRAPYD_PASSWORD", "x", True),
    ("LOG_LEVEL", "DEBUG", False),
    ("since", "2025-01-31", False),
])
def test_carries_secret(name: str, value: str, secret: bool) -> None:
    assert carries_secret(name, value) is secret


# -- the real processes -----------------------------------------------------------------------

def output(result: subprocess.CompletedProcess[str], *files: Path) -> str:
    return result.stdout + result.stderr + "".join(f.read_text() for f in files if f.exists())


QUIET = ["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0", "LOG_LEVEL=DEBUG", "STORAGE_TIMEOUT_SECONDS=1"]


@pytest.mark.e2e
@pytest.mark.parametrize("case", ["setting-encoded", "env-unescaped", "scrapy-setting", "spider-argument"])
def test_a_crawl_never_shows_the_password(case: str, tmp_path: Path) -> None:
    dead = free_port()
    log = tmp_path / "crawl.log"
    settings = [*QUIET, f"LOG_FILE={log}"]
    args = [f"base_url=http://127.0.0.1:{dead}"]
    env = {"BROWSER_ENABLED": "0"}  # read from the environment only: it picks the download handlers
    if case == "setting-encoded":  # the storage error names the URI
        settings.append(f"MONGO_URI=mongodb://user:p%2F%40:ss@127.0.0.1:{dead}/")
        secrets = ["p%2F%40", "p/@:ss", ":ss@"]
    elif case == "env-unescaped":
        env["MONGO_URI"] = f"mongodb://crawler:p@ss:w/rd@127.0.0.1:{dead}/?authSource=admin"
        secrets = ["p@ss", "ss:w", "w/rd"]
    elif case == "scrapy-setting":  # Scrapy lists it among its "Overridden settings"
        settings += ["FTP_PASSWORD=ftp-s3cret-pw", "CLOSESPIDER_TIMEOUT=1"]
        secrets = ["ftp-s3cret-pw"]
    else:  # every request of the crawl carries it, and the errors name it without its scheme
        args = [f"base_url=http://crawler:s3cret%2Fpw@127.0.0.1:{dead}", "limit=1"]
        settings.append("CLOSESPIDER_TIMEOUT=2")
        secrets = ["s3cret"]
    result = run_crawl("asiaplus", *args, env=env, settings=settings, timeout=60)
    shown = output(result, log)
    for secret in secrets:
        assert secret not in shown, f"{secret!r} shown in {case}"
    assert "***" in shown and "Spider closed" in shown, shown[-3000:]  # it ran, and masked the secret


@pytest.mark.e2e
def test_a_bad_argument_is_refused_without_showing_the_password(tmp_path: Path) -> None:
    result = run_crawl("asiaplus", "base_url=mongodb://u:p@ss:w/rd@h/", env={}, timeout=60)
    assert result.returncode == 2 and "base_url must start with http://" in result.stderr
    assert "ss:w/rd" not in output(result) and "u:***@h/" in result.stderr


def scrapy(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], **env}, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["articles", "report"])
def test_store_commands_never_show_the_password(command: str, tmp_path: Path) -> None:
    env = {**store_env(f"mongodb://crawler:p@ss:w/rd@127.0.0.1:{free_port()}/", data_dir=tmp_path),
           "STORAGE_TIMEOUT_SECONDS": "1"}
    result = scrapy(command, env=env)
    assert result.returncode == 1 and "mongodb://crawler:***@127.0.0.1" in result.stderr, result.stderr
    assert "ss:w" not in output(result) and "w/rd" not in output(result)


def test_the_run_record_of_a_skipped_run_masks_its_arguments(tmp_path: Path, mongo: MongoTarget) -> None:
    """A run refused the site lock is recorded at once: the cheapest way to a run document."""
    env = mongo.env(DATA_DIR=str(tmp_path / "data"), BROWSER_ENABLED="0")
    # An unencoded "/" ends the authority there: that URL names no mirror (its port would be "w"), refused masked.
    refused = run_crawl("asiaplus", f"base_url=http://crawler:p@ss:w/rd@127.0.0.1:{free_port()}", settings=QUIET,
                        env=env, timeout=60)
    assert refused.returncode == 2 and "crawler:***@" in refused.stderr, refused.stderr[-3000:]
    assert "ss:w" not in refused.stderr and "w/rd" not in refused.stderr
    with site_held("asiaplus", mongo.env()):
        result = run_crawl("asiaplus", f"base_url=http://crawler:p@ss:w%2Frd@127.0.0.1:{free_port()}", settings=QUIET,
                           env=env, timeout=60)
    assert result.returncode == 75, result.stderr[-3000:]
    run = mongo.db.crawl_runs.find_one({"site": "asiaplus"})
    assert run["args"]["base_url"] == "http://crawler:***@127.0.0.1:" + run["args"]["base_url"].rsplit(":", 1)[1]
    document = json.dumps(run, default=str)
    assert "ss:w" not in document and "w%2Frd" not in document


def test_schedule_all_refuses_a_credential_scrapyd_would_show(tmp_path: Path) -> None:
    """Scrapyd logs every job's arguments and lists them in listjobs.json: it never gets them."""
    env = {"PATH": os.environ["PATH"], "SCRAPYD_URL": f"http://127.0.0.1:{free_port()}"}
    for arg in ("-s", "MONGO_URI=mongodb://crawler:p@ss:w/rd@db/"), ("-s", "MONITOR_WEBHOOK_URL=https://h/T0KEN-x"):
        result = subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule-all"), *arg], env=env,
                                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert result.returncode == 2, result.stderr  # refused before Scrapyd is asked anything
        assert "carries a credential" in result.stderr
        assert "ss:w" not in output(result) and "T0KEN" not in output(result)
