"""Run health watches apart from storage (the ``RunHealth`` extension), through the real
``scrapy crawl`` and a webhook on loopback: with storage off, or the storage pipeline removed,
a failed run is still judged, logged, put in stats and alerted; a run stopped because the
store is unreachable at start is judged failed and alerted (it used to end in silence)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.storage.store import ArticleStore, StoreTarget
from tests.conftest import free_port
from tests.crawling import run_crawl

pytestmark = pytest.mark.e2e  # real crawls


@contextlib.contextmanager
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook on loopback: its URL and the JSON bodies POSTed to it."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/T0KEN", received
    finally:
        server.shutdown()
        server.server_close()


def dead_site_crawl(data_dir: Path, hook: str, *settings: str,
                    env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A crawl of a site that is not there: nothing found, so the run is failed."""
    env = {"DATA_DIR": str(data_dir), "MONITOR_WEBHOOK_URL": hook, "BROWSER_ENABLED": "0", **(env or {})}
    return run_crawl("asiaplus", f"base_url=http://127.0.0.1:{free_port()}", timeout=90, env=env,
                     settings=["RETRY_TIMES=0", *settings])


@pytest.mark.parametrize("storage_off", ["STORAGE_ENABLED=0", "ITEM_PIPELINES={}"])
def test_a_failed_run_without_storage_is_still_judged_and_alerted(storage_off: str, tmp_path: Path) -> None:
    with webhook() as (hook, received):
        result = dead_site_crawl(tmp_path, hook, storage_off)
    log = result.stderr
    assert result.returncode == 1, log[-3000:]
    assert "Health failed: zero articles: nothing discovered or extracted" in log
    assert "'health/status': 'failed'" in log
    [alert] = received
    assert alert["status"] == "failed" and alert["spider"] == "asiaplus" and alert["site"] == "asiaplus"
    assert "zero articles: nothing discovered or extracted" in alert["problems"]
    if storage_off == "STORAGE_ENABLED=0":
        assert log.count("not recorded: storage is off") == 1
        assert not (tmp_path / "news.db").exists()
    else:  # storage is on, only its pipeline is gone: the run is still recorded
        store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
        try:
            [run] = store.latest_runs()
        finally:
            store.close()
        assert run["_id"] == alert["run"] and run["health"]["status"] == "failed"


def test_a_store_unreachable_at_start_fails_the_run_and_alerts(tmp_path: Path) -> None:
    uri = f"mongodb://crawler:hunter2@127.0.0.1:{free_port()}/"
    with webhook() as (hook, received):
        result = dead_site_crawl(tmp_path, hook, "STORAGE_TIMEOUT_SECONDS=1", env={"MONGO_URI": uri})
    log = result.stderr
    assert result.returncode == 1, log[-3000:]
    assert "not starting the crawl" in log and "Traceback" not in log
    assert log.count("Server selection timeout") <= 1  # the unreachable store is tried (and reported) once
    [alert] = received
    assert alert["status"] == "failed"
    assert "run ended abnormally: storage_unavailable" in alert["problems"]
    assert "hunter2" not in log and "hunter2" not in json.dumps(alert)


@pytest.mark.parametrize("form", ["json", "text"])
def test_the_webhook_speaks_chat_text_with_or_without_the_raw_fields(form: str, tmp_path: Path) -> None:
    """Slack and Mattermost show ``text``; ``json`` (the default) keeps the raw fields beside it."""
    with webhook() as (hook, received):
        result = dead_site_crawl(tmp_path, hook, f"MONITOR_ALERT_FORMAT={form}")
    assert result.returncode == 1, result.stderr[-3000:]
    [alert] = received
    head, *problems = alert["text"].split("\n")
    assert head.startswith("Crawl of asiaplus: failed (run ")
    assert "• zero articles: nothing discovered or extracted" in problems
    if form == "text":
        assert set(alert) == {"text"}
    else:
        assert alert["status"] == "failed" and alert["site"] == "asiaplus" and head.endswith(f"(run {alert['run']})")


def test_an_unknown_webhook_format_is_refused_at_start(tmp_path: Path) -> None:
    with webhook() as (hook, received):
        result = dead_site_crawl(tmp_path, hook, "MONITOR_ALERT_FORMAT=teams")
    assert result.returncode == 2 and received == []
    assert "MONITOR_ALERT_FORMAT must be one of json, text, got 'teams'" in result.stderr
