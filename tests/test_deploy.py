"""The cron wrapper ``deploy/run-crawl`` and the shipped crontab: locking, skipped runs, exit codes, health."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from crawler.bench.replica_server import serve
from crawler.sites import site_names
from tests.conftest import FAST, ROOT, MongoTarget, free_port
from tests.crawling import site_held, store_env
from tests.replicas import REPLICAS

WRAPPER = ROOT / "deploy" / "run-crawl"


def run_wrapper(site: str, tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    settings = [item for setting in FAST for item in ("-s", setting)]
    full_env = {"PATH": os.environ["PATH"], "PYTHON": sys.executable, "NEWS_CRAWLER_ENV": str(tmp_path / "env"),
                "LOG_DIR": str(tmp_path / "logs"), **env}
    return subprocess.run([str(WRAPPER), site, *args, *settings], env=full_env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.e2e
def test_second_run_while_the_first_holds_the_lock_exits_at_once(tmp_path: Path) -> None:
    with site_held("asiaplus", store_env(data_dir=tmp_path / "data")):
        started = time.monotonic()
        result = run_wrapper("asiaplus", tmp_path, {"DATA_DIR": str(tmp_path / "data")})
        assert result.returncode == 75
        assert result.stderr == ""  # skipped is no failure: nothing for cron to mail
        assert "Another crawl of asiaplus is running" in (tmp_path / "logs" / "asiaplus.log").read_text()
        # The lock is held for the whole test: a run that waited for it would only end on the 120 s timeout.
        # A start of Python and Scrapy takes seconds, more on a loaded machine (13.6 s seen under load 15).
        assert time.monotonic() - started < 60


@pytest.mark.e2e
def test_unreachable_mongodb_exits_non_zero_and_masks_the_password(tmp_path: Path) -> None:
    (tmp_path / "env").write_text(f"MONGO_URI=mongodb://crawler:s3cret@127.0.0.1:{free_port()}/\n"
                                  "STORAGE_TIMEOUT_SECONDS=1\n")
    result = run_wrapper("asiaplus", tmp_path, {})
    assert result.returncode == 1
    log = (tmp_path / "logs" / "asiaplus.log").read_text()
    assert "crawler:***@127.0.0.1" in log and "s3cret" not in log + result.stderr


@pytest.mark.e2e
def test_the_env_file_is_read_literally_as_systemd_and_compose_read_it(tmp_path: Path) -> None:
    # An unquoted '&' in a MongoDB URI's options (replicaSet, tls...): sourced by the shell, the line ran in the
    # background, MONGO_URI was never set and the crawl went to the embedded store as if all was well.
    port = free_port()
    (tmp_path / "env").write_text(
        f"MONGO_URI=mongodb://crawler:s3cret@127.0.0.1:{port}/?authSource=admin&serverSelectionTimeoutMS=1000\n"
        f"  export DATA_DIR='{tmp_path / 'data'}'\n# a comment\n\nSTORAGE_TIMEOUT_SECONDS=\"1\"\n")
    result = run_wrapper("asiaplus", tmp_path, {}, "-a", f"base_url=http://127.0.0.1:{free_port()}")
    assert result.returncode == 1, result.stderr[-2000:]
    log = (tmp_path / "logs" / "asiaplus.log").read_text()
    assert f"MongoDB at mongodb://crawler:***@127.0.0.1:{port}/?authSource=admin&serverSelectionTimeoutMS=1000 is " \
        "unreachable" in log, log[-3000:]
    assert "embedded store" not in log and "s3cret" not in log + result.stderr


def test_an_unquoted_value_loses_its_trailing_spaces_and_comment_and_a_quoted_one_keeps_its_hash(
        tmp_path: Path) -> None:
    # Kept, "/data  # prod" was a new empty embedded store (the articles split between two silently) and "logs2 "
    # another log directory; sourced by the shell, as before, both gave the bare value, as Docker Compose does.
    seen = tmp_path / "seen.env"
    interpreter = tmp_path / "python"  # stands in for the crawl: what the wrapper handed it
    interpreter.write_text(f"#!/bin/sh\nenv > '{seen}'\n")
    interpreter.chmod(0o755)
    (tmp_path / "env").write_text(f"DATA_DIR={tmp_path / 'data'}  # prod\nLOG_DIR={tmp_path / 'logs2'} \n"
                                  "USER_AGENT='news-crawler #1 (ops@example.org)'  # quoted: the '#' stays\n"
                                  'MONITOR_ALERT_URL="http://127.0.0.1/hook#a"\nSTORAGE_TIMEOUT_SECONDS=1#2\n'
                                  "SITE_LEASE_SECONDS=  # unset\n")
    result = run_wrapper("asiaplus", tmp_path, {"PYTHON": str(interpreter)})
    assert result.returncode == 0, result.stderr
    env = dict(line.split("=", 1) for line in seen.read_text().splitlines() if "=" in line)
    assert env["DATA_DIR"] == str(tmp_path / "data")
    assert env["LOG_DIR"] == str(tmp_path / "logs2")
    assert env["USER_AGENT"] == "news-crawler #1 (ops@example.org)"
    assert env["MONITOR_ALERT_URL"] == "http://127.0.0.1/hook#a"
    assert env["STORAGE_TIMEOUT_SECONDS"] == "1#2"  # no whitespace before the '#': part of the value
    assert env["SITE_LEASE_SECONDS"] == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("logs")) == ["logs2"]


def test_a_quoted_value_that_is_not_utf8_loses_its_quotes_in_a_utf8_locale(tmp_path: Path) -> None:
    # Under LC_ALL=C.UTF-8 bash's pattern match failed on the byte 0xff and the quotes stayed in the value.
    seen = tmp_path / "seen.env"
    interpreter = tmp_path / "python"
    interpreter.write_text(f"#!/bin/sh\nenv > '{seen}'\n")
    interpreter.chmod(0o755)
    (tmp_path / "env").write_bytes(b'USER_AGENT="news\xff crawler" # latin-1 by mistake\n')
    result = run_wrapper("asiaplus", tmp_path, {"PYTHON": str(interpreter), "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert b"USER_AGENT=news\xff crawler\n" in seen.read_bytes()


def test_a_line_of_the_env_file_that_is_no_assignment_stops_the_wrapper_without_showing_it(tmp_path: Path) -> None:
    (tmp_path / "env").write_text("DATA_DIR=/nonexistent\nmongodb://crawler:s3cret@db:27017/\n")
    result = run_wrapper("asiaplus", tmp_path, {})
    assert result.returncode == 2
    assert result.stderr == f"run-crawl: {tmp_path / 'env'} line 2 is not NAME=value (not shown: it may hold a " \
        "password)\n"
    assert not (tmp_path / "logs" / "asiaplus.log").exists()


def test_changed_layout_makes_the_run_degraded(tmp_path: Path, mongo: MongoTarget) -> None:
    env = mongo.env()
    replica = tmp_path / "replica"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    with serve(replica) as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        assert run_wrapper("asiaplus", tmp_path, env, "-a", base).returncode == 0
        for page in replica.rglob("index.html"):  # a theme update renames the content classes
            text = page.read_text(encoding="utf-8")
            page.write_text(re.sub(r"tdb_single_content|td-post-content", "tdi-article-body", text), encoding="utf-8")
        result = run_wrapper("asiaplus", tmp_path, env, "-a", base, "-s", "INCREMENTAL_ENABLED=0")
    assert result.returncode == 3, result.stderr
    run = mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])
    assert run["health"]["status"] == "degraded"
    assert any("layout probably changed" in p for p in run["health"]["problems"])
    assert "Health degraded" in (tmp_path / "logs" / "asiaplus.log").read_text()


@pytest.mark.e2e
def test_a_crawl_while_another_process_holds_the_site_exits_75(tmp_path: Path) -> None:
    """The in-process lock also covers runs that do not go through the wrapper (Scrapyd jobs)."""
    with site_held("asiaplus", store_env(data_dir=tmp_path / "data")):
        result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "asiaplus", "-s", "ROBOTSTXT_OBEY=0"],
                                cwd=ROOT, env={"PATH": os.environ["PATH"], "DATA_DIR": str(tmp_path / "data")},
                                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 75, result.stderr[-2000:]
        assert "Another crawl of asiaplus is running" in result.stderr


# -- the shipped crontab -------------------------------------------------------------------------

CRON_RANGES = {"minute": (0, 59), "hour": (0, 23)}


def cron_field(field: str, kind: str) -> set[int]:
    """The values a cron minute or hour field matches: ``*``, ``a``, ``a-b``, each with ``/step``, comma lists."""
    low, high = CRON_RANGES[kind]
    values: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            start, end = map(int, span.split("-"))
        else:
            start = int(span)
            end = high if step else start
        assert low <= start <= end <= high, f"{kind} field {field!r} out of range"
        values.update(range(start, end + 1, int(step or 1)))
    return values


def crontab_runs() -> dict[str, list[tuple[str, set[tuple[int, int]]]]]:
    """Per site, each crontab entry (its line) with the (hour, minute) pairs it fires at."""
    runs: dict[str, list[tuple[str, set[tuple[int, int]]]]] = {}
    for line in (ROOT / "deploy" / "crontab").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        minute, hour, _day, _month, _weekday, *command = line.split()
        # Entries restricted to some days could still meet on one of them: judged by minute and hour alone.
        assert "run-crawl" in command[0], line
        when = {(h, m) for h in cron_field(hour, "hour") for m in cron_field(minute, "minute")}
        runs.setdefault(command[1], []).append((line, when))
    return runs


def test_the_crontab_is_generated_from_the_sites() -> None:
    """A new site gets its schedule from ``scripts/crontab.py --write``, not by hand."""
    import runpy

    generated = runpy.run_path(str(ROOT / "scripts" / "crontab.py"))["crontab"]()
    assert (ROOT / "deploy" / "crontab").read_text(encoding="utf-8") == generated


def test_cron_fields_are_expanded_as_cron_does() -> None:
    assert cron_field("0-59/15", "minute") == {0, 15, 30, 45}
    assert cron_field("7", "minute") == {7} and cron_field("*", "hour") == set(range(24))
    assert cron_field("5/20,1-3", "minute") == {5, 25, 45, 1, 2, 3}


def test_crontab_never_starts_two_runs_of_a_site_in_the_same_minute() -> None:
    """The site lock would skip one of them: a nightly backfill due with a feeds run could never run."""
    runs = crontab_runs()
    assert set(runs) == set(site_names())  # every site is scheduled
    for site, entries in runs.items():
        for i, (line, when) in enumerate(entries):
            for other, other_when in entries[i + 1:]:
                clash = sorted(when & other_when)
                assert not clash, f"{site}: {line!r} and {other!r} both start at {clash[0][0]:02}:{clash[0][1]:02}"


# -- the wrapper with its default paths: one lock, skipped runs that do not alert -------------------

def checkout(tmp_path: Path) -> Path:
    """A checkout whose deploy/run-crawl runs with its default paths (logs/, data/ beside it), in tmp_path."""
    home = tmp_path / "checkout"
    (home / "deploy").mkdir(parents=True)
    shutil.copy2(WRAPPER, home / "deploy" / "run-crawl")
    shutil.copy2(ROOT / "scrapy.cfg", home / "scrapy.cfg")
    for package in ("crawler", "pipelines"):
        (home / package).symlink_to(ROOT / package)
    return home


def run_checkout(home: Path, env_file: str, *args: str) -> subprocess.Popen[str]:
    """Start ``deploy/run-crawl asiaplus`` of ``home`` with no LOG_DIR/DATA_DIR: the defaults."""
    (home / "env").write_text(env_file)
    settings = [item for setting in FAST for item in ("-s", setting)]
    env = {"PATH": os.environ["PATH"], "PYTHON": sys.executable, "NEWS_CRAWLER_ENV": str(home / "env")}
    return subprocess.Popen([str(home / "deploy" / "run-crawl"), "asiaplus", *args, *settings], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                            start_new_session=True)


@pytest.mark.e2e
def test_a_run_with_the_default_paths_is_not_locked_out_by_its_wrapper(tmp_path: Path) -> None:
    home = checkout(tmp_path)
    with serve(REPLICAS / "asiaplus") as server:
        run = run_checkout(home, "BROWSER_ENABLED=0\n", "-a", f"base_url=http://127.0.0.1:{server.server_port}")
        _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr + (home / "logs" / "asiaplus.log").read_text()[-3000:]
    log = (home / "logs" / "asiaplus.log").read_text()
    assert "Took the lease of asiaplus" in log  # the crawl's own lock, in its default store
    with site_held("asiaplus", store_env(data_dir=home / "data")):  # and given back at its close
        pass


@pytest.mark.e2e
def test_a_sigterm_to_the_wrapper_alone_stops_the_crawl_gracefully(tmp_path: Path) -> None:
    """systemd's KillMode=mixed (the shipped unit) signals only the process it started: the wrapper passes the
    SIGTERM on and waits, so the crawl stops as Scrapy stops on SIGTERM, not left crawling on unwatched."""
    home = checkout(tmp_path)
    log = home / "logs" / "asiaplus.log"
    with serve(REPLICAS / "asiaplus") as server:
        run = run_checkout(home, "BROWSER_ENABLED=0\nDOWNLOAD_DELAY=1\n",
                           "-a", f"base_url=http://127.0.0.1:{server.server_port}")
        try:
            deadline = time.monotonic() + 60
            while len(server.requests) < 3:  # crawling (a stop while the spider opens is Scrapy's own matter)
                assert run.poll() is None and time.monotonic() < deadline, run.communicate()[1]
                time.sleep(0.05)
            os.kill(run.pid, signal.SIGTERM)  # the wrapper's pid alone, as KillMode=mixed sends it
            _, stderr = run.communicate(timeout=90)
            with pytest.raises(ProcessLookupError):  # nothing of the unit is left running
                os.killpg(run.pid, 0)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
    text = log.read_text()
    assert "Received SIGTERM, shutting down gracefully" in text, text[-3000:]
    assert "(finished)" not in text and "(shutdown)" in text, text[-3000:] + stderr
    assert run.returncode >= 0, stderr  # the crawl's own status, not the shell killed by the signal
    assert f"crawl exited {run.returncode}" in stderr or run.returncode == 0


class Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        Webhook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def webhook_server() -> Iterator[str]:
    Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/T0KEN-{uuid.uuid4().hex}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_concurrent_run_of_the_same_site_is_skipped_recorded_and_never_alerted(
        tmp_path: Path, mongo: MongoTarget) -> None:
    home = checkout(tmp_path)
    log = home / "logs" / "asiaplus.log"
    with webhook_server() as hook:
        # The first run's requests wait on a socket that never answers: it holds the site until that closes.
        black_hole = socket.create_server(("127.0.0.1", 0), backlog=16)
        env_file = (f"MONGO_URI={mongo.uri}\nMONGO_DATABASE={mongo.database}\nMONITOR_WEBHOOK_URL={hook}\n"
                    "BROWSER_ENABLED=0\nDOWNLOAD_TIMEOUT=60\nRETRY_TIMES=0\nROBOTSTXT_OBEY=0\n")
        first = run_checkout(home, env_file, "-a", f"base_url=http://127.0.0.1:{black_hole.getsockname()[1]}")
        try:
            deadline = time.monotonic() + 60
            while "Spider opened" not in (log.read_text() if log.exists() else ""):  # it holds the lock by then
                assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1]
                time.sleep(0.1)
            second = run_checkout(home, env_file)
            _, stderr = second.communicate(timeout=60)
            assert second.returncode == 75, stderr + log.read_text()[-3000:]
            assert first.poll() is None  # the first run still crawls

            runs = list(mongo.db.crawl_runs.find({"site": "asiaplus", "outcome": {"$ne": "running"}}))
            assert len(runs) == 1, runs  # only the skipped run has ended
            assert mongo.db.crawl_runs.count_documents({"site": "asiaplus", "outcome": "running"}) == 1  # the first
            assert runs[0]["outcome"] == "skipped" and runs[0]["finish_reason"] == "site_locked"
            assert runs[0]["health"]["status"] == "skipped" and runs[0]["health"]["problems"] == []
            assert Webhook.received == []
            report = subprocess.run([sys.executable, "-m", "scrapy", "report", "--json"], cwd=ROOT, text=True,
                                    capture_output=True, timeout=60, env={"PATH": os.environ["PATH"],
                                    **mongo.env()})
            rows = {row["site"]: row for row in map(json.loads, report.stdout.splitlines())}
            assert rows["asiaplus"]["last_health"] == "skipped", report.stderr
        finally:
            black_hole.close()  # resets the waiting connections: the first run fails at once and ends
            _, first_stderr = first.communicate(timeout=60)
        # The webhook works: the first run, which found nothing, is reported; the skipped run never is.
        assert first.returncode == 1, first_stderr
        assert [alert["status"] for alert in Webhook.received] == ["failed"]
        assert Webhook.received[0]["run"] != runs[0]["_id"]
    token = hook.rsplit("/", 1)[1]
    assert token not in log.read_text() + stderr + first_stderr  # the webhook URL is never logged
